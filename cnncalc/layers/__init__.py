"""Every layer kind, one class each, and the registry that finds them by their spec name.

The kinds are grouped by family (``conv.py``, ``pool.py``, ...); importing this package imports
every family, so the registry is complete before anyone can look a kind up. Adding a kind means
adding one class to one of the modules (or a new module imported here).
"""

from cnncalc.layers import (
    activation,
    branch,
    conv,
    dense,
    merge,
    norm,
    pool,
    rearrange,
    spatial,
)
from cnncalc.layers.base import Counts, Layer, all_names, kinds, lookup, register

__all__ = ["Counts", "Layer", "activation", "all_names", "branch", "conv", "dense", "kinds",
           "lookup", "merge", "norm", "pool", "rearrange", "register", "spatial"]
