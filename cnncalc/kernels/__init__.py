"""NumPy forward kernels: run a network on real arrays to check the predicted shapes.

* :mod:`cnncalc.kernels.registry` — the registry, keyed by layer class (no numpy here);
* one module of kernels per family of layers (``conv``, ``pool``, ``dense``, ``norm``,
  ``spatial``, ``merge``, ``activation``), mirroring :mod:`cnncalc.layers`; they import numpy
  and are loaded on the first :func:`kernel_for`;
* :mod:`cnncalc.kernels.run` — running a whole graph and ``validate``.

Importing this package does not import numpy; ``cnncalc summary`` never imports it at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.kernels.registry import Kernel, Param, kernel, kernel_for, registered

if TYPE_CHECKING:
    from cnncalc.kernels.run import LayerCheck, Validation, validate

__all__ = ["Kernel", "LayerCheck", "Param", "Validation", "kernel", "kernel_for", "registered",
           "validate"]


def __getattr__(name: str) -> object:
    """``validate`` and its results, from :mod:`cnncalc.kernels.run`, which imports numpy."""
    if name in ("validate", "Validation", "LayerCheck"):
        from cnncalc.kernels import run

        return getattr(run, name)
    raise AttributeError(f"module 'cnncalc.kernels' has no attribute {name!r}")
