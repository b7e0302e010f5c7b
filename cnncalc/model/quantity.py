"""Numbers written as text, read in one place: counts (``25M`` parameters, ``4.2G`` MACs), byte
sizes (``8GiB``), sizes per axis (``3x224x224``) and ranges of sizes (``128:512:32``).

Every command-line option, spec field and Python function that takes such text calls the parsers
here, so that the grammar and the wording of every refusal are the same everywhere (the grammar
is documented in docs/conventions.md, "Numbers you write").

Counts and byte sizes are read exactly (integer arithmetic, never a float): ``4.2G`` is
4,200,000,000 and ``1.5Ki`` is 1,536. A value that does not come out as a whole number (``1.5``
parameters, ``0.1KiB``) is an error rather than a rounding.

* Decimal (SI) prefixes: ``k``/``K`` = 10³, ``M`` = 10⁶, ``G`` = 10⁹, ``T`` = 10¹², ``P`` = 10¹⁵.
* Binary (IEC) prefixes: ``Ki`` = 2¹⁰, ``Mi`` = 2²⁰, ``Gi`` = 2³⁰, ``Ti`` = 2⁴⁰, ``Pi`` = 2⁵⁰.
* Byte sizes may end in ``B``: ``8GiB`` = ``8Gi`` = 8·2³⁰ bytes, ``8GB`` = 8·10⁹ bytes. A decimal
  prefix without the ``B`` (``8G``) is refused as ambiguous: people write it for both.
* Digits may be grouped with ``_`` or ``,`` (``25_000_000``) and carry an exponent (``2.5e7``).

Prefixes are case-sensitive (except ``k``/``K``), so that ``m`` (milli) or ``b`` (bits) is an
error with a hint instead of a silent misreading.
"""

from __future__ import annotations

import re

DECIMAL = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
PREFIXES = {**DECIMAL, **BINARY}
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+")

_NUMBER = re.compile(
    r"(?P<int>[0-9][0-9_,]*)(?:\.(?P<frac>[0-9]+))?(?:[eE](?P<exp>[+-]?[0-9]{1,3}))?"
    r"\s*(?P<suffix>[A-Za-z]*)")

MAX_DIGITS = 100
"""The most digits a size may have, so that a hostile file cannot make cnncalc convert a
100,000-digit number. The quick calculators compute exactly with sizes far beyond 64 bits
(``cnncalc conv 10 -s 1000000000000000000000``); what a spec may use is bounded by the limits
(``max_dim``, docs/limits.md)."""


class QuantityError(ValueError):
    """A number that cannot be read (the message says why)."""


def parse_quantity(value: object, *, bytes_unit: bool = False) -> int:
    """An exact non-negative integer from an int, a whole float or a string with a suffix.

    ``bytes_unit`` reads a byte size (``8GiB``, ``8GB``, ``4096``); otherwise a count (``25M``).
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


def parse_memory(value: object) -> int:
    """A memory size that must be positive (``--fit``, ``--max-memory``): a byte size as
    :func:`parse_quantity` reads it, ``0`` refused."""
    size = parse_quantity(value, bytes_unit=True)
    if size < 1:
        raise QuantityError(f"a memory size must be positive, like 8GiB; got {value!r}")
    return size


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
    factor = _factor(match["suffix"], shown, text[:match.start("suffix")].rstrip(), bytes_unit)
    # value = int(digits + frac) · 10^(exp − len(frac)) · factor, exactly
    numerator = int(digits + frac) * factor
    power = exp - len(frac)
    if power >= 0:
        return numerator * int(10**power)
    denominator = int(10**-power)
    if numerator % denominator:
        raise QuantityError(f"{shown!r} is not a whole number{' of bytes' if bytes_unit else ''}")
    return numerator // denominator


def _factor(suffix: str, shown: str, number: str, bytes_unit: bool) -> int:
    """What a suffix multiplies by, or a refusal that names the right spelling."""
    if not suffix:
        return 1
    prefix = suffix[:-1] if bytes_unit and suffix.endswith("B") else suffix
    if prefix == "":
        return 1  # 4096B
    if prefix in PREFIXES:
        if bytes_unit and prefix in DECIMAL and prefix == suffix:
            upper = prefix.upper()
            raise QuantityError(f"{shown!r} is ambiguous: write {number}{upper}iB (binary, as "
                                f"memory is sold) or {number}{upper}B (decimal)")
        return PREFIXES[prefix]
    if not bytes_unit and suffix.endswith("B") and suffix[:-1] in (*PREFIXES, ""):
        raise QuantityError(f"{shown!r} is a byte size; a count takes no 'B' (e.g. 25M)")
    if bytes_unit and suffix.endswith("b") and suffix[:-1] in (*PREFIXES, ""):
        hint = "; write B for bytes (b is bits)"
    else:
        stem = suffix[:-1] if bytes_unit and suffix[-1] in "bB" else suffix
        close = next((p for p in PREFIXES if p.lower() == stem.lower()), None)
        hint = ""
        if close is not None:
            spelled = close + ("B" if stem != suffix else "")
            hint = f"; prefixes are case-sensitive: did you mean {spelled}?"
            if bytes_unit and spelled in DECIMAL:
                hint += f" (for bytes: {close.upper()}iB or {close.upper()}B)"
    raise QuantityError(f"unknown suffix {suffix!r} in {shown!r}{hint} (use k, M, G, T, P or "
                        f"Ki, Mi, Gi, Ti, Pi{', then B' if bytes_unit else ''})")


# --- sizes: 224, 3x224x224, 128:512:32 ----------------------------------------------------------

def _shown(text: str) -> str:
    """The text quoted in a message, cut short (a hostile file can hold a huge string)."""
    return repr(text if len(text) <= 60 else text[:59] + "…")


def _size(part: str, text: str, minimum: int) -> int:
    digits = part[1:] if part.startswith("-") else part
    if not (digits.isascii() and digits.isdigit()):
        what = "positive whole numbers" if minimum == 1 else "whole numbers"
        raise QuantityError(f"expected {what} like 224 or 3x224x224, got {_shown(text)}")
    if len(digits) > MAX_DIGITS:
        raise QuantityError(f"a size has more than {MAX_DIGITS} digits, got {_shown(text)}")
    value = int(part)
    if value < minimum:
        raise QuantityError(f"sizes must be at least {minimum}, got {value} in {_shown(text)}")
    return value


def parse_sizes(text: str, *, minimum: int = 1) -> tuple[int, ...]:
    """Sizes written as text, one per axis: ``224``, ``3x224x224``. ``×``, ``*`` and ``,`` may
    stand for ``x``, brackets may surround the list (``[3, 224, 224]``) and ``_`` may group
    digits. Every size is a whole number of ASCII digits (``3²`` is refused), at least
    ``minimum``. Raises :class:`QuantityError` with one sentence."""
    cleaned = text.strip()
    if cleaned[:1] in ("[", "(") and cleaned[-1:] in ("]", ")"):
        cleaned = cleaned[1:-1]
    for separator in ("×", "*", ","):
        cleaned = cleaned.replace(separator, "x")
    return tuple(_size(part.strip().replace("_", ""), text, minimum)
                 for part in cleaned.lower().split("x"))


def parse_size(text: str, *, minimum: int = 1) -> int:
    """One size written as text (``64``), read as :func:`parse_sizes` reads each of its sizes."""
    sizes = parse_sizes(text, minimum=minimum)
    if len(sizes) != 1:
        raise QuantityError(f"expected one whole number, got {_shown(text)}")
    return sizes[0]


def parse_range(text: str, *, minimum: int = 1) -> range:
    """``128:512:32``: start, stop and step, **both ends included** (128, 160, ..., 512); the
    step defaults to 1 (``1:4`` is 1, 2, 3, 4) and one number ``224`` is a range of one."""
    parts = text.strip().split(":")
    if len(parts) > 3 or not all(p.strip().isascii() and p.strip().isdigit() for p in parts):
        raise QuantityError(f"expected start:stop or start:stop:step with whole numbers (like "
                            f"128:512:32), got {_shown(text)}")
    values = [_size(p.strip(), text, 0) for p in parts]
    start = values[0]
    stop = values[1] if len(values) > 1 else start
    step = values[2] if len(values) > 2 else 1
    if start < minimum:
        raise QuantityError(f"sizes must be at least {minimum}, got {start} in {_shown(text)}")
    if step < 1:
        raise QuantityError(f"a step must be at least 1, got {step} in {_shown(text)}")
    if stop < start:
        raise QuantityError(f"the range {_shown(text)} is empty (stop {stop} < start {start})")
    return range(start, stop + 1, step)


def parse_size_list(text: str, *, max_items: int) -> tuple[tuple[int, ...], ...]:
    """A list of sizes: ranges (``128:512:32``), sizes (``224``, or ``224x320`` one per axis)
    or a mix, separated by commas: ``128:256:64,300``. At most ``max_items`` sizes in all."""
    sizes: list[tuple[int, ...]] = []
    for item in text.replace(" ", "").split(","):
        if not item:
            raise QuantityError(f"empty item in {_shown(text)}; write 128:512:32 or 224,256,320")
        if ":" in item:
            values = parse_range(item)
            if len(values) + len(sizes) > max_items:
                raise QuantityError(f"{_shown(item)} gives more than {max_items} sizes; use a "
                                    f"step (128:512:32)")
            sizes += [(v,) for v in values]
        else:
            sizes.append(parse_sizes(item))
    if len(sizes) > max_items:
        raise QuantityError(f"more than {max_items} sizes")
    return tuple(sizes)


def format_count(value: int) -> str:
    """``25557032`` → ``25,557,032 (25.6 M)``: exact digits, then a rounded SI reading."""
    return f"{value:,}" + (f" ({si(value)})" if value >= 1000 else "")


def format_bytes(value: int) -> str:
    """``8589934592`` → ``8.00 GiB (8,589,934,592 bytes)``."""
    if value < 1024:
        return f"{value:,} bytes"
    return f"{binary(value)} ({value:,} bytes)"


def si(value: int) -> str:
    """Decimal (SI) prefixes for counts: ``724406816`` → ``724.4 M``. Counts of parameters and
    MACs use powers of 1000; byte sizes use binary units (see :func:`binary`)."""
    v = float(value)
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= factor:
            scaled = v / factor
            digits = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            return f"{scaled:.{digits}f} {prefix}"
    return str(value)


def binary(nbytes: int | float) -> str:
    """Binary units for memory: ``1536`` → ``1.50 KiB`` (KiB = 1024 bytes)."""
    v = float(nbytes)
    for factor, unit in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(v) >= factor:
            return f"{v / factor:.2f} {unit}"
    return f"{int(v)} B"
