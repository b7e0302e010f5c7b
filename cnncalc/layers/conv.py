"""Convolutions: ``conv``, ``conv_transpose`` and ``locally_connected`` (N-dimensional)."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

from cnncalc.layers.base import Counts, Layer, register
from cnncalc.model import arith
from cnncalc.model.arith import PADDING_WORDS, POOL_PADDING_WORDS
from cnncalc.model.attrs import Bool, Int, Padding, PerAxis, attr
from cnncalc.model.axes import format_axes, padding_text, per_axis
from cnncalc.model.errors import AttributeValueError, ShapeError
from cnncalc.model.geometry import Window, require_spatial, window_settings, windows
from cnncalc.model.rf import AxisMap
from cnncalc.model.saved import INPUT_AND_WEIGHTS, PARAMETER, Extra, Saved, Workspace
from cnncalc.model.shape import Shape
from cnncalc.quick import calc


def conv_workspace(x: Shape, output: Shape, weights: int, kernel: Any,
                   backward: bool) -> Workspace:
    """A cuDNN convolution's workspace: in the forward pass, or in each of backward's two
    (the input's gradient, the weights' gradient). cuDNN picks an algorithm at run time, so
    this is a range (docs/memory.md, "Workspaces"):

    * the least is none (implicit GEMM needs none);
    * the likely size is what the peaks measured on an H100 show at batch 8 and 32 (PyTorch
      2.11, cuDNN 9, float32 with TF32; ../shared/reference.md): algorithms working on
      channels-last copies. Forward: the input, the output and the weights, or for a 1×1
      kernel the output alone; backward: the input and the output, and for a larger kernel
      twice the weights (the weight gradient's partial sums);
    * the most is the input, the output and three times the weights, which covers every
      measured peak, batch 1 included (where cuDNN chooses differently).
    """
    square = any(k > 1 for k in per_axis("kernel", kernel, x.rank))
    what = "cuDNN workspace"
    if square:
        likely = Extra(what, x.numel + output.numel, (2 if backward else 1) * weights)
    elif backward:
        likely = Extra(what, x.numel + output.numel)
    else:
        likely = Extra(what, output.numel)
    return Workspace((), (likely,), (Extra(what, x.numel + output.numel, 3 * weights),))


KERNEL_DOC = "kernel size, one value for every axis or a list per axis"
GROUPS_DOC = "channel groups; input and output channels must divide"
PADDING_DOC = ("zero padding per side: int, per-axis list, [[before, after], ...], or "
               "same (stride 1, PyTorch), same_tf (TensorFlow 'SAME'), valid, full")
DILATION_DOC = "spacing between kernel taps; the kernel spans d·(k−1)+1 inputs"


def _window_describe(kind: str, kernel: Any, stride: Any, padding: Any, dilation: Any,
                     rank: int = 2) -> str:
    """``conv 3×3/2 p1`` (``conv 7`` in 1-D, ``conv 3×3×3`` in 3-D)."""
    k = "×".join([str(kernel)] * max(rank, 1) if isinstance(kernel, int) else map(str, kernel))
    text = f"{kind} {k}"
    if stride != 1:
        text += f"/{stride if isinstance(stride, int) else format_axes(stride)}"
    if padding_text(padding):
        text += f" {padding_text(padding)}"
    if dilation != 1:
        text += f" d{dilation if isinstance(dilation, int) else format_axes(dilation)}"
    return text


@dataclass(frozen=True)
class _Convolution(Layer):
    """What the convolutions share: their first attributes (output channels, kernel, stride)
    and, unless a kind says otherwise, what their backward pass keeps."""

    category = "conv"

    out: int = attr(Int(1), doc="output channels", aliases=("out_channels", "filters"))
    kernel: Any = attr(PerAxis(1), doc=KERNEL_DOC, aliases=("kernel_size",))
    stride: Any = attr(PerAxis(1), 1, doc="stride")

    def _check_groups(self, groups: int) -> None:
        if self.out % groups:
            raise AttributeValueError(
                f"{self.kind} out {self.out} is not divisible by groups {groups}", "out")

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Its input and weight (ConvolutionBackward0 saves both whichever gradient is
        needed)."""
        return INPUT_AND_WEIGHTS


@register
@dataclass(frozen=True)
class Conv(_Convolution):
    """Convolution (PyTorch ``Conv1d``/``Conv2d``/``Conv3d``); depthwise when ``groups`` equals
    the input channels."""

    kind = "conv"
    aliases = ("convolution",)
    doc = "convolution with stride, padding, dilation and groups (PyTorch ConvNd)"

    padding: Any = attr(Padding(), 0, doc=PADDING_DOC)
    dilation: Any = attr(PerAxis(1), 1, doc=DILATION_DOC)
    groups: int = attr(Int(1), 1, doc=GROUPS_DOC)
    bias: bool = attr(Bool(), True, doc="learn an additive bias per output channel")

    def validate(self) -> None:
        self._check_groups(self.groups)

    def windows(self, x: Shape) -> tuple[Window, ...]:
        require_spatial(self.kind, x.rank)
        return windows(x.spatial, self.kernel, self.stride, self.padding, self.dilation,
                       PADDING_WORDS)

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        ws = self.windows(x)
        if x.channels % self.groups:
            raise ShapeError(f"input channels {x.channels} are not divisible by groups "
                             f"{self.groups}")
        return Shape(self.out, tuple(arith.conv_out(i, w.k, w.s, w.pb, w.pa, w.d)
                                     for i, w in zip(x.spatial, ws)))

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        k = per_axis("kernel", self.kernel, output.rank)
        return Counts(arith.conv_weights(self.out, inputs[0].channels, self.groups, k),
                      self.out if self.bias else 0)

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        k = per_axis("kernel", self.kernel, output.rank)
        return arith.conv_macs(self.out, output.spatial, inputs[0].channels, self.groups, k)

    def layout_copies(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Extra, ...]:
        """On a channels-last input the weight's gradient comes out channels-last, and
        AccumulateGrad copies it into the weight's contiguous layout (PyTorch's gradient
        layout contract) — unless the two layouts coincide (a 1×1 kernel, or one input
        channel per group)."""
        k = per_axis("kernel", self.kernel, output.rank)
        if inputs[0].channels // self.groups == 1 or all(n == 1 for n in k):
            return ()
        weights = self.counts(inputs, output).weights
        return (Extra("the weight's gradient copied out of channels-last", fixed=weights,
                      element=PARAMETER),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        # The same lines as `cnncalc conv`: formulas, dropped pixels, parameters and MACs.
        x = inputs[0]
        ws = self.windows(x)
        return calc.conv(x.spatial, *window_settings(ws), in_channels=x.channels,
                         out_channels=self.out, groups=self.groups, bias=self.bias,
                         rank=x.rank).lines()

    def padded_input(self, inputs: tuple[Shape, ...], training: bool = True) -> Shape | None:
        """Asymmetric padding is a padded copy (``F.pad``). With ``padding: same`` PyTorch
        pads the common part itself and copies only for the extra pixel after, inside the
        convolution's call: at inference that copy is the call's own scratch (see
        :meth:`workspace`)."""
        padded = super().padded_input(inputs, training)
        if padded is None or self.padding != "same":
            return padded
        if not training:
            return None
        x = inputs[0]
        return Shape(x.channels, tuple(i + abs(w.pa - w.pb)
                                       for i, w in zip(x.spatial, self.windows(x))))

    def workspace(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                  backward: bool = False) -> Workspace | None:
        """cuDNN's (:func:`conv_workspace`), and at inference the copy ``padding: same``
        makes for an extra pixel; no cuDNN workspace for a depthwise convolution, which
        PyTorch runs with its own kernel on float32 (``conv_depthwise2d``)."""
        ws = (None if self.groups > 1 and self.groups == inputs[0].channels
              else conv_workspace(inputs[0], output, self.counts(inputs, output).weights,
                                  self.kernel, backward))
        copy = None if training else self.padded_input(inputs, True)
        if copy is None or self.padding != "same":
            return ws
        extra = (Extra("the extra pixel's padded copy", copy.numel),)
        if ws is None:
            return Workspace.exactly(*extra)
        return Workspace(extra + ws.least, extra + ws.likely, extra + ws.most)

    def describe(self, rank: int = 2) -> str:
        text = _window_describe("conv", self.kernel, self.stride, self.padding, self.dilation,
                                rank)
        return text + (f" g{self.groups}" if self.groups > 1 else "")


@register
@dataclass(frozen=True)
class ConvTranspose(_Convolution):
    """Transposed convolution (PyTorch ``ConvTranspose1d/2d/3d``)."""

    kind = "conv_transpose"
    aliases = ("deconv", "convtranspose", "transposed_conv")
    doc = "transposed convolution with output_padding (PyTorch ConvTransposeNd)"

    padding: Any = attr(Padding(words=()), 0,
                        doc="implicit zero padding removed from each side of the output")
    output_padding: Any = attr(PerAxis(0), 0,
                               doc="extra size added to one side of the output (< stride or "
                                   "< dilation)")
    dilation: Any = attr(PerAxis(1), 1, doc=DILATION_DOC)
    groups: int = attr(Int(1), 1, doc=GROUPS_DOC)
    bias: bool = attr(Bool(), True, doc="learn an additive bias per output channel")

    def validate(self) -> None:
        self._check_groups(self.groups)

    def _axes(self, x: Shape) -> list[tuple[int, int, int, int, int, int, int]]:
        require_spatial(self.kind, x.rank)
        w = windows(x.spatial, self.kernel, self.stride, self.padding, self.dilation, ())
        op = per_axis("output_padding", self.output_padding, x.rank)
        return [(i, a.k, a.s, a.pb, a.pa, o, a.d) for i, a, o in zip(x.spatial, w, op)]

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        axes = self._axes(x)
        if x.channels % self.groups:
            raise ShapeError(f"input channels {x.channels} are not divisible by groups "
                             f"{self.groups}")
        return Shape(self.out, tuple(arith.conv_transpose_out(*a) for a in axes))

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        k = per_axis("kernel", self.kernel, output.rank)
        return Counts(arith.conv_transpose_weights(inputs[0].channels, self.out, self.groups, k),
                      self.out if self.bias else 0)

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """Input-based (:func:`cnncalc.model.arith.conv_transpose_macs`)."""
        x = inputs[0]
        k = per_axis("kernel", self.kernel, output.rank)
        return arith.conv_transpose_macs(x.channels, x.spatial, self.out, self.groups, k)

    def receptive_map(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[AxisMap, ...]:
        return tuple(AxisMap.transposed(k, s, pb, d)
                     for _, k, s, pb, _, _, d in self._axes(inputs[0]))

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        # The same lines as `cnncalc deconv`, other output_padding sizes and the inverse included.
        x = inputs[0]
        axes = self._axes(x)
        return calc.conv_transpose(
            x.spatial, tuple(a[1] for a in axes), tuple(a[2] for a in axes),
            tuple((a[3], a[4]) for a in axes), tuple(a[5] for a in axes),
            tuple(a[6] for a in axes), in_channels=x.channels, out_channels=self.out,
            groups=self.groups, bias=self.bias, rank=x.rank).lines()

    def workspace(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                  backward: bool = False) -> Workspace | None:
        """cuDNN's (:func:`conv_workspace`)."""
        return conv_workspace(inputs[0], output, self.counts(inputs, output).weights,
                              self.kernel, backward)

    def describe(self, rank: int = 2) -> str:
        return _window_describe("deconv", self.kernel, self.stride, self.padding, self.dilation,
                                rank)


@register
@dataclass(frozen=True)
class LocallyConnected(_Convolution):
    """A convolution without weight sharing: one filter bank per output position
    (Keras ``LocallyConnected2D``; CS231n's "no parameter sharing" count)."""

    kind = "locally_connected"
    aliases = ("local",)
    doc = "convolution without weight sharing: separate weights and bias at every output position"

    padding: Any = attr(Padding(words=POOL_PADDING_WORDS), 0, doc="zero padding per side")
    dilation: Any = attr(PerAxis(1), 1, doc=DILATION_DOC)
    bias: bool = attr(Bool(), True, doc="a bias per output channel and position")

    def windows(self, x: Shape) -> tuple[Window, ...]:
        require_spatial(self.kind, x.rank)
        return windows(x.spatial, self.kernel, self.stride, self.padding, self.dilation,
                       POOL_PADDING_WORDS)

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        return Shape(self.out, tuple(arith.conv_out(i, w.k, w.s, w.pb, w.pa, w.d)
                                     for i, w in zip(x.spatial, self.windows(x))))

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        k = per_axis("kernel", self.kernel, output.rank)
        weights = arith.locally_connected_weights(self.out, output.spatial, inputs[0].channels, k)
        return Counts(weights, output.numel if self.bias else 0)

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return self.counts(inputs, output).weights

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        x = inputs[0]
        ws = self.windows(x)
        settings = window_settings(ws)
        lines = list(calc.conv(x.spatial, *settings, rank=x.rank).lines())  # and dropped pixels
        k = settings[0]
        c = self.counts(inputs, output)
        bias = f" + {c.bias:,} bias (one per output value)" if c.bias else ""
        lines.append(f"params: {self.out}·{arith.times(output.spatial)} positions × "
                     f"{x.channels}·{arith.times(k)} = {c.weights:,} "
                     f"weights{bias} = {c.params:,}")
        lines.append(f"MACs: one per weight = {self.macs(inputs, output):,}")
        return tuple(lines)

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """The unfolded input patches ``C_in·∏k`` per output position, as the usual
        ``unfold`` + batched matmul implementation saves them."""
        k = per_axis("kernel", self.kernel, output.rank)
        patches = inputs[0].channels * prod(k) * output.spatial_numel
        return Saved(weights=True, extra=(Extra("unfolded input", patches),))

    def padded_input(self, inputs: tuple[Shape, ...], training: bool = True) -> Shape | None:
        """None: cnncalc's module pads inside its own forward (see :meth:`transients`)."""
        return None

    def transients(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                   backward: bool = False) -> tuple[Extra, ...]:
        """cnncalc's PyTorch module (docs/export.md) pads its input into a copy, unfolds it
        into the patches, multiplies them per position (``bmm``) and reorders the result: at
        its peak the padded copy and the patches, or the patches and two output-sized
        products; its backward starts with the patches' gradient."""
        x = inputs[0]
        k = per_axis("kernel", self.kernel, output.rank)
        patches = x.channels * prod(k) * output.spatial_numel
        if backward:
            return (Extra("gradient of the patches", max(patches - x.numel, 0)),)
        ws = self.windows(x)
        padded = x.channels * prod(i + w.pb + w.pa for i, w in zip(x.spatial, ws))
        peak = max(padded, 2 * output.numel) - output.numel
        return (Extra("padded copy or products", peak + (0 if training else patches)),)

    def describe(self, rank: int = 2) -> str:
        return _window_describe("local", self.kernel, self.stride, self.padding, self.dilation,
                                rank)
