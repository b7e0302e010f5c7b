"""Kernels for ``layer_scale`` and ``stochastic_depth`` (inference)."""

from __future__ import annotations

from collections.abc import Mapping

from cnncalc.kernels._arrays import Array
from cnncalc.kernels.registry import Param, kernel
from cnncalc.layers.branch import LayerScale, StochasticDepth
from cnncalc.model.shape import Shape


def layer_scale_params(layer: LayerScale, inputs: tuple[Shape, ...]) -> dict[str, Param]:
    """γ as ConvNeXt lays it out: ``(C, 1, 1)`` (one 1 per spatial axis)."""
    x = inputs[0]
    return {"weight": Param((x.channels, *(1,) * x.rank), "weight", 0.1, 1.0)}


@kernel(LayerScale, params=layer_scale_params)
def layer_scale(layer: LayerScale, inputs: tuple[Array, ...],
                params: Mapping[str, Array]) -> Array:
    """``γ·x``, γ broadcast over the batch and the positions."""
    y: Array = params["weight"] * inputs[0]
    return y


@kernel(StochasticDepth)
def stochastic_depth(layer: StochasticDepth, inputs: tuple[Array, ...],
                     params: Mapping[str, Array]) -> Array:
    """Stochastic depth at inference is the identity."""
    return inputs[0]
