"""What modern residual blocks apply to a branch before the sum: ``layer_scale`` (a learnt
per-channel scale, ConvNeXt's γ) and ``stochastic_depth`` (dropping the whole branch of a sample
in training)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.layers.base import Counts, Layer, register
from cnncalc.model.attrs import Choice, Float, attr
from cnncalc.model.saved import ACTIVATION, INPLACE, NEW, NOTHING, VIEW, Extra, Saved
from cnncalc.model.shape import Shape


@register
@dataclass(frozen=True)
class LayerScale(Layer):
    """A learnt scale per channel, ``γ · x`` (Touvron et al. 2021, "Going deeper with image
    transformers"; ConvNeXt's ``layer_scale`` parameter of shape C×1×1)."""

    kind = "layer_scale"
    aliases = ("layerscale",)
    doc = "a learnt scale per channel, γ·x (ConvNeXt, CaiT); C parameters"
    category = "norm"
    example_layer = "- layer_scale: {init: 1.0e-6}"

    init: float = attr(Float(), 1e-6, doc="the initial value of every γ (ConvNeXt: 1e-6); "
                                          "changes values, not counts")

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        return Counts(inputs[0].channels)

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Its input, for γ's gradient (only when γ is trained; the input's gradient needs γ,
        a parameter). PyTorch's ``mul`` backward; autocast makes no low-precision copy of γ."""
        return Saved(inputs=(0,)) if weight_grad else NOTHING

    def output_storage(self, training: bool) -> str:
        """A new tensor in training (``self.layer_scale * x``); over its input at inference."""
        return NEW if training else INPLACE

    def eager_storage(self, training: bool) -> str:
        """A new tensor: eager PyTorch multiplies out of place in both modes."""
        return NEW

    def parameter_gradient_scratch(self, inputs: tuple[Shape, ...],
                                   output: Shape) -> tuple[Extra, ...]:
        """γ's gradient is first the full product ``grad · x``, the output's size, then
        summed down to C×1×1."""
        return (Extra("unreduced gradient of γ", output.numel),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        return (f"shape: {output} (unchanged)",
                f"params: γ, one per channel = {inputs[0].channels:,}")


@register
@dataclass(frozen=True)
class StochasticDepth(Layer):
    """Stochastic depth (Huang et al. 2016; torchvision's ``StochasticDepth``): in training,
    zero the input of a sample ("row") or of the whole batch ("batch") with probability
    ``p`` and scale the rest by 1/(1 − p); the identity at inference. Put it on a residual
    branch, before the sum."""

    kind = "stochastic_depth"
    aliases = ("drop_path",)
    doc = "drop a residual branch per sample in training (identity at inference)"
    category = "regularization"
    example_layer = "- stochastic_depth: {p: 0.1}"

    p: float = attr(Float(0.0, 1.0), doc="probability of dropping the branch")
    mode: Any = attr(Choice(("row", "batch")), "row",
                     doc="row: one draw per sample; batch: one draw for the whole batch")

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """The noise it multiplies by: one value per sample ("row") or one for the batch, of
        the activation dtype; nothing when p = 0 (torchvision returns the input)."""
        if self.p == 0:
            return NOTHING
        if self.mode == "row":
            return Saved(extra=(Extra("stochastic depth noise, one per sample", 1,
                                      element=ACTIVATION),))
        return Saved(extra=(Extra("stochastic depth noise, one per batch", fixed=1,
                                  element=ACTIVATION),))

    def output_storage(self, training: bool) -> str:
        """The input itself at inference, or with p = 0; in training a new tensor
        (``input * noise``)."""
        return NEW if training and self.p > 0 else VIEW

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        return (f"shape: {output} (unchanged); in training a branch of a "
                f"{'sample' if self.mode == 'row' else 'batch'} is dropped with p = {self.p:g}",)

    def describe(self, rank: int = 2) -> str:
        return f"stochastic_depth {self.p:g}"
