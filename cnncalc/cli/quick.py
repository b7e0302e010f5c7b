"""The quick calculators: ``cnncalc conv|deconv|pool|chain|solve|pad ...`` (docs/quick-answers.md).

Each is a click command like every other; its values are read by the parsers of
:mod:`cnncalc.model.quantity` (sizes such as ``224`` or ``3x5``, ranges such as ``1:4``), its
answer comes from :mod:`cnncalc.quick` and is printed as plain text or JSON. Misuse is exit 2
(click's usage errors), a configuration PyTorch refuses exit 1 (through :func:`cnncalc.cli.run`),
and ``solve`` without an answer exits 1 after printing why.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from cnncalc.cli.common import SIZE, Sizes
from cnncalc.model.arith import PADDING_WORDS
from cnncalc.model.quantity import QuantityError, parse_range
from cnncalc.quick import calc
from cnncalc.quick import chain as chain_mod
from cnncalc.quick import solve as solve_mod
from cnncalc.quick.calc import WindowAnswer, fmt_axes, fmt_shape, jsonable
from cnncalc.quick.chain import ChainAnswer
from cnncalc.quick.solve import AxisPadding, PaddingAnswer, Solutions

F = TypeVar("F", bound=Callable[..., Any])

WIDTH = 100
MAX_SOLUTIONS = 100
SETTINGS = {"max_content_width": WIDTH, "help_option_names": ["-h", "--help"]}
MAX_AXES = 3


# --- value types: the command line's text → what the calculators take ---------------------------

SIZES, NON_NEGATIVE = Sizes(1, MAX_AXES), Sizes(0, MAX_AXES)


class Padding(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4
    """``1``, ``0x3``, or a word: ``same`` (PyTorch, stride 1), ``same_tf`` (TensorFlow 'SAME'),
    ``valid`` (0) and ``full`` (``d·(k−1)``)."""

    name = "padding"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[int, ...] | str:
        if isinstance(value, tuple):
            return value
        word = value.strip().lower().replace("-", "_")
        if word in PADDING_WORDS:
            return str(word)
        if word == "tf_same":
            return "same_tf"
        try:
            return NON_NEGATIVE.convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"expected a number, one per axis (0x3), or one of "
                      f"{', '.join(PADDING_WORDS)}; got {value!r}", param, ctx)


class Range(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4
    """``3`` (just 3) or ``1:4`` (1, 2, 3 and 4: both ends included), as ``solve`` searches."""

    name = "range"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> range:
        if isinstance(value, range):
            return value
        try:
            values = parse_range(value, minimum=0)
        except QuantityError as exc:
            self.fail(str(exc), param, ctx)
        if values.step != 1:
            self.fail(f"solve searches every value of a range; give no step, got {value!r}",
                      param, ctx)
        return values


SIZE_HELP = ("input size: one number (a square image, or see --rank) or one per axis, "
             "like 224x224 or 16x112x112")


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Apply several option decorators at once, in the order they are listed (as --help shows)."""
    def apply(f: F) -> F:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f
    return apply


KERNEL = click.option("-k", "--kernel", type=SIZES, required=True, metavar="K",
                      help="Kernel size: 7, or one per axis like 3x5.")
STRIDE = click.option("-s", "--stride", type=SIZES, default="1", show_default=True,
                      metavar="S", help="Stride: 2, or one per axis like 1x2.")
DILATION = click.option("-d", "--dilation", type=SIZES, default="1", show_default=True,
                        metavar="D", help="Dilation: the kernel spans d·(k−1)+1 pixels.")
GROUPS = click.option("-g", "--groups", type=SIZE, default="1", show_default=True,
                      metavar="G", help="Channel groups (groups = channels is depthwise).")
NO_BIAS = click.option("--no-bias", is_flag=True, help="No bias (as before a batch norm).")
IN_CHANNELS = click.option("-c", "--in-channels", type=SIZE, metavar="C",
                           help="Input channels (with --out-channels: parameters and MACs).")
OUT_CHANNELS = click.option("-o", "--out-channels", type=SIZE, metavar="C",
                            help="Output channels (filters).")
RANK = click.option("--rank", type=click.IntRange(1, MAX_AXES), metavar="N",
                    help="Spatial axes when every size is one number: 1, 2 (the default) or 3.")
FORMAT = click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
                      show_default=True, help="text for people, json for programs.")
CHANNELS = options(IN_CHANNELS, OUT_CHANNELS, GROUPS, NO_BIAS, RANK, FORMAT)


# --- shared helpers -----------------------------------------------------------------------------

def rank_of(named: dict[str, object], chosen: int | None) -> int | None:
    """The number of spatial axes: ``--rank``, else None when a per-axis value fixes it, else 2
    (a bare number is a square image). Per-axis values of different lengths are misuse."""
    lengths = {key: len(v) for key, v in named.items() if isinstance(v, tuple) and len(v) > 1}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{key} has {n}" for key, n in lengths.items())
        raise click.UsageError(f"per-axis values disagree on the number of axes ({listing})")
    if chosen is not None:
        for key, n in lengths.items():
            if n != chosen:
                raise click.UsageError(f"--rank {chosen} but {key} has {n} values")
        return chosen
    return None if lengths else 2


def show(lines: Sequence[str]) -> None:
    """Print lines, each broken at spaces to the width, continued with a six-space indent."""
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(line, WIDTH, subsequent_indent="      ", break_long_words=False,
                             break_on_hyphens=False) or [line]
    click.echo("\n".join(out))


def show_json(command: str, data: dict[str, object]) -> None:
    out = jsonable({"schema_version": 1, "command": command, **data})
    click.echo(json.dumps(out, indent=2, ensure_ascii=False))


def _n(value: int) -> str:
    return f"{value:,}"


def show_window(command: str, ans: WindowAnswer, fmt: str, counts_hint: bool) -> None:
    if fmt == "json":
        show_json(command, {**ans.to_dict(), "flops": ans.flops})
        return
    lines = [ans.headline(), *(f"  {line}" for line in ans.lines())]
    if counts_hint:
        lines.append("  (give both --in-channels and --out-channels for parameters and MACs)")
    show(lines)


# --- conv, deconv, pool -------------------------------------------------------------------------

@click.command(context_settings=SETTINGS,
               short_help="Output size of one convolution, with the formula.")
@click.argument("size", type=SIZES, metavar="SIZE")
@KERNEL
@STRIDE
@click.option("-p", "--padding", type=Padding(), default="0", show_default=True, metavar="P",
              help="Padding per side: 3, one per axis like 0x3, or same (stride 1), same_tf "
                   "(TensorFlow 'SAME'), valid, full.")
@DILATION
@CHANNELS
def conv(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
         padding: tuple[int, ...] | str, dilation: tuple[int, ...], in_channels: int | None,
         out_channels: int | None, groups: int, no_bias: bool, rank: int | None,
         fmt: str) -> None:
    """Output size of one convolution (PyTorch's rule), with the numbers substituted into the
    formula, how many input pixels the stride drops, and parameters and MACs when the channels
    are given.

    \b
    Examples:
      cnncalc conv 224 -k 7 -s 2 -p 3
          224×224 → 112×112; ⌊(224 + 2·3 − 1·(7−1) − 1)/2⌋ + 1 = 112
      cnncalc conv 227 -k 11 -s 4 -c 3 -o 96
          AlexNet conv1: 55×55, 34,944 parameters, 105,415,200 MACs
      cnncalc conv 10 -k 3 -s 2
          4×4, and the stride drops 1 input pixel per axis
      cnncalc conv 32x64 -k 3x5 -p 1x2 -d 2
      cnncalc conv 224 -k 3 -s 2 -p same_tf --format json
    """
    r = rank_of({"size": size, "kernel": kernel, "stride": stride, "padding": padding,
                 "dilation": dilation}, rank)
    ans = calc.conv(size, kernel, stride, padding, dilation, in_channels=in_channels,
                    out_channels=out_channels, groups=groups, bias=not no_bias, rank=r)
    show_window("conv", ans, fmt, (in_channels is None) != (out_channels is None))


@click.command(context_settings=SETTINGS,
               short_help="Output size of one transposed convolution.")
@click.argument("size", type=SIZES, metavar="SIZE")
@KERNEL
@STRIDE
@click.option("-p", "--padding", type=NON_NEGATIVE, default="0", show_default=True, metavar="P",
              help="Padding removed from each side of the output: 1, or one per axis.")
@click.option("--output-padding", "--op", "output_padding", type=NON_NEGATIVE, default="0",
              show_default=True, metavar="OP",
              help="Extra size on one side of the output (smaller than the stride or dilation).")
@DILATION
@CHANNELS
def deconv(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
           padding: tuple[int, ...], output_padding: tuple[int, ...], dilation: tuple[int, ...],
           in_channels: int | None, out_channels: int | None, groups: int, no_bias: bool,
           rank: int | None, fmt: str) -> None:
    """Output size of one transposed convolution (PyTorch's ConvTranspose rule), with the
    formula, the sizes other output_padding values give, and the convolution that maps the
    result back.

    \b
    Examples:
      cnncalc deconv 7 -k 4 -s 2 -p 1
          7×7 → 14×14; (7−1)·2 − 2·1 + 1·(4−1) + 0 + 1 = 14
      cnncalc deconv 3 -k 3 -s 2 -p 1 --output-padding 1
          6×6 (without output_padding: 5)
      cnncalc deconv 28 -k 2 -s 2 -c 128 -o 64
          U-Net up-convolution: 56×56, 32,832 parameters, input-based MACs
    """
    r = rank_of({"size": size, "kernel": kernel, "stride": stride, "padding": padding,
                 "output_padding": output_padding, "dilation": dilation}, rank)
    ans = calc.conv_transpose(size, kernel, stride, padding, output_padding, dilation,
                              in_channels=in_channels, out_channels=out_channels, groups=groups,
                              bias=not no_bias, rank=r)
    show_window("deconv", ans, fmt, (in_channels is None) != (out_channels is None))


@click.command(context_settings=SETTINGS,
               short_help="Output size of one pooling window (floor or --ceil).")
@click.argument("size", type=SIZES, metavar="SIZE")
@click.option("-k", "--kernel", type=SIZES, required=True, metavar="K",
              help="Window size: 3, or one per axis like 3x2.")
@click.option("-s", "--stride", type=SIZES, metavar="S",
              help="Stride (default: the kernel size).")
@click.option("-p", "--padding", type=NON_NEGATIVE, default="0", show_default=True, metavar="P",
              help="Padding per side, at most half the kernel.")
@DILATION
@click.option("--ceil", is_flag=True, help="Round up (PyTorch ceil_mode=True).")
@click.option("--caffe", is_flag=True,
              help="Round up as Caffe does (its last-window rule only applies with padding).")
@click.option("-c", "--channels", type=SIZE, metavar="C",
              help="Channels, to show the whole output shape.")
@RANK
@FORMAT
def pool(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...] | None,
         padding: tuple[int, ...], dilation: tuple[int, ...], ceil: bool, caffe: bool,
         channels: int | None, rank: int | None, fmt: str) -> None:
    """Output size of max or average pooling (PyTorch's rule: the stride defaults to the kernel
    size, padding at most half the kernel), with the formula, the size the other rounding would
    give, and how many input pixels the stride drops.

    \b
    Examples:
      cnncalc pool 112 -k 3 -s 2
          55×55 (floor), and --ceil would give 56
      cnncalc pool 112 -k 3 -s 2 --ceil
          GoogLeNet's 56×56
      cnncalc pool 8x10 -k 3 -s 4 --ceil
          2×3: PyTorch drops a last window that would start in the padding
      cnncalc pool 55 -k 3 -s 2 --caffe
    """
    r = rank_of({"size": size, "kernel": kernel, "stride": stride, "padding": padding,
                 "dilation": dilation}, rank)
    ans = calc.pool(size, kernel, stride, padding, dilation,
                    ceil_mode="caffe" if caffe else ceil, channels=channels, rank=r)
    show_window("pool", ans, fmt, False)


# --- chain --------------------------------------------------------------------------------------

@click.command(context_settings=SETTINGS,
               short_help="Size, receptive field and jump after each step.")
@click.argument("size", type=SIZES, metavar="SIZE")
@click.argument("steps", nargs=-1, required=True, metavar="STEPS...")
@click.option("-c", "--in-channels", type=SIZE, metavar="C",
              help="Input channels (with c<N> on conv steps: parameters and MACs).")
@click.option("--explain", is_flag=True, help="Show each step's formulas.")
@RANK
@FORMAT
def chain(size: tuple[int, ...], steps: tuple[str, ...], in_channels: int | None, explain: bool,
          rank: int | None, fmt: str) -> None:
    """Output size, receptive field (RF) and jump (distance between neighbouring outputs, in
    input pixels) after each step of a quick stack, with parameters and MACs when channels are
    known.

    \b
    A step is a kind and its settings, steps separated by ';' (or given as separate words):
      conv k7 s2 p3 d1 c64 g1      kernel, stride, padding, dilation, out channels, groups
      deconv k4 s2 p1 op0 c32      transposed convolution; op is output_padding
      maxpool k3 s2 p1 ceil        also avgpool (pool = maxpool); the stride defaults to k
      x3 repeats a step            (conv k3 p1 x3: three 3×3 convolutions)
    Values can be per axis (k1x7) and padding a word (p=same, p=same_tf).

    \b
    Examples:
      cnncalc chain 224 "conv k7 s2 p3; maxpool k3 s2 p1; conv k3 p1"
          112 → 56 → 56; RF 7 → 11 → 19; jump 2 → 4 → 4
      cnncalc chain 32 "conv k3 x3"
          three stacked 3×3 convolutions see 7×7
      cnncalc chain 224 -c 3 "conv k3 p1 c64 x2; maxpool k2" --explain
    """
    try:
        parsed = chain_mod.parse_steps(steps)
    except chain_mod.StepSyntaxError as exc:
        raise click.BadParameter(str(exc), param_hint="'STEPS...'") from None
    named: dict[str, object] = {"size": size}
    for index, step in enumerate(parsed, start=1):
        for setting in ("kernel", "stride", "padding", "dilation", "output_padding"):
            named[f"step {index} {setting}"] = getattr(step, setting)
    ans = chain_mod.chain(size, parsed, in_channels=in_channels, rank=rank_of(named, rank))
    if fmt == "json":
        show_json("chain", chain_dict(ans))
    else:
        show(chain_lines(ans, explain))


def chain_dict(ans: ChainAnswer) -> dict[str, object]:
    rows = []
    for row in ans.rows:
        rows.append({"index": row.index, "step": row.label, "size": row.size,
                     "channels": row.channels, "rf": row.rf, "jump": row.jump,
                     "dropped_inputs": row.dropped, "params": row.params, "macs": row.macs,
                     "explain": row.answer.lines() if row.answer else []})
    return {"input_size": ans.input_size, "in_channels": ans.in_channels, "rows": rows,
            "params": ans.params, "macs": ans.macs}


def _exact_text(value: object) -> str:
    if hasattr(value, "denominator") and not isinstance(value, int):
        return f"{value.numerator}/{value.denominator}"  # type: ignore[attr-defined]
    return str(value)


def _axes_text(values: Sequence[object]) -> str:
    return fmt_axes([_exact_text(v) for v in values])


def chain_lines(ans: ChainAnswer, explain: bool = False) -> list[str]:
    """The chain as a table: one row per step with output, RF and jump (and counts)."""
    counts = ans.in_channels is not None or any(
        row.params is not None for row in ans.rows[1:] if row.step and not row.step.is_pool)
    header = ["#", "step", "output", "RF", "jump"] + (["params", "MACs"] if counts else [])
    table = [header]
    for row in ans.rows:
        cells = [str(row.index), row.label, fmt_shape(row.channels, row.size),
                 _axes_text(row.rf), _axes_text(row.jump)]
        if counts:
            cells += ["" if row.params is None or row.step is None else _n(row.params),
                      "" if row.macs is None or row.step is None else _n(row.macs)]
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    others = sum(w for i, w in enumerate(widths) if i != 1) + 2 * (len(widths) - 1)
    widths[1] = max(8, min(widths[1], WIDTH - others))
    numeric = {0, 3, 4, 5, 6}

    def line(cells: list[str]) -> str:
        parts = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            if len(cell) > w:
                cell = cell[:w - 1] + "…"
            parts.append(cell.rjust(w) if i in numeric else cell.ljust(w))
        return "  ".join(parts).rstrip()

    out = [line(header)]
    for row, cells in zip(ans.rows, table[1:]):
        out.append(line(cells))
        if explain and row.answer is not None:
            out += [f"      {text}" for text in row.answer.lines()]
    notes = []
    if ans.params is not None:
        notes.append(f"Total: {_n(ans.params)} parameters, {_n(ans.macs or 0)} MACs per sample")
    elif counts:
        notes.append("(parameters and MACs need --in-channels and every conv step's out "
                     "channels, like c64)")
    for row in ans.rows[1:]:
        if row.answer is not None and any(row.dropped):
            for text in row.answer.lines():
                if text.startswith("dropped "):
                    notes.append(f"step {row.index} ({row.label}) drops, on {text[8:]}")
    notes.append("RF: input pixels one output sees; jump: input pixels between neighbouring "
                 "outputs.")
    return [*out, "", *notes]


# --- solve --------------------------------------------------------------------------------------

@click.command(context_settings=SETTINGS,
               short_help="Every stride and padding giving the wanted size.")
@click.option("--in", "size_in", type=SIZE, required=True, metavar="I",
              help="Input size (one axis).")
@click.option("--out", "size_out", type=SIZE, required=True, metavar="O",
              help="Wanted output size.")
@click.option("-k", "--kernel", type=Range(), required=True, metavar="K",
              help="Kernel size, or a range like 3:7 to search.")
@click.option("-s", "--stride", type=Range(), metavar="S",
              help="Fix the stride, or search a range (default: every stride that matters).")
@click.option("-p", "--padding", type=Range(), metavar="P",
              help="Fix the padding, or search a range (default: 0 to d·(k−1)).")
@click.option("-d", "--dilation", type=Range(), default="1", show_default=True, metavar="D",
              help="Dilation, or a range like 1:3 to search.")
@click.option("--output-padding", "--op", "output_padding", type=Range(), metavar="OP",
              help="With --transpose: fix output_padding or search a range (default: all "
                   "allowed).")
@click.option("--transpose", is_flag=True, help="Solve for a transposed convolution.")
@click.option("--all", "show_all", is_flag=True,
              help="Print every answer (default: the first 100).")
@FORMAT
def solve(size_in: int, size_out: int, kernel: range, stride: range | None,
          padding: range | None, dilation: range, output_padding: range | None,
          transpose: bool, show_all: bool, fmt: str) -> None:
    """Every (stride, padding) — and dilation or kernel when given as a range — with which a
    convolution turns one input size into the output size you want; with --transpose every
    (stride, padding, output_padding) of a transposed convolution. Sizes are for one axis.

    \b
    Padding is searched from 0 to d·(k−1) (beyond that, windows would see nothing but padding)
    and the stride as far as it matters; narrow either with a number or a range such as 1:3
    (both ends included). Each answer says whether it uses every input pixel.

    \b
    Examples:
      cnncalc solve --in 227 --out 55 -k 11
          stride 4 with padding 0 (every pixel used) or 1 (drops the last pixel)
      cnncalc solve --in 224 --out 112 -k 3
      cnncalc solve --in 224 --out 112 -k 3:7 -d 1:2
      cnncalc solve --in 7 --out 14 --transpose -k 4
          stride 2, padding 1, output_padding 0
    """
    if output_padding is not None and not transpose:
        raise click.UsageError("--output-padding is only for --transpose")
    result = solve_mod.solve(size_in, size_out, kernel, stride, padding, dilation,
                             output_padding=output_padding, transpose=transpose)
    if fmt == "json":
        show_json("solve", result.to_dict())
    else:
        show(solve_lines(result, show_all, padding is None, stride is None, dilation))
    if not result.solutions:
        click.get_current_context().exit(1)  # like grep: no answer is a failure


def solve_lines(result: Solutions, show_all: bool, padding_searched: bool,
                stride_searched: bool, dilation: range) -> list[str]:
    kind = "conv_transpose" if result.transpose else "conv"
    k_lo, k_hi = result.kernel
    kernel = f"kernel {k_lo}" if k_lo == k_hi else f"kernel {k_lo} to {k_hi}"
    count = len(result.solutions)
    answers = "no answer" if not count else f"{count} answer{'' if count == 1 else 's'}"
    head = f"{kind} {result.size_in} → {result.size_out}, {kernel}: {answers}"
    columns: list[str] = [c for c in ("kernel", "dilation") if c in result.searched]
    columns += ["stride", "padding"] + (["output_padding"] if result.transpose else ["pixels"])
    rows = [columns]
    shown = result.solutions if show_all else result.solutions[:MAX_SOLUTIONS]
    for sol in shown:
        cells = []
        for col in columns:
            if col == "pixels":
                cells.append("all used" if not sol.dropped else
                             f"drops the last {sol.dropped}")
            elif col == "stride" and sol.stride_open:
                cells.append(f"≥ {sol.stride}")
            else:
                cells.append(str(getattr(sol, col)))
        rows.append(cells)
    lines = [head]
    if result.solutions:
        widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
        for r in rows:
            lines.append("  " + "  ".join(c.rjust(w) if col != "pixels" else c.ljust(w)
                                          for c, w, col in zip(r, widths, columns)).rstrip())
    if len(shown) < count:
        lines.append(f"  … and {count - len(shown)} more (--all prints every one)")
    if not count:
        lines += _no_solution_hints(result, padding_searched, dilation[-1])
    searched = []
    if padding_searched:
        searched.append("padding 0 to d·(k−1)")
    if stride_searched:
        searched.append("every stride that matters")
    if searched:
        lines.append(f"(searched {' and '.join(searched)}; -p and -s fix or narrow them)")
    return lines


def _no_solution_hints(result: Solutions, padding_searched: bool, d_hi: int) -> list[str]:
    """Why nothing fits, when the reason is simple: the output is out of reach."""
    i, o = result.size_in, result.size_out
    k_hi = result.kernel[1]
    k_eff = d_hi * (k_hi - 1) + 1
    if not result.transpose and padding_searched and o > i + k_eff - 1:
        return [f"  kernel ≤ {k_hi} gives at most {i + k_eff - 1} from {i} (stride 1, padding "
                f"{k_eff - 1}); to enlarge, try --transpose"]
    if result.transpose and o < i:
        return ["  a transposed convolution rarely shrinks its input: try without --transpose"]
    return ["  try a range of kernels (-k 1:7) or dilations (-d 1:3)"]


# --- pad ----------------------------------------------------------------------------------------

@click.command(context_settings=SETTINGS,
               short_help="The padding that keeps the size (and TensorFlow's).")
@click.option("-k", "--kernel", type=SIZES, required=True, metavar="K",
              help="Kernel size: 5, or one per axis like 1x7.")
@DILATION
@click.option("-s", "--stride", type=SIZES, default="1", show_default=True, metavar="S",
              help="Stride: above 1, TensorFlow 'SAME' padding for each input size.")
@click.option("--in", "size", type=SIZES, metavar="I",
              help="Input size, for TensorFlow's exact split (it depends on the size).")
@FORMAT
def pad(kernel: tuple[int, ...], dilation: tuple[int, ...], stride: tuple[int, ...],
        size: tuple[int, ...] | None, fmt: str) -> None:
    """The padding that keeps the size at stride 1 (PyTorch's padding=N or padding='same'), and
    for a larger stride TensorFlow's 'SAME' padding — output ⌈i/s⌉, the odd pixel after — with
    the symmetric PyTorch padding that gives the same size, if there is one.

    \b
    Examples:
      cnncalc pad -k 3
          padding 1
      cnncalc pad -k 5 -d 2
          the kernel spans 9 pixels: padding 4
      cnncalc pad -k 4
          odd total 3: PyTorch 'same' pads 1 before and 2 after
      cnncalc pad -k 7 -s 2 --in 224
          TensorFlow pads 2 before and 3 after for 112; PyTorch padding 3 also gives 112
      cnncalc pad -k 1x7
    """
    r = rank_of({"kernel": kernel, "dilation": dilation, "stride": stride, "size": size}, None)
    result = solve_mod.padding_for(kernel, dilation, stride, size, rank=r)
    if fmt == "json":
        show_json("pad", result.to_dict())
    else:
        show(pad_lines(result))


def pad_lines(result: PaddingAnswer) -> list[str]:
    blocks = [tuple(_pad_axis_lines(axis)) for axis in result.axes]
    if all(b == blocks[0] for b in blocks):
        names = ", ".join(a.axis for a in result.axes)
        return [f"{names}: {blocks[0][0]}", *blocks[0][1:]]
    out: list[str] = []
    for axis, block in zip(result.axes, blocks):
        out += [f"{axis.axis}: {block[0]}", *block[1:]]
    return out


def _pad_axis_lines(a: AxisPadding) -> list[str]:
    head = f"kernel {a.kernel}"
    if a.dilation != 1:
        head += f", dilation {a.dilation}: spans {a.k_eff} pixels ({a.dilation}·({a.kernel}−1) + 1)"
    lines = [head]
    if a.symmetric is not None:
        lines.append(f"  stride 1: padding {a.symmetric} on each side keeps the size "
                     f"(PyTorch padding={a.symmetric} or padding='same')")
    else:
        plural = "" if a.total == 1 else "s"
        lines.append(f"  stride 1: keeping the size needs {a.total} pixel{plural} of padding "
                     f"(odd): padding='same' pads {a.same[0]} before, {a.same[1]} after")
    if a.stride > 1 and a.tf:
        first = a.tf[0]
        if first.size is not None:
            lines.append(f"  stride {a.stride}, input {first.size}: TensorFlow 'SAME' gives "
                         f"⌈{first.size}/{a.stride}⌉ = {first.output}, padding {first.before} "
                         f"before, {first.after} after")
            lines.append("    " + _symmetric_text(first.symmetric, first.before, first.after))
        else:
            lines.append(f"  stride {a.stride}: TensorFlow 'SAME' gives ⌈i/{a.stride}⌉; its "
                         f"padding depends on the input size i:")
            for split in a.tf:
                which = (("i even" if split.residue == 0 else "i odd ") if a.stride == 2
                         else f"i mod {a.stride} = {split.residue}")
                lines.append(f"    {which}: {split.before} before, {split.after} after; "
                             + _symmetric_text(split.symmetric, split.before, split.after))
    return lines


def _symmetric_text(options: tuple[int, ...], before: int, after: int) -> str:
    if not options:
        return f"no symmetric PyTorch padding gives that size: pad ({before}, {after}) explicitly"
    p = min(options, key=lambda x: (abs(x - before), x))
    if p == before == after:
        return f"PyTorch padding={p} is identical"
    shift = p - before
    if shift == 0:
        return f"PyTorch padding={p} gives the same size, windows aligned"
    where = "earlier" if shift > 0 else "later"
    return (f"PyTorch padding={p} gives the same size, windows {abs(shift)} pixel"
            f"{'' if abs(shift) == 1 else 's'} {where}")
