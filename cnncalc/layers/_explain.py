"""Small formatting helpers shared by the layer kinds' ``explain`` methods."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod

AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def axis_names(rank: int) -> tuple[str, ...]:
    return AXIS_NAMES.get(rank, tuple(f"axis{i}" for i in range(rank)))


def per_axis_lines(rank: int, formula: Callable[[int], str], what: str = "") -> list[str]:
    """One line per distinct formula, labelled with the axes it applies to (``H, W: ...``)."""
    lines: dict[str, list[str]] = {}
    names = axis_names(rank)
    for axis in range(rank):
        lines.setdefault(formula(axis), []).append(names[axis])
    prefix = f"{what} " if what else ""
    return [f"{prefix}{', '.join(axes)}: {text}" for text, axes in lines.items()]


def n(value: int) -> str:
    """An integer with thousands separators."""
    return f"{value:,}"


def times(values: Sequence[int]) -> str:
    """``7×7`` for a kernel, ``112×112`` for a plane."""
    return "×".join(str(v) for v in values) if values else "1"


def params_line(terms: list[tuple[str, int]], bias: int) -> str:
    """``params: 64·3·7·7 = 9,408 weights + 64 bias = 9,472``."""
    text = " · ".join(f"{label}" for label, _ in terms)
    weights = prod(v for _, v in terms)
    if bias:
        return f"params: {text} = {n(weights)} weights + {n(bias)} bias = {n(weights + bias)}"
    return f"params: {text} = {n(weights)} weights (no bias)"
