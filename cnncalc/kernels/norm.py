"""Kernels for ``batchnorm`` (inference), ``layernorm``, ``groupnorm``, ``instancenorm``, ``lrn``
and ``dropout``."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cnncalc.kernels._arrays import Array
from cnncalc.kernels.registry import Param, kernel
from cnncalc.layers.norm import (
    BatchNorm,
    Dropout,
    GroupNorm,
    InstanceNorm,
    LayerNorm,
    LocalResponseNorm,
)
from cnncalc.model.shape import Shape


def norm_params(layer: BatchNorm | InstanceNorm, inputs: tuple[Shape, ...]) -> dict[str, Param]:
    """γ and β with ``affine``, the running mean and variance with ``track_running_stats``."""
    c = inputs[0].channels
    out: dict[str, Param] = {}
    if layer.affine:
        out["weight"] = Param((c,), "weight", 0.1, 1.0)
        out["bias"] = Param((c,), "bias", 0.1)
    if layer.track_running_stats:
        out["running_mean"] = Param((c,), "buffer", 0.1)
        out["running_var"] = Param((c,), "buffer", 0.2, 1.0, positive=True)
    return out


def _per_channel(v: Array, ndim: int) -> Array:
    return v.reshape(1, -1, *(1,) * (ndim - 2))


@kernel(BatchNorm, params=norm_params)
def batchnorm(layer: BatchNorm, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Inference batch norm, as PyTorch's ``eval()`` computes it: ``x·α + β`` with
    ``α = γ/√(var + eps)`` and ``β = bias − mean·α`` from the running statistics; without them
    (``track_running_stats: false``) the batch's own mean and biased variance."""
    x = inputs[0]
    dtype = x.dtype
    if "running_mean" in params:
        mean, var = params["running_mean"], params["running_var"]
    else:
        axes = (0, *range(2, x.ndim))
        mean = x.mean(axis=axes, dtype=dtype)
        var = x.var(axis=axes, dtype=dtype)
    alpha = 1.0 / np.sqrt(var + np.asarray(layer.eps, dtype))
    if "weight" in params:
        alpha = alpha * params["weight"]
    beta = -mean * alpha
    if "bias" in params:
        beta = beta + params["bias"]
    y = x * _per_channel(alpha.astype(dtype), x.ndim)
    y += _per_channel(beta.astype(dtype), x.ndim)
    return y


def _normalise(x: Array, axes: tuple[int, ...], eps: float) -> Array:
    """``(x − mean)/√(var + eps)`` over ``axes``, with the biased variance (as PyTorch's
    normalisations), computed in float64 and returned in ``x``'s dtype."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes, keepdims=True)
    var = x64.var(axis=axes, keepdims=True)
    y: Array = ((x64 - mean) / np.sqrt(var + eps)).astype(x.dtype)
    return y


def _affine(y: Array, params: Mapping[str, Array]) -> Array:
    if "weight" in params:
        y = y * _per_channel(params["weight"], y.ndim)
    if "bias" in params:
        y = y + _per_channel(params["bias"], y.ndim)
    return y


def layernorm_params(layer: LayerNorm, inputs: tuple[Shape, ...]) -> dict[str, Param]:
    c = inputs[0].channels
    out: dict[str, Param] = {}
    if layer.affine:
        out["weight"] = Param((c,), "weight", 0.1, 1.0)
        if layer.bias:
            out["bias"] = Param((c,), "bias", 0.1)
    return out


@kernel(LayerNorm, params=layernorm_params)
def layernorm(layer: LayerNorm, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Normalise over the channel axis at every position (ConvNeXt's LayerNorm2d; over the
    vector on a flat input), then ``γ·x̂ + β`` per channel."""
    x = inputs[0]
    return _affine(_normalise(x, (1,), layer.eps), params)


def groupnorm_params(layer: GroupNorm, inputs: tuple[Shape, ...]) -> dict[str, Param]:
    c = inputs[0].channels
    if not layer.affine:
        return {}
    return {"weight": Param((c,), "weight", 0.1, 1.0), "bias": Param((c,), "bias", 0.1)}


@kernel(GroupNorm, params=groupnorm_params)
def groupnorm(layer: GroupNorm, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Normalise each sample's groups of ``C/groups`` channels over those channels and every
    position, then ``γ·x̂ + β`` per channel."""
    x = inputs[0]
    grouped = x.reshape(x.shape[0], layer.groups, -1)
    y = _normalise(grouped, (2,), layer.eps).reshape(x.shape)
    return _affine(y, params)


@kernel(InstanceNorm, params=norm_params)
def instancenorm(layer: InstanceNorm, inputs: tuple[Array, ...],
                 params: Mapping[str, Array]) -> Array:
    """Inference, as PyTorch's ``eval()``: with running statistics, ``(x − mean)/√(var + eps)``
    from them per channel; without, each channel of each sample normalised over its
    positions. Then ``γ·x̂ + β`` per channel."""
    x = inputs[0]
    if "running_mean" in params:
        mean = _per_channel(params["running_mean"].astype(np.float64), x.ndim)
        var = _per_channel(params["running_var"].astype(np.float64), x.ndim)
        y = ((x.astype(np.float64) - mean) / np.sqrt(var + layer.eps)).astype(x.dtype)
    else:
        y = _normalise(x, tuple(range(2, x.ndim)), layer.eps)
    return _affine(y, params)


@kernel(LocalResponseNorm)
def lrn(layer: LocalResponseNorm, inputs: tuple[Array, ...],
        params: Mapping[str, Array]) -> Array:
    """PyTorch's ``local_response_norm``: ``x / (k + α/n·Σ x²)^β``, the sum over ``n``
    channels from ``c − ⌊n/2⌋`` to ``c + ⌊(n−1)/2⌋`` (zero beyond the ends; the divisor is
    always ``n``)."""
    x = inputs[0]
    dtype = x.dtype
    c = x.shape[1]
    size = layer.size
    squares = x * x
    lead, trail = size // 2, (size - 1) // 2
    padded = np.zeros((x.shape[0], c + lead + trail, *x.shape[2:]), dtype)
    padded[:, lead:lead + c] = squares
    total = padded[:, 0:c].copy()
    for j in range(1, size):
        total += padded[:, j:j + c]
    total /= np.asarray(size, dtype)
    total *= np.asarray(layer.alpha, dtype)
    total += np.asarray(layer.k, dtype)
    np.power(total, np.asarray(layer.beta, dtype), out=total)
    y: Array = x / total
    return y


@kernel(Dropout)
def dropout(layer: Dropout, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Dropout at inference is the identity."""
    return inputs[0]
