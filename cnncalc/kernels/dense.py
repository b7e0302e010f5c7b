"""Kernels for ``linear`` and ``flatten``."""

from __future__ import annotations

from collections.abc import Mapping
from math import sqrt

from cnncalc.kernels._arrays import Array
from cnncalc.kernels.registry import Param, kernel
from cnncalc.layers.dense import Flatten, Linear
from cnncalc.model.errors import ShapeError
from cnncalc.model.shape import Shape


def linear_params(layer: Linear, inputs: tuple[Shape, ...]) -> dict[str, Param]:
    features = inputs[0].numel
    out = {"weight": Param((layer.out, features), "weight", sqrt(2.0 / features))}
    if layer.bias:
        out["bias"] = Param((layer.out,), "bias", 0.1)
    return out


@kernel(Linear, params=linear_params)
def linear(layer: Linear, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """``x @ Wᵀ + b`` with PyTorch's ``(out, in)`` weight layout."""
    x = inputs[0]
    if x.ndim != 2:
        raise ShapeError(f"linear needs a flat input, got an array of shape {x.shape}")
    y: Array = x @ params["weight"].T
    if "bias" in params:
        y += params["bias"]
    return y


@kernel(Flatten)
def flatten(layer: Flatten, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Channels and spatial axes into one axis, channels first (PyTorch ``Flatten``)."""
    x = inputs[0]
    return x.reshape(x.shape[0], -1)
