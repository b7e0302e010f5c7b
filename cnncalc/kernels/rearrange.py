"""Kernels for ``channel_shuffle``, ``split``, ``pixel_shuffle`` and ``pixel_unshuffle``:
reshapes and transpositions, as PyTorch defines them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cnncalc.kernels._arrays import Array
from cnncalc.kernels.registry import kernel
from cnncalc.layers.rearrange import ChannelShuffle, PixelShuffle, PixelUnshuffle, Split

Params = Mapping[str, Array]


@kernel(ChannelShuffle)
def channel_shuffle(layer: ChannelShuffle, inputs: tuple[Array, ...], params: Params) -> Array:
    """``(N, g·k, *S)`` viewed as ``(N, g, k, *S)``, the two channel axes swapped, and
    flattened back (torchvision's ``channel_shuffle``)."""
    x = inputs[0]
    n, c = x.shape[:2]
    grouped = x.reshape(n, layer.groups, c // layer.groups, *x.shape[2:])
    return np.ascontiguousarray(np.swapaxes(grouped, 1, 2)).reshape(x.shape)


@kernel(Split)
def split(layer: Split, inputs: tuple[Array, ...], params: Params) -> Array:
    """The channels ``[start, start + size)`` of the chosen part, a view as in PyTorch."""
    x = inputs[0]
    start, size = layer.bounds(x.shape[1])
    return x[:, start:start + size]


@kernel(PixelShuffle)
def pixel_shuffle(layer: PixelShuffle, inputs: tuple[Array, ...], params: Params) -> Array:
    """``(N, C·r², H, W)`` → ``(N, C, r, r, H, W)`` → ``(N, C, H, r, W, r)`` → ``(N, C, H·r,
    W·r)`` (PyTorch's ``pixel_shuffle``)."""
    x = inputs[0]
    r = layer.factor
    n, c, h, w = x.shape
    y = x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
    return np.ascontiguousarray(y).reshape(n, c // (r * r), h * r, w * r)


@kernel(PixelUnshuffle)
def pixel_unshuffle(layer: PixelUnshuffle, inputs: tuple[Array, ...], params: Params) -> Array:
    """The inverse: ``(N, C, H·r, W·r)`` → ``(N, C, H, r, W, r)`` → ``(N, C, r, r, H, W)`` →
    ``(N, C·r², H, W)``."""
    x = inputs[0]
    r = layer.factor
    n, c, hr, wr = x.shape
    y = x.reshape(n, c, hr // r, r, wr // r, r).transpose(0, 1, 3, 5, 2, 4)
    return np.ascontiguousarray(y).reshape(n, c * r * r, hr // r, wr // r)

