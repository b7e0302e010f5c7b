"""A quick stack of windows — ``cnncalc chain 224 "conv k7 s2 p3; maxpool k3 s2 p1"`` — with
the output size, receptive field and jump after each step (and parameters and MACs when the
channels are known).

A step is a kind followed by its settings; steps are separated by ``;`` (or ``,``)::

    conv k7 s2 p3 d1 c64 g1     kernel, stride, padding, dilation, out channels, groups
    deconv k4 s2 p1 op1 c32     transposed convolution; op is output_padding
    maxpool k3 s2 p1 ceil       also avgpool (pool = maxpool); the stride defaults to k
    conv k3 p1 x3               x3 repeats the step three times

Values may be per axis (``k1x7``) and written ``k=7`` or ``kernel=7``; padding may be a word
(``p=same``, ``p=same_tf``, ``valid``, ``full``). Receptive fields come from
:mod:`cnncalc.model.rf`, the model the spec walk uses: Araujo, Norris & Sim's recurrences (Distill
2019) for windows, ``r ← r + (k_eff − 1)·j`` and ``j ← j·s``, and exact per-unit fields after a
transposed convolution (the largest field, and the jump as an exact average such as 1/2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

from cnncalc.model.arith import PADDING_WORDS, effective_kernel
from cnncalc.model.errors import CnncalcError, ShapeError, suggest
from cnncalc.model.quantity import QuantityError, parse_sizes
from cnncalc.model.rf import AxisMap, Exact, ReceptiveField
from cnncalc.quick import calc
from cnncalc.quick.calc import Answer


class StepSyntaxError(CnncalcError, ValueError):
    """A step that cannot be read (``conv k``); on the command line this is misuse (exit 2)."""


KINDS = {
    "conv": "conv", "convolution": "conv",
    "deconv": "conv_transpose", "conv_transpose": "conv_transpose",
    "convtranspose": "conv_transpose", "tconv": "conv_transpose", "upconv": "conv_transpose",
    "maxpool": "maxpool", "pool": "maxpool", "max": "maxpool", "max_pool": "maxpool",
    "avgpool": "avgpool", "avg": "avgpool", "avg_pool": "avgpool",
}

# Short and long spellings of each setting; the short ones may be glued to the value (k7).
SETTINGS = {
    "k": "kernel", "kernel": "kernel", "kernel_size": "kernel",
    "s": "stride", "stride": "stride",
    "p": "padding", "padding": "padding", "pad": "padding",
    "d": "dilation", "dilation": "dilation",
    "op": "output_padding", "output_padding": "output_padding",
    "c": "out", "out": "out", "out_channels": "out", "filters": "out",
    "g": "groups", "groups": "groups",
    "x": "repeat", "*": "repeat", "×": "repeat", "repeat": "repeat",
}
SHORT = ("op", "k", "s", "p", "d", "c", "g", "x", "*", "×")
FLAGS = {"ceil": ("ceil_mode", True), "caffe": ("ceil_mode", "caffe"),
         "nobias": ("bias", False), "no_bias": ("bias", False)}


@dataclass(frozen=True, slots=True)
class Step(Answer):
    """One parsed step: ``kind`` is ``conv``, ``conv_transpose``, ``maxpool`` or ``avgpool``;
    per-axis values are tuples (one value means every axis); ``stride`` is ``None`` for a pool
    that takes its kernel size."""

    text: str
    kind: str
    kernel: tuple[int, ...]
    _: KW_ONLY
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] | str = (0,)
    dilation: tuple[int, ...] = (1,)
    output_padding: tuple[int, ...] = (0,)
    out: int | None = None
    groups: int = 1
    bias: bool = True
    ceil_mode: bool | str = False
    repeat: int = 1

    @property
    def is_pool(self) -> bool:
        return self.kind.endswith("pool")


def _numbers(text: str, what: str, low: int, step: str) -> tuple[int, ...]:
    """A step's value (``7``, ``3x5``), read as every size is (:func:`parse_sizes`)."""
    try:
        return parse_sizes(text, minimum=low)
    except QuantityError as exc:
        raise StepSyntaxError(f"in step {step!r}: {what}: {exc}") from None


def parse_step(text: str) -> Step:
    """Read one step such as ``conv k7 s2 p3`` (see the module docstring)."""
    words = text.split()
    if not words:
        raise StepSyntaxError("an empty step (two separators in a row?)")
    kind = KINDS.get(words[0].lower())
    if kind is None:
        close = suggest(words[0].lower(), KINDS)
        hint = f"; did you mean {close!r}?" if close else ""
        raise StepSyntaxError(f"unknown step kind {words[0]!r}{hint} (known: conv, deconv, "
                              f"maxpool, avgpool)")
    found: dict[str, object] = {}
    label: list[str] = [words[0]]
    for word in words[1:]:
        lowered = word.lower()
        if lowered in FLAGS:
            key, value = FLAGS[lowered]
            found[key] = value
            label.append(word)
            continue
        if lowered in PADDING_WORDS:
            found["padding"] = lowered
            label.append(word)
            continue
        name, eq, value_text = lowered.partition("=")
        if not eq:
            prefix = next((p for p in SHORT if lowered.startswith(p) and len(lowered) > len(p)),
                          None)
            if prefix is None:
                raise StepSyntaxError(f"in step {text!r}: cannot read {word!r} (write k7, s2, p3, "
                                      f"d2, op1, c64, g2, ceil or x3)")
            name, value_text = str(prefix), lowered[len(prefix):]
        setting = SETTINGS.get(name)
        if setting is None:
            raise StepSyntaxError(f"in step {text!r}: unknown setting {name!r} (kernel, stride, "
                                  f"padding, dilation, op, c, groups, x)")
        key = setting
        if key in found:
            raise StepSyntaxError(f"in step {text!r}: {key} is given twice")
        if key == "padding" and value_text.replace("-", "_") in PADDING_WORDS:
            found[key] = value_text.replace("-", "_")
        elif key in ("kernel", "stride", "dilation"):
            found[key] = _numbers(value_text, key, 1, text)
        elif key in ("padding", "output_padding"):
            found[key] = _numbers(value_text, key, 0, text)
        else:
            number = _numbers(value_text, key, 1, text)
            if len(number) != 1:
                raise StepSyntaxError(f"in step {text!r}: {key} is one number, got {value_text}")
            found[key] = number[0]
        if key != "repeat":
            label.append(word)
    if "kernel" not in found:
        raise StepSyntaxError(f"in step {text!r}: give the kernel size, e.g. {words[0]} k3")
    if kind != "conv_transpose" and "output_padding" in found:
        raise StepSyntaxError(f"in step {text!r}: output_padding is for deconv steps")
    if kind.endswith("pool") and ("out" in found or "groups" in found or "bias" in found):
        raise StepSyntaxError(f"in step {text!r}: a pool keeps its channels (no c, g or nobias)")
    if kind == "avgpool" and "dilation" in found:
        raise StepSyntaxError(f"in step {text!r}: average pooling has no dilation (PyTorch)")
    if not kind.endswith("pool") and "ceil_mode" in found:
        raise StepSyntaxError(f"in step {text!r}: ceil is for pooling steps")
    if kind == "conv_transpose" and isinstance(found.get("padding"), str):
        raise StepSyntaxError(f"in step {text!r}: a deconv's padding is a number")
    return Step(" ".join(label), kind, found.pop("kernel"),  # type: ignore[arg-type]
                **found)  # type: ignore[arg-type]


MAX_STEPS = 10_000
"""The most steps (repeats counted) one chain runs: a quick stack, not a network (write a spec
for that); ``x1000000000`` must not make the command hang."""


def parse_steps(steps: str | Sequence[str]) -> tuple[Step, ...]:
    """Steps from one string (``"conv k7 s2 p3; maxpool k3 s2"``) or several."""
    texts = [steps] if isinstance(steps, str) else list(steps)
    parsed: list[Step] = []
    for text in texts:
        for part in text.replace(",", ";").replace("\n", ";").split(";"):
            if part.strip():
                parsed.append(parse_step(part))
    if not parsed:
        raise StepSyntaxError("no steps given (e.g. \"conv k3 p1; maxpool k2\")")
    _check_length(parsed)
    return tuple(parsed)


def _check_length(steps: Sequence[Step]) -> None:
    total = sum(st.repeat for st in steps)
    if total > MAX_STEPS:
        raise StepSyntaxError(f"the chain has {total:,} steps with its repeats; at most "
                              f"{MAX_STEPS:,} (write a spec and use `cnncalc summary` for a "
                              f"whole network)")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainRow(Answer):
    """The state after one step (index 0 is the input): spatial size, channels (when known),
    receptive field ``rf`` and ``jump`` per axis (exact: an ``int`` or a ``Fraction`` after a
    transposed convolution), dropped input pixels, and the step's parameters and MACs."""

    index: int
    label: str
    step: Step | None
    size: tuple[int, ...]
    channels: int | None
    rf: tuple[Exact, ...]
    jump: tuple[Exact, ...]
    dropped: tuple[int, ...]
    params: int | None
    macs: int | None
    answer: calc.WindowAnswer | None


@dataclass(frozen=True, slots=True)
class ChainAnswer(Answer):
    """Every row of a chain, the input first; ``params``/``macs`` total the steps when every
    step's channels are known (else ``None``). Built by :meth:`of`."""

    input_size: tuple[int, ...]
    in_channels: int | None
    rows: tuple[ChainRow, ...]
    params: int | None
    macs: int | None

    @classmethod
    def of(cls, input_size: tuple[int, ...], in_channels: int | None,
           rows: tuple[ChainRow, ...]) -> ChainAnswer:
        steps = rows[1:]
        known = all(r.params is not None for r in steps)
        return cls(input_size, in_channels, rows,
                   params=sum(r.params or 0 for r in steps) if known else None,
                   macs=sum(r.macs or 0 for r in steps) if known else None)

    @property
    def output(self) -> ChainRow:
        return self.rows[-1]


def chain(size: calc.Axes, steps: str | Sequence[str] | Sequence[Step], *,
          in_channels: int | None = None, rank: int | None = None) -> ChainAnswer:
    """Apply ``steps`` (text, or parsed :class:`Step` values) to an input of ``size`` and return
    the size, receptive field and jump after each. Raises :class:`StepSyntaxError` for a step
    that cannot be read and :class:`ShapeError` (naming the step) where PyTorch would refuse."""
    if isinstance(steps, str) or (steps and isinstance(steps[0], str)):
        parsed = parse_steps(steps)  # type: ignore[arg-type]
    else:
        parsed = tuple(steps)  # type: ignore[arg-type]
        _check_length(parsed)
    per_axis_values: list[object] = []
    for st in parsed:
        per_axis_values += [st.kernel, st.dilation, st.output_padding]
        if st.stride is not None:
            per_axis_values.append(st.stride)
        if not isinstance(st.padding, str):
            per_axis_values.append(st.padding)
    r = calc.infer_rank(size, *per_axis_values, rank=rank)
    current = calc.per_axis("size", size, r)
    channels = in_channels
    # Receptive fields with the walker's own exact model (cnncalc.model.rf), so that chain and
    # `summary --rf` cannot disagree.
    field: ReceptiveField | None = ReceptiveField.of_input(r)
    rf: tuple[Exact, ...] = (1,) * r
    jump: tuple[Exact, ...] = (1,) * r
    rows = [ChainRow(index=0, label="input", step=None, size=current, channels=channels, rf=rf,
                     jump=jump, dropped=(0,) * r, params=None, macs=None, answer=None)]
    for st in parsed:
        for rep in range(st.repeat):
            label = st.text if st.repeat == 1 else f"{st.text} [{rep + 1}/{st.repeat}]"
            try:
                answer = _apply(st, current, channels, r)
            except ShapeError as exc:
                shown = calc.fmt_shape(channels, current)
                raise ShapeError(f"step {len(rows)} ({label}) on {shown}: {exc}") from None
            kernels = calc.per_axis("kernel", st.kernel, r)
            dilations = calc.per_axis("dilation", st.dilation, r)
            if st.kind == "conv_transpose":
                maps = tuple(AxisMap.transposed(k, a.stride, a.padding[0], d)
                             for k, d, a in zip(kernels, dilations, answer.axes))
            else:
                maps = tuple(AxisMap.window(effective_kernel(k, d), a.stride, a.padding[0], d)
                             for k, d, a in zip(kernels, dilations, answer.axes))
            field = field.through(maps) if field is not None else None
            if field is not None:
                rf, jump = field.size, field.jump
            current = answer.output_size
            channels = answer.out_channels
            rows.append(ChainRow(index=len(rows), label=label, step=st, size=current,
                                 channels=channels, rf=rf, jump=jump, dropped=answer.dropped,
                                 params=answer.params, macs=answer.macs, answer=answer))
    return ChainAnswer.of(rows[0].size, in_channels, tuple(rows))


def _apply(st: Step, size: tuple[int, ...], channels: int | None,
           r: int) -> calc.WindowAnswer:
    if st.kind == "conv":
        return calc.conv(size, st.kernel, st.stride or 1, st.padding, st.dilation,
                         in_channels=channels, out_channels=st.out, groups=st.groups,
                         bias=st.bias, rank=r)
    if st.kind == "conv_transpose":
        assert not isinstance(st.padding, str)
        return calc.conv_transpose(size, st.kernel, st.stride or 1, st.padding,
                                   st.output_padding, st.dilation,
                                   in_channels=channels, out_channels=st.out,
                                   groups=st.groups, bias=st.bias, rank=r)
    return calc.pool(size, st.kernel, st.stride, st.padding, st.dilation,
                     ceil_mode=st.ceil_mode, channels=channels, rank=r)
