"""Layers that change spatial size without a learnt window: ``upsample``, ``pad``, ``crop``."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cnncalc.layers.base import Layer, register
from cnncalc.model import arith
from cnncalc.model.attrs import Bool, Choice, Float, Padding, PerAxis, Ref, Scale, attr
from cnncalc.model.axes import axis_lines, format_axes, per_axis
from cnncalc.model.errors import AttributeValueError, ShapeError
from cnncalc.model.geometry import padding_pairs, require_spatial
from cnncalc.model.rf import MAX_PERIOD, AxisMap
from cnncalc.model.saved import INPUT, NEW, NOTHING, VIEW, Extra, Saved
from cnncalc.model.shape import Shape

UPSAMPLE_MODES = ("nearest", "linear", "bilinear", "trilinear", "bicubic")


def interpolation_map(n_in: int, n_out: int, scale: float | None, mode: str,
                      align_corners: bool) -> AxisMap:
    """Which inputs an interpolated output reads, as PyTorch computes them
    (aten/src/ATen/native/UpSample.h: ``nearest_idx``, ``area_pixel_compute_scale`` and
    ``area_pixel_compute_source_index``): the source coordinate of output ``o`` is ``o·r``
    (nearest, and linear with ``align_corners``) or ``(o + ½)·r − ½`` (linear), with
    ``r = 1/scale`` when a scale is given, ``n_in/n_out`` for a size and
    ``(n_in − 1)/(n_out − 1)`` with ``align_corners``. Nearest reads ``⌊src⌋``; linear reads
    ``⌊src⌋`` and the next input unless ``src`` is a whole number; cubic four inputs around
    it. Clamping at the border is treated like padding: the field reaches past the edge."""
    if mode != "nearest" and align_corners:
        ratio = Fraction(n_in - 1, n_out - 1) if n_out > 1 else Fraction(0)
    elif scale is not None:
        ratio = 1 / Fraction(str(scale))
    else:
        ratio = Fraction(n_in, n_out)
    period, shift = ratio.denominator, ratio.numerator
    if period > MAX_PERIOD:
        return AxisMap(period, shift, ())
    centred = mode != "nearest" and not align_corners
    ranges: list[tuple[int, int, int] | None] = []
    for o in range(period):
        src = (o + Fraction(1, 2)) * ratio - Fraction(1, 2) if centred else o * ratio
        first = src.numerator // src.denominator
        if mode == "nearest" or src.denominator == 1:
            ranges.append((first, first, 1))
        elif mode == "bicubic":
            ranges.append((first - 1, first + 2, 1))
        else:
            ranges.append((first, first + 1, 1))
    return AxisMap.periodic(ranges, shift)


@register
@dataclass(frozen=True)
class Upsample(Layer):
    """Upsampling by a scale factor, to a size, or to the size of another layer's output
    (PyTorch ``Upsample``/``interpolate``; DeepLabV3's and FCN's final resize to the input)."""

    kind = "upsample"
    aliases = ("interpolate", "resize")
    doc = "resize by a scale factor, to a size, or like another layer (nearest or linear)"
    category = "reshape"
    example_layer = "- upsample: {scale: 2, mode: bilinear}"

    scale: Any = attr(Scale(), None, doc="scale factor, or one per axis (output = ⌊i·scale⌋)",
                      aliases=("scale_factor",))
    size: Any = attr(PerAxis(1), None, doc="output size, or one per axis")
    like: Any = attr(Ref(), None, doc="resize to the spatial size of this layer's output "
                                      "('input': the network input)")
    mode: Any = attr(Choice(UPSAMPLE_MODES), "nearest",
                     doc="interpolation; 'linear' means linear on every axis")
    align_corners: bool = attr(Bool(), False, doc="align corner pixels (linear modes; values only)")

    def validate(self) -> None:
        given = [a for a in ("scale", "size", "like") if getattr(self, a) is not None]
        if len(given) != 1:
            raise AttributeValueError("upsample needs exactly one of scale, size and like",
                                      given[1] if len(given) > 1 else None)

    def arity(self) -> tuple[int, int | None]:
        return (2, 2) if self.like is not None else (1, 1)

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        require_spatial(self.kind, x.rank)
        if self.like is not None:
            target = inputs[1]
            if target.rank != x.rank:
                raise ShapeError(f"cannot resize {x} to the size of {target}: different number "
                                 f"of spatial axes")
            return x.with_spatial(target.spatial)
        if self.size is not None:
            sizes = per_axis("size", self.size, x.rank)
            return x.with_spatial(tuple(arith.upsample_out(i, size=s)
                                        for i, s in zip(x.spatial, sizes)))
        scales = per_axis("scale", self.scale, x.rank)
        return x.with_spatial(tuple(arith.upsample_out(i, scale=s)
                                    for i, s in zip(x.spatial, scales)))

    def receptive_map(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[AxisMap, ...]:
        x = inputs[0]
        scales = per_axis("scale", self.scale, x.rank) if self.scale is not None else None
        return tuple(interpolation_map(n_in, n_out, None if scales is None else scales[a],
                                       self.mode, self.align_corners)
                     for a, (n_in, n_out) in enumerate(zip(x.spatial, output.spatial)))

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        x = inputs[0]
        if self.size is not None:
            return (f"out: size {format_axes(output.spatial)} as given",)
        if self.like is not None:
            return (f"out: size {format_axes(output.spatial)}, that of '{self.like}'",)
        scales = per_axis("scale", self.scale, x.rank)
        return tuple(axis_lines([f"⌊{i}·{scale:g}⌋ = {o}"
                                 for i, scale, o in zip(x.spatial, scales, output.spatial)],
                                "out"))

    def describe(self, rank: int = 2) -> str:
        if self.size is not None:
            size = self.size if isinstance(self.size, int) else format_axes(self.size)
            return f"upsample → {size}"
        if self.like is not None:
            return f"upsample like {self.like}"
        s = self.scale if not isinstance(self.scale, tuple) else "×".join(map(str, self.scale))
        return f"upsample ×{s:g}" if isinstance(s, float) else f"upsample ×{s}"


@register
@dataclass(frozen=True)
class Pad(Layer):
    """Explicit padding (PyTorch ``F.pad`` / ``ZeroPad2d``, ``ReflectionPad2d``...)."""

    kind = "pad"
    aliases = ("zero_pad", "zeropad")
    doc = "explicit padding per side (constant, reflect, replicate or circular)"
    category = "reshape"

    padding: Any = attr(Padding(words=()), doc="int, per-axis list or [[before, after], ...]")
    mode: Any = attr(Choice(("constant", "reflect", "replicate", "circular")), "constant",
                     doc="how the border is filled")
    value: float = attr(Float(), 0.0, doc="fill value for constant mode")

    def pads(self, x: Shape) -> tuple[tuple[int, int], ...]:
        require_spatial(self.kind, x.rank)
        return padding_pairs("padding", self.padding, x.rank)

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        pads = self.pads(x)
        for i, (pb, pa) in zip(x.spatial, pads):
            if self.mode == "reflect" and max(pb, pa) >= i:
                raise ShapeError(f"reflect padding {max(pb, pa)} must be smaller than the input "
                                 f"size {i}")
            if self.mode == "circular" and max(pb, pa) > i:
                raise ShapeError(f"circular padding {max(pb, pa)} must not exceed the input "
                                 f"size {i}")
        return x.with_spatial(tuple(i + pb + pa for i, (pb, pa) in zip(x.spatial, pads)))

    def receptive_map(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[AxisMap, ...]:
        return tuple(AxisMap.shifted(-pb) for pb, _ in self.pads(inputs[0]))

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """Reflect and replicate padding keep their input; constant and circular nothing."""
        return INPUT if self.mode in ("reflect", "replicate") else NOTHING

    def transients(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                   backward: bool = False) -> tuple[Extra, ...]:
        """Circular padding's backward (PyTorch's composite ``_pad_circular``) clones its
        output-sized gradient on top of the slices it adds up."""
        if backward and self.mode == "circular":
            return (Extra("clone of the gradient", output.numel),)
        return ()

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        x = inputs[0]
        pads = self.pads(x)
        return tuple(axis_lines([f"{i} + {pb} + {pa} = {o}"
                                 for i, (pb, pa), o in zip(x.spatial, pads, output.spatial)],
                                "out"))


@register
@dataclass(frozen=True)
class Crop(Layer):
    """Cropping to a size, to the size of another layer's output (U-Net), or by a border."""

    kind = "crop"
    aliases = ("center_crop", "cropping")
    doc = "crop to a size, to match another layer's output (like: name), or by a border per side"
    example_layer = "- crop: {size: 24}"
    category = "reshape"
    example_layer = "- crop: {size: 6}"

    size: Any = attr(PerAxis(1), None, doc="output size, or one per axis (centre crop)")
    like: Any = attr(Ref(), None, doc="crop to the spatial size of this layer's output")
    border: Any = attr(Padding(words=()), None,
                       doc="remove this many pixels per side: int, per-axis list or pairs")
    anchor: Any = attr(Choice(("center", "start")), "center",
                       doc="where a size/like crop is taken: the centre (⌊(in−out)/2⌋ first) "
                           "or the start")

    def validate(self) -> None:
        given = [a for a in ("size", "like", "border") if getattr(self, a) is not None]
        if len(given) != 1:
            raise AttributeValueError("crop needs exactly one of size, like and border",
                                      given[1] if len(given) > 1 else None)

    def arity(self) -> tuple[int, int | None]:
        return (2, 2) if self.like is not None else (1, 1)

    def offsets(self, inputs: tuple[Shape, ...]) -> tuple[tuple[int, int], ...]:
        """Pixels removed (before, after) on each axis."""
        x = inputs[0]
        require_spatial(self.kind, x.rank)
        if self.border is not None:
            return padding_pairs("border", self.border, x.rank)
        if self.like is not None:
            target = inputs[1].spatial
            if len(target) != x.rank:
                raise ShapeError(f"cannot crop {x} to the size of {inputs[1]}: different number "
                                 f"of spatial axes")
        else:
            target = per_axis("size", self.size, x.rank)
        out = []
        for i, t in zip(x.spatial, target):
            if t > i:
                raise ShapeError(f"cannot crop {x} to {format_axes(tuple(target))}: "
                                 f"{t} is larger than {i}")
            before = (i - t) // 2 if self.anchor == "center" else 0
            out.append((before, i - t - before))
        return tuple(out)

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        offsets = self.offsets(inputs)
        spatial = tuple(i - b - a for i, (b, a) in zip(x.spatial, offsets))
        if any(o < 1 for o in spatial):
            raise ShapeError(f"cropping {x} by {[list(o) for o in offsets]} leaves nothing")
        return x.with_spatial(spatial)

    def receptive_map(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[AxisMap, ...]:
        return tuple(AxisMap.shifted(b) for b, _ in self.offsets(inputs))

    def output_storage(self, training: bool) -> str:
        return VIEW  # slicing gives a view of the input

    def gradient_storage(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        """A zero-filled input-sized gradient with the slice copied in (SliceBackward0)."""
        return (NEW,) * len(inputs)

    def gradient_inputs(self, count: int) -> tuple[int, ...]:
        """Only the cropped input: ``like`` gives a shape."""
        return (0,)

    def transients(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                   backward: bool = False) -> tuple[Extra, ...]:
        """PyTorch slices one axis at a time, so backward restores one axis at a time
        (the last first): beside the input's gradient, the one with every cropped axis but the
        first restored, less the output's gradient it replaces."""
        cropped = [axis for axis, (b, a) in enumerate(self.offsets(inputs)) if b or a]
        if not backward or len(cropped) < 2:
            return ()
        sizes = list(output.spatial)
        for axis in cropped[1:]:
            sizes[axis] = inputs[0].spatial[axis]
        partial = Shape(output.channels, tuple(sizes)).numel
        return (Extra("gradient with all but one axis restored", partial - output.numel),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        x = inputs[0]
        offs = self.offsets(inputs)
        return tuple(axis_lines([f"{i} − {b} − {a} = {o}"
                                 for i, (b, a), o in zip(x.spatial, offs, output.spatial)],
                                "out"))
