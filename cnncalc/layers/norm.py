"""Normalisation and regularisation: ``batchnorm``, ``lrn``, ``dropout``."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.core.attrs import Bool, Float, Int, attr
from cnncalc.core.layer import Counts, Layer, register
from cnncalc.core.shape import Shape
from cnncalc.layers._explain import n


@register
@dataclass(frozen=True, eq=False, repr=False)
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

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        c = inputs[0].channels
        cnt = self.counts(inputs, output)
        lines = [f"shape: {output} (unchanged)"]
        lines.append(f"params: γ {n(c)} + β {n(c)} = {n(cnt.params)}" if self.affine
                     else "params: none (affine off)")
        if cnt.buffers:
            lines.append(f"buffers: running mean {n(c)} + running var {n(c)} = {n(cnt.buffers)} "
                         f"(not parameters)")
        return tuple(lines)


@register
@dataclass(frozen=True, eq=False, repr=False)
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


@register
@dataclass(frozen=True, eq=False, repr=False)
class Dropout(Layer):
    """Dropout: identity at inference; a mask during training."""

    kind = "dropout"
    aliases = ("dropout2d", "dropout1d", "dropout3d")
    doc = "dropout (identity at inference; shapes and counts unchanged)"
    category = "regularization"

    p: float = attr(Float(0.0, 1.0), 0.5, doc="probability of zeroing an element",
                    aliases=("rate",))
