"""Receptive fields, per spatial axis, in exact rational arithmetic.

Each layer describes how it maps input units to output units on an axis as an :class:`AxisMap`:
output unit ``o`` reads the input units in the real interval ``[scale·o + lo, scale·o + hi]``.
For a convolution or pooling window that is ``scale = s``, ``lo = −pb``, ``hi = −pb + k_eff − 1``;
a transposed convolution or an upsampling has a fractional ``scale = 1/s``.

The recurrences (Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill 2019, eqs. 1–2 and the centre formula) then read, with ``r`` the size,
``j`` the jump (effective stride) and ``start`` the input coordinate of the centre of unit 0::

    r_out     = r_in + (hi − lo) · j_in          # hi − lo = k_eff − 1 for a window
    j_out     = j_in · scale
    start_out = start_in + j_in · (lo + hi) / 2  # = start_in + j_in · ((k_eff − 1)/2 − pb)
"""

from __future__ import annotations

from dataclasses import dataclass

TYPE_CHECKING = False  # fractions (and decimal, which it imports) load only when a field needs them
if TYPE_CHECKING:
    from fractions import Fraction
    from typing import Union

    Exact = Union[int, Fraction]
    """An exact number: a plain ``int`` where possible (fast), a ``Fraction`` where needed."""


def ratio(numerator: int, denominator: int) -> Exact:
    """``numerator / denominator`` exactly: an ``int`` when it divides, else a ``Fraction``."""
    if numerator % denominator == 0:
        return numerator // denominator
    from fractions import Fraction

    return Fraction(numerator, denominator)


def half(value: Exact) -> Exact:
    """``value / 2``, exactly, staying an ``int`` when it divides."""
    if type(value) is int:
        return value // 2 if value % 2 == 0 else ratio(value, 2)
    frac: Fraction = value  # type: ignore[assignment]  # not an int, so a Fraction
    return _norm(frac / 2)


def _norm(value: Exact) -> Exact:
    if type(value) is not int and value.denominator == 1:
        return value.numerator
    return value


@dataclass(frozen=True)
class AxisMap:
    """How output unit ``o`` reads input units ``[scale·o + lo, scale·o + hi]`` on one axis."""

    scale: Exact
    lo: Exact
    hi: Exact

    @classmethod
    def window(cls, k_eff: int, s: int, pb: int) -> AxisMap:
        return cls(s, -pb, -pb + k_eff - 1)


IDENTITY_AXIS = AxisMap(1, 0, 0)


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of the units of one tensor, per spatial axis, in input pixels.

    ``size``: how many input pixels one unit sees; ``jump``: the distance in input pixels between
    neighbouring units (effective stride); ``start``: the input coordinate of the centre of unit 0
    (``−P + (r − 1)/2`` in Distill's notation, so effective padding ``P = (r − 1)/2 − start``).
    ``covers_input`` says whether one unit sees the whole input on every axis.
    """

    size: tuple[Exact, ...]
    jump: tuple[Exact, ...]
    start: tuple[Exact, ...]
    covers_input: bool = False

    @classmethod
    def of_input(cls, rank: int) -> ReceptiveField:
        return cls((1,) * rank, (1,) * rank, (0,) * rank)

    @property
    def effective_padding(self) -> tuple[Exact, ...]:
        return tuple(_norm(half(r - 1) - st) for r, st in zip(self.size, self.start))

    def through(self, maps: tuple[AxisMap, ...], input_size: tuple[int, ...]) -> ReceptiveField:
        """The receptive field after a layer whose axes map as ``maps``."""
        size: list[Exact] = []
        jump: list[Exact] = []
        start: list[Exact] = []
        for r, j, st, m in zip(self.size, self.jump, self.start, maps):
            lo, hi, scale = m.lo, m.hi, m.scale
            if type(j) is int and type(lo) is int and type(hi) is int and type(scale) is int:
                # the common case, integers only (r and st may still be fractions)
                size.append(r + (hi - lo) * j)
                jump.append(j * scale)
                twice = j * (lo + hi)
                start.append(_norm(st + (twice // 2 if twice % 2 == 0 else ratio(twice, 2))))
            else:
                size.append(_norm(r + (hi - lo) * j))
                jump.append(_norm(j * scale))
                start.append(_norm(st + half(j * (lo + hi))))
        sizes = tuple(size)
        starts = tuple(start)
        return ReceptiveField(sizes, tuple(jump), starts,
                              self.covers_input or _covers(sizes, starts, input_size))

    def whole(self, in_spatial: tuple[int, ...], input_size: tuple[int, ...]) -> ReceptiveField:
        """After a layer whose every output unit reads its whole input (global pooling, flatten)."""
        size = tuple(_norm(r + (n - 1) * j) for r, j, n in zip(self.size, self.jump, in_spatial))
        start = tuple(_norm(st + half(j * (n - 1)))
                      for st, j, n in zip(self.start, self.jump, in_spatial))
        jump = tuple(_norm(j * n) for j, n in zip(self.jump, in_spatial))
        return ReceptiveField(size, jump, start,
                              self.covers_input or _covers(size, start, input_size))

    def to_dict(self) -> dict[str, list[int | float | str]]:
        return {"size": [exact(v) for v in self.size], "jump": [exact(v) for v in self.jump],
                "start": [exact(v) for v in self.start]}


def _covers(size: tuple[Exact, ...], start: tuple[Exact, ...],
            input_size: tuple[int, ...]) -> bool:
    """Whether a unit's field spans the whole input on every axis (its size is at least the
    input's; with padding, unit 0 may not be the one that is centred)."""
    if not size:
        return False
    return all(r >= n for r, n in zip(size, input_size))


def union(fields: list[ReceptiveField]) -> tuple[ReceptiveField, bool]:
    """The receptive field of a merge (``concat``/``add``) and whether its paths are aligned.

    A merged unit sees the union of what its inputs' units see; paths are aligned when their
    jumps and centres agree (Distill, "Handling multi-path networks").
    """
    first = fields[0]
    aligned = all(f.jump == first.jump and f.start == first.start for f in fields[1:])
    if aligned:
        size = tuple(max(vals) for vals in zip(*(f.size for f in fields)))
        return ReceptiveField(size, first.jump, first.start,
                              any(f.covers_input for f in fields)), True
    lows = [tuple(st - half(r - 1) for r, st in zip(f.size, f.start)) for f in fields]
    highs = [tuple(st + half(r - 1) for r, st in zip(f.size, f.start)) for f in fields]
    lo = tuple(min(v) for v in zip(*lows))
    hi = tuple(max(v) for v in zip(*highs))
    size = tuple(_norm(h - lw + 1) for lw, h in zip(lo, hi))
    start = tuple(_norm(half(lw + h)) for lw, h in zip(lo, hi))
    jump = tuple(max(v) for v in zip(*(f.jump for f in fields)))
    return ReceptiveField(size, jump, start, any(f.covers_input for f in fields)), False


def exact(value: Exact) -> int | float | str:
    """An exact JSON value: an integer, a float when the fraction is a dyadic number that a double
    holds exactly (``2.5``), otherwise the fraction as a string (``"1/3"``)."""
    if isinstance(value, int):
        return value
    if value.denominator == 1:
        return value.numerator
    den = value.denominator
    if den & (den - 1) == 0 and abs(value.numerator).bit_length() <= 53:
        return float(value)
    return f"{value.numerator}/{value.denominator}"


def format_fraction(value: Exact) -> str:
    if isinstance(value, int):
        return str(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"
