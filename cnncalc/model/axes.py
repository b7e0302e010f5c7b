"""Per-axis values: a layer setting written once for every spatial axis (``kernel: 3``) or once
per axis (``kernel: [3, 5]``), the axes' names, and how such values are shown.

Every part of cnncalc that takes per-axis settings — the layer kinds, the formulas' public API,
the quick calculators — expands them here, so they accept the same values and word their
refusals alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from cnncalc.model.errors import ShapeError

T = TypeVar("T")

AXIS_NAMES: dict[int, tuple[str, ...]] = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
"""The spatial axes' names by their number: length; height and width; depth, height, width."""


def axis_names(rank: int) -> tuple[str, ...]:
    """``("H", "W")`` for two spatial axes (``axis0``, ``axis1``, ... past three)."""
    return AXIS_NAMES.get(rank, tuple(f"axis{i}" for i in range(rank)))


def plural_axes(rank: int) -> str:
    """``1 spatial axis``, ``2 spatial axes``."""
    return f"{rank} spatial ax{'is' if rank == 1 else 'es'}"


def per_axis(name: str, value: T | Sequence[T], rank: int) -> tuple[T, ...]:
    """``value`` on each of ``rank`` axes: a single value is repeated, a list or tuple must hold
    one value per axis."""
    if isinstance(value, (tuple, list)):
        if len(value) != rank:
            raise ShapeError(f"{name} has {len(value)} values for {plural_axes(rank)}")
        return tuple(value)
    return (value,) * rank  # type: ignore[return-value]


def whole_per_axis(name: str, value: Any, rank: int) -> tuple[int, ...]:
    """:func:`per_axis` for values given through the Python API, each checked to be an integer
    (``True`` is not one)."""
    values = per_axis(name, value, rank)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ShapeError(f"{name} must be whole numbers, got {v!r}")
    return values


def format_axes(values: Sequence[object]) -> str:
    """``(3, 3)`` → ``3``; ``(3, 5)`` → ``3×5`` (for tables and explanations)."""
    if values and all(v == values[0] for v in values):
        return str(values[0])
    return "×".join(str(v) for v in values)


def padding_text(padding: Any) -> str:
    """A window's padding as layer descriptions show it: nothing when there is none, ``p1``,
    ``p0×3`` per axis, ``p0+1`` for 0 before and 1 after, or the spec's own word (``same``,
    ``same_tf``, ``full``)."""
    if isinstance(padding, str):
        return "" if padding == "valid" else padding
    if isinstance(padding, int):
        return f"p{padding}" if padding else ""
    axes = tuple(a if isinstance(a, int) else a[0] if a[0] == a[1] else f"{a[0]}+{a[1]}"
                 for a in padding)
    return "" if all(a == 0 for a in axes) else f"p{format_axes(axes)}"


def axis_lines(texts: Sequence[str | None], prefix: str = "") -> list[str]:
    """One line per distinct text, labelled with the axes it holds for (``out H, W: ...``);
    ``texts`` has one entry per axis, None where that axis has nothing to say."""
    grouped: dict[str, list[str]] = {}
    for name, text in zip(axis_names(len(texts)), texts):
        if text is not None:
            grouped.setdefault(text, []).append(name)
    head = f"{prefix} " if prefix else ""
    return [f"{head}{', '.join(axes)}: {text}" for text, axes in grouped.items()]
