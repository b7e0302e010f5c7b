"""cnncalc: exact shapes, parameters, MACs, receptive fields and memory for CNN specs.

The public API:

* :func:`load` a spec (path, bundled name, YAML text or dict) → :class:`Network`;
  ``network.summary(input_shape=None, batch=None, memory=None)`` → :class:`Report`
  (``report.to_dict()`` is the JSON of ``cnncalc summary --format json``; ``memory`` a
  :class:`MemoryConfig` for the dtype, optimizer and precision of the memory figures).
* :func:`conv_output_size`, :func:`conv_transpose_output_size`, :func:`pool_output_size`:
  PyTorch's shape rules for an ``int`` or a per-axis tuple; they raise :class:`ShapeError`
  (a ``ValueError``) where PyTorch refuses the configuration.
* The quick answers of the command line, one function each (docs/quick-answers.md):
  :func:`conv`, :func:`deconv` (also :func:`conv_transpose`), :func:`pool` — the output size with
  the formula, dropped pixels, parameters and MACs; :func:`chain` — size, receptive field and
  jump after each step; :func:`solve` — every stride and padding giving a size; :func:`pad` —
  the padding that keeps a size. ``network.explain()`` and ``network.sweep_input("128:512:32")``
  are ``summary --explain`` and ``--sweep-input``.
* :func:`validate` runs a network on random arrays with the NumPy kernels and compares every
  layer's shape with the prediction (``cnncalc validate``).

Each name is imported from its module on first use (PEP 562), so that ``cnncalc conv ...``,
which needs only the quick calculators, does not load the analysis core: the one start-up
measure in the package, kept for the budget in docs/performance.md ("Start-up"). numpy is
imported when :func:`validate` runs the forward kernels.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnncalc.analysis.memory import MemoryConfig
    from cnncalc.analysis.report import LayerReport, Report
    from cnncalc.api import Network, load, parse
    from cnncalc.kernels.run import validate
    from cnncalc.model.arith import conv_output_size, conv_transpose_output_size, pool_output_size
    from cnncalc.model.errors import CnncalcError, ShapeError, SpecError
    from cnncalc.model.limits import Limits
    from cnncalc.model.shape import Shape
    from cnncalc.quick.calc import conv, conv_transpose, deconv, pool
    from cnncalc.quick.chain import chain
    from cnncalc.quick.solve import pad, solve

__version__ = "0.1.0"

EXPORTS = {
    "Network": "cnncalc.api",
    "load": "cnncalc.api",
    "parse": "cnncalc.api",
    "conv_output_size": "cnncalc.model.arith",
    "conv_transpose_output_size": "cnncalc.model.arith",
    "pool_output_size": "cnncalc.model.arith",
    "conv": "cnncalc.quick.calc",
    "deconv": "cnncalc.quick.calc",
    "conv_transpose": "cnncalc.quick.calc",
    "pool": "cnncalc.quick.calc",
    "chain": "cnncalc.quick.chain",
    "solve": "cnncalc.quick.solve",
    "pad": "cnncalc.quick.solve",
    "CnncalcError": "cnncalc.model.errors",
    "ShapeError": "cnncalc.model.errors",
    "SpecError": "cnncalc.model.errors",
    "Limits": "cnncalc.model.limits",
    "MemoryConfig": "cnncalc.analysis.memory",
    "LayerReport": "cnncalc.analysis.report",
    "Report": "cnncalc.analysis.report",
    "Shape": "cnncalc.model.shape",
    "validate": "cnncalc.kernels.run",
}
"""The public API: each name and the module that defines it."""

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
    "chain",
    "conv",
    "conv_output_size",
    "conv_transpose",
    "conv_transpose_output_size",
    "deconv",
    "load",
    "pad",
    "parse",
    "pool",
    "pool_output_size",
    "solve",
    "validate",
]


def __getattr__(name: str) -> object:
    module = EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cnncalc' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *EXPORTS])
