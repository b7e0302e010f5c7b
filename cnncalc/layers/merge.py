"""Layers that merge several inputs: ``concat`` (channels), ``add`` (element-wise sum) and
``mul`` (element-wise product, squeeze-excitation's gate)."""

from __future__ import annotations

from typing import ClassVar

from cnncalc.layers.base import Layer, register
from cnncalc.model.errors import MergeError
from cnncalc.model.saved import INPLACE, NEW, REDUCED, VIEW, Saved
from cnncalc.model.shape import Shape


class _Merge(Layer):
    category = "merge"
    min_inputs = 2
    max_inputs: ClassVar[int | None] = None


def broadcast(kind: str, inputs: tuple[Shape, ...]) -> Shape:
    """The shape of an element-wise ``add`` or ``mul`` of ``inputs`` under PyTorch's
    broadcasting of size-1 axes (docs.pytorch.org "Broadcasting semantics"): on every axis,
    channels included, the sizes are equal or one of them is 1, and the result takes the
    larger. Inputs must have the same number of axes: PyTorch would align a flat ``C`` with
    the last spatial axis of a ``C×H×W`` tensor, which is never what a network means."""
    first = inputs[0]
    dims = list(first.dims)
    for index, other in enumerate(inputs[1:], start=1):
        if other.rank != first.rank:
            raise MergeError(f"{first} and {other} have different numbers of axes ({kind} "
                             f"broadcasts size-1 axes of inputs of one rank)", 0, index,
                             f"{kind} broadcasts size-1 axes of inputs of one rank")
        for axis, size in enumerate(other.dims):
            if size != dims[axis] and 1 not in (size, dims[axis]):
                raise MergeError(f"shapes differ: {first} vs {other} ({kind} needs equal sizes "
                                 f"or 1 on every axis)", 0, index,
                                 f"{kind} needs equal sizes or 1 on every axis")
            dims[axis] = max(dims[axis], size)
    return Shape.of(dims)


@register
class Concat(_Merge):
    """Concatenation along channels; every input must have the same spatial size. One input
    is allowed (``torch.cat([x])`` copies it: DenseNet's first dense layer)."""

    kind = "concat"
    aliases = ("concatenate", "cat")
    doc = "concatenate inputs along the channel axis (inception modules, U-Net skips)"
    min_inputs = 1
    example_layer = ("- concat: [[conv: {out: 16, kernel: 1}], "
                     "[maxpool: {kernel: 3, stride: 1, padding: 1}]]")

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        first = inputs[0]
        for index, other in enumerate(inputs[1:], start=1):
            if other.spatial != first.spatial:
                hint = "concat joins channels; every other axis must match"
                raise MergeError(f"spatial sizes differ: {first} vs {other} ({hint})", 0, index,
                                 hint)
        return Shape(sum(x.channels for x in inputs), first.spatial)

    def gradient_storage(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        """Each input receives a slice of the output's gradient (CatBackward0)."""
        return (VIEW,) * len(inputs)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        parts = " + ".join(str(x.channels) for x in inputs)
        spatial = "×".join(map(str, output.spatial)) or "none"
        return (f"channels: {parts} = {output.channels}; spatial {spatial} from every input",)


@register
class Add(_Merge):
    """Element-wise sum (residual connections), broadcasting size-1 axes as PyTorch does."""

    kind = "add"
    aliases = ("sum", "residual")
    doc = "element-wise sum (residual connections); size-1 axes broadcast as in PyTorch"
    example_layer = "- add: [[], [conv: {out: 8, kernel: 3, padding: 1}, batchnorm]]"

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        return broadcast(self.kind, inputs)

    def output_storage(self, training: bool) -> str:
        """Into its first input at inference when nothing else reads it (``out += identity``
        in torchvision's ResNet)."""
        return NEW if training else INPLACE

    def eager_storage(self, training: bool) -> str:
        """A new tensor (``a + b``, as cnncalc's PyTorch export writes it)."""
        return NEW

    def gradient_storage(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        """An input of the output's shape receives the output's gradient itself
        (AddBackward0); a broadcast one a new tensor, the gradient summed down to its shape."""
        return tuple(VIEW if x == output else NEW for x in inputs)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        return (f"shape: {output} (all {len(inputs)} inputs, size-1 axes broadcast); "
                f"additions are not counted as MACs",)


@register
class Mul(_Merge):
    """Element-wise product of two inputs, broadcasting size-1 axes: squeeze-excitation's
    ``x * s`` with ``s`` of shape C×1×1 (SENet, EfficientNet, MobileNetV3, RegNetY)."""

    kind = "mul"
    aliases = ("multiply", "product")
    doc = "element-wise product of two inputs, size-1 axes broadcast (squeeze-excitation gate)"
    max_inputs = 2
    example_layer = ("- mul: [[], [global_avgpool, conv: {out: 2, kernel: 1}, relu, "
                     "conv: {out: 8, kernel: 1},\n           sigmoid]]")

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        return broadcast(self.kind, inputs)

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Both factors: each is the gradient of the other (kept only when that other one
        needs a gradient; PyTorch's ``mul`` backward, checked with saved_tensors_hooks)."""
        return Saved(inputs=(0, 1), factors=True)

    def output_storage(self, training: bool) -> str:
        """A new tensor in training (``scale * input``); into an input of the output's shape
        at inference, when nothing else reads it (as a fused runtime does)."""
        return NEW if training else INPLACE

    def gradient_storage(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        """A new tensor per factor; a broadcast factor's is first the full product
        ``grad · other``, the output's size, then summed down to its shape."""
        return tuple(NEW if x == output else REDUCED for x in inputs)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        shapes = " · ".join(str(x) for x in inputs)
        return (f"shape: {shapes} → {output} (size-1 axes broadcast); products are not counted "
                f"as MACs",)
