"""Helpers shared by the commands: showing errors located in a spec, the value types of options
(sizes, counts, limits), plain output. Loading a spec is :mod:`cnncalc.cli.loading`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import click

from cnncalc.model.errors import CnncalcError, Diagnostic, SpecError
from cnncalc.model.limits import DEFAULT_LIMITS, Limits
from cnncalc.model.quantity import QuantityError, parse_quantity, parse_size, parse_sizes

F = TypeVar("F", bound=Callable[..., Any])

SOURCES: dict[str, str] = {}
"""Text of every spec read in this process, by the path its marks use (for caret lines)."""


def source_excerpt(diag: Diagnostic) -> list[str]:
    """The spec line a diagnostic points at, with a caret under its column."""
    mark = diag.mark
    if mark is None or mark.path not in SOURCES:
        return []
    lines = SOURCES[mark.path].splitlines()
    if not 1 <= mark.line <= len(lines):
        return []
    text = lines[mark.line - 1].replace("\t", " ").translate(_PICTURES)
    if len(text) > 200:
        start = max(0, mark.column - 100)
        text = text[start:start + 200]
        column = mark.column - start
    else:
        column = mark.column
    gutter = f"{mark.line:>5} | "
    return [gutter + text, " " * (len(gutter) - 2) + "| " + " " * (column - 1) + "^"]


MAX_MESSAGE = 1000
"""Longest error message printed (a message can quote a huge key from a hostile file)."""


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), *range(127, 160))}
"""Control characters a message may quote from a spec (YAML's "\\e" escape makes ESC), shown
escaped so that a hostile file cannot send escape sequences to the user's terminal."""


_PICTURES = {**{c: 0x2400 + c for c in range(32)}, 127: 0x2421,
             **{c: 0xFFFD for c in range(128, 160)}}
"""The same characters in a quoted source line, as one-column pictures (␛, ␀, ...), so that the
caret under the line stays aligned."""


def format_diagnostic(diag: Diagnostic, excerpt: bool = True) -> str:
    message = diag.message.translate(_CONTROL)
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE - 1] + "…"
    if message != diag.message:
        diag = replace(diag, message=message)
    lines = [diag.headline()]
    if excerpt:
        lines += source_excerpt(diag)
    lines += [f"      note: {note}" for note in diag.all_notes]
    return "\n".join(lines)


def print_error(exc: CnncalcError) -> None:
    if isinstance(exc, SpecError):
        for diag in exc.diagnostics:
            click.echo(format_diagnostic(diag), err=True)
    else:
        click.echo(f"error: {exc}", err=True)


def parse_limits(values: tuple[str, ...]) -> Limits:
    """``--limit max_layers=2M`` (repeatable) → Limits; the number is a count as budgets read
    it (:func:`cnncalc.model.quantity.parse_quantity`)."""
    overrides: dict[str, int] = {}
    for value in values:
        name, sep, number = value.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in Limits.names():
            raise click.BadParameter(f"expected NAME=VALUE with NAME one of "
                                     f"{', '.join(Limits.names())}, got {value!r}",
                                     param_hint="--limit")
        try:
            overrides[name] = parse_quantity(number)
        except QuantityError as exc:
            raise click.BadParameter(f"{name}: {exc}", param_hint="--limit") from None
        if overrides[name] < 1:
            raise click.BadParameter(f"{name} must be at least 1", param_hint="--limit")
    return DEFAULT_LIMITS.with_overrides(**overrides)


MIN_WIDTH = 40
"""The narrowest table any command draws (``--width``): one rule for every command."""


def width_option(f: F) -> F:
    """``--width N``, the same for every command that draws a table."""
    return click.option("--width", type=click.IntRange(min=MIN_WIDTH),
                        help=f"Table width, at least {MIN_WIDTH} (default: the terminal's, or "
                             f"100 when piped).")(f)


def progress_option(f: F) -> F:
    """``--no-progress``: no progress bar (one is shown only on a terminal, on stderr, and only
    for work that takes over a second)."""
    return click.option("--no-progress", is_flag=True,
                        help="No progress bar (shown only on a terminal, on stderr, for work "
                             "over a second).")(f)


def limit_option(f: F) -> F:
    return click.option("--limit", "limits", multiple=True, metavar="NAME=N",
                        help="Raise a safety limit, e.g. --limit max_layers=5000000 "
                             "(see docs/limits.md).")(f)


class Sizes(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4
    """Sizes as :func:`cnncalc.model.quantity.parse_sizes` reads them (``7``, ``3x5``), at most
    ``most`` of them."""

    name = "sizes"

    def __init__(self, minimum: int = 1, most: int = 3) -> None:
        self.minimum = minimum
        self.most = most

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        try:
            sizes = parse_sizes(value, minimum=self.minimum)
        except QuantityError as exc:
            self.fail(str(exc), param, ctx)
        if len(sizes) > self.most:
            self.fail(f"at most {self.most} spatial axes, got {value!r}", param, ctx)
        return sizes


class Size(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4
    """One size as :func:`cnncalc.model.quantity.parse_size` reads it (a batch, channels)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except QuantityError as exc:
            self.fail(str(exc), param, ctx)


SIZE = Size()


def shape_option(value: str | None, limits: Limits = DEFAULT_LIMITS) -> tuple[int, ...] | None:
    """``--input 3x384x384`` → sizes; misuse (exit 2) when malformed or over ``max_dim``."""
    if value is None:
        return None
    try:
        dims = parse_sizes(value)
    except QuantityError as exc:
        raise click.BadParameter(str(exc), param_hint="--input") from None
    if len(dims) > 4:
        raise click.BadParameter("expected channels then 0 to 3 positive sizes, e.g. 3x224x224",
                                 param_hint="--input")
    if max(dims) > limits.max_dim:
        raise click.BadParameter(limits.exceeded("max_dim", "size", max(dims)),
                                 param_hint="--input")
    return dims


def batch_option(value: int | None, limits: Limits = DEFAULT_LIMITS) -> int | None:
    """``--batch N``: misuse (exit 2) over ``max_dim``, like any other size."""
    if value is not None and value > limits.max_dim:
        raise click.BadParameter(limits.exceeded("max_dim", "batch", value), param_hint="--batch")
    return value


def stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def echo(text: str) -> None:
    click.echo(text, nl=False)


__all__ = ["MIN_WIDTH", "SIZE", "SOURCES", "CnncalcError", "Size", "Sizes", "batch_option",
           "echo", "format_diagnostic", "limit_option", "parse_limits", "print_error",
           "progress_option",
           "shape_option", "stdout_is_terminal", "width_option"]
