"""cnncalc: exact shapes, parameters, MACs, receptive fields and memory for CNN specs.

The public API:

* :func:`load` a spec (path, bundled name, YAML text or dict) → :class:`Network`;
  ``network.summary(input_shape=None, batch=None)`` → :class:`Report` (``report.to_dict()`` is
  the JSON of ``cnncalc summary --format json``).
* :func:`conv_output_size`, :func:`conv_transpose_output_size`, :func:`pool_output_size`:
  PyTorch's shape rules for an ``int`` or a per-axis tuple; they raise :class:`ShapeError`
  (a ``ValueError``) where PyTorch refuses the configuration.
"""

from __future__ import annotations

from cnncalc.api import Network, load, parse
from cnncalc.core.arith import conv_output_size, conv_transpose_output_size, pool_output_size
from cnncalc.core.errors import CnncalcError, ShapeError, SpecError
from cnncalc.core.limits import Limits
from cnncalc.core.report import LayerReport, Report
from cnncalc.core.shape import Shape

__version__ = "0.1.0"

__all__ = [
    "CnncalcError",
    "LayerReport",
    "Limits",
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
