"""Resolving a layer's per-axis attributes (kernel, stride, padding, dilation) against an input.

A spec may write ``kernel: 3`` (every axis), ``kernel: [3, 5]`` (per axis), ``padding: same`` or
``padding: [[0, 1], [2, 3]]``; the walker needs, for each spatial axis, plain integers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cnncalc.model import arith
from cnncalc.model.errors import ShapeError
from cnncalc.model.value import SET, Value, value


@value
class Window(Value):
    """A sliding window on one axis: kernel, stride, padding before/after, dilation."""

    k: int
    s: int
    pb: int
    pa: int
    d: int = 1

    def __init__(self, k: int, s: int, pb: int, pa: int, d: int = 1) -> None:
        SET(self, "k", k)
        SET(self, "s", s)
        SET(self, "pb", pb)
        SET(self, "pa", pa)
        SET(self, "d", d)

    @property
    def k_eff(self) -> int:
        return arith.effective_kernel(self.k, self.d)


def per_axis(name: str, value: Any, rank: int) -> tuple[Any, ...]:
    """Expand a scalar to every axis, or check that a list has one value per axis."""
    if isinstance(value, tuple):
        if len(value) != rank:
            raise ShapeError(f"{name} has {len(value)} values but the input has {rank} spatial "
                             f"ax{'is' if rank == 1 else 'es'}")
        return value
    return (value,) * rank


def require_spatial(kind: str, rank: int, low: int = 1, high: int = 3) -> None:
    if rank < low:
        raise ShapeError(f"{kind} needs an input with spatial axes, but its input is a flat "
                         f"vector (add it before 'flatten', or check the input shape)")
    if rank > high:
        raise ShapeError(f"{kind} supports {low} to {high} spatial axes, got {rank}")


def resolve_padding(padding: Any, spatial: tuple[int, ...], kernel: tuple[int, ...],
                    stride: tuple[int, ...], dilation: tuple[int, ...],
                    allowed: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Per-axis ``(before, after)`` padding for a window layer.

    ``same`` is PyTorch's (stride 1 only), ``same_tf`` TensorFlow's (any stride, odd pixel
    after), ``valid`` is zero and ``full`` is ``d·(k−1)`` on each side.
    """
    rank = len(spatial)
    if isinstance(padding, str):
        if padding not in allowed:
            raise ShapeError(f"padding '{padding}' is not supported here "
                             f"(use {', '.join(allowed) or 'an integer'})")
        return arith.word_padding(padding, spatial, kernel, stride, dilation)
    values = per_axis("padding", padding, rank)
    return tuple(v if isinstance(v, tuple) else (v, v) for v in values)


@lru_cache(maxsize=4096)
def windows(spatial: tuple[int, ...], kernel: Any, stride: Any, padding: Any, dilation: Any,
            allowed: tuple[str, ...]) -> tuple[Window, ...]:
    """Resolve a layer's window attributes on every spatial axis of its input. A layer asks for
    them for its shape, counts, receptive field and dropped pixels; the result is a pure
    function of the arguments, so recent ones are cached."""
    rank = len(spatial)
    k = per_axis("kernel", kernel, rank)
    s = per_axis("stride", stride, rank)
    d = per_axis("dilation", dilation, rank)
    pads = resolve_padding(padding, spatial, k, s, d, allowed)
    return tuple(Window(kk, ss, pb, pa, dd) for kk, ss, (pb, pa), dd in zip(k, s, pads, d))


def format_axes(values: tuple[Any, ...]) -> str:
    """``(3, 3)`` → ``3``; ``(3, 5)`` → ``3×5`` (for tables and explanations)."""
    if values and all(v == values[0] for v in values):
        return str(values[0])
    return "×".join(str(v) for v in values)
