"""Pooling kernels: max, average and Lp pooling over sliding windows (with ceil_mode), global
and adaptive pooling.

The windows are placed here, from the layer's resolved padding, by the loops PyTorch's pooling
kernels run; the number of windows is counted from those positions, not taken from
:func:`cnncalc.model.arith.pool_out`, so ``cnncalc validate`` compares two independent answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import reduce
from itertools import product
from math import prod
from typing import Any

import numpy as np

from cnncalc.kernels._arrays import Array, pad_spatial, shape_of, window_view
from cnncalc.kernels.registry import kernel
from cnncalc.layers.pool import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    GlobalAvgPool,
    GlobalMaxPool,
    LpPool,
    MaxPool,
    _WindowPool,
)
from cnncalc.model.axes import per_axis
from cnncalc.model.errors import ShapeError
from cnncalc.model.geometry import Window


def window_starts(i: int, w: Window, ceil_mode: bool | str) -> list[int]:
    """Where the pooling windows start on one axis, in padded coordinates (0 = first padding).

    Floor mode: every window that lies wholly inside the padded input. Ceil mode: one more
    window while the previous one stopped short of the padded input's end, then (PyTorch) every
    window that would start in the right padding is dropped — it would read no input
    (``pooling_output_shape_pad_lr``, aten/src/ATen/native/Pool.h). Caffe drops it only when
    there is padding (PoolingLayer::Reshape)."""
    padded = i + w.pb + w.pa
    if not ceil_mode:
        return list(range(0, padded - w.k_eff + 1, w.s))
    starts = [0]
    while starts[-1] + w.k_eff < padded:
        starts.append(starts[-1] + w.s)
    if ceil_mode != "caffe" or w.pb or w.pa:
        while len(starts) > 1 and starts[-1] >= i + w.pb:
            starts.pop()
    return starts


def _windows(layer: _WindowPool, x: Array) -> tuple[list[Window], list[list[int]]]:
    ws = list(layer.windows(shape_of(x)))
    starts = [window_starts(i, w, layer.ceil_mode) for i, w in zip(x.shape[2:], ws)]
    if any(not s for s in starts):
        raise ShapeError("the pooling window does not fit the padded input")
    return ws, starts


def _overhang(i: int, w: Window, starts: list[int]) -> int:
    """Extra elements past the right padding that ceil mode's last window reads."""
    return max(0, starts[-1] + w.k_eff - (i + w.pb + w.pa))


def _window_taps(layer: _WindowPool, x: Array, fill: float) -> tuple[Array, list[Window],
                                                                      list[list[int]]]:
    """The windows as a view ``(N, C, *out, *kernel)`` over ``x`` padded with ``fill`` (padding
    and ceil-mode overhang alike)."""
    ws, starts = _windows(layer, x)
    pads = [(w.pb, w.pa + _overhang(i, w, s)) for i, w, s in zip(x.shape[2:], ws, starts)]
    xp = pad_spatial(x, pads, fill)
    view = window_view(xp, [w.k for w in ws], [w.s for w in ws], [w.d for w in ws],
                       [len(s) for s in starts])
    return view, ws, starts


def _reduce_taps(view: Array, rank: int, ufunc: np.ufunc) -> Array:
    """Combine the taps of every window with ``ufunc`` (maximum, add) one tap at a time: each
    step is one vectorised pass over the output instead of a reduction over tiny axes."""
    ks = view.shape[-rank:]
    taps = list(product(*(range(k) for k in ks)))
    first: tuple[Any, ...] = (Ellipsis, *taps[0])
    acc: Array = np.array(view[first], copy=True)
    for tap in taps[1:]:
        index: tuple[Any, ...] = (Ellipsis, *tap)
        ufunc(acc, view[index], out=acc)
    return acc


def _window_sizes(i: int, w: Window, starts: list[int], count_pad: bool) -> Array:
    """How many elements each window divides by on one axis (PyTorch avg_pool): with
    ``count_include_pad`` the window clipped to the padded input (the padding counts, the
    ceil-mode overhang past it does not); without, only the input elements it covers. A
    window that covers no input gets 0."""
    sizes = []
    for start in starts:
        lo, hi = start - w.pb, start - w.pb + w.k
        covered = min(hi, i) - max(lo, 0)
        sizes.append(0 if covered <= 0 else min(hi, i + w.pa) - lo if count_pad else covered)
    return np.array(sizes)


def _divisor(x: Array, ws: list[Window], starts: list[list[int]], count_pad: bool) -> Array:
    """Per-window divisors for every spatial position: the product of the per-axis sizes."""
    rank = len(ws)
    per_axis = [_window_sizes(i, w, s, count_pad).reshape(
        [1] * (2 + a) + [-1] + [1] * (rank - a - 1))
        for a, (i, w, s) in enumerate(zip(x.shape[2:], ws, starts))]
    return reduce(np.multiply, per_axis).astype(x.dtype)


@kernel(MaxPool)
def maxpool(layer: MaxPool, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Max over each window; padding and the ceil-mode overhang are −∞ (PyTorch MaxPoolNd;
    NaN propagates)."""
    x = inputs[0]
    view, _, _ = _window_taps(layer, x, -np.inf)
    return _reduce_taps(view, x.ndim - 2, np.maximum)


@kernel(AvgPool)
def avgpool(layer: AvgPool, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Window sums (zero padding) divided as PyTorch's avg_pool divides: see
    :func:`_window_sizes` for ``count_include_pad``."""
    x = inputs[0]
    view, ws, starts = _window_taps(layer, x, 0.0)
    total = _reduce_taps(view, x.ndim - 2, np.add)
    divisor = _divisor(x, ws, starts, layer.count_include_pad)
    # A window reading no input (Caffe's ceil rule without padding can place one) stays 0.
    np.divide(total, divisor, out=total, where=divisor > 0)
    return total


@kernel(LpPool)
def lppool(layer: LpPool, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """``(Σ xᵖ)^(1/p)`` computed as PyTorch's ``lp_pool`` does: an average pool of ``xᵖ`` (no
    padding, partial ceil-mode windows divided by their size) times the full kernel size, then
    the ``1/p`` power (NaN where the power of a negative sum is undefined)."""
    x = inputs[0]
    rank = x.ndim - 2
    powered = np.power(x, np.asarray(layer.norm, x.dtype))
    view, ws, starts = _window_taps(layer, powered, 0.0)
    mean = _reduce_taps(view, rank, np.add)
    mean /= _divisor(x, ws, starts, True)
    mean *= np.asarray(prod(w.k for w in ws), x.dtype)
    with np.errstate(invalid="ignore"):
        root: Array = np.power(mean, np.asarray(1.0 / layer.norm, x.dtype))
    return root


def _spatial_axes(x: Array) -> tuple[int, ...]:
    if x.ndim < 3:
        raise ShapeError(f"global pooling needs spatial axes, got an array of shape {x.shape}")
    return tuple(range(2, x.ndim))


@kernel(GlobalAvgPool)
def global_avgpool(layer: GlobalAvgPool, inputs: tuple[Array, ...],
                   params: Mapping[str, Array]) -> Array:
    x = inputs[0]
    return np.mean(x, axis=_spatial_axes(x), keepdims=True, dtype=x.dtype)


@kernel(GlobalMaxPool)
def global_maxpool(layer: GlobalMaxPool, inputs: tuple[Array, ...],
                   params: Mapping[str, Array]) -> Array:
    x = inputs[0]
    y: Array = np.max(x, axis=_spatial_axes(x), keepdims=True)
    return y


def adaptive_ranges(n_in: int, n_out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive pooling windows: output ``o`` reads ``[⌊o·n_in/n_out⌋,
    ⌈(o+1)·n_in/n_out⌉)`` (aten/src/ATen/native/AdaptiveAveragePooling.cpp, start_index and
    end_index)."""
    return [((o * n_in) // n_out, -(-((o + 1) * n_in) // n_out)) for o in range(n_out)]


def _adaptive(x: Array, sizes: Sequence[int], reduce_axis: str) -> Array:
    """Adaptive pooling one axis at a time: each window is a product of per-axis ranges, and
    both the mean and the max of such a box can be taken axis by axis."""
    if len(sizes) != x.ndim - 2:
        raise ShapeError(f"output has {len(sizes)} sizes for {x.ndim - 2} spatial axes")
    for axis, n_out in enumerate(sizes, start=2):
        parts = []
        for start, end in adaptive_ranges(x.shape[axis], n_out):
            part = np.take(x, np.arange(start, end), axis=axis)
            parts.append(part.mean(axis=axis, keepdims=True, dtype=x.dtype)
                         if reduce_axis == "mean" else part.max(axis=axis, keepdims=True))
        x = np.concatenate(parts, axis=axis)
    return x


def _output_sizes(layer: AdaptiveAvgPool | AdaptiveMaxPool, x: Array) -> tuple[int, ...]:
    return tuple(per_axis("output", layer.output, x.ndim - 2))


@kernel(AdaptiveAvgPool)
def adaptive_avgpool(layer: AdaptiveAvgPool, inputs: tuple[Array, ...],
                     params: Mapping[str, Array]) -> Array:
    x = inputs[0]
    return _adaptive(x, _output_sizes(layer, x), "mean")


@kernel(AdaptiveMaxPool)
def adaptive_maxpool(layer: AdaptiveMaxPool, inputs: tuple[Array, ...],
                     params: Mapping[str, Array]) -> Array:
    x = inputs[0]
    return _adaptive(x, _output_sizes(layer, x), "max")
