"""Exact quantities with unit suffixes, for budgets: ``25M`` parameters, ``4.2G`` MACs, ``8GiB``.

Parsing is exact (integer arithmetic, never a float): ``4.2G`` is 4,200,000,000 and ``1.5Ki`` is
1,536. A value that does not come out as a whole number (``1.5`` parameters, ``0.1KiB``) is an
error rather than a rounding.

* Decimal (SI) prefixes: ``k``/``K`` = 10³, ``M`` = 10⁶, ``G`` = 10⁹, ``T`` = 10¹², ``P`` = 10¹⁵.
* Binary (IEC) prefixes: ``Ki`` = 2¹⁰, ``Mi`` = 2²⁰, ``Gi`` = 2³⁰, ``Ti`` = 2⁴⁰, ``Pi`` = 2⁵⁰.
* Byte sizes may end in ``B``: ``8GiB`` = 8·2³⁰ bytes, ``8GB`` = 8·10⁹ bytes.
* Digits may be grouped with ``_`` or ``,`` (``25_000_000``) and carry an exponent (``2.5e7``).

Prefixes are case-sensitive (except ``k``/``K``), so that ``m`` (milli) or ``b`` (bits) is an
error with a hint instead of a silent misreading.
"""

from __future__ import annotations

import re

DECIMAL = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
_PREFIXES = {**DECIMAL, **BINARY}
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+")

_NUMBER = re.compile(
    r"(?P<int>[0-9][0-9_,]*)(?:\.(?P<frac>[0-9]+))?(?:[eE](?P<exp>[+-]?[0-9]{1,3}))?"
    r"\s*(?P<prefix>[A-Za-z]{0,2}?)(?P<byte>B?)")


class QuantityError(ValueError):
    """A quantity that cannot be read exactly (the message says why)."""


def parse_quantity(value: object, *, bytes_unit: bool = False) -> int:
    """An exact non-negative integer from an int, a whole float or a string with a suffix.

    ``bytes_unit`` allows the trailing ``B`` of byte sizes (``8GiB``).
    """
    if isinstance(value, bool):
        raise QuantityError(f"expected a number like 25M, got {str(value).lower()}")
    if isinstance(value, int):
        if value < 0:
            raise QuantityError(f"must not be negative, got {value}")
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise QuantityError(f"expected a finite number, got {value}")
        if not value.is_integer():
            raise QuantityError(f"{value!r} is not a whole number")
        if value < 0:
            raise QuantityError(f"must not be negative, got {value:g}")
        return int(value)
    if not isinstance(value, str):
        what = ("null" if value is None else "a list" if isinstance(value, (list, tuple))
                else "a mapping" if isinstance(value, dict) else type(value).__name__)
        raise QuantityError(f"expected a number like 25M, got {what}")
    return _parse_text(value, bytes_unit)


def _parse_text(text: str, bytes_unit: bool) -> int:
    shown = text
    text = text.strip()
    example = "8GiB" if bytes_unit else "25M"
    if text.startswith("-"):
        raise QuantityError(f"must not be negative, got {shown!r}")
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise QuantityError(f"expected a number with an optional suffix like {example}, "
                            f"got {shown!r}")
    if "," in match["int"] and not _GROUPED.fullmatch(match["int"]):
        raise QuantityError(f"commas group digits in threes (25,000,000); write a decimal "
                            f"point as '.', got {shown!r}")
    digits = match["int"].replace("_", "").replace(",", "")
    frac = match["frac"] or ""
    exp = int(match["exp"] or 0)
    prefix = match["prefix"]
    if match["byte"] and not bytes_unit:
        raise QuantityError(f"{shown!r} is a byte size; a count takes no 'B' (e.g. {example})")
    if prefix and prefix not in _PREFIXES:
        hint = ""
        close = [p for p in (prefix.upper(), prefix[:1].upper() + prefix[1:].lower())
                 if p in _PREFIXES]
        if close:
            hint = f"; prefixes are case-sensitive: did you mean {close[0]}?"
        elif prefix.endswith("b"):
            hint = "; write B for bytes"
        raise QuantityError(f"unknown suffix {prefix!r} in {shown!r}{hint} (use k, M, G, T, P or "
                            f"Ki, Mi, Gi, Ti, Pi{', then B' if bytes_unit else ''})")
    factor = _PREFIXES.get(prefix, 1)
    # value = int(digits + frac) · 10^(exp − len(frac)) · factor, exactly
    numerator = int(digits + frac) * factor
    power = exp - len(frac)
    if power >= 0:
        return numerator * int(10**power)
    denominator = int(10**-power)
    if numerator % denominator:
        raise QuantityError(f"{shown!r} is not a whole number{' of bytes' if bytes_unit else ''}")
    return numerator // denominator


def format_count(value: int) -> str:
    """``25557032`` → ``25,557,032 (25.6 M)``: exact digits, then a rounded SI reading."""
    return f"{value:,}" + (f" ({si(value)})" if value >= 1000 else "")


def format_bytes(value: int) -> str:
    """``8589934592`` → ``8.00 GiB (8,589,934,592 bytes)``."""
    if value < 1024:
        return f"{value:,} bytes"
    return f"{binary(value)} ({value:,} bytes)"


def si(value: int) -> str:
    v = float(value)
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= factor:
            scaled = v / factor
            digits = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            return f"{scaled:.{digits}f} {prefix}"
    return str(value)


def binary(value: int) -> str:
    v = float(value)
    for factor, unit in ((2**50, "PiB"), (2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"),
                         (2**10, "KiB")):
        if abs(v) >= factor:
            return f"{v / factor:.2f} {unit}"
    return f"{value} B"


def binary(nbytes: int | float) -> str:
    """Binary units for memory: ``1536`` → ``1.50 KiB`` (KiB = 1024 bytes)."""
    v = float(nbytes)
    for factor, unit in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(v) >= factor:
            return f"{v / factor:.2f} {unit}"
    return f"{int(v)} B"
