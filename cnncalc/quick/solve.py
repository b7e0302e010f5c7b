"""Inverse questions: which settings give the size I want (``cnncalc solve``), and which padding
keeps a size (``cnncalc pad``).

Solving a convolution, for one axis: ``o = ⌊(i + 2p − k_eff)/s⌋ + 1`` (PyTorch; ``k_eff =
d·(k−1) + 1``). For a fixed kernel, dilation and padding, ``L = i + 2p − k_eff`` must be ≥ 0
(PyTorch refuses a kernel larger than the padded input) and the strides that give ``o`` are
exactly ``⌊L/o⌋ + 1 ≤ s ≤ ⌊L/(o−1)⌋`` — every stride from ``⌊L⌋ + 1`` on when ``o = 1``, which
the answer reports as one open-ended row. Padding is searched from 0 to ``k_eff − 1``: with more,
some window would cover nothing but padding.

Solving a transposed convolution: ``o = (i−1)·s − 2p + k_eff + op`` with ``op < s or op < d``
(PyTorch). For each kernel, dilation, padding and output padding the stride is then fixed (when
``i > 1``), or free above ``op`` (when ``i = 1``: an open-ended row). Padding is searched from 0 to
``k_eff − 1``: the equivalent direct convolution pads the stretched input by ``k_eff − 1 − p``
(Dumoulin & Visin, relationship 14), which more padding would make negative.

Ranges are inclusive pairs ``(lo, hi)``; an ``int`` fixes a value; ``None`` searches the default.

The work is bounded (no input may hang): a search over more than ``MAX_CANDIDATES``
settings, or with more than ``MAX_SOLUTIONS`` answers (a 10¹²-pixel input has billions of
strides that give 5 outputs), is refused with a message that says what to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

from cnncalc.model import arith
from cnncalc.model.axes import axis_names
from cnncalc.model.errors import ShapeError
from cnncalc.quick import calc
from cnncalc.quick.calc import Answer

RangeLike = Union[int, tuple[int, int], range, None]
Range = Union[tuple[int, int], None]
"""An inclusive ``(low, high)``, or None: search the default."""


MAX_CANDIDATES = 1_000_000
"""Kernel, dilation, padding and output-padding combinations one question may search."""
MAX_SOLUTIONS = 10_000
"""Answers one question may list."""
MAX_RESIDUES = 64
"""Strides up to which ``pad`` lists TensorFlow's split for every residue of the input size."""


class _Budget:
    """Counts the combinations a search has tried and the answers it has found."""

    __slots__ = ("candidates", "found")

    def __init__(self) -> None:
        self.candidates = 0
        self.found = 0

    def candidate(self) -> None:
        self.candidates += 1
        if self.candidates > MAX_CANDIDATES:
            raise ShapeError(f"this search tries more than {MAX_CANDIDATES:,} combinations of "
                             f"kernel, dilation, padding and output padding; fix some of them "
                             f"(e.g. --padding 1) or narrow their ranges")

    def answers(self, count: int) -> None:
        self.found += count
        if self.found > MAX_SOLUTIONS:
            raise ShapeError(f"more than {MAX_SOLUTIONS:,} settings give this size; fix the "
                             f"stride or the padding (or narrow their ranges) to see them")


@dataclass(frozen=True, slots=True)
class Solution(Answer):
    """One answer. ``stride_open`` means every stride from ``stride`` on gives the same output
    (an output of size 1). ``dropped`` counts the input pixels at the end that no window reaches
    (always 0 for a transposed convolution)."""

    kernel: int
    stride: int
    padding: int
    dilation: int = 1
    output_padding: int = 0
    dropped: int = 0
    stride_open: bool = False


@dataclass(frozen=True, slots=True)
class Solutions(Answer):
    """Every :class:`Solution` for a question, sorted by kernel, dilation, stride, padding and
    output padding; ``searched`` names the settings that were searched (not fixed)."""

    size_in: int
    size_out: int
    kernel: tuple[int, int]
    transpose: bool
    solutions: tuple[Solution, ...]
    searched: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.solutions)

    def __iter__(self) -> Iterator[Solution]:
        return iter(self.solutions)


def as_range(name: str, value: RangeLike, low: int) -> tuple[int, int] | None:
    """``None`` stays ``None`` (search the default); an int ``v`` is ``(v, v)``; a pair or a
    ``range`` (step 1) is its inclusive bounds."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ShapeError(f"{name} must be a whole number or a range, got {value!r}")
    if isinstance(value, int):
        lo, hi = value, value
    elif isinstance(value, range):
        if value.step != 1 or not value:
            raise ShapeError(f"{name}: only a non-empty range with step 1 can be searched")
        lo, hi = value.start, value.stop - 1
    else:
        try:
            lo, hi = value
        except (TypeError, ValueError):
            raise ShapeError(f"{name} must be a whole number or a (low, high) pair, "
                             f"got {value!r}") from None
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi)):
            raise ShapeError(f"{name} must be whole numbers, got {value!r}")
    if lo < low:
        raise ShapeError(f"{name} must be at least {low}, got {lo}")
    if hi < lo:
        raise ShapeError(f"{name}: the range {lo}..{hi} is empty")
    return lo, hi


def _size(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ShapeError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def _searched(**given: object) -> tuple[str, ...]:
    return tuple(name for name, value in given.items()
                 if value is None or (isinstance(value, tuple) and value[0] != value[1]))


def _question(kernel: RangeLike, stride: RangeLike, padding: RangeLike,
              dilation: RangeLike) -> tuple[tuple[int, int], Range, Range, tuple[int, int]]:
    """The kernel, stride, padding and dilation ranges of a question (the kernel must be
    given; ``None`` searches the default)."""
    k_range = as_range("kernel", kernel, 1)
    if k_range is None:
        raise ShapeError("give the kernel size (or a range of them) to solve for")
    return (k_range, as_range("stride", stride, 1), as_range("padding", padding, 0),
            as_range("dilation", dilation, 1) or (1, 1))


def _windows(k_range: tuple[int, int], d_range: tuple[int, int], p_range: Range,
             budget: _Budget) -> Iterator[tuple[int, int, int, int]]:
    """Every kernel, dilation, effective kernel and padding a question searches: the padding
    from 0 to ``k_eff − 1`` unless it is given."""
    for k in range(k_range[0], k_range[1] + 1):
        for d in range(d_range[0], d_range[1] + 1):
            k_eff = arith.effective_kernel(k, d)
            p_lo, p_hi = p_range if p_range is not None else (0, k_eff - 1)
            for p in range(p_lo, p_hi + 1):
                budget.candidate()
                yield k, d, k_eff, p


def solve_conv(size_in: int, size_out: int, kernel: RangeLike, stride: RangeLike = None,
               padding: RangeLike = None, dilation: RangeLike = 1) -> Solutions:
    """Every (kernel, stride, padding, dilation) with which a convolution maps ``size_in`` to
    ``size_out`` (PyTorch's rule, symmetric padding). See the module docstring for the bounds."""
    i, o = _size("size_in", size_in), _size("size_out", size_out)
    k_range, s_range, p_range, d_range = _question(kernel, stride, padding, dilation)
    found: list[Solution] = []
    budget = _Budget()
    for k, d, k_eff, p in _windows(k_range, d_range, p_range, budget):
        span = i + 2 * p - k_eff  # L: PyTorch refuses L < 0
        if span < 0:
            continue
        lo = span // o + 1
        hi: int | None = span // (o - 1) if o > 1 else None
        if s_range is not None:
            lo = max(lo, s_range[0])
            hi = s_range[1] if hi is None else min(hi, s_range[1])
        if hi is None:
            budget.answers(1)
            found.append(Solution(k, lo, p, d, 0, arith.dropped_inputs(i, k, lo, p, p, d), True))
            continue
        budget.answers(max(0, hi - lo + 1))
        for s in range(lo, hi + 1):
            found.append(Solution(k, s, p, d, 0, arith.dropped_inputs(i, k, s, p, p, d)))
    found.sort(key=lambda x: (x.kernel, x.dilation, x.stride, x.padding))
    return Solutions(i, o, k_range, False, tuple(found),
                     _searched(kernel=k_range, stride=s_range, padding=p_range,
                               dilation=d_range))


def solve_conv_transpose(size_in: int, size_out: int, kernel: RangeLike,
                         stride: RangeLike = None, padding: RangeLike = None,
                         output_padding: RangeLike = None,
                         dilation: RangeLike = 1) -> Solutions:
    """Every (kernel, stride, padding, output_padding, dilation) with which a transposed
    convolution maps ``size_in`` to ``size_out`` (PyTorch's rule). See the module docstring."""
    i, o = _size("size_in", size_in), _size("size_out", size_out)
    k_range, s_range, p_range, d_range = _question(kernel, stride, padding, dilation)
    op_range = as_range("output_padding", output_padding, 0)
    found: list[Solution] = []
    budget = _Budget()
    for k, d, k_eff, p in _windows(k_range, d_range, p_range, budget):
        # (i−1)·s + op = o + 2p − k_eff, with 0 ≤ op and (op < s or op < d).
        rest = o + 2 * p - k_eff
        if rest < 0:
            continue
        op_lo, op_hi = op_range if op_range is not None else (0, rest)
        for op in range(op_lo, min(op_hi, rest) + 1):
            budget.candidate()
            found += _transpose_strides(i, k, p, d, op, rest - op, s_range, budget)
    found.sort(key=lambda x: (x.kernel, x.dilation, x.stride, x.padding, x.output_padding))
    return Solutions(i, o, k_range, True, tuple(found),
                     _searched(kernel=k_range, stride=s_range, padding=p_range,
                               output_padding=op_range, dilation=d_range))


def _transpose_strides(i: int, k: int, p: int, d: int, op: int, product: int,
                       s_range: tuple[int, int] | None, budget: _Budget) -> list[Solution]:
    """Strides ``s`` with ``(i−1)·s = product`` that PyTorch accepts with this output padding."""
    s_lo, s_hi = s_range if s_range is not None else (1, None)
    least = s_lo if op < d else max(s_lo, op + 1)  # op < s or op < d
    if i == 1:
        if product != 0:
            return []
        if s_hi is None:
            budget.answers(1)
            return [Solution(k, least, p, d, op, 0, True)]
        budget.answers(max(0, s_hi - least + 1))
        return [Solution(k, s, p, d, op) for s in range(least, s_hi + 1)]
    if product % (i - 1):
        return []
    s = product // (i - 1)
    if s < least or (s_hi is not None and s > s_hi):
        return []
    budget.answers(1)
    return [Solution(k, s, p, d, op)]


def solve(size_in: int, size_out: int, kernel: RangeLike, stride: RangeLike = None,
          padding: RangeLike = None, dilation: RangeLike = 1, *,
          output_padding: RangeLike = None, transpose: bool = False) -> Solutions:
    """:func:`solve_conv`, or :func:`solve_conv_transpose` with ``transpose=True``."""
    if transpose:
        return solve_conv_transpose(size_in, size_out, kernel, stride, padding, output_padding,
                                    dilation)
    if output_padding is not None:
        raise ShapeError("output_padding is only for a transposed convolution (transpose=True)")
    return solve_conv(size_in, size_out, kernel, stride, padding, dilation)


# --- padding that keeps the size -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TfSplit(Answer):
    """TensorFlow 'SAME' padding for input sizes ``i`` with ``i mod stride == residue`` (or for
    one ``size``): output ``⌈i/s⌉``, ``before``/``after`` padding (the odd pixel after), and the
    symmetric PyTorch paddings that give the same output size (possibly none)."""

    residue: int | None
    size: int | None
    output: int | None
    before: int
    after: int
    symmetric: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class AxisPadding(Answer):
    """Padding that keeps the size on one axis. ``total = k_eff − 1``; ``symmetric`` is the
    PyTorch ``padding=N`` that keeps it (``None`` when the total is odd); ``same`` is PyTorch's
    ``padding='same'`` split (the odd pixel after); ``tf`` lists TensorFlow 'SAME' splits for
    a stride above 1. Built by :meth:`of`."""

    axis: str
    kernel: int
    dilation: int
    stride: int
    k_eff: int
    total: int
    symmetric: int | None
    same: tuple[int, int]
    tf: tuple[TfSplit, ...]

    @classmethod
    def of(cls, axis: str, kernel: int, dilation: int, stride: int,
           tf: tuple[TfSplit, ...]) -> AxisPadding:
        k_eff = arith.effective_kernel(kernel, dilation)
        total = k_eff - 1
        return cls(axis=axis, kernel=kernel, dilation=dilation, stride=stride, k_eff=k_eff,
                   total=total, symmetric=total // 2 if total % 2 == 0 else None,
                   same=arith.same_padding(kernel, dilation), tf=tf)


@dataclass(frozen=True, slots=True)
class PaddingAnswer(Answer):
    """The answer of :func:`padding_for`: one :class:`AxisPadding` per axis."""

    axes: tuple[AxisPadding, ...]
    size: tuple[int, ...] | None


def _symmetric_matches(i: int, k: int, s: int, d: int) -> tuple[int, ...]:
    """Symmetric paddings ``p`` (0 … k_eff − 1) for which PyTorch's output is ``⌈i/s⌉``:
    ``(target − 1)·s ≤ i + 2p − k_eff < target·s``, an interval, computed rather than searched
    (the kernel may be huge); refused when it holds more than ``MAX_SOLUTIONS`` paddings."""
    target = -(-i // s)
    k_eff = arith.effective_kernel(k, d)
    low = max(0, -(-((target - 1) * s - i + k_eff) // 2), -(-(k_eff - i) // 2))
    high = min(k_eff - 1, (target * s - 1 - i + k_eff) // 2)
    if high - low + 1 > MAX_SOLUTIONS:
        raise ShapeError(f"{high - low + 1:,} symmetric paddings give TensorFlow's output size "
                         f"here, more than the {MAX_SOLUTIONS:,} cnncalc lists")
    return tuple(range(low, high + 1))


def tf_split(i: int, k: int, s: int, d: int = 1, residue: int | None = None) -> TfSplit:
    before, after = arith.tf_same_padding(i, k, s, d)
    return TfSplit(residue, None if residue is not None else i,
                   None if residue is not None else -(-i // s), before, after,
                   _symmetric_matches(i, k, s, d))


def padding_for(kernel: calc.Axes, dilation: calc.Axes = 1, stride: calc.Axes = 1,
                size: calc.Axes | None = None, *, rank: int | None = None) -> PaddingAnswer:
    """The padding that keeps the size (stride 1), and for a larger stride TensorFlow's 'SAME'
    split — for ``size`` when given, otherwise for every residue of the input size modulo the
    stride (the split depends only on it, once the input is at least ``k_eff + s``)."""
    r = calc.infer_rank(size if size is not None else 0, kernel, dilation, stride, rank=rank)
    k, d, s = (calc.per_axis(n, v, r) for n, v in (("kernel", kernel), ("dilation", dilation),
                                                   ("stride", stride)))
    sizes = calc.per_axis("size", size, r) if size is not None else None
    for name, values in (("kernel", k), ("dilation", d), ("stride", s), ("size", sizes or ())):
        for v in values:
            if v < 1:
                raise ShapeError(f"{name} must be at least 1, got {v}")
    names = axis_names(r)
    axes = []
    for a in range(r):
        splits: tuple[TfSplit, ...] = ()
        if s[a] > 1 and sizes is not None:
            splits = (tf_split(sizes[a], k[a], s[a], d[a]),)
        elif s[a] > MAX_RESIDUES:
            raise ShapeError(f"with stride {s[a]} TensorFlow's split depends on the input size "
                             f"modulo {s[a]}; give the size (--in) instead of listing every "
                             f"residue")
        elif s[a] > 1:
            base = arith.effective_kernel(k[a], d[a]) + s[a]
            base += (-base) % s[a]  # a multiple of the stride, large enough for every residue
            splits = tuple(tf_split(base + res, k[a], s[a], d[a], res) for res in range(s[a]))
        axes.append(AxisPadding.of(names[a], k[a], d[a], s[a], splits))
    return PaddingAnswer(tuple(axes), sizes)


pad = padding_for
"""``cnncalc.pad``: the name the command line uses for :func:`padding_for`."""
