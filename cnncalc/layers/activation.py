"""Element-wise activations. None changes a shape; only ``prelu`` has parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from cnncalc.layers.base import Counts, Layer, register
from cnncalc.model.attrs import Bool, Choice, Float, attr
from cnncalc.model.saved import INPLACE, INPUT, INPUT_AND_WEIGHTS, NEW, OUTPUT, VIEW, Extra, Saved
from cnncalc.model.shape import Shape


class _Activation(Layer):
    category = "activation"
    saves_output: ClassVar[bool] = False
    """Whether backward reads the output (relu, sigmoid, tanh, softmax) rather than the input."""
    inplace_saves_output: ClassVar[bool] = False
    """Whether the in-place version's backward reads the output (relu, leaky_relu, elu). Where
    it needs the input instead (relu6, whose in-place form is hardtanh_), PyTorch saves a copy
    of the input before overwriting it, so running in place saves no memory in training."""

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """The output or the input, whichever its derivative is written in (PyTorch's
        derivatives.yaml, checked with saved_tensors_hooks)."""
        if getattr(self, "inplace", False):
            if self.saves_output or self.inplace_saves_output:
                return OUTPUT
            return Saved(extra=(Extra("copy of the input (in place)", inputs[0].numel),))
        if self.saves_output:
            return OUTPUT
        return INPUT

    def output_storage(self, training: bool) -> str:
        """In place at inference (as inference runtimes fuse it into the layer before); in
        training only with ``inplace: true``, as PyTorch does."""
        if not training or getattr(self, "inplace", False):
            return INPLACE
        return NEW

    def eager_storage(self, training: bool) -> str:
        """In place only with ``inplace: true``, at inference too (PyTorch's ``inplace=True``)."""
        return INPLACE if getattr(self, "inplace", False) else NEW


@register
@dataclass(frozen=True)
class ReLU(_Activation):
    """``max(0, x)`` (PyTorch ``ReLU``)."""

    kind = "relu"
    doc = "max(0, x)"
    saves_output = True
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True); "
                                            "changes memory, not shapes")


@register
@dataclass(frozen=True)
class ReLU6(_Activation):
    """``min(max(0, x), 6)`` (PyTorch ``ReLU6``)."""

    kind = "relu6"
    doc = "min(max(0, x), 6) (MobileNet)"
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True)")


@register
@dataclass(frozen=True)
class LeakyReLU(_Activation):
    """Leaky ReLU (PyTorch ``LeakyReLU``)."""

    kind = "leaky_relu"
    aliases = ("leakyrelu",)
    doc = "x if x > 0 else negative_slope·x"
    inplace_saves_output = True
    negative_slope: float = attr(Float(), 0.01, doc="slope for negative inputs",
                                 aliases=("alpha", "slope"))
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True)")


@register
@dataclass(frozen=True)
class ELU(_Activation):
    """Exponential linear unit (PyTorch ``ELU``)."""

    kind = "elu"
    doc = "x if x > 0 else alpha·(exp(x) − 1)"
    inplace_saves_output = True
    alpha: float = attr(Float(), 1.0, doc="scale for negative inputs")
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True)")


@register
@dataclass(frozen=True)
class PReLU(_Activation):
    """Leaky ReLU with learnt slopes (PyTorch ``PReLU``)."""

    kind = "prelu"
    doc = "leaky ReLU with a learnt slope, shared or one per channel (PyTorch PReLU)"
    per_channel: bool = attr(Bool(), False, doc="one slope per channel instead of one in all")

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        return Counts(inputs[0].channels if self.per_channel else 1)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        slopes = (f"one slope per channel = {inputs[0].channels}" if self.per_channel
                  else "one slope shared by every channel = 1")
        return (f"shape: {output} (unchanged)", f"params: {slopes}")

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        return INPUT_AND_WEIGHTS

    def transients(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                   backward: bool = False) -> tuple[Extra, ...]:
        """Backward computes the slopes' gradient per element before summing it
        (``_prelu_kernel_backward``)."""
        return (Extra("per-element slope gradient", inputs[0].numel),) if backward else ()


@register
class Sigmoid(_Activation):
    kind = "sigmoid"
    doc = "1 / (1 + exp(−x))"
    saves_output = True


@register
class Tanh(_Activation):
    kind = "tanh"
    doc = "hyperbolic tangent"
    saves_output = True


@register
@dataclass(frozen=True)
class GELU(_Activation):
    """Gaussian error linear unit (PyTorch ``GELU``)."""

    kind = "gelu"
    doc = "x·Φ(x)"
    approximate: Any = attr(Choice(("none", "tanh")), "none", doc="PyTorch's approximation")


@register
@dataclass(frozen=True)
class SiLU(_Activation):
    """``x·sigmoid(x)`` (PyTorch ``SiLU``; EfficientNet uses it in place)."""

    kind = "silu"
    aliases = ("swish",)
    doc = "x·sigmoid(x)"
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True); in "
                                            "training PyTorch then keeps a copy of the input")


@register
@dataclass(frozen=True)
class Hardswish(_Activation):
    """``x·relu6(x + 3)/6`` (PyTorch ``Hardswish``)."""

    kind = "hardswish"
    aliases = ("hard_swish",)
    doc = "x·relu6(x + 3)/6 (MobileNetV3)"
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True); in "
                                            "training PyTorch then keeps a copy of the input")


@register
@dataclass(frozen=True)
class Hardsigmoid(_Activation):
    """``relu6(x + 3)/6`` (PyTorch ``Hardsigmoid``): MobileNetV3's squeeze-excitation gate."""

    kind = "hardsigmoid"
    aliases = ("hard_sigmoid",)
    doc = "relu6(x + 3)/6 (MobileNetV3's squeeze-excitation gate)"
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True); in "
                                            "training PyTorch then keeps a copy of the input")


@register
@dataclass(frozen=True)
class Mish(_Activation):
    """``x·tanh(softplus(x))`` (PyTorch ``Mish``; Misra 2019, YOLOv4's backbone)."""

    kind = "mish"
    doc = "x·tanh(softplus(x)) (YOLOv4, CSPDarknet)"
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True); in "
                                            "training PyTorch then keeps a copy of the input")


@register
class Softmax(_Activation):
    kind = "softmax"
    doc = "exp(x) normalised over the channel axis"
    saves_output = True


@register
class Identity(Layer):
    kind = "identity"
    doc = "passes its input through unchanged"
    category = "other"

    def output_storage(self, training: bool) -> str:
        return VIEW
