"""Layers that move elements without computing: ``channel_shuffle``, ``split`` (a channel
slice), ``pixel_shuffle`` and ``pixel_unshuffle``. None has parameters or MACs, and none keeps
anything for the backward pass (its gradient is the inverse rearrangement)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.layers.base import Layer, register
from cnncalc.layers.spatial import interpolation_map
from cnncalc.model.attrs import Attr, Int, attr
from cnncalc.model.errors import AttributeValueError, ShapeError
from cnncalc.model.geometry import require_spatial
from cnncalc.model.rf import IDENTITY_AXIS, AxisMap
from cnncalc.model.saved import NEW, VIEW, Extra
from cnncalc.model.shape import Shape


@register
@dataclass(frozen=True)
class ChannelShuffle(Layer):
    """ShuffleNet's channel shuffle (PyTorch ``ChannelShuffle``; torchvision's
    ``channel_shuffle``): channels viewed as ``groups × C/groups``, transposed, flattened, so
    that the next grouped convolution mixes the groups."""

    kind = "channel_shuffle"
    aliases = ("shuffle",)
    doc = "interleave the channels of `groups` groups (ShuffleNet)"
    category = "reshape"
    example_layer = "- channel_shuffle: {groups: 2}"

    groups: int = attr(Int(1), doc="number of groups (must divide the channels)")

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        if x.channels % self.groups:
            raise ShapeError(f"{x.channels} channels are not divisible by groups {self.groups}")
        return x

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        c = inputs[0].channels
        return (f"shape: {output} (unchanged): {self.groups} groups of {c // self.groups} "
                f"channels interleaved; a new tensor, nothing kept for backward",)

    def describe(self, rank: int = 2) -> str:
        return f"channel_shuffle g{self.groups}"


@dataclass(frozen=True)
class Parts(Attr):
    """``parts`` of a split: a number of (nearly) equal parts, as ``torch.chunk``, or the size
    of every part, as ``torch.split``."""

    def convert(self, given: Any) -> int | tuple[int, ...]:
        if isinstance(given, (list, tuple)):
            if not given or len(given) > 4096:
                raise AttributeValueError(f"expected 1 to 4096 part sizes, got {len(given)}")
            return tuple(Int(1).convert(v) for v in given)
        return Int(1).convert(given)

    def json_schema(self) -> dict[str, Any]:
        size = {"type": "integer", "minimum": 1}
        return {"oneOf": [size, {"type": "array", "items": size, "minItems": 1}]}

    def describe(self) -> str:
        return "int ≥ 1 (equal parts) or list of part sizes"


@register
@dataclass(frozen=True)
class Split(Layer):
    """One part of the channels: ``x.chunk(parts, dim=1)[take]`` for a number of parts
    (ShuffleNetV2's split), ``x.split(sizes, dim=1)[take]`` for a list of sizes (CSPNet's
    partial paths). A view of the input: no copy, nothing kept for backward."""

    kind = "split"
    aliases = ("chunk", "channel_split", "slice")
    doc = "one part of the channels: x.chunk(parts, 1)[take] or x.split(sizes, 1)[take]"
    category = "reshape"
    example_layer = "- split: {parts: 2, take: 1}"

    parts: Any = attr(Parts(), doc="number of equal parts (torch.chunk), or every part's size "
                                   "(torch.split)", aliases=("chunks", "sizes"))
    take: int = attr(Int(0), 0, doc="which part, counting from 0", aliases=("index",))

    def bounds(self, channels: int) -> tuple[int, int]:
        """The part's first channel and its size."""
        sizes = self.sizes(channels)
        return sum(sizes[:self.take]), sizes[self.take]

    def sizes(self, channels: int) -> list[int]:
        """Every part's size in channels."""
        if isinstance(self.parts, tuple):
            if sum(self.parts) != channels:
                raise ShapeError(f"split sizes {list(self.parts)} add up to {sum(self.parts)}, "
                                 f"not the {channels} input channels")
            sizes = list(self.parts)
        else:
            step = -(-channels // self.parts)  # torch.chunk: ⌈C/parts⌉ each, the last smaller
            sizes = [min(step, channels - start) for start in range(0, channels, step)]
        if self.take >= len(sizes):
            raise ShapeError(f"split into {len(sizes)} part{'s' if len(sizes) > 1 else ''} "
                             f"({', '.join(map(str, sizes))} channels) has no part {self.take} "
                             f"(take counts from 0)")
        return sizes

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        return x.with_channels(self.bounds(x.channels)[1])

    def output_storage(self, training: bool) -> str:
        return VIEW  # a slice of the input's channels

    def gradient_storage(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        """A new input-sized gradient: the parts' gradients concatenated (SplitBackward0)."""
        return (NEW,)

    def transients(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                   backward: bool = False) -> tuple[Extra, ...]:
        """In backward, a zero gradient for each part not taken, concatenated with the taken
        part's into the input's gradient, then freed (PyTorch's ``split_backward``)."""
        if not backward:
            return ()
        x = inputs[0]
        sizes = self.sizes(x.channels)
        return tuple(Extra("zero gradient of a part not taken", size * x.spatial_numel)
                     for k, size in enumerate(sizes) if k != self.take)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        start, size = self.bounds(inputs[0].channels)
        return (f"channels {start} to {start + size - 1} of {inputs[0].channels}: {output} "
                f"(a view of the input)",)

    def describe(self, rank: int = 2) -> str:
        parts = list(self.parts) if isinstance(self.parts, tuple) else self.parts
        return f"split {parts}[{self.take}]"


class _PixelShuffleBase(Layer):
    category = "reshape"
    factor: int

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        r = self.factor
        return (f"{inputs[0]} → {output} (C·{r}² ↔ H·{r}, W·{r}: elements moved, nothing "
                f"computed)",)


def _two_d(kind: str, x: Shape) -> None:
    require_spatial(kind, x.rank)
    if x.rank != 2:
        raise ShapeError(f"{kind} works on 2-D inputs (C×H×W, as PyTorch's), got {x}")


@register
@dataclass(frozen=True)
class PixelShuffle(_PixelShuffleBase):
    """Sub-pixel convolution's rearrangement (Shi et al. 2016; PyTorch ``PixelShuffle``):
    ``C·r² × H × W`` → ``C × H·r × W·r``."""

    kind = "pixel_shuffle"
    aliases = ("depth_to_space",)
    doc = "C·r²×H×W → C×rH×rW (sub-pixel convolution, super-resolution)"
    example_layer = "- pixel_shuffle: {factor: 2}"

    factor: int = attr(Int(1), doc="upscale factor r", aliases=("upscale_factor",))

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        _two_d(self.kind, x)
        r2 = self.factor * self.factor
        if x.channels % r2:
            raise ShapeError(f"{x.channels} channels are not divisible by factor² = {r2}")
        return Shape(x.channels // r2, tuple(s * self.factor for s in x.spatial))

    def receptive_map(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[AxisMap, ...]:
        """Output unit ``o`` reads input unit ``⌊o/r⌋``, as a nearest upsampling by r."""
        return tuple(interpolation_map(i, i * self.factor, float(self.factor), "nearest", False)
                     for i in inputs[0].spatial)

    def describe(self, rank: int = 2) -> str:
        return f"pixel_shuffle ×{self.factor}"


@register
@dataclass(frozen=True)
class PixelUnshuffle(_PixelShuffleBase):
    """The inverse of ``pixel_shuffle`` (PyTorch ``PixelUnshuffle``): ``C × H·r × W·r`` →
    ``C·r² × H × W``."""

    kind = "pixel_unshuffle"
    aliases = ("space_to_depth",)
    doc = "C×rH×rW → C·r²×H×W (space to depth)"
    example_layer = "- pixel_unshuffle: {factor: 2}"

    factor: int = attr(Int(1), doc="downscale factor r", aliases=("downscale_factor",))

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        _two_d(self.kind, x)
        r = self.factor
        if any(s % r for s in x.spatial):
            raise ShapeError(f"spatial size {'×'.join(map(str, x.spatial))} is not divisible "
                             f"by factor {r}")
        return Shape(x.channels * r * r, tuple(s // r for s in x.spatial))

    def receptive_map(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[AxisMap, ...]:
        """Output unit ``o`` reads input units ``o·r`` to ``o·r + r − 1`` (an r×r window of
        stride r)."""
        if self.factor == 1:
            return tuple(IDENTITY_AXIS for _ in output.spatial)
        return tuple(AxisMap.window(self.factor, self.factor, 0) for _ in output.spatial)

    def describe(self, rank: int = 2) -> str:
        return f"pixel_unshuffle /{self.factor}"
