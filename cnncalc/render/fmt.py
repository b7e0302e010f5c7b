"""Number formatting shared by the renderers."""

from __future__ import annotations

from cnncalc.model.quantity import binary
from cnncalc.model.shape import Shape

__all__ = ["binary", "count", "group", "percent", "shape", "si"]


def group(value: int) -> str:
    """``60965224`` → ``60,965,224``."""
    return f"{value:,}"


def si(value: int | float, unit: str = "") -> str:
    """Decimal (SI) prefixes for counts: ``724406816`` → ``724.4 M``. Counts of parameters and
    MACs use powers of 1000; byte sizes use binary units (see :func:`binary`)."""
    v = float(value)
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= factor:
            scaled = v / factor
            digits = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            return f"{scaled:.{digits}f} {prefix}{unit}".rstrip()
    return f"{int(v)} {unit}".rstrip() if v == int(v) else f"{v:g} {unit}".rstrip()


def percent(part: int, whole: int) -> str:
    """Share as ``12.3%``; blank for zero, ``<0.1%`` for a non-zero share that rounds away."""
    if not part or not whole:
        return ""
    share = 100.0 * part / whole
    return "<0.1%" if share < 0.05 else f"{share:.1f}%"


def shape(value: Shape) -> str:
    return str(value)


def count(value: int) -> str:
    """A count for a table cell: grouped digits, blank for zero."""
    return group(value) if value else ""
