"""Pooling: max, average, Lp, global and adaptive (N-dimensional)."""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd
from typing import Any

from cnncalc.layers.base import Layer, register
from cnncalc.model import arith
from cnncalc.model.arith import POOL_PADDING_WORDS
from cnncalc.model.attrs import Bool, CeilMode, Float, OptionalPerAxis, Padding, PerAxis, attr
from cnncalc.model.axes import axis_lines, format_axes, padding_text, per_axis
from cnncalc.model.geometry import Window, require_spatial, window_settings, windows
from cnncalc.model.rf import MAX_PERIOD, AxisMap
from cnncalc.model.saved import INDEX, INPUT, NOTHING, Extra, Saved, Workspace
from cnncalc.model.shape import Shape
from cnncalc.quick import calc

CEIL_DOC = ("round the output size up (PyTorch ceil_mode, whose last window must start inside "
            "the input or its left padding), or 'caffe' for Caffe's rule")


@dataclass(frozen=True)
class _WindowPool(Layer):
    """Shared arithmetic of the sliding-window pools (their attributes live on each kind)."""

    category = "pool"
    kernel: Any = None
    stride: Any = None
    padding: Any = 0
    dilation: Any = 1
    ceil_mode: Any = False

    def windows(self, x: Shape) -> tuple[Window, ...]:
        require_spatial(self.kind, x.rank)
        stride = self.kernel if self.stride is None else self.stride
        return windows(x.spatial, self.kernel, stride, self.padding, self.dilation,
                       POOL_PADDING_WORDS)

    def _rounding(self) -> tuple[bool, str]:
        return bool(self.ceil_mode), "caffe" if self.ceil_mode == "caffe" else "pytorch"

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        ceil, rounding = self._rounding()
        return x.with_spatial(tuple(arith.pool_out(i, w.k, w.s, w.pb, w.pa, w.d, ceil, rounding)
                                    for i, w in zip(x.spatial, self.windows(x))))

    def dropped_inputs(self, inputs: tuple[Shape, ...]) -> tuple[int, ...]:
        if self.ceil_mode:  # the partial last window reads them
            return tuple(0 for _ in inputs[0].spatial)
        return super().dropped_inputs(inputs)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        # The same lines as `cnncalc pool`: formulas, the other rounding, dropped pixels.
        x = inputs[0]
        ws = self.windows(x)
        ceil_mode = "caffe" if self.ceil_mode == "caffe" else bool(self.ceil_mode)
        lines = list(calc.pool(x.spatial, *window_settings(ws), ceil_mode=ceil_mode,
                               rank=x.rank).lines())
        lines.append(f"channels: {x.channels} (pooling keeps them); no parameters, 0 MACs")
        return tuple(lines)

    def describe(self, rank: int = 2) -> str:
        k = self.kernel if isinstance(self.kernel, int) else format_axes(self.kernel)
        text = f"{self.kind} {k}"
        stride = self.kernel if self.stride is None else self.stride
        text += f"/{stride if isinstance(stride, int) else format_axes(stride)}"
        if padding_text(self.padding):
            text += f" {padding_text(self.padding)}"
        if self.ceil_mode:
            text += " ceil" if self.ceil_mode is True else " caffe-ceil"
        return text


@register
@dataclass(frozen=True)
class MaxPool(_WindowPool):
    """Max pooling (PyTorch ``MaxPoolNd``)."""

    kind = "maxpool"
    aliases = ("max_pool", "maxpooling")
    doc = "max pooling with dilation and ceil_mode (PyTorch MaxPoolNd)"

    kernel: Any = attr(PerAxis(1), doc="window size", aliases=("kernel_size",))
    stride: Any = attr(OptionalPerAxis(1), None, doc="stride (defaults to the kernel size)")
    padding: Any = attr(Padding(words=POOL_PADDING_WORDS), 0,
                        doc="implicit -inf padding per side, at most half the kernel")
    dilation: Any = attr(PerAxis(1), 1, doc="spacing between window taps")
    ceil_mode: Any = attr(CeilMode(), False, doc=CEIL_DOC)

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Its input and the 64-bit argmax index of every output (MaxPool2DWithIndices)."""
        return Saved(inputs=(0,), extra=(Extra("argmax indices", output.numel, element=INDEX),))

    def workspace(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                  backward: bool = False) -> Workspace | None:
        """At inference too PyTorch computes the indices (``max_pool2d_with_indices``) and
        drops them before ``max_pool2d`` returns."""
        if training or backward:
            return None
        return Workspace.exactly(Extra("argmax indices", output.numel, element=INDEX))


@register
@dataclass(frozen=True)
class AvgPool(_WindowPool):
    """Average pooling (PyTorch ``AvgPoolNd``)."""

    kind = "avgpool"
    aliases = ("avg_pool", "averagepooling")
    doc = "average pooling with ceil_mode and count_include_pad (PyTorch AvgPoolNd)"

    kernel: Any = attr(PerAxis(1), doc="window size", aliases=("kernel_size",))
    stride: Any = attr(OptionalPerAxis(1), None, doc="stride (defaults to the kernel size)")
    padding: Any = attr(Padding(words=POOL_PADDING_WORDS), 0,
                        doc="implicit zero padding per side, at most half the kernel")
    ceil_mode: Any = attr(CeilMode(), False, doc=CEIL_DOC)
    count_include_pad: bool = attr(Bool(), True,
                                   doc="divide by the full window, padding included (values only)")

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        arith.avg_pool3d_check(x.spatial, tuple(w.k for w in self.windows(x)))
        return super().infer(inputs)

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        return INPUT


@register
@dataclass(frozen=True)
class LpPool(_WindowPool):
    """Power-average pooling (PyTorch ``LPPoolNd``)."""

    kind = "lppool"
    aliases = ("lp_pool", "l2pool")
    doc = "power-average pooling, (Σ x^p)^(1/p); norm 2 is L2 pooling (PyTorch LPPoolNd)"

    norm: float = attr(Float(0.0, exclusive_minimum=True), 2.0, doc="the power p",
                       aliases=("norm_type", "p"))
    kernel: Any = attr(PerAxis(1), doc="window size", aliases=("kernel_size",))
    stride: Any = attr(OptionalPerAxis(1), None, doc="stride (defaults to the kernel size)")
    ceil_mode: Any = attr(CeilMode(), False, doc=CEIL_DOC)

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        arith.avg_pool3d_check(x.spatial, tuple(w.k for w in self.windows(x)))  # LPPool3d
        return super().infer(inputs)

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """PyTorch composes it (``x^p``, average pooling, sign, relu, ``^(1/p)``): the input,
        ``x^p`` and four distinct output-sized intermediates are kept."""
        return Saved(inputs=(0,), extra=(Extra("x^p", inputs[0].numel),
                                         Extra("pooling intermediates", 4 * output.numel)))

    def transients(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                   backward: bool = False) -> tuple[Extra, ...]:
        """At inference ``x^p`` beside the pooled sum, or three output-sized intermediates
        (``sign(s) * relu(abs(s))``). Backward peaks either at its start (three output-sized
        products for the derivative of ``^(1/p)``, everything still saved) or at its end
        (three input-sized ones for ``x^p``, less the five output-sized tensors freed by
        then); the input's gradient is counted apart."""
        x, y = inputs[0].numel, output.numel
        if backward:
            return (Extra("derivative intermediates", max(3 * y, 3 * x - 5 * y) - x),)
        if training:
            return ()
        return (Extra("intermediates", max(x, 3 * y)),)


class _GlobalPool(Layer):
    category = "pool"

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        require_spatial(self.kind, x.rank)
        return x.with_spatial((1,) * x.rank)

    def receptive_map(self, inputs: tuple[Shape, ...], output: Shape) -> None:
        return None

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        return (f"out: {inputs[0]} → {output} (one value per channel over the whole input)",
                "no parameters, 0 MACs")


@register
class GlobalAvgPool(_GlobalPool):
    kind = "global_avgpool"
    aliases = ("gap", "global_avg_pool", "globalaveragepooling")
    doc = "average over every spatial position, keeping 1×1 (AdaptiveAvgPoolNd(1))"

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Nothing: PyTorch computes it as a mean, whose backward needs only the shape."""
        return NOTHING


@register
class GlobalMaxPool(_GlobalPool):
    kind = "global_maxpool"
    aliases = ("gmp", "global_max_pool", "globalmaxpooling")
    doc = "maximum over every spatial position, keeping 1×1 (AdaptiveMaxPoolNd(1))"

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Its input and the 64-bit argmax index of every output (MaxPool2DWithIndices)."""
        return Saved(inputs=(0,), extra=(Extra("argmax indices", output.numel, element=INDEX),))

    def transients(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                   backward: bool = False) -> tuple[Extra, ...]:
        """At inference too the indices are computed; PyTorch's Python wrapper drops them."""
        if training or backward:
            return ()
        return (Extra("argmax indices", output.numel, element=INDEX),)


def adaptive_bins(n_in: int, n_out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive pooling windows: ``[⌊o·n_in/n_out⌋, ⌈(o+1)·n_in/n_out⌉)``
    (aten/src/ATen/native/AdaptiveAveragePooling.cpp, start_index / end_index)."""
    return [((o * n_in) // n_out, -(-((o + 1) * n_in) // n_out)) for o in range(n_out)]


def adaptive_window_sizes(n_in: int, n_out: int) -> tuple[int, ...]:
    """The distinct sizes of :func:`adaptive_bins`' windows, smallest first, in O(1) (an output
    axis may be huge). Window ``o`` has size ``⌈(r + n_in)/n_out⌉`` where ``r = o·n_in mod n_out``
    runs over the multiples of ``g = gcd(n_in, n_out)`` below ``n_out``, so the sizes are
    ``⌈n_in/n_out⌉`` (r = 0) and ``⌈(n_in + n_out − g)/n_out⌉`` (r = n_out − g)."""
    smallest = -(-n_in // n_out)
    largest = -(-(n_in + n_out - gcd(n_in, n_out)) // n_out)
    return (smallest,) if largest == smallest else (smallest, largest)


def adaptive_map(n_in: int, n_out: int) -> AxisMap:
    """The bins of :func:`adaptive_bins` as a receptive-field map: they repeat every
    ``n_out/g`` outputs, ``n_in/g`` inputs further on (``g = gcd(n_in, n_out)``). A period
    past :data:`MAX_PERIOD` is not followed (and not listed: the output may be 10¹² wide)."""
    g = gcd(n_in, n_out)
    period = n_out // g
    if period > MAX_PERIOD:
        return AxisMap(period, n_in // g, ())
    bins = [((o * n_in) // n_out, -(-((o + 1) * n_in) // n_out)) for o in range(period)]
    return AxisMap.periodic([(start, end - 1, 1) for start, end in bins], n_in // g)


@dataclass(frozen=True)
class _AdaptivePool(Layer):
    """Shared arithmetic of the adaptive pools."""

    category = "pool"
    output: Any = None

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        require_spatial(self.kind, x.rank)
        return x.with_spatial(per_axis("output", self.output, x.rank))

    def receptive_map(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[AxisMap, ...]:
        return tuple(adaptive_map(n_in, n_out)
                     for n_in, n_out in zip(inputs[0].spatial, output.spatial))

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        lines = [f"{n_in} → {n_out} in windows [⌊o·{n_in}/{n_out}⌋, ⌈(o+1)·{n_in}/{n_out}⌉) "
                 f"of size {'/'.join(map(str, adaptive_window_sizes(n_in, n_out)))}"
                 for n_in, n_out in zip(inputs[0].spatial, output.spatial)]
        return (*axis_lines(lines, "out"), "no parameters, 0 MACs")

    def describe(self, rank: int = 2) -> str:
        out = self.output if isinstance(self.output, int) else format_axes(self.output)
        return f"{self.kind} → {out}"


@register
@dataclass(frozen=True)
class AdaptiveAvgPool(_AdaptivePool):
    """Adaptive average pooling (PyTorch ``AdaptiveAvgPoolNd``)."""

    kind = "adaptive_avgpool"
    aliases = ("adaptive_avg_pool",)
    doc = "average pooling to a fixed output size (PyTorch AdaptiveAvgPoolNd)"

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Its input, except for a 1×1 output, which PyTorch computes as a mean (nothing
        saved)."""
        if all(n == 1 for n in output.spatial):
            return NOTHING
        return INPUT
    output: Any = attr(PerAxis(1), doc="output size, one value for every axis or a list",
                       aliases=("output_size", "size"))


@register
@dataclass(frozen=True)
class AdaptiveMaxPool(_AdaptivePool):
    """Adaptive max pooling (PyTorch ``AdaptiveMaxPoolNd``)."""

    kind = "adaptive_maxpool"
    aliases = ("adaptive_max_pool",)
    doc = "max pooling to a fixed output size (PyTorch AdaptiveMaxPoolNd)"

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Its input and the 64-bit argmax index of every output (MaxPool2DWithIndices)."""
        return Saved(inputs=(0,), extra=(Extra("argmax indices", output.numel, element=INDEX),))

    def transients(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                   backward: bool = False) -> tuple[Extra, ...]:
        """At inference too the indices are computed; PyTorch's Python wrapper drops them."""
        if training or backward:
            return ()
        return (Extra("argmax indices", output.numel, element=INDEX),)
    output: Any = attr(PerAxis(1), doc="output size, one value for every axis or a list",
                       aliases=("output_size", "size"))
