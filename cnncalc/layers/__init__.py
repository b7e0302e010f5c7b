"""Every layer kind, one class each, registered under its spec name on import.

The modules are grouped by family; adding a kind means adding one class to one of them (or a
new module imported here).
"""

from cnncalc.layers import activation, conv, dense, merge, norm, pool, spatial

__all__ = ["activation", "conv", "dense", "merge", "norm", "pool", "spatial"]
