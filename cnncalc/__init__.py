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

``import cnncalc`` loads the analytic core and the YAML loader, never click, rich or numpy:
numpy is imported when :func:`validate` runs the forward kernels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnncalc.analysis.memory import MemoryConfig
from cnncalc.analysis.report import LayerReport, Report
from cnncalc.api import Network, load, parse
from cnncalc.model.arith import conv_output_size, conv_transpose_output_size, pool_output_size
from cnncalc.model.errors import CnncalcError, ShapeError, SpecError
from cnncalc.model.limits import Limits
from cnncalc.model.shape import Shape
from cnncalc.quick.calc import conv, conv_transpose, deconv, pool
from cnncalc.quick.chain import chain
from cnncalc.quick.solve import pad, solve

if TYPE_CHECKING:
    from cnncalc.kernels.run import ProgressFn, Validation

__version__ = "0.1.0"

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


def validate(network: Any, input_shape: Any = None, batch: int | None = None, *, seed: int = 0,
             dtype: str = "float32", max_memory: int | str | None = None,
             progress: ProgressFn | None = None) -> Validation:
    """Run ``network`` on random arrays with the NumPy kernels and compare every layer's shape
    with the prediction (``cnncalc validate``); see :func:`cnncalc.kernels.run.validate`."""
    from cnncalc.kernels.run import validate as run_kernels  # numpy: only when kernels run

    return run_kernels(network, input_shape, batch, seed=seed, dtype=dtype,
                       max_memory=max_memory, progress=progress)
