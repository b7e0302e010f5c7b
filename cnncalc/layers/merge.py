"""Layers that merge several inputs: ``concat`` (channels) and ``add`` (element-wise)."""

from __future__ import annotations

from cnncalc.layers.base import Layer, register
from cnncalc.model.errors import MergeError
from cnncalc.model.saved import INPLACE, NEW, VIEW
from cnncalc.model.shape import Shape


class _Merge(Layer):
    category = "merge"
    min_inputs = 2
    max_inputs = None


@register
class Concat(_Merge):
    """Concatenation along channels; every input must have the same spatial size."""

    kind = "concat"
    aliases = ("concatenate", "cat")
    doc = "concatenate inputs along the channel axis (inception modules, U-Net skips)"
    example_layer = ("- concat: [[conv: {out: 4, kernel: 1}], "
                     "[conv: {out: 4, kernel: 3, padding: 1}]]")

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        first = inputs[0]
        for index, other in enumerate(inputs[1:], start=1):
            if other.spatial != first.spatial:
                hint = "concat joins channels; every other axis must match"
                raise MergeError(f"spatial sizes differ: {first} vs {other} ({hint})", 0, index,
                                 hint)
        return Shape(sum(x.channels for x in inputs), first.spatial)

    def gradient_storage(self) -> str:
        """Each input receives a slice of the output's gradient (CatBackward0)."""
        return VIEW

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        parts = " + ".join(str(x.channels) for x in inputs)
        spatial = "×".join(map(str, output.spatial)) or "none"
        return (f"channels: {parts} = {output.channels}; spatial {spatial} from every input",)


@register
class Add(_Merge):
    """Element-wise sum (residual connections); every input must have the same shape."""

    kind = "add"
    aliases = ("sum", "residual")
    doc = "element-wise sum of inputs of one shape (residual connections)"
    example_layer = "- add: [[], [conv: {out: 8, kernel: 3, padding: 1}]]"

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        first = inputs[0]
        for index, other in enumerate(inputs[1:], start=1):
            if other != first:
                raise MergeError(f"shapes differ: {first} vs {other} (add needs equal shapes)",
                                 0, index, "add needs equal shapes")
        return first

    def output_storage(self, training: bool) -> str:
        """Into its first input at inference when nothing else reads it (``out += identity``
        in torchvision's ResNet)."""
        return NEW if training else INPLACE

    def eager_storage(self, training: bool) -> str:
        """A new tensor (``a + b``, as cnncalc's PyTorch export writes it)."""
        return NEW

    def gradient_storage(self) -> str:
        """Every input receives the output's gradient itself (AddBackward0)."""
        return VIEW

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        return (f"shape: {output} (all {len(inputs)} inputs); additions are not counted as "
                f"MACs",)
