"""Fully connected layers and the reshaping around them: ``linear`` and ``flatten``."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.layers.base import Counts, Layer, register
from cnncalc.model.attrs import Bool, Int, attr
from cnncalc.model.errors import ShapeError
from cnncalc.model.saved import INPUT_AND_WEIGHTS, VIEW, WEIGHTS, Saved
from cnncalc.model.shape import Shape


@register
@dataclass(frozen=True)
class Linear(Layer):
    """A fully connected layer on a flat input (PyTorch ``Linear``)."""

    kind = "linear"
    aliases = ("fc", "dense", "fully_connected")
    doc = "fully connected layer on a flat vector (PyTorch Linear)"
    example_input = "[512]"
    category = "linear"

    out: int = attr(Int(1), doc="output features", aliases=("out_features", "units"))
    bias: bool = attr(Bool(), True, doc="learn an additive bias per output")

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        if x.rank:
            raise ShapeError(f"linear needs a flat input but gets {x}; add '- flatten' before "
                             f"it (or write it as a convolution with kernel "
                             f"{'x'.join(map(str, x.spatial))})")
        return Shape(self.out)

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        return Counts(inputs[0].channels * self.out, self.out if self.bias else 0)

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return inputs[0].channels * self.out

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        c = self.counts(inputs, output)
        bias = f" + {c.bias:,} bias" if c.bias else ""
        return (f"out: {self.out} features",
                f"params: {inputs[0].channels}·{self.out} = {c.weights:,} weights{bias} "
                f"= {c.params:,}",
                f"MACs: {inputs[0].channels}·{self.out} = {self.macs(inputs, output):,}")

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Its weight, and its input only when the weight is trained (AddmmBackward0 saves
        ``mat1`` only for the weight's gradient)."""
        return INPUT_AND_WEIGHTS if weight_grad else WEIGHTS

    def describe(self, rank: int = 2) -> str:
        return f"linear → {self.out}"


@register
class Flatten(Layer):
    """Channels and spatial axes into one vector (PyTorch ``Flatten``, channels first)."""

    kind = "flatten"
    doc = "channels and spatial axes into one flat vector (channels-first order)"
    category = "reshape"

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        return Shape(inputs[0].numel)

    def receptive_map(self, inputs: tuple[Shape, ...], output: Shape) -> None:
        return None

    def output_storage(self, training: bool) -> str:
        return VIEW  # a contiguous tensor flattens to a view

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        dims = "·".join(str(d) for d in inputs[0].dims)
        return (f"out: {dims} = {output.channels:,} features",)
