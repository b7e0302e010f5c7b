"""Receptive fields, per spatial axis, in exact integer arithmetic.

Every unit of every tensor sees a contiguous interval of input pixels on each axis, its receptive
field (padding included, as Distill counts it). For a plain chain of convolutions and pools the
interval moves by the same number of pixels from one unit to the next, and three numbers describe
it: size ``r``, jump ``j`` and the centre of unit 0. Araujo, Norris & Sim ("Computing Receptive
Fields of Convolutional Neural Networks", Distill 2019, eqs. 1–2) give the recurrences::

    r_out = r_in + (k_eff − 1)·j_in      j_out = j_in · s      u_out = u_in − p_before·j_in

(``u`` is the first pixel of unit 0's field, ``−u`` the effective padding).

A transposed convolution, an upsampling or an adaptive pooling breaks that regularity: with
stride 2 a transposed convolution gives output units 2m and 2m+1 different inputs, so neighbouring
units are *not* one fixed distance apart and their fields need not have the same size. Rather
than round that to a fractional "average" field, cnncalc tracks the fields exactly: a tensor's
fields repeat with a period of ``P`` units, shifted by ``T`` pixels per period, so P intervals
describe them all (:class:`AxisField`). A layer reads input units the same way
(:class:`AxisMap`): output unit ``o = q·Q + p`` reads the input units ``ranges[p]`` (every
``step``-th from ``first`` to ``last``: a dilated window skips units) shifted by ``q·U``. For
an ordinary window ``Q = 1`` and ``U`` is the stride, and the composition below reduces to the
Distill recurrences above.

Reported numbers (docs/receptive-field.md):

* ``size``: the largest field of any unit, in pixels (an integer; every field is at most this).
* ``jump``: ``T/P``, the average distance between neighbouring units' fields, exact (a
  ``Fraction`` such as 1/2 after a 2× upsampling).
* ``start``: the centre of unit 0's field (``(first + last)/2``, possibly a half-integer);
  ``effective_padding`` is how far unit 0's field reaches before pixel 0 (Distill's ``P``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Union

Exact = Union[int, Fraction]
"""An exact number: a plain ``int`` where possible (fast), a ``Fraction`` where needed."""

MAX_PERIOD = 4096
"""The longest repeat (in units) cnncalc follows; past it fields are reported as unknown. Only
long chains of upsamplings with no stride between them get near it."""

Range = Union[tuple[int, int, int], None]
"""Input units ``first, first + step, …, last`` as ``(first, last, step)``, or None for a unit
that reads nothing."""


def half(value: Exact) -> Exact:
    """``value / 2``, exactly, staying an ``int`` when it divides."""
    if isinstance(value, int):
        return value // 2 if value % 2 == 0 else _ratio(value, 2)
    return _norm(value / 2)


def _norm(value: Exact) -> Exact:
    if type(value) is not int and value.denominator == 1:
        return value.numerator
    return value


def _ratio(numerator: int, denominator: int) -> Exact:
    """``numerator / denominator`` exactly: an ``int`` when it divides (no Fraction made for the
    regular fields of ordinary networks), else a ``Fraction``."""
    if numerator % denominator == 0:
        return numerator // denominator
    return Fraction(numerator, denominator)


def _floor(value: Exact) -> int:
    return value.numerator // value.denominator


@dataclass(frozen=True, slots=True)
class AxisMap:
    """Which input units a layer's output units read on one axis.

    Output unit ``o = q·period + p`` reads input units ``ranges[p]`` shifted by ``q·shift``
    (``None``: it reads none, as some outputs of a transposed convolution whose kernel is
    smaller than its stride)."""

    period: int
    shift: int
    ranges: tuple[Range, ...]

    @classmethod
    def window(cls, k_eff: int, s: int, pb: int, d: int = 1) -> AxisMap:
        """A sliding window: output ``o`` reads every ``d``-th input from ``s·o − pb`` to
        ``s·o − pb + k_eff − 1``."""
        return cls(1, s, ((-pb, -pb + k_eff - 1, d),))

    @classmethod
    def shifted(cls, offset: int) -> AxisMap:
        """Output ``o`` reads input ``o + offset`` (cropping, or padding with a negative
        offset)."""
        return cls(1, 1, ((offset, offset, 1),))

    @classmethod
    def whole(cls, n: int) -> AxisMap:
        """One output unit reading all ``n`` input units (global pooling, flatten)."""
        return cls(1, max(n, 1), ((0, n - 1, 1),))

    @classmethod
    def periodic(cls, ranges: list[Range] | tuple[Range, ...], shift: int) -> AxisMap:
        return cls(len(ranges), shift, tuple(ranges))

    @classmethod
    def transposed(cls, k: int, s: int, pb: int, d: int = 1) -> AxisMap:
        """Which inputs a transposed convolution's outputs read: input ``i`` feeds output
        ``i·s − pb + t·d`` for taps ``t < k`` (PyTorch ConvTranspose docs; Dumoulin & Visin §4),
        so output ``o`` reads the ``i = (o + pb − t·d)/s`` that are integers. The pattern repeats
        every ``s`` outputs, one input further on; an output no tap reaches reads nothing."""
        step = d // gcd(s, d)  # the taps that land on an input are s/gcd(s, d) apart
        ranges: list[Range] = []
        for o in range(s):
            taps = [(o + pb - t * d) // s for t in range(k) if (o + pb - t * d) % s == 0]
            ranges.append((min(taps), max(taps), step) if taps else None)
        return cls.periodic(ranges, 1)


IDENTITY_AXIS = AxisMap(1, 1, ((0, 0, 1),))


@dataclass(frozen=True, slots=True)
class AxisField:
    """The receptive fields of every unit of a tensor on one axis, in input pixels.

    Unit ``o = q·period + p`` sees pixels ``[lows[p] + q·shift, highs[p] + q·shift]``; a
    ``None`` phase sees nothing."""

    period: int
    shift: int
    lows: tuple[int | None, ...]
    highs: tuple[int | None, ...]

    @classmethod
    def pixel(cls) -> AxisField:
        """The network input: unit ``o`` is pixel ``o``."""
        return cls(1, 1, (0,), (0,))

    def low(self, i: int) -> int | None:
        q, p = divmod(i, self.period)
        value = self.lows[p]
        return None if value is None else value + q * self.shift

    def high(self, i: int) -> int | None:
        q, p = divmod(i, self.period)
        value = self.highs[p]
        return None if value is None else value + q * self.shift

    def min_low(self, a: int, b: int, step: int = 1) -> int | None:
        """The first pixel seen by any of units ``a, a + step, …, b``: units one period apart
        see the same pattern ``shift ≥ 0`` further on, so it is reached within the first
        ``period / gcd(step, period)`` of them."""
        count = (b - a) // step + 1
        first = min(count, self.period // gcd(step, self.period))
        values = [v for q in range(first) if (v := self.low(a + q * step)) is not None]
        return min(values) if values else None

    def max_high(self, a: int, b: int, step: int = 1) -> int | None:
        """The last pixel seen by any of units ``a, a + step, …, b`` (reached within the last
        ``period / gcd(step, period)`` of them)."""
        count = (b - a) // step + 1
        last = a + (count - 1) * step
        tail = min(count, self.period // gcd(step, self.period))
        values = [v for q in range(tail) if (v := self.high(last - q * step)) is not None]
        return max(values) if values else None

    @property
    def size(self) -> int:
        """The largest field of any unit (0 if no unit sees anything)."""
        sizes = [h - lo + 1 for lo, h in zip(self.lows, self.highs)
                 if lo is not None and h is not None]
        return max(sizes, default=0)

    @property
    def jump(self) -> Exact:
        return _ratio(self.shift, self.period)

    def _first_seen(self) -> tuple[int, int, int] | None:
        """``(o, low, high)`` for the first unit that sees anything."""
        for p, (lo, h) in enumerate(zip(self.lows, self.highs)):
            if lo is not None and h is not None:
                return p, lo, h
        return None

    @property
    def start(self) -> Exact:
        """The centre of unit 0's field (extrapolated by the jump if unit 0 sees nothing)."""
        seen = self._first_seen()
        if seen is None:
            return 0
        o, lo, h = seen
        return _norm(half(lo + h) - o * _ratio(self.shift, self.period))

    @property
    def first_pixel(self) -> Exact:
        """The first pixel of unit 0's field (``−`` Distill's effective padding)."""
        seen = self._first_seen()
        if seen is None:
            return 0
        o, lo, _ = seen
        return _norm(lo - o * _ratio(self.shift, self.period))

    def reduced(self) -> AxisField:
        """The same fields with the shortest period that describes them."""
        n = self.period
        for d in range(1, n):
            if n % d or (self.shift * d) % n:
                continue
            step = self.shift * d // n
            if all(_shifted(self.lows[o], step) == self.lows[o + d]
                   and _shifted(self.highs[o], step) == self.highs[o + d]
                   for o in range(n - d)):
                return AxisField(d, step, self.lows[:d], self.highs[:d])
        return self

    def through(self, m: AxisMap) -> AxisField | None:
        """The fields of a layer's output whose units read this tensor's units as ``m`` says;
        None when their period would pass :data:`MAX_PERIOD`."""
        if self.period == 1 and m.period == 1:  # the Distill recurrences, in O(1)
            rng, lo, hi = m.ranges[0], self.lows[0], self.highs[0]
            if rng is None or lo is None or hi is None:
                return AxisField(1, m.shift * self.shift, (None,), (None,))
            last = rng[0] + (rng[1] - rng[0]) // rng[2] * rng[2]
            return AxisField(1, m.shift * self.shift, (lo + rng[0] * self.shift,),
                             (hi + last * self.shift,))
        mult = self.period // gcd(m.shift, self.period)
        period = m.period * mult
        if period > MAX_PERIOD:
            return None
        shift = (m.shift // gcd(m.shift, self.period)) * self.shift
        lows: list[int | None] = []
        highs: list[int | None] = []
        for o in range(period):
            q, p = divmod(o, m.period)
            rng = m.ranges[p]
            if rng is None:
                lows.append(None)
                highs.append(None)
                continue
            a, b, step = rng[0] + q * m.shift, rng[1] + q * m.shift, rng[2]
            lows.append(self.min_low(a, b, step))
            highs.append(self.max_high(a, b, step))
        return AxisField(period, shift, tuple(lows), tuple(highs)).reduced()

    def covers(self, n_in: int, n_out: int) -> bool:
        """Whether one of the tensor's ``n_out`` units sees every one of the ``n_in`` input
        pixels on this axis."""
        t = self.shift
        for p in range(min(self.period, n_out)):
            lo, h = self.lows[p], self.highs[p]
            if lo is None or h is None:
                continue
            # unit o = p + q·period exists for 0 ≤ q ≤ q_max; it starts at or before pixel 0
            # for q ≤ −lo/t and ends at or after pixel n_in − 1 for q ≥ (n_in − 1 − h)/t.
            q_max = (n_out - 1 - p) // self.period
            if t == 0:
                if lo <= 0 and h >= n_in - 1:
                    return True
                continue
            q_low = max(0, -(-(n_in - 1 - h) // t))
            q_high = min(q_max, (-lo) // t)
            if q_low <= q_high:
                return True
        return False

    def mean_offset(self) -> Fraction | None:
        """Where the units sit on average: the mean over one period of ``centre(o) − o·jump``
        (for a regular field, the centre of unit 0). None when no unit sees anything."""
        jump = Fraction(self.shift, self.period)
        offsets = [Fraction(lo + h, 2) - o * jump
                   for o, (lo, h) in enumerate(zip(self.lows, self.highs))
                   if lo is not None and h is not None]
        return sum(offsets, Fraction(0)) / len(offsets) if offsets else None

    def centres(self, count: int) -> tuple[int | None, ...]:
        """Twice the centre of each of the first ``count`` units (None: it sees nothing)."""
        out: list[int | None] = []
        for o in range(count):
            lo, h = self.low(o), self.high(o)
            out.append(None if lo is None or h is None else lo + h)
        return tuple(out)


def _shifted(value: int | None, step: int) -> int | None:
    return None if value is None else value + step


@dataclass(frozen=True, slots=True)
class ReceptiveField:
    """Receptive field of the units of one tensor, per spatial axis of the network input.

    ``size``, ``jump``, ``start`` and ``effective_padding`` are tuples with one exact number per
    axis (see the module docstring); ``covers_input`` says whether one unit of this tensor sees
    the whole input on every axis; ``approximate`` marks a field after a merge of paths with
    different jumps, which is described by unit 0 only.
    """

    axes: tuple[AxisField, ...]
    covers_input: bool = False
    approximate: bool = False

    @classmethod
    def of_input(cls, rank: int) -> ReceptiveField:
        return cls(tuple(AxisField.pixel() for _ in range(rank)))

    @property
    def size(self) -> tuple[int, ...]:
        return tuple(a.size for a in self.axes)

    @property
    def jump(self) -> tuple[Exact, ...]:
        return tuple(a.jump for a in self.axes)

    @property
    def start(self) -> tuple[Exact, ...]:
        return tuple(a.start for a in self.axes)

    @property
    def effective_padding(self) -> tuple[Exact, ...]:
        """How many pixels of padding unit 0's field reaches before pixel 0 (Distill's ``P``;
        negative when the field starts inside the input)."""
        return tuple(_norm(-a.first_pixel) for a in self.axes)

    @property
    def regular(self) -> bool:
        """Whether every unit's field has the same size and neighbours are ``jump`` apart (the
        Distill case: no upsampling or adaptive pooling on the way)."""
        return all(a.period == 1 for a in self.axes)

    def through(self, maps: tuple[AxisMap, ...]) -> ReceptiveField | None:
        """The receptive field after a layer whose axes map as ``maps`` (None: too irregular
        to follow, see :data:`MAX_PERIOD`)."""
        axes = []
        for field, m in zip(self.axes, maps):
            out = field.through(m)
            if out is None:
                return None
            axes.append(out)
        return ReceptiveField(tuple(axes), approximate=self.approximate)

    def whole(self, in_spatial: tuple[int, ...]) -> ReceptiveField | None:
        """After a layer whose every output unit reads its whole input (global pooling,
        flatten)."""
        return self.through(tuple(AxisMap.whole(n) for n in in_spatial))

    def with_coverage(self, input_size: tuple[int, ...],
                      out_spatial: tuple[int, ...]) -> ReceptiveField:
        """This field with ``covers_input`` computed for a tensor of ``out_spatial`` units
        (a flat tensor counts as one unit per axis)."""
        outs = out_spatial if len(out_spatial) == len(self.axes) else (1,) * len(self.axes)
        covers = bool(self.axes) and all(
            a.covers(n, o) for a, n, o in zip(self.axes, input_size, outs))
        return ReceptiveField(self.axes, covers, self.approximate)

    def to_dict(self) -> dict[str, list[int | float | str]]:
        return {"size": [exact(v) for v in self.size], "jump": [exact(v) for v in self.jump],
                "start": [exact(v) for v in self.start]}


def union(fields: list[ReceptiveField], out_spatial: tuple[int, ...]
          ) -> tuple[ReceptiveField | None, bool]:
    """The receptive field of a merge (``concat``/``add``): unit ``o`` of the output sees what
    unit ``o`` of every input sees. Also says whether the paths are aligned (Distill, "Handling
    multi-path networks": equal jumps and centres). After an upsampling, units sit a fraction of
    a jump before or after their average place (a 2×2/2 transposed convolution gives units 2m
    and 2m + 1 the same centre); paths are aligned when their jumps and their units' average
    places agree (:meth:`AxisField.mean_offset`), so U-Net's skips are, as they should be.

    Paths with different jumps do not give a repeating pattern; their union is then described
    by unit 0 with the largest jump, and marked ``approximate``.
    """
    rank = len(fields[0].axes)
    axes: list[AxisField] = []
    aligned = True
    approximate = any(f.approximate for f in fields)
    for a in range(rank):
        per_path = [f.axes[a] for f in fields]
        n_out = out_spatial[a] if a < len(out_spatial) else 1
        if all(x.period == 1 for x in per_path) and len({x.shift for x in per_path}) == 1:
            # the Distill case: one interval per path, compared directly
            los = [x.lows[0] for x in per_path if x.lows[0] is not None]
            his = [x.highs[0] for x in per_path if x.highs[0] is not None]
            axes.append(AxisField(1, per_path[0].shift, (min(los) if los else None,),
                                  (max(his) if his else None,)))
            if len({x.centres(1) for x in per_path}) > 1:
                aligned = False
            continue
        jumps = {_ratio(x.shift, x.period) for x in per_path}
        if len(jumps) > 1:
            lows = [x.low(0) for x in per_path]
            highs = [x.high(0) for x in per_path]
            lo = min((v for v in lows if v is not None), default=None)
            hi = max((v for v in highs if v is not None), default=None)
            biggest = max(jumps)
            shift = -(-biggest.numerator // biggest.denominator)
            axes.append(AxisField(1, shift, (lo,), (hi,)))
            centres0 = {x.centres(1) for x in per_path}
            if n_out > 1 or len(centres0) > 1:
                aligned = False
                approximate = approximate or n_out > 1
            continue
        period = 1
        for x in per_path:
            period = period * x.period // gcd(period, x.period)
        if period > MAX_PERIOD:
            return None, False
        jump = next(iter(jumps))
        shift = _floor(jump * period)
        lows_out: list[int | None] = []
        highs_out: list[int | None] = []
        for o in range(period):
            los = [v for x in per_path if (v := x.low(o)) is not None]
            his = [v for x in per_path if (v := x.high(o)) is not None]
            lows_out.append(min(los) if los else None)
            highs_out.append(max(his) if his else None)
        axes.append(AxisField(period, shift, tuple(lows_out), tuple(highs_out)).reduced())
        if n_out > 1:
            if len({x.mean_offset() for x in per_path}) > 1:
                aligned = False
        elif len({x.centres(1) for x in per_path}) > 1:
            aligned = False
    return ReceptiveField(tuple(axes), approximate=approximate), aligned


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
