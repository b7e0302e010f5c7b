"""A cnncalc network as a readable, standalone PyTorch module.

* :func:`to_source` writes the Python source of a ``torch.nn.Module`` subclass: one submodule per
  layer that PyTorch has a module for (named after the spec's layer, see :func:`identifier`),
  and the graph — branches, skips, merges, crops — as plain code in ``forward``. It needs no
  torch.
* :func:`build_module` executes that generated source in a fresh namespace and returns an
  instance (this needs torch). Nothing taken from a spec is ever executed: layer names become
  sanitised identifiers, and every other text from the spec is written as a ``repr`` literal or
  a sanitised comment.
* :func:`layer_output_shapes` runs a built module and returns every spec layer's output shape, so
  the output of each line of ``forward`` can be compared with cnncalc's.

Each layer kind has exactly one *emitter* here, registered for its class with :func:`emits`
(tests/test_export.py checks that every registered kind has one). An emitter turns a layer and
its input shapes into an :class:`Emission`: the constructor of its submodule (or none) and the
expression ``forward`` evaluates. Decisions about kinds PyTorch lacks are documented in
docs/export.md.
"""

from __future__ import annotations

import keyword
import linecache
import re
import sys
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from cnncalc import __version__
from cnncalc.api import Network, load
from cnncalc.layers.activation import (
    ELU,
    GELU,
    Hardsigmoid,
    Hardswish,
    Identity,
    LeakyReLU,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from cnncalc.layers.base import Layer, kinds
from cnncalc.layers.branch import LayerScale, StochasticDepth
from cnncalc.layers.conv import Conv, ConvTranspose, LocallyConnected
from cnncalc.layers.dense import Flatten, Linear
from cnncalc.layers.merge import Add, Concat, Mul
from cnncalc.layers.norm import (
    BatchNorm,
    Dropout,
    GroupNorm,
    InstanceNorm,
    LayerNorm,
    LocalResponseNorm,
)
from cnncalc.layers.pool import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    GlobalAvgPool,
    GlobalMaxPool,
    LpPool,
    MaxPool,
    _WindowPool,
)
from cnncalc.layers.rearrange import ChannelShuffle, PixelShuffle, PixelUnshuffle, Split
from cnncalc.layers.spatial import Crop, Pad, Upsample
from cnncalc.model import arith
from cnncalc.model.axes import per_axis
from cnncalc.model.errors import Mark, ShapeError, SpecError
from cnncalc.model.geometry import windows
from cnncalc.model.graph import INPUT, Node
from cnncalc.model.shape import Shape

__all__ = ["Emission", "ExportError", "Program", "Site", "Step", "build_module", "emits",
           "emitter_for", "identifier", "layer_output_shapes", "missing_emitters", "program",
           "to_source"]


class ExportError(SpecError):
    """A layer that the target framework cannot express (located at the layer in its spec)."""


@dataclass(frozen=True)
class Site:
    """What an emitter knows about one layer: the layer, its name, its input and output shapes
    (per sample, from cnncalc's walk) and whether it may overwrite its input in place (only when
    that input is a fresh tensor read by this layer alone)."""

    layer: Layer
    name: str
    inputs: tuple[Shape, ...]
    output: Shape
    inplace_ok: bool
    mark: Mark | None = None

    @property
    def rank(self) -> int:
        return self.inputs[0].rank

    def refuse(self, reason: str) -> ExportError:
        return ExportError(f"cannot export {self.layer.kind} '{self.name}' to PyTorch: {reason}",
                           self.mark, code="export", layer=self.name)


def _call_module(module: str, inputs: tuple[str, ...]) -> str:
    return f"{module}({inputs[0]})"


@dataclass(frozen=True)
class Emission:
    """How one layer appears in the generated module.

    ``module`` is the constructor of its submodule (``nn.Conv2d(3, 64, kernel_size=3)``) or None
    when the layer is plain code in ``forward``; ``call`` builds the ``forward`` expression from
    the submodule's attribute (``self.conv1``) and the input variables; ``helpers`` names helper
    definitions the expression needs (see ``_HELPERS``); ``aliases_input`` says the result may
    share storage with the input (a view, or an in-place operation), which forbids a later
    in-place layer on it; ``comment`` is shown beside the submodule.
    """

    module: str | None
    call: Callable[[str, tuple[str, ...]], str] = _call_module
    helpers: tuple[str, ...] = ()
    aliases_input: bool = False
    comment: str | None = None


Emitter = Callable[[Any, Site], Emission]
E = TypeVar("E", bound=Emitter)

_EMITTERS: dict[type[Layer], Emitter] = {}


def emits(*classes: type[Layer]) -> Callable[[E], E]:
    """Register an emitter for layer classes (one emitter per class)."""

    def register(function: E) -> E:
        for cls in classes:
            if cls in _EMITTERS:
                raise TypeError(f"{cls.__name__} already has a PyTorch emitter")
            _EMITTERS[cls] = function
        return function

    return register


def emitter_for(cls: type[Layer]) -> Emitter | None:
    """The emitter registered for a layer class, if any."""
    return _EMITTERS.get(cls)


def missing_emitters() -> list[str]:
    """Registered layer kinds without a PyTorch emitter (should be none)."""
    return [name for name, cls in kinds().items() if cls not in _EMITTERS]


# --- formatting ---------------------------------------------------------------------------------

def _axes(values: Sequence[int]) -> str:
    """``(3, 3)`` → ``3``; ``(3, 5)`` → ``(3, 5)`` (PyTorch takes either)."""
    values = tuple(values)
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(str(v) for v in values) + ")"


def _literal(text: str) -> str:
    """A Python string literal for ``text``: double-quoted when that is plain, else ``repr``."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return repr(text)


def _number(value: float) -> str:
    return repr(float(value))


def _pad_tuple(pairs: Sequence[tuple[int, int]]) -> str:
    """``F.pad`` order: the last axis first, (before, after) for each."""
    flat = [str(v) for pair in reversed(pairs) for v in pair]
    return "(" + ", ".join(flat) + ")"


def _trim(pairs: Sequence[tuple[int, int]]) -> str:
    """An index expression removing (before, after) elements from each spatial axis, written so
    that it works at any input size: ``[:, :, 1:, :-1]``."""
    parts = [":", ":"]
    for before, after in pairs:
        start = str(before) if before else ""
        stop = f"-{after}" if after else ""
        parts.append(f"{start}:{stop}")
    return "[" + ", ".join(parts) + "]"


def _pairs_text(pairs: Sequence[tuple[int, int]]) -> str:
    """``[(0, 1), (2, 3)]`` → ``(0, 1)×(2, 3)``: padding per axis, for comments."""
    return "×".join(f"({b}, {a})" for b, a in pairs)


def _args(*positional: str, **named: str | None) -> str:
    parts = list(positional) + [f"{k}={v}" for k, v in named.items() if v is not None]
    return ", ".join(parts)


def _dim(cls: str, rank: int) -> str:
    """``nn.Conv`` + rank → ``nn.Conv2d``."""
    return f"nn.{cls}{max(rank, 1)}d"


# --- emitters: convolutions ---------------------------------------------------------------------

@emits(Conv)
def _conv(layer: Conv, site: Site) -> Emission:
    x = site.inputs[0]
    ws = layer.windows(x)
    pairs = [(w.pb, w.pa) for w in ws]
    padding: str | None = None
    explicit = None
    if all(pb == pa for pb, pa in pairs):
        if any(pb for pb, _ in pairs):
            padding = _axes([pb for pb, _ in pairs])
    elif layer.padding == "same":
        padding = '"same"'  # PyTorch puts the odd pixel after, as cnncalc does
    else:
        explicit = _pad_tuple(pairs)
    module = f"{_dim('Conv', x.rank)}(" + _args(
        str(x.channels), str(layer.out), kernel_size=_axes([w.k for w in ws]),
        stride=_axes([w.s for w in ws]) if any(w.s != 1 for w in ws) else None,
        padding=padding,
        dilation=_axes([w.d for w in ws]) if any(w.d != 1 for w in ws) else None,
        groups=str(layer.groups) if layer.groups != 1 else None,
        bias=None if layer.bias else "False") + ")"
    if explicit is None:
        return Emission(module)
    return Emission(module, lambda m, xs: f"{m}(F.pad({xs[0]}, {explicit}))",
                    comment=f"padding {_pairs_text(pairs)} (before, after): F.pad in forward")


@emits(ConvTranspose)
def _conv_transpose(layer: ConvTranspose, site: Site) -> Emission:
    x = site.inputs[0]
    ws = windows(x.spatial, layer.kernel, layer.stride, layer.padding, layer.dilation, ())
    output_padding = per_axis("output_padding", layer.output_padding, x.rank)
    common = [min(w.pb, w.pa) for w in ws]
    extra = [(w.pb - c, w.pa - c) for w, c in zip(ws, common)]
    module = f"{_dim('ConvTranspose', x.rank)}(" + _args(
        str(x.channels), str(layer.out), kernel_size=_axes([w.k for w in ws]),
        stride=_axes([w.s for w in ws]) if any(w.s != 1 for w in ws) else None,
        padding=_axes(common) if any(common) else None,
        output_padding=_axes(output_padding) if any(output_padding) else None,
        groups=str(layer.groups) if layer.groups != 1 else None,
        bias=None if layer.bias else "False",
        dilation=_axes([w.d for w in ws]) if any(w.d != 1 for w in ws) else None) + ")"
    if not any(b or a for b, a in extra):
        return Emission(module)
    trim = _trim(extra)
    return Emission(module, lambda m, xs: f"{m}({xs[0]}){trim}",
                    comment=f"padding {_pairs_text([(w.pb, w.pa) for w in ws])} (before, after): "
                            f"the extra is trimmed in forward")


@emits(LocallyConnected)
def _locally_connected(layer: LocallyConnected, site: Site) -> Emission:
    x = site.inputs[0]
    ws = layer.windows(x)
    pairs = [(w.pb, w.pa) for w in ws]
    module = "LocallyConnected(" + _args(
        str(x.channels), str(layer.out), _tuple(x.spatial), _tuple([w.k for w in ws]),
        stride=_tuple([w.s for w in ws]) if any(w.s != 1 for w in ws) else None,
        padding=_tuple_pairs(pairs) if any(b or a for b, a in pairs) else None,
        dilation=_tuple([w.d for w in ws]) if any(w.d != 1 for w in ws) else None,
        bias=None if layer.bias else "False") + ")"
    return Emission(module, helpers=("LocallyConnected",))


def _tuple(values: Sequence[int]) -> str:
    inner = ", ".join(str(v) for v in values)
    return f"({inner},)" if len(values) == 1 else f"({inner})"


def _tuple_pairs(pairs: Sequence[tuple[int, int]]) -> str:
    inner = ", ".join(f"({b}, {a})" for b, a in pairs)
    return f"({inner},)" if len(pairs) == 1 else f"({inner})"


# --- emitters: pooling --------------------------------------------------------------------------

def _window_pool(layer: _WindowPool, site: Site, cls: str, pad_value: str,
                 leading: tuple[str, ...] = (), **extra: str | None) -> Emission:
    x = site.inputs[0]
    ws = layer.windows(x)
    ceil = bool(layer.ceil_mode)
    pairs = [(w.pb, w.pa) for w in ws]
    symmetric = all(pb == pa for pb, pa in pairs)
    # The output PyTorch computes for what is emitted (PyTorch's ceil rule, explicit padding as
    # part of the input), which must equal cnncalc's.
    try:
        torch_sizes = tuple(
            arith.pool_out(i, w.k, w.s, w.pb, w.pa, w.d, ceil) if symmetric
            else arith.pool_out(i + w.pb + w.pa, w.k, w.s, 0, 0, w.d, ceil)
            for i, w in zip(x.spatial, ws))
    except ShapeError as exc:
        raise site.refuse(f"PyTorch would refuse it ({exc})") from None
    if torch_sizes != site.output.spatial:
        why = ("Caffe's ceil rule keeps a last window that PyTorch's drops"
               if layer.ceil_mode == "caffe" else
               "ceil_mode with asymmetric padding rounds differently in PyTorch")
        raise site.refuse(f"{why}: PyTorch gives {_axes(torch_sizes)}, cnncalc "
                          f"{_axes(site.output.spatial)}")
    padding = _axes([pb for pb, _ in pairs]) if symmetric and any(pb for pb, _ in pairs) else None
    stride = [w.s for w in ws]
    kernel = [w.k for w in ws]
    module = f"{_dim(cls, x.rank)}(" + _args(
        *leading, f"kernel_size={_axes(kernel)}",
        stride=_axes(stride) if stride != kernel else None, padding=padding,
        ceil_mode="True" if ceil else None, **extra) + ")"
    comment = "ceil_mode: caffe (PyTorch's rule gives the same size here)" \
        if layer.ceil_mode == "caffe" else None
    if symmetric:
        return Emission(module, comment=comment)
    pads = _pad_tuple(pairs)
    value = f", value={pad_value}" if pad_value != "0.0" else ""
    return Emission(module, lambda m, xs: f"{m}(F.pad({xs[0]}, {pads}{value}))",
                    comment=comment or f"padding {_pairs_text(pairs)} (before, after): F.pad "
                                       f"in forward")


@emits(MaxPool)
def _maxpool(layer: MaxPool, site: Site) -> Emission:
    d = per_axis("dilation", layer.dilation, site.rank)
    return _window_pool(layer, site, "MaxPool", 'float("-inf")',
                        dilation=_axes(d) if any(v != 1 for v in d) else None)


@emits(AvgPool)
def _avgpool(layer: AvgPool, site: Site) -> Emission:
    return _window_pool(layer, site, "AvgPool", "0.0",
                        count_include_pad=None if layer.count_include_pad else "False")


@emits(LpPool)
def _lppool(layer: LpPool, site: Site) -> Emission:
    return _window_pool(layer, site, "LPPool", "0.0", leading=(_number(layer.norm),))


ADAPTIVE_POOLS: dict[type[Layer], str] = {
    GlobalAvgPool: "AdaptiveAvgPool", AdaptiveAvgPool: "AdaptiveAvgPool",
    GlobalMaxPool: "AdaptiveMaxPool", AdaptiveMaxPool: "AdaptiveMaxPool"}
"""Pools to a fixed output size (global pooling: size 1), and their PyTorch modules."""


@emits(*ADAPTIVE_POOLS)
def _adaptive_pool(layer: Layer, site: Site) -> Emission:
    module = _dim(ADAPTIVE_POOLS[type(layer)], site.rank)
    return Emission(f"{module}({_axes(site.output.spatial)})")


# --- emitters: dense, normalisation, regularisation ---------------------------------------------

@emits(Linear)
def _linear(layer: Linear, site: Site) -> Emission:
    bias = None if layer.bias else "False"
    return Emission(f"nn.Linear({_args(str(site.inputs[0].channels), str(layer.out), bias=bias)})")


@emits(Flatten)
def _flatten(layer: Flatten, site: Site) -> Emission:
    return Emission("nn.Flatten()", aliases_input=True)


@emits(Dropout)
def _dropout(layer: Dropout, site: Site) -> Emission:
    p = [] if layer.p == 0.5 else [f"p={_number(layer.p)}"]
    emission = _inplace(layer, site, "Dropout", *p)
    return Emission(emission.module, aliases_input=True, comment=emission.comment)


@emits(BatchNorm)
def _batchnorm(layer: BatchNorm, site: Site) -> Emission:
    module = f"{_dim('BatchNorm', site.rank)}(" + _args(
        str(site.inputs[0].channels),
        eps=None if layer.eps == 1e-5 else _number(layer.eps),
        momentum=None if layer.momentum == 0.1 else _number(layer.momentum),
        affine=None if layer.affine else "False",
        track_running_stats=None if layer.track_running_stats else "False") + ")"
    return Emission(module)


@emits(LayerNorm)
def _layernorm(layer: LayerNorm, site: Site) -> Emission:
    args = _args(str(site.inputs[0].channels),
                 eps=None if layer.eps == 1e-5 else _number(layer.eps),
                 elementwise_affine=None if layer.affine else "False",
                 bias=None if layer.bias else "False")
    if not site.rank:
        return Emission(f"nn.LayerNorm({args})")
    return Emission(f"LayerNormChannels({args})", helpers=("LayerNormChannels",))


@emits(GroupNorm)
def _groupnorm(layer: GroupNorm, site: Site) -> Emission:
    return Emission("nn.GroupNorm(" + _args(
        str(layer.groups), str(site.inputs[0].channels),
        eps=None if layer.eps == 1e-5 else _number(layer.eps),
        affine=None if layer.affine else "False") + ")")


@emits(InstanceNorm)
def _instancenorm(layer: InstanceNorm, site: Site) -> Emission:
    return Emission(f"{_dim('InstanceNorm', site.rank)}(" + _args(
        str(site.inputs[0].channels),
        eps=None if layer.eps == 1e-5 else _number(layer.eps),
        momentum=None if layer.momentum == 0.1 else _number(layer.momentum),
        affine="True" if layer.affine else None,
        track_running_stats="True" if layer.track_running_stats else None) + ")")


@emits(LayerScale)
def _layer_scale(layer: LayerScale, site: Site) -> Emission:
    return Emission("LayerScale(" + _args(str(site.inputs[0].channels), _number(layer.init),
                                          rank=str(site.rank) if site.rank != 2 else None) + ")",
                    helpers=("LayerScale",))


@emits(StochasticDepth)
def _stochastic_depth(layer: StochasticDepth, site: Site) -> Emission:
    return Emission(f"StochasticDepth({_number(layer.p)}, {_literal(layer.mode)})",
                    helpers=("StochasticDepth",), aliases_input=True)


@emits(LocalResponseNorm)
def _lrn(layer: LocalResponseNorm, site: Site) -> Emission:
    if not site.rank:
        raise site.refuse("PyTorch's LocalResponseNorm needs an input with spatial axes")
    return Emission("nn.LocalResponseNorm(" + _args(
        str(layer.size), alpha=_number(layer.alpha), beta=_number(layer.beta),
        k=_number(layer.k)) + ")")


# --- emitters: resizing -------------------------------------------------------------------------

_LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


@emits(Upsample)
def _upsample(layer: Upsample, site: Site) -> Emission:
    mode = layer.mode
    if mode in ("linear", "bilinear", "trilinear"):
        mode = _LINEAR_MODES.get(site.rank, mode)
    elif mode == "bicubic" and site.rank != 2:
        raise site.refuse("PyTorch's bicubic interpolation is 2-D only")
    if layer.like is not None:  # the size is another tensor's, known only in forward
        align = "" if mode == "nearest" else f", align_corners={bool(layer.align_corners)}"
        return Emission(None, lambda m, xs: f"F.interpolate({xs[0]}, size={xs[1]}.shape[2:], "
                                            f"mode={_literal(mode)}{align})")
    if layer.size is not None:
        sizes = per_axis("size", layer.size, site.rank)
        how = {"size": _axes(sizes)}
    else:
        scales = per_axis("scale", layer.scale, site.rank)
        text = (_number(scales[0]) if len(set(scales)) == 1
                else "(" + ", ".join(_number(s) for s in scales) + ")")
        how = {"scale_factor": text}
    align = "True" if layer.align_corners else "False"
    return Emission("nn.Upsample(" + _args(
        **how, mode=_literal(mode), align_corners=None if mode == "nearest" else align) + ")")


_PAD_MODULES = {"constant": "ConstantPad", "reflect": "ReflectionPad",
                "replicate": "ReplicationPad", "circular": "CircularPad"}


@emits(Pad)
def _pad(layer: Pad, site: Site) -> Emission:
    pads = _pad_tuple(layer.pads(site.inputs[0]))
    if layer.mode == "constant":
        return Emission(f"{_dim('ConstantPad', site.rank)}({pads}, {_number(layer.value)})")
    return Emission(f"{_dim(_PAD_MODULES[layer.mode], site.rank)}({pads})")


@emits(Crop)
def _crop(layer: Crop, site: Site) -> Emission:
    center = layer.anchor == "center"
    if layer.like is not None:
        how = "" if center else ", center=False"
        return Emission(None, lambda m, xs: f"crop({xs[0]}, {xs[1]}.shape[2:]{how})",
                        helpers=("crop",), aliases_input=True)
    if layer.size is not None:
        size = _tuple(per_axis("size", layer.size, site.rank))
        how = "" if center else ", center=False"
        return Emission(None, lambda m, xs: f"crop({xs[0]}, {size}{how})", helpers=("crop",),
                        aliases_input=True)
    trim = _trim(layer.offsets(site.inputs))
    return Emission(None, lambda m, xs: f"{xs[0]}{trim}", aliases_input=True)


# --- emitters: merges and element-wise ----------------------------------------------------------

@emits(Concat)
def _concat(layer: Concat, site: Site) -> Emission:
    return Emission(None, lambda m, xs: f"torch.cat([{', '.join(xs)}], dim=1)")


@emits(Add)
def _add(layer: Add, site: Site) -> Emission:
    return Emission(None, lambda m, xs: " + ".join(xs))


@emits(Mul)
def _mul(layer: Mul, site: Site) -> Emission:
    return Emission(None, lambda m, xs: " * ".join(xs))


@emits(Split)
def _split(layer: Split, site: Site) -> Emission:
    how = (f"split({list(layer.parts)!r}, dim=1)" if isinstance(layer.parts, tuple)
           else f"chunk({layer.parts}, dim=1)")
    return Emission(None, lambda m, xs: f"{xs[0]}.{how}[{layer.take}]", aliases_input=True)


@emits(ChannelShuffle)
def _channel_shuffle(layer: ChannelShuffle, site: Site) -> Emission:
    return Emission(f"ChannelShuffle({layer.groups})", helpers=("ChannelShuffle",))


@emits(PixelShuffle)
def _pixel_shuffle(layer: PixelShuffle, site: Site) -> Emission:
    return Emission(f"nn.PixelShuffle({layer.factor})")


@emits(PixelUnshuffle)
def _pixel_unshuffle(layer: PixelUnshuffle, site: Site) -> Emission:
    return Emission(f"nn.PixelUnshuffle({layer.factor})")


@emits(Identity)
def _identity(layer: Identity, site: Site) -> Emission:
    return Emission("nn.Identity()", aliases_input=True)


def _inplace(layer: Any, site: Site, module: str, *args: str) -> Emission:
    """An activation that PyTorch can apply in place: in place only where that cannot change
    another layer's input (the input is a fresh tensor that nothing else reads)."""
    inplace = bool(layer.inplace) and site.inplace_ok
    text = f"nn.{module}(" + _args(*args, inplace="True" if inplace else None) + ")"
    comment = ("inplace=False: its input is read elsewhere or is a view"
               if layer.inplace and not inplace else None)
    return Emission(text, aliases_input=inplace, comment=comment)


@emits(ReLU)
def _relu(layer: ReLU, site: Site) -> Emission:
    return _inplace(layer, site, "ReLU")


@emits(ReLU6)
def _relu6(layer: ReLU6, site: Site) -> Emission:
    return _inplace(layer, site, "ReLU6")


@emits(LeakyReLU)
def _leaky_relu(layer: LeakyReLU, site: Site) -> Emission:
    slope = [] if layer.negative_slope == 0.01 else [_number(layer.negative_slope)]
    return _inplace(layer, site, "LeakyReLU", *slope)


@emits(ELU)
def _elu(layer: ELU, site: Site) -> Emission:
    alpha = [] if layer.alpha == 1.0 else [f"alpha={_number(layer.alpha)}"]
    return _inplace(layer, site, "ELU", *alpha)


@emits(PReLU)
def _prelu(layer: PReLU, site: Site) -> Emission:
    channels = site.inputs[0].channels
    return Emission(f"nn.PReLU({channels})" if layer.per_channel else "nn.PReLU()")


@emits(GELU)
def _gelu(layer: GELU, site: Site) -> Emission:
    how = "" if layer.approximate == "none" else f"approximate={_literal(layer.approximate)}"
    return Emission(f"nn.GELU({how})")


FIXED_MODULES: dict[type[Layer], str] = {
    Sigmoid: "nn.Sigmoid()", Tanh: "nn.Tanh()", Softmax: "nn.Softmax(dim=1)"}
"""Activations without settings: each is always the same module."""


@emits(*FIXED_MODULES)
def _fixed_module(layer: Layer, site: Site) -> Emission:
    return Emission(FIXED_MODULES[type(layer)])


INPLACE_ACTIVATIONS: dict[type[Layer], str] = {
    SiLU: "SiLU", Hardswish: "Hardswish", Hardsigmoid: "Hardsigmoid", Mish: "Mish"}
"""Activations whose only setting is ``inplace``: PyTorch's module of that name."""


@emits(*INPLACE_ACTIVATIONS)
def _inplace_activation(layer: Layer, site: Site) -> Emission:
    return _inplace(layer, site, INPLACE_ACTIVATIONS[type(layer)])


# --- helper definitions written into the generated file when needed -----------------------------

_HELPERS: dict[str, str] = {
    "crop": '''
def crop(x: Tensor, size: Sequence[int], center: bool = True) -> Tensor:
    """Crop the spatial axes of x to size: centred (U-Net's skip connections) or from the start."""
    for axis, target in enumerate(size, start=2):
        start = (x.shape[axis] - target) // 2 if center else 0
        x = x.narrow(axis, start, target)
    return x
''',
    "LocallyConnected": '''
class LocallyConnected(nn.Module):
    """A convolution without weight sharing: its own filters (and bias) at every output
    position (Keras LocallyConnected1D/2D, any number of spatial axes); padding is
    (before, after) per axis."""

    def __init__(self, in_channels: int, out_channels: int, in_size: Sequence[int],
                 kernel_size: Sequence[int], stride: Sequence[int] | None = None,
                 padding: Sequence[tuple[int, int]] | None = None,
                 dilation: Sequence[int] | None = None, bias: bool = True) -> None:
        super().__init__()
        rank = len(kernel_size)
        self.kernel_size, self.stride = tuple(kernel_size), tuple(stride or (1,) * rank)
        self.padding = tuple(padding or ((0, 0),) * rank)
        self.dilation = tuple(dilation or (1,) * rank)
        self.out_size = tuple((i + pb + pa - d * (k - 1) - 1) // s + 1 for i, k, s, (pb, pa), d
                              in zip(in_size, self.kernel_size, self.stride, self.padding,
                                     self.dilation, strict=True))
        positions, taps = math.prod(self.out_size), in_channels * math.prod(kernel_size)
        self.weight = nn.Parameter(torch.empty(positions, taps, out_channels))
        self.bias = nn.Parameter(torch.zeros(out_channels, *self.out_size)) if bias else None
        nn.init.uniform_(self.weight, -taps ** -0.5, taps ** -0.5)

    def forward(self, x: Tensor) -> Tensor:
        x = F.pad(x, [p for pair in reversed(self.padding) for p in pair])
        for axis, (k, s, d) in enumerate(zip(self.kernel_size, self.stride, self.dilation,
                                             strict=True)):
            x = x.unfold(2 + axis, d * (k - 1) + 1, s)       # windows go to the last axes
        x = x[(..., *(slice(None, None, d) for d in self.dilation))]
        rank, batch = len(self.out_size), x.shape[0]
        # (batch, C, *out, *k) -> (positions, batch, C·k), one matrix product per position
        order = (*range(2, 2 + rank), 0, 1, *range(2 + rank, 2 + 2 * rank))
        x = x.permute(order).reshape(self.weight.shape[0], batch, -1)
        y = torch.bmm(x, self.weight).permute(1, 2, 0).reshape(batch, -1, *self.out_size)
        return y if self.bias is None else y + self.bias
''',
    "LayerNormChannels": '''
class LayerNormChannels(nn.LayerNorm):
    """LayerNorm over the channels at every position (torchvision's LayerNorm2d for ConvNeXt,
    for any number of spatial axes): channels last, normalised, channels first again."""

    def forward(self, x: Tensor) -> Tensor:
        x = F.layer_norm(x.movedim(1, -1), self.normalized_shape, self.weight, self.bias,
                         self.eps)
        return x.movedim(-1, 1)
''',
    "ChannelShuffle": '''
class ChannelShuffle(nn.Module):
    """torchvision's channel_shuffle (nn.ChannelShuffle computes the same, but PyTorch's
    TorchScript ONNX exporter refuses it): channels viewed as groups × C/groups, the two axes
    swapped, flattened again (one new tensor; nothing kept for backward)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: Tensor) -> Tensor:
        return x.unflatten(1, (self.groups, -1)).transpose(1, 2).flatten(1, 2)
''',
    "LayerScale": '''
class LayerScale(nn.Module):
    """A learnt scale per channel, weight · x (ConvNeXt's layer_scale, shaped C×1×1)."""

    def __init__(self, channels: int, init: float, rank: int = 2) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels, *(1,) * rank), init))

    def forward(self, x: Tensor) -> Tensor:
        return self.weight * x
''',
    "StochasticDepth": '''
class StochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth: in training, zero each sample ("row") or the whole
    batch with probability p and scale the rest by 1/(1 - p); the identity otherwise."""

    def __init__(self, p: float, mode: str = "row") -> None:
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(survival)
        return x * noise.div_(survival)
''',
}
_HELPER_IMPORTS = {"crop": ("from collections.abc import Sequence",),
                   "LocallyConnected": ("import math", "from collections.abc import Sequence")}


# --- names --------------------------------------------------------------------------------------

_MODULE_ATTRIBUTES = frozenset({
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children",
    "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward",
    "get_buffer", "get_extra_state", "get_parameter", "get_submodule", "half", "ipu",
    "load_state_dict", "modules", "mtia", "named_buffers", "named_children", "named_modules",
    "named_parameters", "parameters", "register_backward_hook", "register_buffer",
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train",
    "training", "type", "xpu", "zero_grad",
})
"""Public attributes of ``torch.nn.Module`` (torch 2.13; tests/parity checks the list)."""

_GENERATED_NAMES = frozenset({
    "self", "x", "x_input", "torch", "nn", "F", "Tensor", "Sequence", "math", "crop",
    "LocallyConnected", "float", "super", "input", "cnncalc_layers", "LAYER_NAMES", "INPUT_SHAPE",
    "LayerNormChannels", "LayerScale", "StochasticDepth", "INPUT_SHAPES", "ChannelShuffle",
})
"""Names the generated code itself uses, which a layer must not shadow."""

RESERVED = _MODULE_ATTRIBUTES | _GENERATED_NAMES


def identifier(name: str) -> str:
    """A spec layer name as a Python identifier: every character other than a letter, digit or
    ``_`` becomes ``_`` (``layer1.0.conv1`` → ``layer1_0_conv1``); a name that would start with
    ``_`` or a digit gets ``layer`` in front, a keyword or a name that ``nn.Module`` or the
    generated code uses gets ``_`` after (``forward`` → ``forward_``). Letters of any script stay
    (``свёртка1``), as Python identifiers allow, in the NFKC form Python compares them in."""
    text = unicodedata.normalize("NFKC", re.sub(r"\W", "_", name))
    if not text.isidentifier():
        text = re.sub(r"\W", "_", text, flags=re.ASCII)
    if not text or text[0] == "_" or text[0].isdigit():
        text = "layer" + ("" if text.startswith("_") else "_") + text
    if keyword.iskeyword(text) or text in RESERVED:
        text += "_"
    return text


class _Namer:
    """Unique identifiers, deterministic in the order names are given: a clash after
    sanitising (``a.b`` and ``a_b``) gets ``_2``, ``_3``... in order of appearance."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def take(self, name: str) -> str:
        base = identifier(name)
        text, n = base, 1
        while text in self.taken:
            n += 1
            text = f"{base}_{n}"
        self.taken.add(text)
        return text


def class_name(network_name: str) -> str:
    """``ResNet-50 (torchvision)`` → ``ResNet50Torchvision``."""
    words = re.findall(r"[A-Za-z0-9]+", network_name)
    text = "".join(w[0].upper() + w[1:] for w in words) or "Network"
    if text[0].isdigit():
        text = "Net" + text
    return text if text not in RESERVED and not keyword.iskeyword(text) else text + "Net"


def _plain(text: str) -> str:
    """Text from a spec made safe for a comment or a docstring: one line, printable, no
    backslashes or triple quotes."""
    cleaned = "".join(c if c.isprintable() else " " for c in text)
    return cleaned.replace("\\", "/").replace('"""', "'''").strip()


# --- the program --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One statement of the generated ``forward``: its first and last lines in the source, the
    spec layer whose output it computes, and the variable that holds that output."""

    first: int
    last: int
    layer: str
    variable: str


@dataclass(frozen=True)
class Program:
    """The generated source with what tools need to relate it to the spec."""

    source: str
    class_name: str
    layer_names: dict[str, str | None]  # spec layer → submodule attribute (None: plain code)
    steps: tuple[Step, ...]


def _as_network(network: Any) -> Any:
    return network if isinstance(network, Network) else load(network)


def program(network: Any, input_shape: Any = None) -> Program:
    """Generate the module for ``network`` (a :class:`cnncalc.Network`, a path or a bundled
    spec's name) at its input shape or ``input_shape``."""
    network = _as_network(network).at(input_shape)
    report = network.summary(input_shape, batch=1)
    graph = network.graph
    nodes: tuple[Node, ...] = graph.nodes
    reads: dict[str, int] = {}
    last_reader: dict[str, int] = {}
    for index, node in enumerate(nodes):
        for src in node.inputs:
            reads[src] = reads.get(src, 0) + 1
            last_reader[src] = index
    namer = _Namer()
    named_inputs = {name: namer.take(name) for name, _ in report.inputs}  # several inputs
    idents = {node.name: namer.take(node.name) for node in nodes}

    def chained(producer: str, index_of_next: int) -> bool:
        return (reads.get(producer, 0) == 1 and index_of_next < len(nodes)
                and nodes[index_of_next].inputs.count(producer) == 1)

    if named_inputs:
        variables: dict[str, str] = dict(named_inputs)
    else:
        variables = {INPUT: "x" if chained(INPUT, 0) else "x_input"}
    fresh: dict[str, bool] = dict.fromkeys(variables, False)
    init_lines: list[str] = []
    body: list[tuple[str, str | None, str]] = []  # (code, layer, variable)
    helpers: list[str] = []
    layer_names: dict[str, str | None] = {}
    scope: tuple[tuple[str, str], ...] = ()
    if not named_inputs and variables[INPUT] != "x":
        body.append(("x_input = x", None, ""))
    for index, node in enumerate(nodes):
        result = report.layer(node.name)
        emitter = _EMITTERS.get(type(node.layer))
        site = Site(node.layer, node.name, result.input_shapes, result.output_shape,
                    inplace_ok=(len(node.inputs) == 1 and fresh.get(node.inputs[0], False)
                                and reads.get(node.inputs[0], 0) == 1),
                    mark=node.mark)
        if emitter is None:
            raise site.refuse("no PyTorch emitter for this kind (a bug in cnncalc)")
        emission = emitter(node.layer, site)
        ident = idents[node.name]
        for helper in emission.helpers:
            if helper not in helpers:
                helpers.append(helper)
        owner = layer_names.get(node.shares) if node.shares is not None else None
        if emission.module is not None and owner is not None:
            ident = owner  # shared weights: the owner's submodule, called again
            layer_names[node.name] = owner
        elif emission.module is not None:
            remark = f"  # {_plain(emission.comment)}" if emission.comment else ""
            init_lines += _init_statement(ident, emission.module, remark)
            if not node.trainable:
                init_lines.append(f"self.{ident}.requires_grad_(False)  # trainable: false")
            layer_names[node.name] = ident
        else:
            layer_names[node.name] = None
        # a variable of its own, also for a layer that calls a shared submodule again
        variable = ("x" if chained(node.name, index + 1) or index == len(nodes) - 1
                    else idents[node.name])
        variables[node.name] = variable
        fresh[node.name] = not emission.aliases_input
        if node.scope[:1] != scope and node.scope:
            body.append(("", None, ""))
            body.append((f"# {_plain(node.scope[0][0])} ({_plain(node.scope[0][1])})", None, ""))
        scope = node.scope[:1]
        expr = emission.call(f"self.{ident}", tuple(variables[s] for s in node.inputs))
        if emission.module is None:
            note = f"  # {_plain(node.name)}: {result.output_shape}"
        elif result.output_shape != result.input_shapes[0]:
            note = f"  # {result.output_shape}"
        else:
            note = ""
        code = f"{variable} = {expr}"
        # a long torch.cat is wrapped after "torch.cat([", where the comment goes if it fits
        first_line = code.partition("torch.cat([")[0] + "torch.cat([" if "torch.cat([" in code \
            else code
        if len(first_line) + len(note) > _WIDTH and note:
            body.append((note.strip(), None, ""))  # the comment goes on its own line
            note = ""
        body.append((_statement(code, note), node.name, variable))
        # Free each intermediate after its last reader, as hand-written eager code does (a
        # variable would otherwise hold its tensor to the end of forward): the memory of the
        # module is then what cnncalc's timeline replays (docs/memory.md).
        dead = [variables[src] for src in dict.fromkeys(node.inputs)
                if src != INPUT and last_reader[src] == index and variables[src] != variable]
        while dead:
            count = len(dead)
            while count > 1 and len("del " + ", ".join(dead[:count])) > _WIDTH:
                count -= 1
            body.append((f"del {', '.join(dead[:count])}", None, ""))
            dead = dead[count:]
    body.append((f"return {variables[nodes[-1].name]}", None, ""))
    return _assemble(network, report, init_lines, body, helpers, layer_names,
                     list(named_inputs.values()))


_WIDTH = 92
"""Code width inside a method (8 columns of indentation): the file fits 100 columns."""


def _init_statement(ident: str, module: str, remark: str) -> list[str]:
    """``self.conv1 = nn.Conv2d(...)``, its arguments on their own line when it is long, and a
    long comment on the line before."""
    lines = [remark.strip()] if remark and len(f"self.{ident} = {module}{remark}") > _WIDTH \
        else []
    if lines:
        remark = ""
    code = f"self.{ident} = {module}"
    if len(code) + len(remark) <= _WIDTH or "(" not in module:
        return [*lines, code + remark]
    head, _, args = module.partition("(")
    return [*lines, f"self.{ident} = {head}({remark}", f"    {args[:-1]}", ")"]


def _statement(code: str, note: str, width: int = _WIDTH) -> str:
    """One statement of ``forward`` with its comment; a long ``torch.cat`` is wrapped, one
    input per line, with the comment on its first line."""
    if len(code) + len(note) <= width or "torch.cat([" not in code:
        return code + note
    head, _, rest = code.partition("torch.cat([")
    inputs, _, tail = rest.rpartition("]")
    items = [f"    {item.strip()}," for item in inputs.split(",")]
    return "\n".join([f"{head}torch.cat([{note}", *items, f"]{tail}"])


def _assemble(network: Any, report: Any, init_lines: list[str],
              body: list[tuple[str, str | None, str]], helpers: list[str],
              layer_names: dict[str, str | None], input_variables: list[str]) -> Program:
    name = class_name(network.name)
    shapes = ", ".join(f"{_literal(n)}: {tuple(s.dims)!r}" for n, s in report.inputs)
    source_path = network.graph.source
    shown = Path(source_path).name if source_path and not source_path.startswith("<") else ""
    where = f" from {_plain(shown)}" if shown else ""
    totals = report.totals
    imports: set[str] = set()
    for helper in helpers:
        imports.update(_HELPER_IMPORTS.get(helper, ()))
    stdlib = sorted(imports, key=lambda i: (i.startswith("from"), i))
    uses_functional = any("F." in code for code, _, _ in body) or any(
        "F." in _HELPERS[h] for h in helpers)
    third = ["import torch", *(["import torch.nn.functional as F"] if uses_functional else []),
             "from torch import Tensor, nn"]
    summary = (f"{_plain(network.name)}: a PyTorch module exported by cnncalc {__version__}"
               f"{where}. Input {report.input_shape} → output {report.output_shape}; "
               f"{totals.params:,} parameters, {totals.macs:,} MACs (cnncalc's count).")
    lines = [
        *textwrap.wrap('"""' + summary, 100, break_on_hyphens=False),
        "",
        "Submodules are named after the spec's layers ('.' becomes '_'); LAYER_NAMES maps every",
        "spec layer to its submodule (None where the layer is plain code in forward).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    if stdlib:
        lines += [*stdlib, ""]
    lines += [*third, ""]
    for helper in helpers:
        lines += ["", *_HELPERS[helper].strip("\n").split("\n"), ""]
    description = network.graph.description
    doc = f"{_plain(network.name)}." + (f" {_plain(description)}" if description else "")
    lines += [
        "",
        f"class {name}(nn.Module):",
        *textwrap.wrap('"""' + doc, 100, initial_indent="    ", subsequent_indent="    ",
                       break_on_hyphens=False),
        "",
        *([f"    Built for input {report.input_shape} (channels first, without the batch "
            f"axis)."] if not report.inputs else
          [f"    Built for inputs {', '.join(f'{n} {s}' for n, s in report.inputs)} (channels",
           "    first, without the batch axis)."]),
        '    """',
        "",
        *([f"    INPUT_SHAPE = {tuple(report.input_shape.dims)!r}"] if not report.inputs else
          [f"    INPUT_SHAPES = {{{shapes}}}"]),
        "",
        "    def __init__(self) -> None:",
        "        super().__init__()",
    ]
    lines += [f"        {line}" for line in init_lines]
    signature = ", ".join(f"{v}: Tensor" for v in input_variables) or "x: Tensor"
    lines += ["", f"    def forward(self, {signature}) -> Tensor:"]
    steps: list[Step] = []
    for code, layer, variable in body:
        if not code:
            if lines[-1].strip() and not lines[-1].rstrip().endswith(":"):
                lines.append("")
            continue
        first = len(lines) + 1
        lines += [f"        {part}" for part in code.split("\n")]
        if layer is not None:
            steps.append(Step(first, len(lines), layer, variable))
    lines += ["", "", "LAYER_NAMES: dict[str, str | None] = {"]
    for spec, attr in layer_names.items():
        entry = f"    {_literal(spec)}: {_literal(attr) if attr else None},"
        lines += [entry] if len(entry) <= 100 else [
            f"    {_literal(spec)}:", f"        {_literal(attr) if attr else None},"]
    lines += ["}", '"""Spec layer name → submodule attribute (None: plain code in forward)."""']
    lines += [
        "",
        "",
        'if __name__ == "__main__":',
        f"    model = {name}().eval()",
        *([f"    x = torch.randn(1, *{name}.INPUT_SHAPE)"] if not report.inputs else
          [f"    x = [torch.randn(1, *shape) for shape in {name}.INPUT_SHAPES.values()]"]),
        "    with torch.no_grad():",
        "        y = model(x)" if not report.inputs else "        y = model(*x)",
        '    print(f"output {tuple(y.shape)}, '
        '{sum(p.numel() for p in model.parameters()):,} parameters")',
    ]
    for step in steps:  # every step points at the statement that assigns its variable
        assert lines[step.first - 1].lstrip().startswith(f"{step.variable} = "), step
    return Program("\n".join(lines) + "\n", name, layer_names, tuple(steps))


def to_source(network: Any, input_shape: Any = None) -> str:
    """The Python source of a standalone ``torch.nn.Module`` for ``network`` (a
    :class:`cnncalc.Network`, a spec path or a bundled spec's name), built for its input shape
    or ``input_shape`` (``"3x320x320"``). Needs no torch; raises :class:`ExportError` for a layer
    PyTorch cannot express."""
    return program(network, input_shape).source


def build_module(network: Any, input_shape: Any = None) -> Any:
    """A live ``torch.nn.Module`` instance of :func:`to_source`'s code (requires torch).

    The instance carries ``cnncalc_layers``: spec layer name → submodule attribute (None where
    the layer is plain code in ``forward``), so per-layer hooks can be attached with
    ``module.get_submodule(attr)``; :func:`layer_output_shapes` gives every layer's output.
    """
    import torch  # noqa: F401  (fail here, clearly, when torch is missing)

    prog = program(network, input_shape)
    filename = f"<cnncalc export: {prog.class_name}>"
    linecache.cache[filename] = (len(prog.source), None, prog.source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": f"cnncalc_export_{prog.class_name}"}
    # The source is ours: identifiers are sanitised and spec text appears only in comments,
    # docstrings and repr() literals (see _plain and identifier).
    exec(compile(prog.source, filename, "exec"), namespace)
    module = namespace[prog.class_name]()
    module.cnncalc_layers = dict(prog.layer_names)
    module._cnncalc_steps = prog.steps
    return module


def layer_output_shapes(module: Any, *inputs: Any) -> dict[str, tuple[int, ...]]:
    """Run a module made by :func:`build_module` on ``inputs`` and return the output shape of
    every spec layer (with the batch axis), read from ``forward``'s variables as each statement
    completes — so layers written as plain code (concat, add, crop) are covered too. It traces
    with ``sys.settrace``, replacing any other tracer (a debugger, coverage) while it runs."""
    steps: tuple[Step, ...] | None = getattr(module, "_cnncalc_steps", None)
    if steps is None:
        raise TypeError("layer_output_shapes needs a module made by build_module")
    by_line = {line: s for s in steps for line in range(s.first, s.last + 1)}
    code = type(module).forward.__code__
    shapes: dict[str, tuple[int, ...]] = {}
    pending: list[Step | None] = [None]

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        # A statement has completed when a line event leaves its lines (or forward returns).
        if event not in ("line", "return"):
            return local
        step = pending[0]
        line = frame.f_lineno
        if step is not None and (event == "return" or not step.first <= line <= step.last):
            shapes[step.layer] = tuple(frame.f_locals[step.variable].shape)
            pending[0] = None
        if event == "line" and pending[0] is None:
            pending[0] = by_line.get(line)
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if event == "call" and frame.f_code is code else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        module(*inputs)
    finally:
        sys.settrace(previous)
    return shapes

