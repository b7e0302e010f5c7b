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
as on the command line, a bare number is a square image (``size=(224,)`` is one axis).
Everything here imports only :mod:`cnncalc.model.arith`: the command line answers in milliseconds.
"""

from cnncalc.model import arith
from cnncalc.model.errors import ShapeError

# No `from __future__ import annotations` in the modules of the quick calculators' fast path:
# importing __future__ costs 0.2 ms of start-up. Annotations naming TYPE_CHECKING-only types
# are quoted.
TYPE_CHECKING = False  # avoids importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Union

    Axes = Union[int, Sequence[int]]
    PaddingLike = Union[int, str, Sequence[Union[int, Sequence[int]]]]

# --- values -----------------------------------------------------------------------------------
# Elsewhere cnncalc's values are frozen dataclasses. The quick calculators must answer within a few
# milliseconds of the interpreter's own start-up, and importing dataclasses alone costs more than
# that (it pulls in inspect), so their values are Records: immutable, comparable, hashable, with a
# readable repr and to_dict(), for classes that list their fields in __slots__ and assign them once
# in __init__ through Record._set. (In this module rather than its own: every module on the fast
# path costs start-up time.)

class Record:
    """Base class of an immutable value whose fields are its ``__slots__``."""

    __slots__ = ()

    def _set(self, **fields: object) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        """The field names in the order the class annotates them (its ``__slots__`` are sorted
        for the linter; the annotations are in reading order, as repr and JSON show them)."""
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            # Since Python 3.10 a class's __annotations__ are its own (never its base's); not
            # inspect.get_annotations, whose import would cost start-up time.
            own = getattr(klass, "__annotations__", {}) if klass is not object else {}
            names += [n for n in own if n not in names]
        return tuple(names)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.fields())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.fields())
        return f"{type(self).__name__}({inner})"

    def to_dict(self) -> dict[str, object]:
        """The fields as JSON-ready data (records become objects, tuples lists)."""
        return {name: jsonable(getattr(self, name)) for name in self.fields()}


def jsonable(value: object) -> object:
    """Records, tuples and exact fractions as JSON-ready values (a fraction as ``"1/3"``)."""
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if hasattr(value, "denominator") and not isinstance(value, (int, bool)):
        num, den = value.numerator, value.denominator  # type: ignore[attr-defined]
        return num if den == 1 else f"{num}/{den}"
    return value


AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
PADDING_WORDS = ("same", "same_tf", "valid", "full")


def axis_names(rank: int) -> tuple[str, ...]:
    return AXIS_NAMES.get(rank, tuple(f"axis{i}" for i in range(rank)))


def fmt_axes(values: "Sequence[object]") -> str:
    """``(3, 3)`` → ``3``; ``(3, 5)`` → ``3×5``."""
    if values and all(v == values[0] for v in values):
        return str(values[0])
    return "×".join(str(v) for v in values)


def fmt_shape(channels: int | None, spatial: "Sequence[int]") -> str:
    dims = ([channels] if channels is not None else []) + list(spatial)
    return "×".join(str(d) for d in dims)


def group_lines(rank: int, texts: "Sequence[str | None]", prefix: str = "") -> list[str]:
    """One line per distinct text, labelled with the axes it holds for (``out H, W: ...``)."""
    names = axis_names(rank)
    grouped: dict[str, list[str]] = {}
    for axis, text in enumerate(texts):
        if text is not None:
            grouped.setdefault(text, []).append(names[axis])
    head = f"{prefix} " if prefix else ""
    return [f"{head}{', '.join(axes)}: {text}" for text, axes in grouped.items()]


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


def per_axis(name: str, value: object, rank: int) -> tuple[int, ...]:
    """``value`` on every axis: an int everywhere, a one-value sequence everywhere, or exactly
    one value per axis."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(values) == 1:
        values = values * rank
    if len(values) != rank:
        raise ShapeError(f"{name} has {len(values)} values for {rank} spatial axes")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ShapeError(f"{name} must be whole numbers, got {v!r}")
    return values


def _optional_count(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ShapeError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


class AxisAnswer(Record):
    """One spatial axis of a calculator's answer.

    ``padding`` is ``(before, after)``; ``dropped`` counts the input pixels at the end that no
    window reaches (floor rounding); ``clean_sizes`` are the nearest smaller and larger input
    sizes that use every pixel (only when some are dropped); ``other`` is the output size the
    other rounding would give (pooling), when it differs; ``notes`` are further sentences.
    """

    __slots__ = ("axis", "clean_sizes", "dilation", "dropped", "formula", "kernel", "notes",
                 "other", "output", "output_padding", "padding", "size", "stride")
    axis: str
    size: int
    kernel: int
    stride: int
    padding: tuple[int, int]
    dilation: int
    output_padding: int
    output: int
    formula: str
    dropped: int
    clean_sizes: tuple[int, ...]
    other: int | None
    notes: tuple[str, ...]

    def __init__(self, axis: str, size: int, kernel: int, stride: int, padding: tuple[int, int],
                 dilation: int, output: int, formula: str, *, output_padding: int = 0,
                 dropped: int = 0, clean_sizes: tuple[int, ...] = (), other: int | None = None,
                 notes: tuple[str, ...] = ()) -> None:
        self._set(axis=axis, size=size, kernel=kernel, stride=stride, padding=padding,
                  dilation=dilation, output_padding=output_padding, output=output,
                  formula=formula, dropped=dropped, clean_sizes=clean_sizes, other=other,
                  notes=notes)


class WindowAnswer(Record):
    """The answer of :func:`conv`, :func:`conv_transpose` or :func:`pool`.

    ``kind`` is ``conv``, ``conv_transpose`` or ``pool`` (pooling shapes are the same for max
    and average pooling); ``input_size``/``output_size`` are per axis; ``params``, ``weights``,
    ``bias`` and ``macs`` (per sample) are ``None`` unless both channel counts are known.
    ``str(answer)`` is what the command line prints.
    """

    __slots__ = (
        "axes",
        "bias",
        "ceil_mode",
        "explanation",
        "groups",
        "in_channels",
        "input_size",
        "kind",
        "macs",
        "out_channels",
        "output_size",
        "params",
        "settings",
        "weights",
    )
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

    def __init__(self, kind: str, axes: tuple[AxisAnswer, ...], *, in_channels: int | None,
                 out_channels: int | None, groups: int = 1, ceil_mode: bool | str = False,
                 weights: int | None = None, bias: int | None = None, macs: int | None = None,
                 extra: tuple[str, ...] = ()) -> None:
        params = None if weights is None or bias is None else weights + bias
        settings = _settings(kind, axes, groups, ceil_mode)
        rank = len(axes)
        lines = group_lines(rank, [a.formula for a in axes], "out")
        lines += group_lines(rank, [_dropped_text(a) for a in axes], "dropped")
        lines += group_lines(rank, [_other_text(kind, a, ceil_mode) for a in axes])
        for index in range(max((len(a.notes) for a in axes), default=0)):
            lines += group_lines(rank, [a.notes[index] if index < len(a.notes) else None
                                        for a in axes])
        self._set(kind=kind, input_size=tuple(a.size for a in axes),
                  output_size=tuple(a.output for a in axes), axes=axes, in_channels=in_channels,
                  out_channels=out_channels, groups=groups, ceil_mode=ceil_mode,
                  weights=weights, bias=bias, params=params, macs=macs, settings=settings,
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
    parts = [f"kernel {fmt_axes([a.kernel for a in axes])}"]
    strides = [a.stride for a in axes]
    if kind.endswith("pool") or any(s != 1 for s in strides):
        parts.append(f"stride {fmt_axes(strides)}")
    pads = [a.padding for a in axes]
    if any(p != (0, 0) for p in pads):
        if all(b == a for b, a in pads):
            parts.append(f"padding {fmt_axes([b for b, _ in pads])}")
        else:
            parts.append(f"padding {fmt_axes([f'{b}+{a}' for b, a in pads])}")
    if any(a.output_padding for a in axes):
        parts.append(f"output_padding {fmt_axes([a.output_padding for a in axes])}")
    if any(a.dilation != 1 for a in axes):
        parts.append(f"dilation {fmt_axes([a.dilation for a in axes])}")
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


def _other_text(kind: str, a: AxisAnswer, ceil_mode: bool | str) -> str | None:
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


def resolve_padding(padding: "PaddingLike", size: tuple[int, ...], kernel: tuple[int, ...],
                    stride: tuple[int, ...], dilation: tuple[int, ...],
                    words: tuple[str, ...] = PADDING_WORDS) -> tuple[tuple[int, int], ...]:
    """Per-axis ``(before, after)`` padding from an int, a per-axis sequence (whose items may be
    ``(before, after)`` pairs) or a word: ``same`` (PyTorch, stride 1 only), ``same_tf``
    (TensorFlow 'SAME'), ``valid`` or ``full``."""
    rank = len(size)
    if isinstance(padding, str):
        word = padding.lower()
        if word not in words:
            allowed = ", ".join(words) if words else "only numbers"
            raise ShapeError(f"padding {padding!r} is not supported here ({allowed})")
        return arith.word_padding(word, size, kernel, stride, dilation)
    items = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,)
    if len(items) == 1:
        items = items * rank
    if len(items) != rank:
        raise ShapeError(f"padding has {len(items)} values for {rank} spatial axes")
    pairs: list[tuple[int, int]] = []
    for item in items:
        pair = tuple(item) if isinstance(item, (tuple, list)) else (item, item)
        if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in pair):
            raise ShapeError(f"padding must be whole numbers or (before, after) pairs, "
                             f"got {item!r}")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _check_groups(groups: int, *channels: int | None) -> None:
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ShapeError(f"groups must be a whole number of at least 1, got {groups!r}")
    for c in channels:
        if c is not None and c % groups:
            raise ShapeError(f"channels {c} are not divisible by groups {groups}")


def conv(size: "Axes", kernel: "Axes", stride: "Axes" = 1, padding: "PaddingLike" = 0,
         dilation: "Axes" = 1, *, in_channels: int | None = None, out_channels: int | None = None,
         groups: int = 1, bias: bool = True, rank: int | None = None) -> WindowAnswer:
    """One convolution (PyTorch ``ConvNd``): output size per axis with the formula, the pixels
    the stride drops, and — with both channel counts — parameters and MACs per sample.

    ``padding`` is an int, one per axis (an item may be a ``(before, after)`` pair), or
    ``"same"``, ``"same_tf"``, ``"valid"``, ``"full"``. Raises :class:`ShapeError` where PyTorch
    refuses the configuration.
    """
    r = infer_rank(size, kernel, stride, dilation,
                   padding if not isinstance(padding, str) else 0, rank=rank)
    i, k, s, d = (per_axis(n, v, r) for n, v in (("size", size), ("kernel", kernel),
                                                  ("stride", stride), ("dilation", dilation)))
    pads = resolve_padding(padding, i, k, s, d)
    cin = _optional_count("in_channels", in_channels)
    cout = _optional_count("out_channels", out_channels)
    _check_groups(groups, cin, cout)
    names = axis_names(r)
    axes = []
    for a in range(r):
        pb, pa = pads[a]
        o = arith.conv_out(i[a], k[a], s[a], pb, pa, d[a])
        dropped = arith.dropped_inputs(i[a], k[a], s[a], pb, pa, d[a])
        axes.append(AxisAnswer(
            names[a], i[a], k[a], s[a], (pb, pa), d[a], o,
            arith.conv_out_formula(i[a], k[a], s[a], pb, pa, d[a]), dropped=dropped,
            clean_sizes=_clean_sizes(i[a], k[a], s[a], pb, pa, d[a]) if dropped else ()))
    out = tuple(a.output for a in axes)
    weights = bias_count = macs = None
    extra: tuple[str, ...] = ()
    if cin is not None and cout is not None:
        weights = arith.conv_weights(cout, cin, groups, k)
        bias_count = cout if bias else 0
        macs = arith.conv_macs(cout, out, cin, groups, k)
        extra = (arith.conv_params_formula(cout, cin, groups, k, bias),
                 arith.conv_macs_formula(cout, out, cin, groups, k))
    return WindowAnswer("conv", tuple(axes), in_channels=cin, out_channels=cout, groups=groups,
                        weights=weights, bias=bias_count, macs=macs, extra=extra)


def conv_transpose(size: "Axes", kernel: "Axes", stride: "Axes" = 1, padding: "PaddingLike" = 0,
                   output_padding: "Axes" = 0, dilation: "Axes" = 1, *,
                   in_channels: int | None = None, out_channels: int | None = None,
                   groups: int = 1, bias: bool = True, rank: int | None = None) -> WindowAnswer:
    """One transposed convolution (PyTorch ``ConvTransposeNd``): output size per axis with the
    formula, the sizes the other allowed ``output_padding`` values give, the convolution that
    maps the result back, and parameters and input-based MACs with both channel counts."""
    r = infer_rank(size, kernel, stride, output_padding, dilation,
                   padding if not isinstance(padding, str) else 0, rank=rank)
    i, k, s, op, d = (per_axis(n, v, r) for n, v in (
        ("size", size), ("kernel", kernel), ("stride", stride),
        ("output_padding", output_padding), ("dilation", dilation)))
    pads = resolve_padding(padding, i, k, s, d, words=())
    cin = _optional_count("in_channels", in_channels)
    cout = _optional_count("out_channels", out_channels)
    _check_groups(groups, cin, cout)
    names = axis_names(r)
    axes = []
    for a in range(r):
        pb, pa = pads[a]
        o = arith.conv_transpose_out(i[a], k[a], s[a], pb, pa, op[a], d[a])
        notes = _transpose_notes(i[a], k[a], s[a], pb, pa, op[a], d[a], o)
        axes.append(AxisAnswer(
            names[a], i[a], k[a], s[a], (pb, pa), d[a], o,
            arith.conv_transpose_out_formula(i[a], k[a], s[a], pb, pa, op[a], d[a]),
            output_padding=op[a], notes=notes))
    weights = bias_count = macs = None
    extra: tuple[str, ...] = ()
    if cin is not None and cout is not None:
        weights = arith.conv_transpose_weights(cin, cout, groups, k)
        bias_count = cout if bias else 0
        macs = arith.conv_transpose_macs(cin, i, cout, groups, k)
        extra = (arith.conv_transpose_params_formula(cin, cout, groups, k, bias),
                 arith.conv_transpose_macs_formula(cin, i, cout, groups, k))
    return WindowAnswer("conv_transpose", tuple(axes), in_channels=cin, out_channels=cout,
                        groups=groups, weights=weights, bias=bias_count, macs=macs, extra=extra)


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


def pool(size: "Axes", kernel: "Axes", stride: "Axes | None" = None, padding: "PaddingLike" = 0,
         dilation: "Axes" = 1, *, ceil_mode: bool | str = False, channels: int | None = None,
         rank: int | None = None) -> WindowAnswer:
    """Max or average pooling (PyTorch ``MaxPoolNd``/``AvgPoolNd``; the stride defaults to the
    kernel): output size per axis with the formula, the size the other rounding gives, and the
    pixels the stride drops. ``ceil_mode`` is ``False``, ``True`` or ``"caffe"`` (Caffe's rule:
    the last-window correction only with padding). Pools have no parameters and count 0 MACs.
    (PyTorch's 3-D average pooling also refuses an unpadded input smaller than the kernel:
    :func:`cnncalc.model.arith.avg_pool3d_check`; max pooling does not.)"""
    if ceil_mode not in (False, True, "caffe"):
        raise ShapeError(f"ceil_mode must be False, True or 'caffe', got {ceil_mode!r}")
    r = infer_rank(size, kernel, stride, dilation,
                   padding if not isinstance(padding, str) else 0, rank=rank)
    i, k, d = (per_axis(n, v, r) for n, v in (("size", size), ("kernel", kernel),
                                               ("dilation", dilation)))
    s = k if stride is None else per_axis("stride", stride, r)
    pads = resolve_padding(padding, i, k, s, d, words=("valid", "same_tf"))
    c = _optional_count("channels", channels)
    ceil = bool(ceil_mode)
    rounding = "caffe" if ceil_mode == "caffe" else "pytorch"
    names = axis_names(r)
    axes = []
    for a in range(r):
        pb, pa = pads[a]
        args = (i[a], k[a], s[a], pb, pa, d[a])
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
            names[a], i[a], k[a], s[a], (pb, pa), d[a], o,
            arith.pool_out_formula(*args, ceil_mode=ceil, rounding=rounding), dropped=dropped,
            clean_sizes=_clean_sizes(*args) if dropped else (), other=other))
    return WindowAnswer("pool", tuple(axes), in_channels=c, out_channels=c,
                        ceil_mode=ceil_mode, weights=0, bias=0, macs=0)
