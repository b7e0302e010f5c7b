"""Kernels for ``upsample``, ``pad`` and ``crop``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cnncalc.kernels._arrays import Array, spatial_slices
from cnncalc.kernels.registry import kernel
from cnncalc.layers.spatial import Crop, Pad, Upsample
from cnncalc.model.axes import per_axis
from cnncalc.model.errors import ShapeError
from cnncalc.model.geometry import padding_pairs

CUBIC_A = -0.75
"""The cubic convolution constant PyTorch's bicubic upsampling uses (Keys 1981 with a = −0.75)."""


def _output_size(i: int, scale: float | None, size: int | None) -> int:
    """Output size: ``size``, or ``⌊i·scale⌋`` in double precision (as
    ``torch.nn.functional.interpolate`` computes it before calling the kernel)."""
    if size is not None:
        return size
    assert scale is not None
    return int(np.floor(float(i) * float(scale)))


def _source_scale(i: int, o: int, scale: float | None, align_corners: bool,
                  dtype: Any) -> Any:
    """PyTorch's ``area_pixel_compute_scale``: ``(i−1)/(o−1)`` when aligning corners, else
    ``1/scale_factor`` when one was given, else ``i/o`` (in the input's precision)."""
    if align_corners:
        return dtype.type((i - 1) / (o - 1)) if o > 1 else dtype.type(0)
    if scale is not None:
        return dtype.type(1.0 / scale)
    return dtype.type(i) / dtype.type(o)


def _nearest(x: Array, axis: int, o: int, scale: float | None) -> Array:
    """``src = min(⌊dst·s⌋, i−1)`` with ``s`` in float (PyTorch ``nearest_idx``)."""
    i = x.shape[axis]
    if o == i:
        index = np.arange(o)
    elif o == 2 * i:
        index = np.arange(o) >> 1
    else:
        s = np.float32(1.0 / scale) if scale is not None else np.float32(i) / np.float32(o)
        index = np.minimum(np.floor(np.arange(o, dtype=np.float32) * s).astype(np.int64), i - 1)
    return np.take(x, index, axis=axis)


def _weighted(x: Array, axis: int, taps: Sequence[tuple[Array, Array]]) -> Array:
    """``Σ weight_t · x[index_t]`` along one axis."""
    shape = [1] * x.ndim
    shape[axis] = -1
    total: Array | None = None
    for index, weight in taps:
        term = np.take(x, index, axis=axis) * weight.reshape(shape)
        total = term if total is None else total + term
    assert total is not None
    return total


def _linear(x: Array, axis: int, o: int, scale: float | None, align: bool) -> Array:
    """Linear interpolation on one axis (PyTorch ``upsample_linear1d`` / bilinear /
    trilinear, which are this applied axis by axis): source ``s·dst`` when aligning corners,
    else ``max(s·(dst + ½) − ½, 0)``; neighbours ``⌊src⌋`` and the next one (clamped)."""
    i = x.shape[axis]
    dtype = x.dtype
    s = _source_scale(i, o, scale, align, dtype)
    dst = np.arange(o, dtype=dtype)
    half = dtype.type(0.5)
    src = s * dst if align else np.maximum(s * (dst + half) - half, dtype.type(0))
    i0 = src.astype(np.int64)
    i1 = np.minimum(i0 + 1, i - 1)
    lam1 = src - i0.astype(dtype)
    lam0 = dtype.type(1) - lam1
    return _weighted(x, axis, [(i0, lam0), (i1, lam1)])


def _cubic_weights(t: Array) -> list[Array]:
    """Keys' cubic convolution weights for the four neighbours at offsets −1, 0, 1, 2
    (PyTorch ``get_cubic_upsample_coefficients``)."""
    a = CUBIC_A

    def near(v: Array) -> Array:  # |v| ≤ 1
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def far(v: Array) -> Array:   # 1 < |v| < 2
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _cubic(x: Array, axis: int, o: int, scale: float | None, align: bool) -> Array:
    """Bicubic interpolation on one axis: source ``s·dst`` or ``s·(dst + ½) − ½`` (not
    clamped), four neighbours around ``⌊src⌋`` with their indices clamped to the input."""
    i = x.shape[axis]
    dtype = x.dtype
    s = _source_scale(i, o, scale, align, dtype)
    dst = np.arange(o, dtype=dtype)
    half = dtype.type(0.5)
    src = s * dst if align else s * (dst + half) - half
    base = np.floor(src)
    t = (src - base).astype(dtype)
    weights = _cubic_weights(t)
    start = base.astype(np.int64)
    return _weighted(x, axis, [(np.clip(start + off, 0, i - 1), w.astype(dtype))
                               for off, w in zip((-1, 0, 1, 2), weights)])


@kernel(Upsample)
def upsample(layer: Upsample, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Nearest, linear (any number of axes) or bicubic upsampling with PyTorch's index
    arithmetic, one spatial axis at a time (each mode is separable)."""
    x = inputs[0]
    rank = x.ndim - 2
    if rank < 1:
        raise ShapeError("upsample needs spatial axes")
    scales = per_axis("scale", layer.scale, rank) if layer.scale is not None else (None,) * rank
    if layer.like is not None:  # the size of the other input (the reference layer's output)
        sizes: tuple[int | None, ...] = tuple(int(d) for d in inputs[1].shape[2:])
    else:
        sizes = per_axis("size", layer.size, rank) if layer.size is not None else (None,) * rank
    for a in range(rank):
        axis = 2 + a
        o = _output_size(x.shape[axis], scales[a], sizes[a])
        if o < 1:
            raise ShapeError(f"output size {o} is not positive")
        if layer.mode == "nearest":
            x = _nearest(x, axis, o, scales[a])
        elif layer.mode == "bicubic":
            x = _cubic(x, axis, o, scales[a], layer.align_corners)
        else:
            x = _linear(x, axis, o, scales[a], layer.align_corners)
    return np.ascontiguousarray(x)


_NUMPY_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
                    "circular": "wrap"}


@kernel(Pad)
def pad(layer: Pad, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Explicit padding: constant (``value``), reflect (mirror without repeating the edge),
    replicate (repeat the edge) or circular (wrap around), as ``torch.nn.functional.pad``."""
    x = inputs[0]
    rank = x.ndim - 2
    if rank < 1:
        raise ShapeError("pad needs spatial axes")
    pads = padding_pairs("padding", layer.padding, rank)
    width = [(0, 0), (0, 0), *pads]
    if layer.mode == "constant":
        return np.pad(x, width, mode="constant", constant_values=layer.value)
    for i, (pb, pa) in zip(x.shape[2:], pads):
        if layer.mode == "reflect" and max(pb, pa) >= i:
            raise ShapeError(f"reflect padding {max(pb, pa)} needs an input larger than {i}")
        if layer.mode == "circular" and max(pb, pa) > i:
            raise ShapeError(f"circular padding {max(pb, pa)} exceeds the input size {i}")
    padded: Array = np.pad(x, width, mode=_NUMPY_PAD_MODES[layer.mode])  # type: ignore[call-overload]
    return padded


@kernel(Crop)
def crop(layer: Crop, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Cut a border, or a window of a given size (or of the second input's actual size, for
    U-Net skips) at the centre — ``⌊(in − out)/2⌋`` first — or at the start."""
    x = inputs[0]
    rank = x.ndim - 2
    if rank < 1:
        raise ShapeError("crop needs spatial axes")
    if layer.border is not None:
        borders = padding_pairs("border", layer.border, rank)
        keep = [slice(b, i - a) for i, (b, a) in zip(x.shape[2:], borders)]
    else:
        target = (inputs[1].shape[2:] if layer.like is not None
                  else per_axis("size", layer.size, rank))
        if len(target) != rank:
            raise ShapeError(f"cannot crop {x.shape} to {target}")
        keep = []
        for i, t in zip(x.shape[2:], target):
            if t > i:
                raise ShapeError(f"cannot crop {i} elements to {t}")
            start = (i - t) // 2 if layer.anchor == "center" else 0
            keep.append(slice(start, start + t))
    y = x[spatial_slices(rank, keep)]
    if any(d < 1 for d in y.shape[2:]):
        raise ShapeError(f"cropping leaves an empty array of shape {y.shape}")
    return np.ascontiguousarray(y)
