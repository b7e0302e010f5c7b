"""The one-layer calculators behind ``cnncalc conv``, ``deconv`` and ``pool`` and their Python API:
the output size per axis with the formula substituted, the input pixels a stride drops, and
parameters and MACs when the channels are known.

>>> print(conv(224, 7, stride=2, padding=3, in_channels=3, out_channels=64))
conv 3×224×224 → 64×112×112 (kernel 7, stride 2, padding 3)
  out H, W: ⌊(224 + 2·3 − 1·(7−1) − 1)/2⌋ + 1 = 112
  params: 64·3·7×7 = 9,408 weights + 64 bias = 9,472
  MACs: 64·112×112 outputs × 3·7×7 = 118,013,952

Sizes, kernels, strides, paddings and dilations are an ``int`` (every axis) or one value per
axis. The number of spatial axes is ``rank`` when given, else the longest per-axis value, else 2:
as on the command line, a bare number is a square image (``size=(224,)`` is one axis), and a
one-value sequence stands for every axis. The formulas are those of :mod:`cnncalc.model.arith`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from fractions import Fraction
from typing import Any, Union

from cnncalc.model import arith
from cnncalc.model.arith import PADDING_WORDS, POOL_PADDING_WORDS
from cnncalc.model.axes import axis_lines, axis_names, format_axes, whole_per_axis
from cnncalc.model.errors import ShapeError
from cnncalc.model.geometry import resolve_padding

Axes = Union[int, Sequence[int]]
PaddingLike = Union[int, str, Sequence[Union[int, Sequence[int]]]]

fmt_axes = format_axes
"""The name the command line's formatting imports (:func:`cnncalc.model.axes.format_axes`)."""


def jsonable(value: object) -> object:
    """Answers (dataclasses), tuples and exact fractions as JSON-ready values: an answer becomes
    an object of its fields in declaration order, a fraction ``"1/3"``."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else str(value)
    return value


class Answer:
    """Base of the calculators' answers, which are frozen dataclasses: :meth:`to_dict` gives the
    fields as JSON-ready data (:func:`jsonable`)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        data = jsonable(self)
        assert isinstance(data, dict)
        return data


def fmt_shape(channels: int | None, spatial: Sequence[int]) -> str:
    dims = ([channels] if channels is not None else []) + list(spatial)
    return "×".join(str(d) for d in dims)


def infer_rank(size: object, *others: object, rank: int | None = None) -> int:
    """The number of spatial axes: ``rank`` when given; else the longest per-axis value; else 1
    when ``size`` is a one-value sequence; else 2 — a bare number is a square image, as on the
    command line (so that parameters and MACs count a k×k kernel)."""
    if rank is not None:
        if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= 3:
            raise ShapeError(f"rank must be 1, 2 or 3, got {rank!r}")
        return rank
    lengths = [len(v) for v in (size, *others) if isinstance(v, (tuple, list)) and len(v) > 1]
    if lengths:
        return max(lengths)
    return 1 if isinstance(size, (tuple, list)) else 2


def every_axis(value: Any, rank: int) -> Any:
    """As on the command line, a one-value sequence stands for every axis."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        return tuple(value) * rank
    return value


def per_axis(name: str, value: object, rank: int) -> tuple[int, ...]:
    """Whole numbers, one per axis (:func:`cnncalc.model.axes.whole_per_axis`), a one-value
    sequence standing for every axis."""
    return whole_per_axis(name, every_axis(value, rank), rank)


def _optional_count(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ShapeError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class AxisAnswer(Answer):
    """One spatial axis of a calculator's answer.

    ``padding`` is ``(before, after)``; ``dropped`` counts the input pixels at the end that no
    window reaches (floor rounding); ``clean_sizes`` are the nearest smaller and larger input
    sizes that use every pixel (only when some are dropped); ``other`` is the output size the
    other rounding would give (pooling), when it differs; ``notes`` are further sentences.
    """

    axis: str
    size: int
    kernel: int
    stride: int
    padding: tuple[int, int]
    dilation: int
    output_padding: int = 0
    output: int
    formula: str
    dropped: int = 0
    clean_sizes: tuple[int, ...] = ()
    other: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WindowAnswer(Answer):
    """The answer of :func:`conv`, :func:`conv_transpose` or :func:`pool`.

    ``kind`` is ``conv``, ``conv_transpose`` or ``pool`` (pooling shapes are the same for max
    and average pooling); ``input_size``/``output_size`` are per axis; ``params``, ``weights``,
    ``bias`` and ``macs`` (per sample) are ``None`` unless both channel counts are known.
    ``str(answer)`` is what the command line prints. Built by :meth:`of`.
    """

    kind: str
    input_size: tuple[int, ...]
    output_size: tuple[int, ...]
    axes: tuple[AxisAnswer, ...]
    in_channels: int | None
    out_channels: int | None
    groups: int
    ceil_mode: bool | str
    weights: int | None
    bias: int | None
    params: int | None
    macs: int | None
    settings: str
    explanation: tuple[str, ...]

    @classmethod
    def of(cls, kind: str, axes: tuple[AxisAnswer, ...], *, in_channels: int | None,
           out_channels: int | None, groups: int = 1, ceil_mode: bool | str = False,
           weights: int | None = None, bias: int | None = None, macs: int | None = None,
           extra: tuple[str, ...] = ()) -> WindowAnswer:
        """The answer for these axes: sizes, settings and explanation derived from them."""
        lines = axis_lines([a.formula for a in axes], "out")
        lines += axis_lines([_dropped_text(a) for a in axes], "dropped")
        lines += axis_lines([_other_text(a, ceil_mode) for a in axes])
        for index in range(max((len(a.notes) for a in axes), default=0)):
            lines += axis_lines([a.notes[index] if index < len(a.notes) else None
                                 for a in axes])
        return cls(kind=kind, input_size=tuple(a.size for a in axes),
                   output_size=tuple(a.output for a in axes), axes=axes,
                   in_channels=in_channels, out_channels=out_channels, groups=groups,
                   ceil_mode=ceil_mode, weights=weights, bias=bias,
                   params=None if weights is None or bias is None else weights + bias,
                   macs=macs, settings=_settings(kind, axes, groups, ceil_mode),
                   explanation=(*lines, *extra))

    @property
    def flops(self) -> int | None:
        return None if self.macs is None else 2 * self.macs

    @property
    def output(self) -> int | tuple[int, ...]:
        """The output size: an ``int`` for one axis, else a tuple."""
        return self.output_size[0] if len(self.output_size) == 1 else self.output_size

    @property
    def dropped(self) -> tuple[int, ...]:
        return tuple(a.dropped for a in self.axes)

    def headline(self) -> str:
        """``conv 3×224×224 → 64×112×112 (kernel 7, stride 2, padding 3)``."""
        shape_in = fmt_shape(self.in_channels, self.input_size)
        shape_out = fmt_shape(self.out_channels, self.output_size)
        return f"{self.kind} {shape_in} → {shape_out} ({self.settings})"

    def lines(self) -> tuple[str, ...]:
        """The explanation: formulas with the numbers substituted, dropped pixels, counts."""
        return self.explanation

    def __str__(self) -> str:
        return "\n".join([self.headline(), *(f"  {line}" for line in self.lines())])


def _settings(kind: str, axes: tuple[AxisAnswer, ...], groups: int,
              ceil_mode: bool | str) -> str:
    parts = [f"kernel {format_axes([a.kernel for a in axes])}"]
    strides = [a.stride for a in axes]
    if kind.endswith("pool") or any(s != 1 for s in strides):
        parts.append(f"stride {format_axes(strides)}")
    pads = [a.padding for a in axes]
    if any(p != (0, 0) for p in pads):
        if all(b == a for b, a in pads):
            parts.append(f"padding {format_axes([b for b, _ in pads])}")
        else:
            parts.append(f"padding {format_axes([f'{b}+{a}' for b, a in pads])}")
    if any(a.output_padding for a in axes):
        parts.append(f"output_padding {format_axes([a.output_padding for a in axes])}")
    if any(a.dilation != 1 for a in axes):
        parts.append(f"dilation {format_axes([a.dilation for a in axes])}")
    if groups != 1:
        parts.append(f"groups {groups}")
    if ceil_mode:
        parts.append("ceil_mode" if ceil_mode is True else "Caffe's ceil")
    return ", ".join(parts)


def _dropped_text(a: AxisAnswer) -> str | None:
    if not a.dropped:
        return None
    text = arith.dropped_formula(a.size, a.kernel, a.stride, a.padding[0], a.padding[1],
                                 a.dilation)
    if a.clean_sizes:
        text += f"; {' and '.join(map(str, a.clean_sizes))} use every pixel"
    return text


MAX_LISTED = 64
"""The most alternatives (output paddings) a note lists: a stride of 10⁹ allows 10⁹ of them."""


def _other_text(a: AxisAnswer, ceil_mode: bool | str) -> str | None:
    if a.other is None or a.other == a.output:
        return None
    if not ceil_mode:
        return f"rounding up (ceil_mode) gives {a.other}"
    if ceil_mode == "caffe":
        return f"PyTorch's ceil_mode gives {a.other}"
    return f"rounding down gives {a.other}"


def _clean_sizes(i: int, k: int, s: int, pb: int, pa: int, d: int) -> tuple[int, ...]:
    """The nearest input sizes below and above ``i`` whose pixels every window reaches, in O(1)
    (a stride may be huge). Size ``j`` drops nothing when ``(j + pb + pa − k_eff) mod s ≤ pa``
    (:func:`arith.dropped_inputs`), so from ``j``'s residue ``r`` the next clean size up is
    ``s − r`` further and the next one down ``r − pa`` nearer; sizes below
    ``k_eff − pb − pa`` (or 1) are refused by PyTorch and end the search downwards."""
    shift = pb + pa - arith.effective_kernel(k, d)
    least = max(1, -shift)  # the smallest size PyTorch accepts
    found: list[int] = []
    below = i - 1
    residue = (below + shift) % s
    if residue > pa:
        below -= residue - pa
    if below >= least:
        found.append(below)
    above = i + 1
    residue = (above + shift) % s
    if residue > pa:
        above += s - residue
    found.append(above)
    return tuple(found)


def _expand(rank: int | None, padding: PaddingLike,
            **values: Any) -> tuple[int, list[tuple[int, ...]]]:
    """The number of spatial axes (:func:`infer_rank`; ``size`` comes first) and each of
    ``values`` on every axis."""
    r = infer_rank(*values.values(), padding if not isinstance(padding, str) else 0, rank=rank)
    return r, [per_axis(name, value, r) for name, value in values.items()]


def _channels(in_channels: int | None, out_channels: int | None,
              groups: int) -> tuple[int | None, int | None]:
    cin = _optional_count("in_channels", in_channels)
    cout = _optional_count("out_channels", out_channels)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ShapeError(f"groups must be a whole number of at least 1, got {groups!r}")
    for c in (cin, cout):
        if c is not None and c % groups:
            raise ShapeError(f"channels {c} are not divisible by groups {groups}")
    return cin, cout


def conv(size: Axes, kernel: Axes, stride: Axes = 1, padding: PaddingLike = 0,
         dilation: Axes = 1, *, in_channels: int | None = None, out_channels: int | None = None,
         groups: int = 1, bias: bool = True, rank: int | None = None) -> WindowAnswer:
    """One convolution (PyTorch ``ConvNd``): output size per axis with the formula, the pixels
    the stride drops, and — with both channel counts — parameters and MACs per sample.

    ``padding`` is an int, one per axis (an item may be a ``(before, after)`` pair), or
    ``"same"``, ``"same_tf"``, ``"valid"``, ``"full"``. Raises :class:`ShapeError` where PyTorch
    refuses the configuration.
    """
    r, (i, k, s, d) = _expand(rank, padding, size=size, kernel=kernel, stride=stride,
                              dilation=dilation)
    pads = resolve_padding(every_axis(padding, r), i, k, s, d, PADDING_WORDS)
    cin, cout = _channels(in_channels, out_channels, groups)
    axes = []
    for name, ii, kk, ss, (pb, pa), dd in zip(axis_names(r), i, k, s, pads, d):
        dropped = arith.dropped_inputs(ii, kk, ss, pb, pa, dd)
        axes.append(AxisAnswer(
            axis=name, size=ii, kernel=kk, stride=ss, padding=(pb, pa), dilation=dd,
            output=arith.conv_out(ii, kk, ss, pb, pa, dd),
            formula=arith.conv_out_formula(ii, kk, ss, pb, pa, dd), dropped=dropped,
            clean_sizes=_clean_sizes(ii, kk, ss, pb, pa, dd) if dropped else ()))
    out = tuple(a.output for a in axes)
    if cin is None or cout is None:
        return WindowAnswer.of("conv", tuple(axes), in_channels=cin, out_channels=cout,
                               groups=groups)
    return WindowAnswer.of(
        "conv", tuple(axes), in_channels=cin, out_channels=cout, groups=groups,
        weights=arith.conv_weights(cout, cin, groups, k), bias=cout if bias else 0,
        macs=arith.conv_macs(cout, out, cin, groups, k),
        extra=(arith.conv_params_formula(cout, cin, groups, k, bias),
               arith.conv_macs_formula(cout, out, cin, groups, k)))


def conv_transpose(size: Axes, kernel: Axes, stride: Axes = 1, padding: PaddingLike = 0,
                   output_padding: Axes = 0, dilation: Axes = 1, *,
                   in_channels: int | None = None, out_channels: int | None = None,
                   groups: int = 1, bias: bool = True, rank: int | None = None) -> WindowAnswer:
    """One transposed convolution (PyTorch ``ConvTransposeNd``): output size per axis with the
    formula, the sizes the other allowed ``output_padding`` values give, the convolution that
    maps the result back, and parameters and input-based MACs with both channel counts."""
    r, (i, k, s, op, d) = _expand(rank, padding, size=size, kernel=kernel, stride=stride,
                                  output_padding=output_padding, dilation=dilation)
    pads = resolve_padding(every_axis(padding, r), i, k, s, d, ())
    cin, cout = _channels(in_channels, out_channels, groups)
    axes = []
    for name, ii, kk, ss, (pb, pa), oo, dd in zip(axis_names(r), i, k, s, pads, op, d):
        o = arith.conv_transpose_out(ii, kk, ss, pb, pa, oo, dd)
        axes.append(AxisAnswer(
            axis=name, size=ii, kernel=kk, stride=ss, padding=(pb, pa), dilation=dd,
            output_padding=oo, output=o,
            formula=arith.conv_transpose_out_formula(ii, kk, ss, pb, pa, oo, dd),
            notes=_transpose_notes(ii, kk, ss, pb, pa, oo, dd, o)))
    if cin is None or cout is None:
        return WindowAnswer.of("conv_transpose", tuple(axes), in_channels=cin,
                               out_channels=cout, groups=groups)
    return WindowAnswer.of(
        "conv_transpose", tuple(axes), in_channels=cin, out_channels=cout, groups=groups,
        weights=arith.conv_transpose_weights(cin, cout, groups, k), bias=cout if bias else 0,
        macs=arith.conv_transpose_macs(cin, i, cout, groups, k),
        extra=(arith.conv_transpose_params_formula(cin, cout, groups, k, bias),
               arith.conv_transpose_macs_formula(cin, i, cout, groups, k)))


def _transpose_notes(i: int, k: int, s: int, pb: int, pa: int, op: int, d: int,
                     o: int) -> tuple[str, ...]:
    others: list[tuple[int, int]] = []
    for x in range(min(max(s, d), MAX_LISTED)):  # every output_padding allowed, up to a bound
        if x == op:
            continue
        try:
            size = arith.conv_transpose_out(i, k, s, pb, pa, x, d)
        except ShapeError:  # a size PyTorch refuses (not positive) is no alternative
            continue
        others.append((x, size))
    notes: list[str] = []
    if others:
        limit = f"stride {s}" if s >= d else f"dilation {d}"
        listing = ", ".join(f"{x} gives {size}" for x, size in others)
        notes.append(f"output_padding {listing} (allowed below the {limit})")
    # A convolution with the same settings maps o − op … o − op + s − 1 back to i.
    base = o - op
    k_eff = arith.effective_kernel(k, d)
    # conv_out(x) == i exactly for x in [(i−1)·s + k_eff − pb − pa, i·s + k_eff − pb − pa − 1]
    # (computed, not searched: the stride may be huge); none if PyTorch refuses a size here.
    lowest = max(base, (i - 1) * s + k_eff - pb - pa)
    highest = min(base + s - 1, i * s + k_eff - pb - pa - 1)
    back: list[int] = []
    if base >= max(1, k_eff - pb - pa):
        back = (list(range(lowest, highest + 1)) if highest - lowest < 4
                else [lowest, lowest + 1, lowest + 2, lowest + 3, highest])
    if back:
        span = " and ".join(str(x) for x in back) if len(back) <= 2 else \
            f"{', '.join(str(x) for x in back[:-1])} and {back[-1]}" if len(back) <= 4 else \
            f"each of {back[0]}…{back[-1]}"
        pad = f"{pb}" if pb == pa else f"{pb}+{pa}"
        dil = f", dilation {d}" if d != 1 else ""
        notes.append(f"a conv with kernel {k}, stride {s}, padding {pad}{dil} maps {span} back "
                     f"to {i}")
    return tuple(notes)


deconv = conv_transpose
"""``cnncalc.deconv``: the name the command line uses for :func:`conv_transpose`."""


def pool(size: Axes, kernel: Axes, stride: Axes | None = None, padding: PaddingLike = 0,
         dilation: Axes = 1, *, ceil_mode: bool | str = False, channels: int | None = None,
         rank: int | None = None) -> WindowAnswer:
    """Max or average pooling (PyTorch ``MaxPoolNd``/``AvgPoolNd``; the stride defaults to the
    kernel): output size per axis with the formula, the size the other rounding gives, and the
    pixels the stride drops. ``ceil_mode`` is ``False``, ``True`` or ``"caffe"`` (Caffe's rule:
    the last-window correction only with padding). Pools have no parameters and count 0 MACs.
    (PyTorch's 3-D average pooling also refuses an unpadded input smaller than the kernel:
    :func:`cnncalc.model.arith.avg_pool3d_check`; max pooling does not.)"""
    if ceil_mode not in (False, True, "caffe"):
        raise ShapeError(f"ceil_mode must be False, True or 'caffe', got {ceil_mode!r}")
    r, (i, k, d, s) = _expand(rank, padding, size=size, kernel=kernel, dilation=dilation,
                              stride=kernel if stride is None else stride)
    pads = resolve_padding(every_axis(padding, r), i, k, s, d, POOL_PADDING_WORDS)
    c = _optional_count("channels", channels)
    ceil = bool(ceil_mode)
    rounding = "caffe" if ceil_mode == "caffe" else "pytorch"
    axes = []
    for name, ii, kk, ss, (pb, pa), dd in zip(axis_names(r), i, k, s, pads, d):
        args = (ii, kk, ss, pb, pa, dd)
        o = arith.pool_out(*args, ceil_mode=ceil, rounding=rounding)
        if ceil_mode == "caffe":
            other: int | None = arith.pool_out(*args, ceil_mode=True)
        else:
            try:
                other = arith.pool_out(*args, ceil_mode=not ceil)
            except ShapeError:
                other = None
        dropped = 0 if ceil else arith.dropped_inputs(*args)
        axes.append(AxisAnswer(
            axis=name, size=ii, kernel=kk, stride=ss, padding=(pb, pa), dilation=dd,
            output=o, formula=arith.pool_out_formula(*args, ceil_mode=ceil, rounding=rounding),
            dropped=dropped, clean_sizes=_clean_sizes(*args) if dropped else (), other=other))
    return WindowAnswer.of("pool", tuple(axes), in_channels=c, out_channels=c,
                           ceil_mode=ceil_mode, weights=0, bias=0, macs=0)
