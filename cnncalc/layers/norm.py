"""Normalisation and regularisation: ``batchnorm``, ``lrn``, ``dropout``."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.layers.base import Counts, Layer, register
from cnncalc.model.attrs import Bool, Float, Int, attr
from cnncalc.model.saved import MASK, NEW, NOTHING, STAT, VIEW, Extra, Saved
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

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """The mask (p = 0 and p = 1 need none: PyTorch returns the input or zeros)."""
        if self.p in (0.0, 1.0):
            return NOTHING
        return Saved(extra=(Extra("dropout mask", output.numel, element=MASK),))

    def output_storage(self, training: bool) -> str:
        """The input itself at inference, and in training with p = 0."""
        return NEW if training and self.p > 0 else VIEW
