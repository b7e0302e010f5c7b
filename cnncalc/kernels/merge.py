"""Kernels for ``concat``, ``add`` and ``mul``."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cnncalc.kernels._arrays import Array
from cnncalc.kernels.registry import kernel
from cnncalc.layers.merge import Add, Concat, Mul
from cnncalc.model.errors import ShapeError


@kernel(Concat)
def concat(layer: Concat, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Concatenation along the channel axis; every other axis must agree."""
    first = inputs[0]
    for other in inputs[1:]:
        if other.shape[:1] + other.shape[2:] != first.shape[:1] + first.shape[2:]:
            raise ShapeError(f"cannot concatenate arrays of shapes {first.shape} and "
                             f"{other.shape} along channels")
    return np.concatenate(inputs, axis=1)


def _broadcastable(inputs: tuple[Array, ...]) -> None:
    """Refuse what the shape rule refuses: inputs of different ranks, or sizes that differ
    on an axis where neither is 1 (numpy would broadcast the first case)."""
    first = inputs[0]
    for other in inputs[1:]:
        if other.ndim != first.ndim or any(
                a != b and 1 not in (a, b) for a, b in zip(first.shape, other.shape)):
            raise ShapeError(f"cannot broadcast arrays of shapes {first.shape} and "
                             f"{other.shape}")


@kernel(Add)
def add(layer: Add, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Element-wise sum, broadcasting size-1 axes (batch excepted: it is the same for all)."""
    _broadcastable(inputs)
    total = inputs[0] + inputs[1]
    for other in inputs[2:]:
        total = total + other
    return total


@kernel(Mul)
def mul(layer: Mul, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Element-wise product of two inputs, broadcasting size-1 axes."""
    _broadcastable(inputs)
    product: Array = inputs[0] * inputs[1]
    return product
