"""A spec document (plain Python data) as YAML text a person would have written: flow mappings
for layers, block lists for branches, long lines wrapped, a header comment on top. The importers
write every spec through here, and the result is read back by the ordinary spec loader."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

WIDTH = 100
_PLAIN = re.compile(r"[A-Za-z_$][A-Za-z0-9_.\-$]*(?: [*/+\-] [A-Za-z0-9_$]+)*")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~"}
_KEYS = ("name", "description", "input", "batch", "defaults", "blocks", "layers")


def scalar(value: Any) -> str:
    """A scalar in YAML, read back as the same value by cnncalc's loader."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text)


def flow(value: Any, in_list: bool = False) -> str:
    """``value`` in flow style on one line; a one-key mapping inside a list is written as the
    implicit pair ``conv: {...}`` that specs use."""
    if isinstance(value, dict):
        if in_list and len(value) == 1:
            (key, inner), = value.items()
            return f"{scalar(key)}: {flow(inner)}" if inner is not None else scalar(key)
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v, True) for v in value) + "]"
    return scalar(value)


def _pieces(value: Any, in_list: bool) -> tuple[str, str, list[Any]] | None:
    """A container split into its opening, closing and entries (for wrapping)."""
    if isinstance(value, dict) and not (in_list and len(value) == 1):
        return "{", "}", [(k, v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return "[", "]", list(value)
    return None


def wrapped(head: str, value: Any, indent: int, width: int = WIDTH,
            in_list: bool = False) -> list[str]:
    """``head`` followed by ``value`` in flow style, broken after commas where the line would
    pass ``width``; continuation lines start at ``indent`` (deeper for nested containers)."""
    line = head + flow(value, in_list)
    if len(line) <= width:
        return [line]
    if in_list and isinstance(value, dict) and len(value) == 1:
        (key, inner), = value.items()
        return wrapped(f"{head}{scalar(key)}: ", inner, indent, width)
    parts = _pieces(value, in_list)
    if parts is None:
        return [line]
    opening, closing, entries = parts
    lines: list[str] = []
    current, fresh = head + opening, True
    for i, entry in enumerate(entries):
        tail = closing if i == len(entries) - 1 else ","
        if isinstance(entry, tuple):
            key, inner = entry
            key_text = f"{scalar(key)}: "
            text = key_text + flow(inner)
        else:
            key, inner, key_text = None, entry, ""
            text = flow(entry, True)
        candidate = current + ("" if fresh else " ") + text + tail
        if len(candidate) <= width:
            current, fresh = candidate, False
            continue
        if not fresh:
            lines.append(current)
            current, fresh = " " * indent, True
            if len(current + text + tail) <= width:
                current, fresh = current + text + tail, False
                continue
        sub = wrapped(current + key_text, inner, indent + 2, width, key is None)
        lines.extend(sub[:-1])
        current, fresh = sub[-1] + tail, False
    lines.append(current)
    return lines


def _branch(branch: Any, indent: int, width: int) -> list[str]:
    """One branch of a merge, as the list item at column ``indent``."""
    pad = " " * indent
    if not isinstance(branch, list):
        return items([branch], indent, width)
    if not branch:
        return [pad + "- []"]
    simple = all(not _is_merge(x) for x in branch)
    if simple:
        line = pad + "- " + flow(branch)
        if len(line) <= width:
            return [line]
    out = items(branch, indent + 2, width)
    first = out[0]
    return [pad + "- " + first[indent + 2:], *out[1:]]


def _is_merge(item: Any) -> bool:
    return (isinstance(item, dict) and bool(item)
            and isinstance(next(iter(item.values())), list)
            and next(iter(item)) not in ("inputs",))


def items(layers: Sequence[Any], indent: int, width: int = WIDTH) -> list[str]:
    """A list of layers (or block-use, merge) items, each starting ``- `` at column
    ``indent``."""
    pad = " " * indent
    out: list[str] = []
    for item in layers:
        if isinstance(item, str):
            out.append(pad + "- " + scalar(item))
        elif _is_merge(item):
            (kind, branches), *rest = item.items()
            out.append(f"{pad}- {scalar(kind)}:")
            for branch in branches:
                out.extend(_branch(branch, indent + 4, width))
            for key, value in rest:
                out.extend(wrapped(f"{pad}  {scalar(key)}: ", value, indent + 6, width))
        elif isinstance(item, dict) and len(item) == 1:
            (kind, attrs), = item.items()
            if attrs is None or attrs == {}:
                out.append(pad + "- " + scalar(kind))
            else:
                out.extend(wrapped(f"{pad}- {scalar(kind)}: ", attrs, indent + 6, width))
        else:
            out.extend(wrapped(pad + "- ", item, indent + 4, width, True))
    return out


def comment(lines: Sequence[str], width: int = WIDTH) -> list[str]:
    """Header lines as ``# `` comments, wrapped at ``width`` with a two-space hang."""
    out: list[str] = []
    for text in lines:
        clean = " ".join(text.split())
        prefix = "# "
        while len(prefix) + len(clean) > width:
            cut = clean.rfind(" ", 0, width - len(prefix))
            if cut <= 0:
                break
            out.append(prefix + clean[:cut])
            clean, prefix = clean[cut + 1:], "#   "
        out.append(prefix + clean)
    return out


def document(spec: dict[str, Any], header: Sequence[str] = (), width: int = WIDTH) -> str:
    """The whole spec file."""
    out = comment(header, width)
    for key in _KEYS:
        if key not in spec or spec[key] in (None, {}, []):
            continue
        value = spec[key]
        if key == "defaults":
            out.append("defaults:")
            for kind, attrs in value.items():
                out.extend(wrapped(f"  {scalar(kind)}: ", attrs, 6, width))
        elif key == "blocks":
            out.append("blocks:")
            for name, block in value.items():
                out.append(f"  {scalar(name)}:")
                if block.get("params"):
                    out.extend(wrapped("    params: ", block["params"], 8, width))
                out.append("    layers:")
                out.extend(items(block["layers"], 6, width))
        elif key == "layers":
            out.append("layers:")
            out.extend(items(value, 2, width))
        else:
            out.extend(wrapped(f"{key}: ", value, 4, width))
    return "\n".join(out) + "\n"
