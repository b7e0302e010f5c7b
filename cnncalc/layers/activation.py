"""Element-wise activations. None changes a shape; only ``prelu`` has parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.core.attrs import Bool, Choice, Float, attr
from cnncalc.core.layer import Counts, Layer, register
from cnncalc.core.shape import Shape


class _Activation(Layer):
    category = "activation"


@register
@dataclass(frozen=True, eq=False, repr=False)
class ReLU(_Activation):
    """``max(0, x)`` (PyTorch ``ReLU``)."""

    kind = "relu"
    doc = "max(0, x)"
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True); "
                                            "changes memory, not shapes")


@register
@dataclass(frozen=True, eq=False, repr=False)
class ReLU6(_Activation):
    """``min(max(0, x), 6)`` (PyTorch ``ReLU6``)."""

    kind = "relu6"
    doc = "min(max(0, x), 6) (MobileNet)"
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True)")


@register
@dataclass(frozen=True, eq=False, repr=False)
class LeakyReLU(_Activation):
    """Leaky ReLU (PyTorch ``LeakyReLU``)."""

    kind = "leaky_relu"
    aliases = ("leakyrelu",)
    doc = "x if x > 0 else negative_slope·x"
    negative_slope: float = attr(Float(), 0.01, doc="slope for negative inputs",
                                 aliases=("alpha", "slope"))
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True)")


@register
@dataclass(frozen=True, eq=False, repr=False)
class ELU(_Activation):
    """Exponential linear unit (PyTorch ``ELU``)."""

    kind = "elu"
    doc = "x if x > 0 else alpha·(exp(x) − 1)"
    alpha: float = attr(Float(), 1.0, doc="scale for negative inputs")
    inplace: bool = attr(Bool(), False, doc="overwrite the input (PyTorch inplace=True)")


@register
@dataclass(frozen=True, eq=False, repr=False)
class PReLU(_Activation):
    """Leaky ReLU with learnt slopes (PyTorch ``PReLU``)."""

    kind = "prelu"
    doc = "leaky ReLU with a learnt slope, shared or one per channel (PyTorch PReLU)"
    per_channel: bool = attr(Bool(), False, doc="one slope per channel instead of one in all")

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        return Counts(inputs[0].channels if self.per_channel else 1)


@register
class Sigmoid(_Activation):
    kind = "sigmoid"
    doc = "1 / (1 + exp(−x))"


@register
class Tanh(_Activation):
    kind = "tanh"
    doc = "hyperbolic tangent"


@register
@dataclass(frozen=True, eq=False, repr=False)
class GELU(_Activation):
    """Gaussian error linear unit (PyTorch ``GELU``)."""

    kind = "gelu"
    doc = "x·Φ(x)"
    approximate: Any = attr(Choice(("none", "tanh")), "none", doc="PyTorch's approximation")


@register
class SiLU(_Activation):
    kind = "silu"
    aliases = ("swish",)
    doc = "x·sigmoid(x)"


@register
class Hardswish(_Activation):
    kind = "hardswish"
    aliases = ("hard_swish",)
    doc = "x·relu6(x + 3)/6 (MobileNetV3)"


@register
class Softmax(_Activation):
    kind = "softmax"
    doc = "exp(x) normalised over the channel axis"


@register
class Identity(Layer):
    kind = "identity"
    doc = "passes its input through unchanged"
    category = "other"
