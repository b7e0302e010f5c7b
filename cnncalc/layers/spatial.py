"""Layers that change spatial size without a learnt window: ``upsample``, ``pad``, ``crop``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.core import arith
from cnncalc.core.attrs import Bool, Choice, Float, Padding, PerAxis, Ref, Scale, attr
from cnncalc.core.errors import AttributeValueError, ShapeError
from cnncalc.core.geometry import format_axes, per_axis, require_spatial
from cnncalc.core.layer import Layer, register
from cnncalc.core.rf import AxisMap, half, ratio
from cnncalc.core.shape import Shape
from cnncalc.layers._explain import per_axis_lines

UPSAMPLE_MODES = ("nearest", "linear", "bilinear", "trilinear", "bicubic")


@register
@dataclass(frozen=True, eq=False, repr=False)
class Upsample(Layer):
    """Upsampling by a scale factor or to a size (PyTorch ``Upsample``/``interpolate``)."""

    kind = "upsample"
    aliases = ("interpolate", "resize")
    doc = "upsampling by a scale factor or to a fixed size (nearest or linear interpolation)"
    category = "reshape"

    scale: Any = attr(Scale(), None, doc="scale factor, or one per axis (output = ⌊i·scale⌋)",
                      aliases=("scale_factor",))
    size: Any = attr(PerAxis(1), None, doc="output size, or one per axis")
    mode: Any = attr(Choice(UPSAMPLE_MODES), "nearest",
                     doc="interpolation; 'linear' means linear on every axis")
    align_corners: bool = attr(Bool(), False, doc="align corner pixels (linear modes; values only)")

    def validate(self) -> None:
        if (self.scale is None) == (self.size is None):
            raise AttributeValueError("upsample needs exactly one of scale and size",
                                      "scale" if self.scale is not None else None)

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        require_spatial(self.kind, x.rank)
        if self.size is not None:
            sizes = per_axis("size", self.size, x.rank)
            return x.with_spatial(tuple(arith.upsample_out(i, size=s)
                                        for i, s in zip(x.spatial, sizes)))
        scales = per_axis("scale", self.scale, x.rank)
        return x.with_spatial(tuple(arith.upsample_out(i, scale=s)
                                    for i, s in zip(x.spatial, scales)))

    def receptive_map(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[AxisMap, ...]:
        maps = []
        for n_in, n_out in zip(inputs[0].spatial, output.spatial):
            scale = ratio(n_in, n_out)
            if self.mode == "nearest":
                # output o copies input ⌊o·n_in/n_out⌋: one input unit, unit 0 reads unit 0.
                maps.append(AxisMap(scale, 0, 0))
            else:
                # half-pixel centres: o reads the two inputs around (o + 1/2)·ratio − 1/2.
                lo = half(scale - 1)
                maps.append(AxisMap(scale, lo, lo + 1))
        return tuple(maps)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        x = inputs[0]
        if self.size is not None:
            return (f"out: size {format_axes(output.spatial)} as given",)
        scales = per_axis("scale", self.scale, x.rank)
        return tuple(per_axis_lines(x.rank, lambda a: f"⌊{x.spatial[a]}·{scales[a]:g}⌋ = "
                                    f"{output.spatial[a]}", "out"))

    def describe(self) -> str:
        if self.size is not None:
            return f"upsample → {self.size if isinstance(self.size, int) else list(self.size)}"
        s = self.scale if not isinstance(self.scale, tuple) else "×".join(map(str, self.scale))
        return f"upsample ×{s:g}" if isinstance(s, float) else f"upsample ×{s}"


@register
@dataclass(frozen=True, eq=False, repr=False)
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
        return tuple(v if isinstance(v, tuple) else (v, v)
                     for v in per_axis("padding", self.padding, x.rank))

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
        return tuple(AxisMap(1, -pb, -pb)
                     for pb, _ in self.pads(inputs[0]))

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        x = inputs[0]
        pads = self.pads(x)
        return tuple(per_axis_lines(x.rank, lambda a: f"{x.spatial[a]} + {pads[a][0]} + "
                                    f"{pads[a][1]} = {output.spatial[a]}", "out"))


@register
@dataclass(frozen=True, eq=False, repr=False)
class Crop(Layer):
    """Cropping to a size, to the size of another layer's output (U-Net), or by a border."""

    kind = "crop"
    aliases = ("center_crop", "cropping")
    doc = "crop to a size, to match another layer's output (like: name), or by a border per side"
    category = "reshape"

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
            return tuple(v if isinstance(v, tuple) else (v, v)
                         for v in per_axis("border", self.border, x.rank))
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
        return tuple(AxisMap(1, b, b)
                     for b, _ in self.offsets(inputs))

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        x = inputs[0]
        offs = self.offsets(inputs)
        return tuple(per_axis_lines(x.rank, lambda a: f"{x.spatial[a]} − {offs[a][0]} − "
                                    f"{offs[a][1]} = {output.spatial[a]}", "out"))
