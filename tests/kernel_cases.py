"""Helpers for the kernel tests: build a layer from spec attributes, run its kernel on arrays,
and hypothesis strategies for small window geometries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from cnncalc.kernels import kernel_for
from cnncalc.kernels._arrays import shape_of
from cnncalc.kernels.run import random_params
from cnncalc.layers.base import Layer

FAST = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
"""Hypothesis settings for kernel properties: a bounded number of small cases (2 shared cores)."""


def make(cls: type[Layer], **attrs: Any) -> Layer:
    """A layer built exactly as the spec loader builds it (attribute validation included)."""
    return cls.from_attrs(attrs)


def forward(layer: Layer, *xs: np.ndarray, params: dict[str, np.ndarray] | None = None,
            seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Run ``layer``'s kernel; random parameters unless given. Also checks that the array's
    shape is the one the layer's shape rule predicts (every kernel test doubles as a shape
    test)."""
    kern = kernel_for(layer)
    shapes = tuple(shape_of(x) if x.ndim > 1 else None for x in xs)
    in_shapes = tuple(s for s in shapes if s is not None)
    if params is None:
        params = random_params(kern, layer, in_shapes, np.random.default_rng(seed), xs[0].dtype)
    y = kern.forward(layer, tuple(xs), params)
    predicted = layer.infer(in_shapes)
    assert y.shape == (xs[0].shape[0], *predicted.dims), (y.shape, predicted)
    return y, params


def rand(rng: np.random.Generator, *shape: int, dtype: Any = np.float64) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


@dataclass(frozen=True)
class Axis:
    """One spatial axis of a window layer: input size, kernel, stride, padding, dilation."""

    i: int
    k: int
    s: int
    pb: int
    pa: int
    d: int = 1

    @property
    def k_eff(self) -> int:
        return self.d * (self.k - 1) + 1


@st.composite
def conv_axes(draw: Callable[..., Any], rank: int, max_size: int = 6,
              dilation: bool = True) -> list[Axis]:
    """Per-axis geometries whose dilated kernel fits the padded input."""
    axes = []
    for _ in range(rank):
        i = draw(st.integers(1, max_size))
        pb = draw(st.integers(0, 2))
        pa = draw(st.integers(0, 2))
        d = draw(st.integers(1, 2)) if dilation else 1
        k = draw(st.integers(1, max(1, min(3, (i + pb + pa - 1) // d + 1))))
        if d * (k - 1) + 1 > i + pb + pa:
            d = 1
        s = draw(st.integers(1, 3))
        axes.append(Axis(i, k, s, pb, pa, d))
    return axes


@st.composite
def pool_axes(draw: Callable[..., Any], rank: int, max_size: int = 7, dilation: bool = True,
              padding: bool = True) -> list[Axis]:
    """Per-axis pooling geometries: padding at most half the kernel, as PyTorch requires."""
    axes = []
    for _ in range(rank):
        i = draw(st.integers(1, max_size))
        d = draw(st.integers(1, 2)) if dilation else 1
        k = draw(st.integers(1, 4))
        pb = draw(st.integers(0, k // 2)) if padding else 0
        pa = draw(st.integers(0, k // 2)) if padding else 0
        while k > 1 and d * (k - 1) + 1 > i + pb + pa:
            k -= 1
            pb, pa = min(pb, k // 2), min(pa, k // 2)
        s = draw(st.integers(1, 3))
        axes.append(Axis(i, k, s, pb, pa, d))
    return axes


def pairs(axes: list[Axis]) -> list[list[int]]:
    return [[a.pb, a.pa] for a in axes]
