"""``cnncalc kinds``: the layer kinds, and one kind's attributes, as text a person reads.

Defaults are written as a spec would write them (``null``, ``true``, ``nearest``, ``[1, 2]``),
every example is a whole spec that runs as it stands (tests/test_layers.py runs each one), and
lines are wrapped to the width with a hanging indent.
"""

from __future__ import annotations

import textwrap
from typing import Any

from cnncalc.layers.base import Layer

NAME_WIDTH = 18


def yaml_text(value: Any) -> str:
    """A default value as YAML flow text: ``null``, ``true``, ``0.5``, ``nearest``, ``[1, 2]``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(yaml_text(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else str(value)
    return str(value)


def _wrap(text: str, width: int, indent: str, first: str | None = None) -> list[str]:
    """``text`` wrapped to ``width``: the first line starts with ``first`` (default: the
    indent), the others with ``indent``."""
    start = indent if first is None else first
    return textwrap.wrap(text, width, initial_indent=start, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False) or [start.rstrip()]


def kinds_list(kinds: dict[str, type[Layer]], width: int = 100) -> str:
    """One entry per kind: its name, what it is, and its other spellings."""
    lines: list[str] = []
    for name, cls in kinds.items():
        also = f" (also {', '.join(cls.aliases)})" if cls.aliases else ""
        lines += _wrap(f"{cls.doc}{also}", width, " " * 21, f"{name:<20} ")
    return "\n".join(lines) + "\n"


def kind_text(cls: type[Layer], width: int = 100) -> str:
    """One kind: what it is, its other spellings, a spec that uses it, and its attributes with
    their types, defaults (as YAML) and meaning."""
    lines = _wrap(f"{cls.kind}: {cls.doc}", width, "  ", "")
    if cls.aliases:
        lines += _wrap(f"aliases: {', '.join(cls.aliases)}", width, "  ", "")
    lines.append("example (a whole spec):")
    lines += [f"  {line}" for line in cls.example_spec().splitlines()]
    infos = cls.attributes()
    if infos:
        lines.append("attributes:")
    indent = " " * (NAME_WIDTH + 3)
    for info in infos:
        default = "required" if info.required else f"default {yaml_text(info.default)}"
        also = f"; also spelt {', '.join(info.aliases)}" if info.aliases else ""
        lines += _wrap(f"{info.type.describe()} ({default}){also}", width, indent,
                       f"  {info.name:<{NAME_WIDTH}} ")
        lines += _wrap(info.doc, width, indent)
    return "\n".join(lines) + "\n"
