"""Resolving a layer's per-axis attributes (kernel, stride, padding, dilation) against an input.

A spec may write ``kernel: 3`` (every axis), ``kernel: [3, 5]`` (per axis), ``padding: same`` or
``padding: [[0, 1], [2, 3]]``; the walker needs, for each spatial axis, plain integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cnncalc.model import arith
from cnncalc.model.axes import per_axis
from cnncalc.model.errors import ShapeError


@dataclass(frozen=True, slots=True)
class Window:
    """A sliding window on one axis: kernel, stride, padding before/after, dilation."""

    k: int
    s: int
    pb: int
    pa: int
    d: int = 1

    @property
    def k_eff(self) -> int:
        return arith.effective_kernel(self.k, self.d)

    @property
    def tiles(self) -> bool:
        """Whether the windows tile or overlap the input (``k_eff ≥ s``). A window narrower
        than its stride (ResNet's 1×1/2 shortcut) skips pixels between windows by design, so
        the last pixels it misses are no mistake: they are not counted as dropped."""
        return self.k_eff >= self.s

    def dropped(self, i: int) -> int:
        """Input pixels at the end of an axis of ``i`` that no window reaches, for windows
        that tile (else 0: see :attr:`tiles`)."""
        return arith.dropped_inputs(i, self.k, self.s, self.pb, self.pa, self.d) if self.tiles \
            else 0


def require_spatial(kind: str, rank: int, low: int = 1, high: int = 3) -> None:
    if rank < low:
        raise ShapeError(f"{kind} needs an input with spatial axes, but its input is a flat "
                         f"vector (add it before 'flatten', or check the input shape)")
    if rank > high:
        raise ShapeError(f"{kind} supports {low} to {high} spatial axes, got {rank}")


def padding_pairs(name: str, value: Any, rank: int) -> tuple[tuple[int, int], ...]:
    """Per-axis ``(before, after)`` from padding written as one integer (every side of every
    axis), one integer per axis, or ``[before, after]`` pairs per axis."""
    pairs: list[tuple[int, int]] = []
    for item in per_axis(name, value, rank):
        pair = tuple(item) if isinstance(item, (tuple, list)) else (item, item)
        if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in pair):
            raise ShapeError(f"{name} must be whole numbers or (before, after) pairs, "
                             f"got {item!r}")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def resolve_padding(padding: Any, spatial: Sequence[int], kernel: Sequence[int],
                    stride: Sequence[int], dilation: Sequence[int],
                    allowed: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Per-axis ``(before, after)`` padding for a window layer: numbers as
    :func:`padding_pairs` reads them, or one of the ``allowed`` words of
    :func:`cnncalc.model.arith.word_padding` (``same``, ``same_tf``, ``valid``, ``full``)."""
    if isinstance(padding, str):
        word = padding.lower()
        if word not in allowed:
            raise ShapeError(f"padding '{padding}' is not supported here "
                             f"(use {', '.join(allowed) or 'an integer'})")
        return arith.word_padding(word, spatial, kernel, stride, dilation)
    return padding_pairs("padding", padding, len(spatial))


def window_settings(ws: Sequence[Window]) -> tuple[tuple[int, ...], tuple[int, ...],
                                                  tuple[tuple[int, int], ...], tuple[int, ...]]:
    """Kernels, strides, ``(before, after)`` paddings and dilations of ``ws``, per axis: the
    arguments the quick calculators (:mod:`cnncalc.quick.calc`) take."""
    return (tuple(w.k for w in ws), tuple(w.s for w in ws), tuple((w.pb, w.pa) for w in ws),
            tuple(w.d for w in ws))


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
