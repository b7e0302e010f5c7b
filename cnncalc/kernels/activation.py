"""Element-wise activation kernels (and ``identity``), written to be stable where the naive
formula overflows: sigmoid and softmax never exponentiate a large positive number."""

from __future__ import annotations

from collections.abc import Mapping
from math import pi, sqrt

import numpy as np

from cnncalc.kernels._arrays import Array
from cnncalc.kernels.registry import Param, kernel
from cnncalc.layers.activation import (
    ELU,
    GELU,
    Hardsigmoid,
    Hardswish,
    Identity,
    LeakyReLU,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from cnncalc.model.shape import Shape

Params = Mapping[str, Array]


def _const(value: float, x: Array) -> Array:
    return np.asarray(value, x.dtype)


@kernel(ReLU)
def relu(layer: ReLU, inputs: tuple[Array, ...], params: Params) -> Array:
    return np.maximum(inputs[0], _const(0.0, inputs[0]))


@kernel(ReLU6)
def relu6(layer: ReLU6, inputs: tuple[Array, ...], params: Params) -> Array:
    x = inputs[0]
    return np.minimum(np.maximum(x, _const(0.0, x)), _const(6.0, x))


@kernel(LeakyReLU)
def leaky_relu(layer: LeakyReLU, inputs: tuple[Array, ...], params: Params) -> Array:
    x = inputs[0]
    return np.where(x > 0, x, x * _const(layer.negative_slope, x))


@kernel(ELU)
def elu(layer: ELU, inputs: tuple[Array, ...], params: Params) -> Array:
    """``x`` for positive inputs, ``α·(eˣ − 1)`` otherwise (expm1 keeps small ones exact)."""
    x = inputs[0]
    return np.where(x > 0, x, _const(layer.alpha, x) * np.expm1(np.minimum(x, _const(0.0, x))))


def prelu_params(layer: PReLU, inputs: tuple[Shape, ...]) -> dict[str, Param]:
    return {"weight": Param((inputs[0].channels if layer.per_channel else 1,), "weight", 0.05,
                            0.25)}


@kernel(PReLU, params=prelu_params)
def prelu(layer: PReLU, inputs: tuple[Array, ...], params: Params) -> Array:
    """``max(0, x) + a·min(0, x)`` with one slope, or one per channel (PyTorch ``PReLU``)."""
    x = inputs[0]
    a = params["weight"].reshape(1, -1, *(1,) * (x.ndim - 2))
    zero = _const(0.0, x)
    y: Array = np.maximum(x, zero) + a * np.minimum(x, zero)
    return y


def _sigmoid(x: Array) -> Array:
    """``1/(1 + e⁻ˣ)`` computed from ``e^(−|x|)``, which never overflows."""
    e = np.exp(-np.abs(x))
    one = _const(1.0, x)
    y: Array = np.where(x >= 0, one / (one + e), e / (one + e))
    return y


@kernel(Sigmoid)
def sigmoid(layer: Sigmoid, inputs: tuple[Array, ...], params: Params) -> Array:
    return _sigmoid(inputs[0])


@kernel(Tanh)
def tanh(layer: Tanh, inputs: tuple[Array, ...], params: Params) -> Array:
    return np.tanh(inputs[0])


_ERFC_COEFFICIENTS = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
                      -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def erfc(x: Array) -> Array:
    """The complementary error function in double precision with a relative error below
    1.2·10⁻⁷ everywhere (Numerical Recipes in C, 2nd ed., §6.2, ``erfcc``: a Chebyshev fit)."""
    z = np.abs(x.astype(np.float64))
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.zeros_like(z)
    for c in reversed(_ERFC_COEFFICIENTS[1:]):
        poly = t * (c + poly)
    ans: Array = t * np.exp(-z * z + _ERFC_COEFFICIENTS[0] + poly)
    return np.where(x >= 0, ans, 2.0 - ans)


@kernel(GELU)
def gelu(layer: GELU, inputs: tuple[Array, ...], params: Params) -> Array:
    """``x·Φ(x)``, Φ the normal distribution function: ``Φ(x) = erfc(−x/√2)/2`` (PyTorch
    ``approximate='none'``), or the tanh approximation
    ``x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`` (``approximate='tanh'``)."""
    x = inputs[0]
    if layer.approximate == "tanh":
        inner = _const(sqrt(2.0 / pi), x) * (x + _const(0.044715, x) * x * x * x)
        approx: Array = _const(0.5, x) * x * (_const(1.0, x) + np.tanh(inner))
        return approx
    phi = 0.5 * erfc(-x.astype(np.float64) / sqrt(2.0))
    return (x * phi).astype(x.dtype)


@kernel(SiLU)
def silu(layer: SiLU, inputs: tuple[Array, ...], params: Params) -> Array:
    return inputs[0] * _sigmoid(inputs[0])


@kernel(Hardswish)
def hardswish(layer: Hardswish, inputs: tuple[Array, ...], params: Params) -> Array:
    """``x·relu6(x + 3)/6``."""
    x = inputs[0]
    y: Array = x * np.minimum(np.maximum(x + _const(3.0, x), _const(0.0, x)),
                              _const(6.0, x)) / _const(6.0, x)
    return y


@kernel(Hardsigmoid)
def hardsigmoid(layer: Hardsigmoid, inputs: tuple[Array, ...], params: Params) -> Array:
    """``relu6(x + 3)/6``."""
    x = inputs[0]
    y: Array = np.minimum(np.maximum(x + _const(3.0, x), _const(0.0, x)),
                          _const(6.0, x)) / _const(6.0, x)
    return y


def softplus(x: Array) -> Array:
    """``log(1 + eˣ)`` written as ``max(x, 0) + log1p(e^(−|x|))``, which never overflows."""
    y: Array = np.maximum(x, _const(0.0, x)) + np.log1p(np.exp(-np.abs(x)))
    return y


@kernel(Mish)
def mish(layer: Mish, inputs: tuple[Array, ...], params: Params) -> Array:
    """``x·tanh(softplus(x))``."""
    x = inputs[0]
    y: Array = x * np.tanh(softplus(x))
    return y


@kernel(Softmax)
def softmax(layer: Softmax, inputs: tuple[Array, ...], params: Params) -> Array:
    """``eˣ/Σeˣ`` over the channel axis, shifted by the maximum so nothing overflows."""
    x = inputs[0]
    e: Array = np.exp(x - np.max(x, axis=1, keepdims=True))
    e /= np.sum(e, axis=1, keepdims=True)
    return e


@kernel(Identity)
def identity(layer: Identity, inputs: tuple[Array, ...], params: Params) -> Array:
    return inputs[0]
