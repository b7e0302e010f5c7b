"""Explicit safety limits, so that no spec can make cnncalc hang or exhaust memory.

Each limit has a name that error messages quote, and can be raised from the command line
(``--limit max_layers=2000000``) or the Python API (``load(..., limits=Limits(max_layers=...))``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Limits:
    max_layers: int = 1_000_000
    """Layers after expanding every ``repeat`` and block."""
    max_depth: int = 100
    """Nesting depth of the YAML document, and of blocks used inside blocks."""
    max_values: int = 5_000_000
    """Values in the YAML document once aliases are expanded (stops "billion laughs")."""
    max_repeat: int = 1_000_000
    """The largest ``repeat`` count."""
    max_dim: int = 2**40
    """The largest size of any axis (input, attribute or computed)."""

    def with_overrides(self, **values: int) -> Limits:
        return replace(self, **values)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


DEFAULT_LIMITS = Limits()

