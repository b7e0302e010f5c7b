"""Convolution kernels: ``conv`` (im2col + one matrix product), ``conv_transpose`` (a matrix
product, then col2im) and ``locally_connected`` (one product per output position).

Padding is resolved by the layer's own ``windows`` (:func:`cnncalc.model.geometry.windows`), so
a kernel and the shape rule read ``same``, ``same_tf`` or ``[[1, 2], ...]`` identically; the
output size, though, is whatever the arrays give, never a formula from
:mod:`cnncalc.model.arith` — that is what ``cnncalc validate`` checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import product
from math import prod, sqrt

import numpy as np

from cnncalc.kernels._arrays import Array, im2col, scratch, shape_of, spatial_slices
from cnncalc.kernels.registry import Param, kernel
from cnncalc.layers.conv import Conv, ConvTranspose, LocallyConnected
from cnncalc.model.axes import per_axis
from cnncalc.model.errors import ShapeError
from cnncalc.model.geometry import Window, require_spatial, windows
from cnncalc.model.shape import Shape


def _he(fan_in: int) -> float:
    """He et al. 2015 initialisation std, √(2/fan_in): keeps activations O(1) through ReLUs."""
    return sqrt(2.0 / max(fan_in, 1))


def _check_groups(channels: int, groups: int) -> None:
    if channels % groups:
        raise ShapeError(f"input channels {channels} are not divisible by groups {groups}")


# --- conv ---------------------------------------------------------------------------------------

def conv_params(layer: Conv, inputs: tuple[Shape, ...]) -> dict[str, Param]:
    x = inputs[0]
    k = per_axis("kernel", layer.kernel, x.rank)
    fan_in = (x.channels // layer.groups) * prod(k)
    out = {"weight": Param((layer.out, x.channels // layer.groups, *k), "weight", _he(fan_in))}
    if layer.bias:
        out["bias"] = Param((layer.out,), "bias", 0.1)
    return out


def _padded_copy(x: Shape, ws: tuple[Window, ...]) -> int:
    """Elements of the zero-padded copy :func:`im2col` makes (none without padding)."""
    if all(w.pb == 0 and w.pa == 0 for w in ws):
        return 0
    return x.channels * prod(i + w.pb + w.pa for i, w in zip(x.spatial, ws))


def conv_workspace(layer: Conv, inputs: tuple[Shape, ...], output: Shape) -> int:
    """The padded copy and the im2col columns, ``C·∏k·∏out`` (per sample)."""
    x = inputs[0]
    ws = layer.windows(x)
    return _padded_copy(x, ws) + x.channels * prod(w.k for w in ws) * output.spatial_numel


@kernel(Conv, params=conv_params, workspace=conv_workspace)
def conv(layer: Conv, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Convolution as one matrix product per group: ``W (out/g, C/g·∏k) @ cols (C/g·∏k, ∏out)``.

    The columns come from :func:`cnncalc.kernels._arrays.im2col`; with ``groups`` the product is
    batched over groups (and samples) by :func:`numpy.matmul`."""
    x = inputs[0]
    n, c = x.shape[:2]
    g = layer.groups
    _check_groups(c, g)
    cols, out = im2col(x, layer.windows(shape_of(x)))
    taps = cols.shape[2]
    w = params["weight"].reshape(g, layer.out // g, (c // g) * taps)
    cols = cols.reshape(n, g, (c // g) * taps, prod(out))
    product_: Array = w[0] @ cols[0, 0] if n == 1 and g == 1 else np.matmul(w, cols)
    y = product_.reshape(n, layer.out, *out)
    if "bias" in params:
        y += params["bias"].reshape(1, -1, *(1,) * len(out))
    return y


# --- conv_transpose -----------------------------------------------------------------------------

def conv_transpose_params(layer: ConvTranspose, inputs: tuple[Shape, ...]) -> dict[str, Param]:
    x = inputs[0]
    k = per_axis("kernel", layer.kernel, x.rank)
    s = per_axis("stride", layer.stride, x.rank)
    fan_in = (x.channels // layer.groups) * prod(k) // prod(s)  # products summed per output
    out = {"weight": Param((x.channels, layer.out // layer.groups, *k), "weight", _he(fan_in))}
    if layer.bias:
        out["bias"] = Param((layer.out,), "bias", 0.1)
    return out


def _transpose_geometry(layer: ConvTranspose, x: Shape) -> list[tuple[int, int, int, int, int,
                                                                   int, int]]:
    require_spatial(layer.kind, x.rank)
    ws = windows(x.spatial, layer.kernel, layer.stride, layer.padding, layer.dilation, ())
    op = per_axis("output_padding", layer.output_padding, x.rank)
    return [(i, w.k, w.s, w.pb, w.pa, o, w.d) for i, w, o in zip(x.spatial, ws, op)]


def conv_transpose_workspace(layer: ConvTranspose, inputs: tuple[Shape, ...],
                             output: Shape) -> int:
    x = inputs[0]
    reach = [(i - 1) * s + d * (k - 1) + 1 + max(0, o - pa)
             for i, k, s, _, pa, o, d in _transpose_geometry(layer, x)]
    k = per_axis("kernel", layer.kernel, x.rank)
    return int(layer.out * prod(k) * x.spatial_numel + layer.out * prod(reach))


@kernel(ConvTranspose, params=conv_transpose_params, workspace=conv_transpose_workspace)
def conv_transpose(layer: ConvTranspose, inputs: tuple[Array, ...],
                   params: Mapping[str, Array]) -> Array:
    """Transposed convolution: every input value times the kernel (one matrix product per
    group, ``Wᵀ (out/g·∏k, C/g) @ x (C/g, ∏in)``), scattered to ``i·s + t·d`` and summed
    (col2im). The scatter reaches ``(i−1)·s + d·(k−1) + 1`` positions; ``padding`` is cut from
    both ends and ``output_padding`` extends the end (PyTorch ConvTransposeNd)."""
    x = inputs[0]
    n, c = x.shape[:2]
    g = layer.groups
    _check_groups(c, g)
    geometry = _transpose_geometry(layer, shape_of(x))
    rank = len(geometry)
    ks = [a[1] for a in geometry]
    og = layer.out // g
    w = params["weight"].reshape(g, c // g, og * prod(ks)).transpose(0, 2, 1)
    xm = x.reshape(n, g, c // g, -1)
    cols = np.matmul(w, xm).reshape(n, layer.out, *ks, *x.shape[2:])
    reach = [(i - 1) * s + d * (k - 1) + 1 for i, k, s, _, _, _, d in geometry]
    ends = [r - pa + o for r, (_, _, _, _, pa, o, _) in zip(reach, geometry)]
    for (_, _, _, pb, _, _, _), end in zip(geometry, ends):
        if end <= pb:
            raise ShapeError(f"padding {pb} removes the whole output")
    full = np.zeros((n, layer.out, *(max(r, e) for r, e in zip(reach, ends))), x.dtype)
    for taps in product(*(range(k) for k in ks)):
        place = [slice(t * d, t * d + (i - 1) * s + 1, s)
                 for t, (i, _, s, _, _, _, d) in zip(taps, geometry)]
        tap_index = (slice(None), slice(None), *taps)
        full[spatial_slices(rank, place)] += cols[tap_index]
    keep = [slice(pb, end) for (_, _, _, pb, _, _, _), end in zip(geometry, ends)]
    y = np.ascontiguousarray(full[spatial_slices(rank, keep)])
    if "bias" in params:
        y += params["bias"].reshape(1, -1, *(1,) * rank)
    return y


# --- locally_connected --------------------------------------------------------------------------

def locally_connected_params(layer: LocallyConnected,
                             inputs: tuple[Shape, ...]) -> dict[str, Param]:
    x = inputs[0]
    ws = layer.windows(x)
    ks = [w.k for w in ws]
    # one filter bank per window position, counted from the windows (not the shape rule)
    out_sizes = tuple(len(range(0, i + w.pb + w.pa - w.k_eff + 1, w.s))
                      for i, w in zip(x.spatial, ws))
    fan_in = x.channels * prod(ks)
    out = {"weight": Param((*out_sizes, layer.out, x.channels, *ks), "weight", _he(fan_in))}
    if layer.bias:
        out["bias"] = Param((layer.out, *out_sizes), "bias", 0.1)
    return out


def locally_connected_workspace(layer: LocallyConnected, inputs: tuple[Shape, ...],
                                output: Shape) -> int:
    x = inputs[0]
    ws = layer.windows(x)
    return _padded_copy(x, ws) + 2 * x.channels * prod(w.k for w in ws) * output.spatial_numel


@kernel(LocallyConnected, params=locally_connected_params,
        workspace=locally_connected_workspace)
def locally_connected(layer: LocallyConnected, inputs: tuple[Array, ...],
                      params: Mapping[str, Array]) -> Array:
    """A convolution whose filters differ at every output position: the im2col columns of
    position ``p`` times that position's own ``(out, C·∏k)`` weights (Keras LocallyConnected2D,
    weights laid out ``(*out_positions, out, C, *kernel)``)."""
    x = inputs[0]
    n, c = x.shape[:2]
    cols, out = im2col(x, layer.windows(shape_of(x)))
    positions = prod(out)
    weight = params["weight"]
    if weight.shape[:len(out)] != out:
        raise ShapeError(f"weights for {weight.shape[:len(out)]} positions, but the windows give "
                         f"{out}")
    w = weight.reshape(positions, layer.out, -1)
    by_position = scratch("local", (positions, c * cols.shape[2], n), x.dtype)
    np.copyto(by_position, cols.reshape(n, -1, positions).transpose(2, 1, 0))
    y = np.matmul(w, by_position).transpose(2, 1, 0).reshape(n, layer.out, *out)
    if "bias" in params:
        y = y + params["bias"][np.newaxis]
    return np.ascontiguousarray(y)
