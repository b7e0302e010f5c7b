"""cnncalc: exact shapes, parameters, MACs, receptive fields and memory for CNN specs.

The public API:

* :func:`load` a spec (path, bundled name, YAML text or dict) → :class:`Network`;
  ``network.summary(input_shape=None, batch=None, memory=None)`` → :class:`Report`
  (``report.to_dict()`` is the JSON of ``cnncalc summary --format json``; ``memory`` a
  :class:`MemoryConfig` for the dtype, optimizer and precision of the memory figures).
* :func:`conv_output_size`, :func:`conv_transpose_output_size`, :func:`pool_output_size`:
  PyTorch's shape rules for an ``int`` or a per-axis tuple; they raise :class:`ShapeError`
  (a ``ValueError``) where PyTorch refuses the configuration.

Names are imported on first use (PEP 562), so ``import cnncalc`` — and the command line's quick
calculators — start without loading the whole package.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing import ...`: typing costs milliseconds at start-up

__version__ = "0.1.0"

_EXPORTS = {
    "Network": "cnncalc.api",
    "load": "cnncalc.api",
    "parse": "cnncalc.api",
    "conv_output_size": "cnncalc.core.arith",
    "conv_transpose_output_size": "cnncalc.core.arith",
    "pool_output_size": "cnncalc.core.arith",
    "CnncalcError": "cnncalc.core.errors",
    "ShapeError": "cnncalc.core.errors",
    "SpecError": "cnncalc.core.errors",
    "Limits": "cnncalc.core.limits",
    "MemoryConfig": "cnncalc.core.memory",
    "LayerReport": "cnncalc.core.report",
    "Report": "cnncalc.core.report",
    "Shape": "cnncalc.core.shape",
}

__all__ = [
    "CnncalcError",
    "LayerReport",
    "Limits",
    "MemoryConfig",
    "Network",
    "Report",
    "Shape",
    "ShapeError",
    "SpecError",
    "conv_output_size",
    "conv_transpose_output_size",
    "load",
    "parse",
    "pool_output_size",
]

if TYPE_CHECKING:
    from cnncalc.api import Network, load, parse
    from cnncalc.core.arith import (
        conv_output_size,
        conv_transpose_output_size,
        pool_output_size,
    )
    from cnncalc.core.errors import CnncalcError, ShapeError, SpecError
    from cnncalc.core.limits import Limits
    from cnncalc.core.memory import MemoryConfig
    from cnncalc.core.report import LayerReport, Report
    from cnncalc.core.shape import Shape


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cnncalc' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
