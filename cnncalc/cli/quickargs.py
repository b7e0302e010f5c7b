"""The quick calculators' command lines, declared once: a table of arguments and options per
command, a small parser for the fast path, and the value converters both paths share.

:mod:`cnncalc.cli.quick` parses ``cnncalc conv 224 -k 7 ...`` with :func:`parse` without
importing click (nor dataclasses, typing or argparse: they would double the start-up time);
:mod:`cnncalc.cli.quickhelp` builds the click commands that render ``--help`` from the same
:data:`SPECS`. A converter turns the text of one value into what the calculator needs, or raises
:class:`Misuse` with a sentence saying what was expected.

The parser follows click's conventions, so that both paths accept the same command lines:
``--name value``, ``--name=value``, ``-k value`` and ``-kvalue``; options before, between or
after the arguments; ``--`` ends the options; a repeated option keeps its last value.
"""

# No `from __future__ import annotations` in the modules of the quick calculators' fast path:
# importing __future__ costs 0.2 ms of start-up. Annotations naming TYPE_CHECKING-only types
# are quoted.
TYPE_CHECKING = False  # not `from typing import ...`: typing costs milliseconds at start-up
if TYPE_CHECKING:
    from collections.abc import Callable

    Converter = Callable[[str], object]


class Misuse(Exception):
    """A command line that cannot be understood (exit code 2). ``param`` is the option's
    display name (``'-k' / '--kernel'``) when the problem is one value."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param

    def __str__(self) -> str:
        if self.param:
            return f"Invalid value for {self.param}: {self.message}"
        return self.message


# --- converters ---------------------------------------------------------------------------------

WORD_SEPARATORS = ("×", "*", ",")


def _integer(text: str, what: str, low: int) -> int:
    cleaned = text.strip().replace("_", "")
    sign = cleaned[1:] if cleaned[:1] == "-" else cleaned
    if not sign.isdigit() or not sign.isascii():
        raise Misuse(f"expected {what}, got {text!r}")
    value = int(cleaned)
    if value < low:
        raise Misuse(f"{text!r} is below {low}; expected {what}")
    return value


def _split_axes(text: str) -> list[str]:
    cleaned = text.strip().lower()
    for sep in WORD_SEPARATORS:
        cleaned = cleaned.replace(sep, "x")
    return cleaned.split("x") if cleaned else [""]


def positive(text: str) -> int:
    """A whole number ≥ 1."""
    return _integer(text, "a whole number of at least 1", 1)


def non_negative(text: str) -> int:
    """A whole number ≥ 0."""
    return _integer(text, "a whole number of at least 0", 0)


def positive_axes(text: str) -> tuple[int, ...]:
    """``7``, or one value per spatial axis: ``3x5``, ``16x112x112``."""
    parts = _split_axes(text)
    if len(parts) > 3:
        raise Misuse(f"at most 3 spatial axes, got {text!r}")
    return tuple(_integer(p, "whole numbers of at least 1, like 7 or 3x5", 1) for p in parts)


def non_negative_axes(text: str) -> tuple[int, ...]:
    parts = _split_axes(text)
    if len(parts) > 3:
        raise Misuse(f"at most 3 spatial axes, got {text!r}")
    return tuple(_integer(p, "whole numbers of at least 0, like 1 or 0x3", 0) for p in parts)


PADDING_WORDS = ("same", "same_tf", "valid", "full")


def conv_padding(text: str) -> tuple[int, ...] | str:
    """``1``, ``0x3``, or one of ``same`` (PyTorch, stride 1), ``same_tf`` (TensorFlow 'SAME'),
    ``valid`` (0) and ``full`` (``d·(k−1)``)."""
    word = text.strip().lower().replace("-", "_")
    if word in PADDING_WORDS:
        return word
    if word == "tf_same":
        return "same_tf"
    try:
        return non_negative_axes(text)
    except Misuse:
        raise Misuse(f"expected a number, one per axis (0x3), or one of "
                     f"{', '.join(PADDING_WORDS)}; got {text!r}") from None


def int_range(text: str) -> tuple[int, int]:
    """``3`` (just 3) or ``1:4`` (1, 2, 3 and 4: both ends included)."""
    lo_text, sep, hi_text = text.partition(":")
    lo = non_negative(lo_text) if lo_text.strip() else 0
    if not sep:
        return lo, lo
    hi = non_negative(hi_text)
    if hi < lo:
        raise Misuse(f"the range {text!r} is empty ({hi} < {lo})")
    return lo, hi


def choice(*words: str) -> "Converter":
    def convert(text: str) -> str:
        if text not in words:
            raise Misuse(f"{text!r} is not one of {', '.join(repr(w) for w in words)}")
        return text
    convert.__doc__ = " | ".join(words)
    return convert


def rank(text: str) -> int:
    value = positive(text)
    if value > 3:
        raise Misuse(f"expected 1, 2 or 3 spatial axes, got {value}")
    return value


# --- the declarative tables ---------------------------------------------------------------------

class Param:
    """One argument or option of a quick calculator.

    ``decls`` are the option's spellings (``("-k", "--kernel")``), empty for a positional
    argument; ``dest`` is the key in the parsed values; ``convert`` turns its text into a value
    (never applied to a missing value: the calculator sees ``default`` as it is written);
    ``flag`` options take no value; ``many`` arguments take one or more words.
    """

    __slots__ = ("convert", "decls", "default", "dest", "flag", "help", "many", "metavar",
                 "required")

    def __init__(self, dest: str, decls: tuple[str, ...] = (), *, help: str = "",
                 convert: "Converter | None" = None, metavar: str = "", default: object = None,
                 required: bool = False, flag: bool = False, many: bool = False) -> None:
        self.dest = dest
        self.decls = decls
        self.help = help
        self.convert = convert
        self.metavar = metavar or dest.upper()
        self.default = default
        self.required = required
        self.flag = flag
        self.many = many

    @property
    def positional(self) -> bool:
        return not self.decls

    def display(self) -> str:
        """How click names it in messages: ``'-k' / '--kernel'`` or ``'SIZE'``."""
        if self.positional:
            return f"'{self.metavar}{'...' if self.many else ''}'"
        return " / ".join(f"'{d}'" for d in self.decls)


class CommandSpec:
    """A quick calculator's command line: name, one-line summary, help text with worked examples
    (click's ``\\b`` marks a block it must not re-wrap), and its parameters."""

    __slots__ = ("doc", "name", "params", "summary")

    def __init__(self, name: str, summary: str, doc: str, params: tuple[Param, ...]) -> None:
        self.name = name
        self.summary = summary
        self.doc = doc
        self.params = params

    def usage(self, prog: str) -> str:
        args = " ".join(f"{p.metavar}{'...' if p.many else ''}" for p in self.params
                        if p.positional)
        return f"Usage: {prog} {self.name} [OPTIONS]{' ' + args if args else ''}"


SIZE_HELP = ("input size: one number (a square image, or see --rank) or one per axis, "
             "like 224x224 or 16x112x112")
FORMAT = Param("fmt", ("--format",), convert=choice("text", "json"), default="text",
               metavar="[text|json]", help="text for people, json for programs.")
RANK = Param("rank", ("--rank",), convert=rank, metavar="N",
             help="Spatial axes when every size is one number: 1, 2 (the default) or 3.")
KERNEL = Param("kernel", ("-k", "--kernel"), convert=positive_axes, required=True, metavar="K",
               help="Kernel size: 7, or one per axis like 3x5.")
DILATION = Param("dilation", ("-d", "--dilation"), convert=positive_axes, default="1",
                 metavar="D", help="Dilation: the kernel spans d·(k−1)+1 pixels.")
GROUPS = Param("groups", ("-g", "--groups"), convert=positive, default="1", metavar="G",
               help="Channel groups (groups = channels is depthwise).")
NO_BIAS = Param("no_bias", ("--no-bias",), flag=True, help="No bias (as before a batch norm).")
IN_CHANNELS = Param("in_channels", ("-c", "--in-channels"), convert=positive, metavar="C",
                    help="Input channels (with --out-channels: parameters and MACs).")
OUT_CHANNELS = Param("out_channels", ("-o", "--out-channels"), convert=positive, metavar="C",
                     help="Output channels (filters).")

CONV = CommandSpec("conv", "Output size of one convolution, with the formula.", """\
Output size of one convolution (PyTorch's rule), with the numbers substituted into the formula,
how many input pixels the stride drops, and parameters and MACs when the channels are given.

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
""", (
    Param("size", help=SIZE_HELP, convert=positive_axes, required=True, metavar="SIZE"),
    KERNEL,
    Param("stride", ("-s", "--stride"), convert=positive_axes, default="1", metavar="S",
          help="Stride: 2, or one per axis like 1x2."),
    Param("padding", ("-p", "--padding"), convert=conv_padding, default="0", metavar="P",
          help="Padding per side: 3, one per axis like 0x3, or same (stride 1), same_tf "
               "(TensorFlow 'SAME'), valid, full."),
    DILATION, IN_CHANNELS, OUT_CHANNELS, GROUPS, NO_BIAS, RANK, FORMAT,
))

DECONV = CommandSpec("deconv", "Output size of one transposed convolution.", """\
Output size of one transposed convolution (PyTorch's ConvTranspose rule), with the formula, the
sizes other output_padding values give, and the convolution that maps the result back.

\b
Examples:
  cnncalc deconv 7 -k 4 -s 2 -p 1
      7×7 → 14×14; (7−1)·2 − 2·1 + 1·(4−1) + 0 + 1 = 14
  cnncalc deconv 3 -k 3 -s 2 -p 1 --output-padding 1
      6×6 (without output_padding: 5)
  cnncalc deconv 28 -k 2 -s 2 -c 128 -o 64
      U-Net up-convolution: 56×56, 32,832 parameters, input-based MACs
""", (
    Param("size", help=SIZE_HELP, convert=positive_axes, required=True, metavar="SIZE"),
    KERNEL,
    Param("stride", ("-s", "--stride"), convert=positive_axes, default="1", metavar="S",
          help="Stride: 2, or one per axis like 1x2."),
    Param("padding", ("-p", "--padding"), convert=non_negative_axes, default="0", metavar="P",
          help="Padding removed from each side of the output: 1, or one per axis."),
    Param("output_padding", ("--output-padding", "--op"), convert=non_negative_axes,
          default="0", metavar="OP",
          help="Extra size on one side of the output (smaller than the stride or dilation)."),
    DILATION, IN_CHANNELS, OUT_CHANNELS, GROUPS, NO_BIAS, RANK, FORMAT,
))

POOL = CommandSpec("pool", "Output size of one pooling window (floor or --ceil).", """\
Output size of max or average pooling (PyTorch's rule: the stride defaults to the kernel size,
padding at most half the kernel), with the formula, the size the other rounding would give, and
how many input pixels the stride drops.

\b
Examples:
  cnncalc pool 112 -k 3 -s 2
      55×55 (floor), and --ceil would give 56
  cnncalc pool 112 -k 3 -s 2 --ceil
      GoogLeNet's 56×56
  cnncalc pool 8x10 -k 3 -s 4 --ceil
      2×3: PyTorch drops a last window that would start in the padding
  cnncalc pool 55 -k 3 -s 2 --caffe
""", (
    Param("size", help=SIZE_HELP, convert=positive_axes, required=True, metavar="SIZE"),
    Param("kernel", ("-k", "--kernel"), convert=positive_axes, required=True, metavar="K",
          help="Window size: 3, or one per axis like 3x2."),
    Param("stride", ("-s", "--stride"), convert=positive_axes, metavar="S",
          help="Stride (default: the kernel size)."),
    Param("padding", ("-p", "--padding"), convert=non_negative_axes, default="0", metavar="P",
          help="Padding per side, at most half the kernel."),
    DILATION,
    Param("ceil", ("--ceil",), flag=True, help="Round up (PyTorch ceil_mode=True)."),
    Param("caffe", ("--caffe",), flag=True,
          help="Round up as Caffe does (its last-window rule only applies with padding)."),
    Param("channels", ("-c", "--channels"), convert=positive, metavar="C",
          help="Channels, to show the whole output shape."),
    RANK, FORMAT,
))

CHAIN = CommandSpec("chain", "Size, receptive field and jump after each step.", """\
Output size, receptive field (RF) and jump (distance between neighbouring outputs, in input
pixels) after each step of a quick stack, with parameters and MACs when channels are known.

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
""", (
    Param("size", help=SIZE_HELP, convert=positive_axes, required=True, metavar="SIZE"),
    Param("steps", help="the steps", required=True, many=True, metavar="STEPS"),
    Param("in_channels", ("-c", "--in-channels"), convert=positive, metavar="C",
          help="Input channels (with c<N> on conv steps: parameters and MACs)."),
    Param("explain", ("--explain",), flag=True, help="Show each step's formulas."),
    RANK, FORMAT,
))

SOLVE = CommandSpec("solve", "Every stride and padding giving the wanted size.", """\
Every (stride, padding) — and dilation or kernel when given as a range — with which a
convolution turns one input size into the output size you want; with --transpose every (stride,
padding, output_padding) of a transposed convolution. Sizes are for one axis.

\b
Padding is searched from 0 to d·(k−1) (beyond that, windows would see nothing but padding) and
the stride as far as it matters; narrow either with a number or a range such as 1:3 (both ends
included). Each answer says whether it uses every input pixel.

\b
Examples:
  cnncalc solve --in 227 --out 55 -k 11
      stride 4 with padding 0 (every pixel used) or 1 (drops the last pixel)
  cnncalc solve --in 224 --out 112 -k 3
  cnncalc solve --in 224 --out 112 -k 3:7 -d 1:2
  cnncalc solve --in 7 --out 14 --transpose -k 4
      stride 2, padding 1, output_padding 0
""", (
    Param("size_in", ("--in",), convert=positive, required=True, metavar="I",
          help="Input size (one axis)."),
    Param("size_out", ("--out",), convert=positive, required=True, metavar="O",
          help="Wanted output size."),
    Param("kernel", ("-k", "--kernel"), convert=int_range, required=True, metavar="K",
          help="Kernel size, or a range like 3:7 to search."),
    Param("stride", ("-s", "--stride"), convert=int_range, metavar="S",
          help="Fix the stride, or search a range (default: every stride that matters)."),
    Param("padding", ("-p", "--padding"), convert=int_range, metavar="P",
          help="Fix the padding, or search a range (default: 0 to d·(k−1))."),
    Param("dilation", ("-d", "--dilation"), convert=int_range, default="1", metavar="D",
          help="Dilation, or a range like 1:3 to search."),
    Param("output_padding", ("--output-padding", "--op"), convert=int_range, metavar="OP",
          help="With --transpose: fix output_padding or search a range (default: all allowed)."),
    Param("transpose", ("--transpose",), flag=True, help="Solve for a transposed convolution."),
    Param("all", ("--all",), flag=True, help="Print every answer (default: the first 100)."),
    FORMAT,
))

PAD = CommandSpec("pad", "The padding that keeps the size (and TensorFlow's).", """\
The padding that keeps the size at stride 1 (PyTorch's padding=N or padding='same'), and for a
larger stride TensorFlow's 'SAME' padding — output ⌈i/s⌉, the odd pixel after — with the
symmetric PyTorch padding that gives the same size, if there is one.

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
""", (
    Param("kernel", ("-k", "--kernel"), convert=positive_axes, required=True, metavar="K",
          help="Kernel size: 5, or one per axis like 1x7."),
    DILATION,
    Param("stride", ("-s", "--stride"), convert=positive_axes, default="1", metavar="S",
          help="Stride: above 1, TensorFlow 'SAME' padding for each input size."),
    Param("size", ("--in",), convert=positive_axes, metavar="I",
          help="Input size, for TensorFlow's exact split (it depends on the size)."),
    FORMAT,
))

SPECS: dict[str, CommandSpec] = {spec.name: spec for spec in
                                 (CONV, DECONV, POOL, CHAIN, SOLVE, PAD)}


# --- the fast-path parser -----------------------------------------------------------------------

def convert_value(param: Param, text: object) -> object:
    """Apply ``param``'s converter to a given value, naming the option in the error."""
    if param.convert is None or not isinstance(text, str):
        return text
    try:
        return param.convert(text)
    except Misuse as exc:
        raise Misuse(exc.message, param.display()) from None


def finish(spec: CommandSpec, given: dict[str, object]) -> dict[str, object]:
    """Defaults for what was not given, required ones checked, every value converted."""
    values: dict[str, object] = {}
    for param in spec.params:
        if param.dest in given:
            raw = given[param.dest]
        elif param.required:
            what = "argument" if param.positional else "option"
            raise Misuse(f"Missing {what} {param.display()}.")
        else:
            raw = False if param.flag else param.default
        if param.many and isinstance(raw, (list, tuple)):
            values[param.dest] = tuple(raw)
        else:
            values[param.dest] = convert_value(param, raw)
    return values


def parse(spec: CommandSpec, args: list[str]) -> dict[str, object]:
    """Parse a quick calculator's arguments (everything after its name) as click would."""
    by_name: dict[str, Param] = {}
    for param in spec.params:
        for decl in param.decls:
            by_name[decl] = param
    positionals = [p for p in spec.params if p.positional]
    given: dict[str, object] = {}
    words: list[str] = []
    index = 0
    options_done = False
    while index < len(args):
        arg = args[index]
        index += 1
        if options_done or arg == "-" or not arg.startswith("-"):
            words.append(arg)
            continue
        if arg == "--":
            options_done = True
            continue
        name, eq, attached = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if not arg.startswith("--") and len(arg) > 2 and arg[:2] in by_name:
            name, eq, attached = arg[:2], "=", arg[2:]  # -k7, as click reads it
        found = by_name.get(name)
        if found is None:
            raise Misuse(_no_such_option(name, list(by_name)))
        param = found
        if param.flag:
            if eq:
                raise Misuse(f"Option '{name}' does not take a value.")
            given[param.dest] = True
            continue
        if eq:
            given[param.dest] = attached
        elif index < len(args):
            given[param.dest] = args[index]
            index += 1
        else:
            raise Misuse(f"Option '{name}' requires an argument.")
    for param in positionals:
        if not words:
            break
        if param.many:
            given[param.dest] = list(words)
            words = []
        else:
            given[param.dest] = words.pop(0)
    if words:
        extra = " ".join(words)
        raise Misuse(f"Got unexpected extra argument{'s' if len(words) > 1 else ''} ({extra})")
    return finish(spec, given)


def _no_such_option(name: str, known: list[str]) -> str:
    import difflib  # only on this error path

    close = difflib.get_close_matches(name, [k for k in known if k.startswith("--")] or known,
                                      n=3, cutoff=0.6)
    if not close:
        return f"No such option: {name}"
    if len(close) == 1:
        return f"No such option: {name} Did you mean {close[0]}?"
    return f"No such option: {name} (Possible options: {', '.join(close)})"
