"""Normalisation and regularisation: ``batchnorm``, ``layernorm``, ``groupnorm``,
``instancenorm``, ``lrn``, ``dropout``."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.layers.base import Counts, Layer, register
from cnncalc.model.attrs import Bool, Float, Int, attr
from cnncalc.model.errors import ShapeError
from cnncalc.model.geometry import require_spatial
from cnncalc.model.saved import ACTIVATION, INPLACE, MASK, NEW, NOTHING, STAT, VIEW, Extra, Saved
from cnncalc.model.shape import Shape


@register
@dataclass(frozen=True)
class BatchNorm(Layer):
    """Batch normalisation over the channel axis (PyTorch ``BatchNorm1d/2d/3d``)."""

    kind = "batchnorm"
    aliases = ("bn", "batch_norm")
    doc = "batch normalisation per channel: γ, β trainable; running mean/var are buffers"
    category = "norm"

    eps: float = attr(Float(0.0, exclusive_minimum=True), 1e-5, doc="added to the variance")
    momentum: float = attr(Float(0.0, 1.0), 0.1, doc="running statistics update rate")
    affine: bool = attr(Bool(), True, doc="learn a scale γ and shift β per channel")
    track_running_stats: bool = attr(Bool(), True,
                                     doc="keep running mean and variance (2·C buffers)")

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        c = inputs[0].channels
        return Counts(c if self.affine else 0, c if self.affine else 0,
                      2 * c if self.track_running_stats else 0)

    def training_refusal(self, inputs: tuple[Shape, ...], batch: int) -> str | None:
        """PyTorch's ``_verify_batch_size``: statistics of one value per channel."""
        values = batch * inputs[0].spatial_numel
        if values > 1:
            return None
        return (f"one value per channel ({batch} × {inputs[0]}); PyTorch raises \"Expected more "
                f"than 1 value per channel when training\" (a batch of at least 2, or a norm "
                f"that does not need the batch: groupnorm, layernorm)")

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Its input and the batch mean and inverse standard deviation per channel, in float32
        (NativeBatchNormBackward0; the running statistics are buffers, not counted here)."""
        stats = Extra("batch mean and inverse std", fixed=2 * inputs[0].channels, element=STAT)
        return Saved(inputs=(0,), extra=(stats,))

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        c = inputs[0].channels
        cnt = self.counts(inputs, output)
        lines = [f"shape: {output} (unchanged)"]
        lines.append(f"params: γ {c:,} + β {c:,} = {cnt.params:,}" if self.affine
                     else "params: none (affine off)")
        if cnt.buffers:
            lines.append(f"buffers: running mean {c:,} + running var {c:,} = {cnt.buffers:,} "
                         f"(not parameters)")
        return tuple(lines)


def _affine_lines(c: int, affine: bool, bias: bool = True) -> str:
    if not affine:
        return "params: none (affine off)"
    if not bias:
        return f"params: γ, one per channel = {c:,}"
    return f"params: γ {c:,} + β {c:,} = {2 * c:,}"


@register
@dataclass(frozen=True)
class LayerNorm(Layer):
    """Layer normalisation over the channels, separately at every position: ConvNeXt's
    ``LayerNorm2d`` (channels last, ``nn.LayerNorm(C)``, channels first again); on a flat input
    PyTorch's ``nn.LayerNorm(C)`` over the vector."""

    kind = "layernorm"
    aliases = ("layer_norm", "ln")
    doc = "layer norm over the channels at every position (ConvNeXt's LayerNorm2d)"
    category = "norm"
    example_layer = "- layernorm: {eps: 1.0e-6}"

    eps: float = attr(Float(0.0, exclusive_minimum=True), 1e-5, doc="added to the variance")
    affine: bool = attr(Bool(), True, doc="learn a scale γ (and shift β) per channel",
                        aliases=("elementwise_affine",))
    bias: bool = attr(Bool(), True, doc="learn the shift β (with affine)")

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        c = inputs[0].channels
        return Counts(c if self.affine else 0, c if self.affine and self.bias else 0)

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Its input and the mean and inverse standard deviation of every position, in
        float32 (NativeLayerNormBackward0)."""
        positions = inputs[0].spatial_numel
        return Saved(inputs=(0,), extra=(Extra("mean and inverse std per position",
                                               2 * positions, element=STAT),))

    def output_layout(self, inputs: tuple[Shape, ...], channels_last: bool) -> bool:
        """Channels-last on a spatial input: LayerNorm2d moves the channels last, normalises
        and moves them back, which is a view: the data stays channels-last."""
        return bool(inputs[0].spatial)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        x = inputs[0]
        where = (f"over {x.channels} channels at each of {x.spatial_numel:,} positions"
                 if x.spatial else f"over the {x.channels} values")
        return (f"shape: {output} (unchanged), normalised {where}",
                _affine_lines(x.channels, self.affine, self.bias))


@register
@dataclass(frozen=True)
class GroupNorm(Layer):
    """Group normalisation (Wu & He 2018; PyTorch ``GroupNorm``): channels in ``groups`` groups,
    each normalised over its channels and every position of one sample."""

    kind = "groupnorm"
    aliases = ("group_norm", "gn")
    doc = "group norm: statistics per sample over groups of channels; γ and β per channel"
    category = "norm"
    example_layer = "- groupnorm: {groups: 32}"
    example_input = "[64, 32, 32]"

    groups: int = attr(Int(1), doc="number of groups (must divide the channels)",
                       aliases=("num_groups",))
    eps: float = attr(Float(0.0, exclusive_minimum=True), 1e-5, doc="added to the variance")
    affine: bool = attr(Bool(), True, doc="learn a scale γ and shift β per channel")

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        if x.channels % self.groups:
            raise ShapeError(f"{x.channels} channels are not divisible by groups "
                             f"{self.groups}")
        return x

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        c = inputs[0].channels
        return Counts(c if self.affine else 0, c if self.affine else 0)

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Its input and the mean and inverse standard deviation of every group, in float32
        (NativeGroupNormBackward0)."""
        return Saved(inputs=(0,), extra=(Extra("mean and inverse std per group",
                                               2 * self.groups, element=STAT),))

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        x = inputs[0]
        return (f"shape: {output} (unchanged), {self.groups} groups of "
                f"{x.channels // self.groups} channels", _affine_lines(x.channels, self.affine))


@register
@dataclass(frozen=True)
class InstanceNorm(Layer):
    """Instance normalisation (PyTorch ``InstanceNorm1d/2d/3d``): every channel of every sample
    normalised over its positions; by default without γ, β or running statistics."""

    kind = "instancenorm"
    aliases = ("instance_norm",)
    doc = "instance norm: statistics per sample and channel (style transfer, GAN generators)"
    category = "norm"
    example_layer = "- instancenorm: {affine: true}"

    eps: float = attr(Float(0.0, exclusive_minimum=True), 1e-5, doc="added to the variance")
    momentum: float = attr(Float(0.0, 1.0), 0.1, doc="running statistics update rate")
    affine: bool = attr(Bool(), False, doc="learn a scale γ and shift β per channel")
    track_running_stats: bool = attr(Bool(), False,
                                     doc="keep running mean and variance (2·C buffers)")

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        require_spatial(self.kind, x.rank)
        return x

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        c = inputs[0].channels
        return Counts(c if self.affine else 0, c if self.affine else 0,
                      2 * c if self.track_running_stats else 0)

    def training_refusal(self, inputs: tuple[Shape, ...], batch: int) -> str | None:
        """PyTorch's ``_verify_spatial_size``: statistics over one position."""
        if inputs[0].spatial_numel > 1:
            return None
        return (f"one position per channel ({inputs[0]}); PyTorch raises \"Expected more than 1 "
                f"spatial element when training\"")

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """PyTorch runs it as a batch norm of one batch of N·C channels: it keeps the input,
        the mean and inverse std of every (sample, channel) in float32, and the γ and running
        statistics it repeats N times for that call (checked with saved_tensors_hooks)."""
        c = inputs[0].channels
        extra = [Extra("mean and inverse std per sample and channel", 2 * c, element=STAT)]
        if self.affine:
            extra.append(Extra("γ repeated for every sample", c, element=ACTIVATION))
        if self.track_running_stats:
            extra.append(Extra("running statistics repeated for every sample", 2 * c,
                               element=ACTIVATION))
        return Saved(inputs=(0,), extra=tuple(extra))

    parameter_gradients_after = True
    returns_view = True  # a view of the (1, N·C, ...) batch norm's output

    def parameter_gradient_scratch(self, inputs: tuple[Shape, ...],
                                   output: Shape) -> tuple[Extra, ...]:
        """The gradients of γ and β repeated for every sample, summed into the parameters'
        gradients after the op (``instance_norm``'s backward)."""
        return (Extra("gradients of γ and β repeated for every sample", 2 * inputs[0].channels),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        c = inputs[0].channels
        lines = [f"shape: {output} (unchanged), each channel of each sample normalised over "
                 f"{inputs[0].spatial_numel:,} positions", _affine_lines(c, self.affine)]
        if self.track_running_stats:
            lines.append(f"buffers: running mean {c:,} + running var {c:,} = {2 * c:,}")
        return tuple(lines)


@register
@dataclass(frozen=True)
class LocalResponseNorm(Layer):
    """Local response normalisation across channels (AlexNet; PyTorch ``LocalResponseNorm``)."""

    kind = "lrn"
    aliases = ("local_response_norm",)
    doc = "local response normalisation across nearby channels (AlexNet, GoogLeNet)"
    category = "norm"

    size: int = attr(Int(1), doc="number of neighbouring channels", aliases=("local_size",))
    alpha: float = attr(Float(), 1e-4, doc="multiplicative factor")
    beta: float = attr(Float(), 0.75, doc="exponent")
    k: float = attr(Float(), 1.0, doc="additive constant (PyTorch and Caffe: 1; the paper: 2)")

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """PyTorch composes it from element-wise ops and an average pooling over channels: it
        keeps the input, the squared input padded by ``size − 1`` channels, and two
        input-sized intermediates (the scaled sum and its power)."""
        x = inputs[0]
        padded = (x.channels + self.size - 1) * x.spatial_numel
        return Saved(inputs=(0,), extra=(Extra("padded squares", padded),
                                         Extra("denominator and its base", 2 * x.numel)))

    def transients(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                   backward: bool = False) -> tuple[Extra, ...]:
        """PyTorch's ``local_response_norm`` runs as a dozen ops. At inference their peak is
        the output and two input-sized intermediates, or the padded squares with one; in
        training what they keep for backward is the peak; its backward starts with three
        input-sized intermediates beside the input's gradient (``x / d`` and its derivative
        in ``d``), which is its peak."""
        x = inputs[0]
        if backward:
            return (Extra("derivative intermediates", 3 * x.numel),)
        if training:
            return ()
        padded = (x.channels + self.size - 1) * x.spatial_numel
        return (Extra("intermediates", max(padded, 2 * x.numel)),)


@register
@dataclass(frozen=True)
class Dropout(Layer):
    """Dropout: identity at inference; a mask during training."""

    kind = "dropout"
    aliases = ("dropout2d", "dropout1d", "dropout3d")
    doc = "dropout (identity at inference; shapes and counts unchanged)"
    category = "regularization"

    p: float = attr(Float(0.0, 1.0), 0.5, doc="probability of zeroing an element",
                    aliases=("rate",))
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True; "
                                            "EfficientNet, MobileNetV3, MNASNet)")

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """The mask (p = 0 and p = 1 need none: PyTorch returns the input or zeros). In place,
        PyTorch never takes its fused path, so the mask is a tensor of the activation dtype on
        CUDA too; otherwise CUDA keeps one byte per element (ATen's Dropout.cpp)."""
        if self.p in (0.0, 1.0):
            return NOTHING
        if self.inplace:
            return Saved(extra=(Extra("dropout noise (in place)", output.numel,
                                      element=ACTIVATION),))
        return Saved(extra=(Extra("dropout mask", output.numel, element=MASK),))

    def output_storage(self, training: bool) -> str:
        """The input itself at inference, and in training with p = 0; in training, over its
        input with ``inplace``."""
        if not training or self.p == 0:
            return VIEW
        return INPLACE if self.inplace else NEW
