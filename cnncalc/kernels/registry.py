"""The kernel registry: layer class → forward kernel, parameter tensors and working memory.

A layer class in :mod:`cnncalc.layers` owns the arithmetic (shapes, counts, MACs); a kernel is
an adapter that runs it on arrays. Kernels are registered with :func:`kernel` under the layer
*class* (never under a kind name), so a renamed kind or an alias cannot miss its kernel, and
``tests/test_kernels.py`` checks that every registered kind has one.

This module does not import numpy: the implementations in the sibling modules do, and they are
imported only when a kernel is first looked up (that is, when one is about to run).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cnncalc.layers.base import Layer
from cnncalc.model.shape import Shape

ROLES = ("weight", "bias", "buffer")

_IMPLEMENTATIONS = ("activation", "branch", "conv", "dense", "merge", "norm", "pool", "rearrange",
                    "spatial")


@dataclass(frozen=True)
class Param:
    """One parameter tensor a kernel needs, laid out as PyTorch lays it out.

    ``role`` says how the walk counts it: ``weight`` and ``bias`` are parameters
    (:class:`cnncalc.layers.base.Counts`), ``buffer`` a non-trainable buffer (batch-norm running
    statistics). Random values are uniform around ``mean`` with standard deviation ``std``
    (``mean + std·√3·U(−1, 1)``), or only above ``mean`` when ``positive`` (a variance).
    """

    shape: tuple[int, ...]
    role: str
    std: float = 1.0
    mean: float = 0.0
    positive: bool = False

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


def no_params(layer: Any, inputs: tuple[Shape, ...]) -> dict[str, Param]:
    return {}


def no_workspace(layer: Any, inputs: tuple[Shape, ...], output: Shape) -> int:
    return 0


ParamsFn = Callable[[Any, tuple[Shape, ...]], Mapping[str, Param]]
WorkspaceFn = Callable[[Any, tuple[Shape, ...], Shape], int]
ForwardFn = Callable[..., Any]
"""``forward(layer, inputs, params) -> array``: ``inputs`` a tuple of arrays (batch first),
``params`` a mapping from the names in ``params(...)`` to arrays."""


@dataclass(frozen=True)
class Kernel:
    """How to run one layer class on arrays.

    * ``forward(layer, inputs, params)`` returns the output array;
    * ``params(layer, input_shapes)`` names the parameter tensors and their shapes;
    * ``workspace(layer, input_shapes, output_shape)`` is the temporary memory the forward pass
      needs on top of its inputs and output, in elements per sample (im2col columns, a padded
      copy), used to refuse a run that would not fit in memory.
    """

    layer: type[Layer]
    forward: ForwardFn
    params: ParamsFn = no_params
    workspace: WorkspaceFn = no_workspace


_KERNELS: dict[type[Layer], Kernel] = {}
_loaded = False


def kernel(*layers: type[Layer], params: ParamsFn = no_params,
           workspace: WorkspaceFn = no_workspace) -> Callable[[ForwardFn], ForwardFn]:
    """Decorator: register a forward function for one or more layer classes.

    >>> @kernel(Conv, params=conv_params, workspace=conv_workspace)   # doctest: +SKIP
    ... def conv(layer: Conv, inputs, params): ...
    """
    if not layers:
        raise TypeError("kernel() needs at least one layer class")

    def register(fn: ForwardFn) -> ForwardFn:
        for cls in layers:
            if cls in _KERNELS:
                raise TypeError(f"a kernel for {cls.__name__} is already registered")
            _KERNELS[cls] = Kernel(cls, fn, params, workspace)
        return fn

    return register


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for name in _IMPLEMENTATIONS:
            importlib.import_module(f"cnncalc.kernels.{name}")


def kernel_for(layer: Layer | type[Layer]) -> Kernel:
    """The kernel of a layer (or layer class); ``LookupError`` when none is registered."""
    _ensure_loaded()
    cls = layer if isinstance(layer, type) else type(layer)
    found = _KERNELS.get(cls)
    if found is None:
        raise LookupError(f"no forward kernel for layer kind '{cls.kind}' ({cls.__name__})")
    return found


def registered() -> dict[type[Layer], Kernel]:
    """Every registered kernel, by layer class."""
    _ensure_loaded()
    return dict(_KERNELS)
