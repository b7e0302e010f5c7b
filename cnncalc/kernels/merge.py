"""Kernels for ``concat`` and ``add``."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cnncalc.kernels._arrays import Array
from cnncalc.kernels.registry import kernel
from cnncalc.layers.merge import Add, Concat
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


@kernel(Add)
def add(layer: Add, inputs: tuple[Array, ...], params: Mapping[str, Array]) -> Array:
    """Element-wise sum of equal shapes (no broadcasting: a residual with mismatched shapes is
    an error, not a silently broadcast sum)."""
    first = inputs[0]
    for other in inputs[1:]:
        if other.shape != first.shape:
            raise ShapeError(f"cannot add arrays of shapes {first.shape} and {other.shape}")
    total = first + inputs[1]
    for other in inputs[2:]:
        total += other
    return total
