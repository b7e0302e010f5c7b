"""PyTorch as an oracle: each layer kind as the PyTorch call that defines it, keyed by layer
class, and a whole-graph runner for the benchmark. Imports torch; only the PyTorch tests
(``pytest.importorskip("torch")``) and ``benchmarks/kernels.py`` load this module."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F

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
from cnncalc.layers.base import Layer
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
)
from cnncalc.layers.rearrange import ChannelShuffle, PixelShuffle, PixelUnshuffle, Split
from cnncalc.layers.spatial import Crop, Pad, Upsample
from cnncalc.model.geometry import per_axis
from cnncalc.model.graph import Graph

Tensor = torch.Tensor
Params = Mapping[str, Tensor]
TorchFn = Callable[[Any, list[Tensor], Params], Tensor]

REFERENCE: dict[type[Layer], TorchFn] = {}


class Unsupported(Exception):
    """A configuration PyTorch has no call for (asymmetric pool padding, Caffe's ceil rule)."""


def reference(*classes: type[Layer]) -> Callable[[TorchFn], TorchFn]:
    def register(fn: TorchFn) -> TorchFn:
        for cls in classes:
            REFERENCE[cls] = fn
        return fn
    return register


def _rank(x: Tensor) -> int:
    return x.dim() - 2


def _symmetric(pads: list[tuple[int, int]]) -> list[int]:
    if any(pb != pa for pb, pa in pads):
        raise Unsupported("asymmetric padding")
    return [pb for pb, _ in pads]


def _flat_pads(pads: list[tuple[int, int]]) -> list[int]:
    """``F.pad``'s order: last axis first, (before, after) each."""
    return [v for pb, pa in reversed(pads) for v in (pb, pa)]


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_LP = {1: F.lp_pool1d, 2: F.lp_pool2d, 3: F.lp_pool3d}
_ADAPTIVE_AVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
_ADAPTIVE_MAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}


@reference(Conv)
def conv(layer: Conv, xs: list[Tensor], p: Params) -> Tensor:
    x = xs[0]
    ws = layer.windows(_shape(x))
    pads = [(w.pb, w.pa) for w in ws]
    try:
        padding: Any = _symmetric(pads)
    except Unsupported:
        x = F.pad(x, _flat_pads(pads))
        padding = 0
    return _CONV[_rank(x)](x, p["weight"], p.get("bias"), [w.s for w in ws], padding,
                           [w.d for w in ws], layer.groups)


@reference(ConvTranspose)
def conv_transpose(layer: ConvTranspose, xs: list[Tensor], p: Params) -> Tensor:
    x = xs[0]
    r = _rank(x)
    pads = [v if isinstance(v, tuple) else (v, v) for v in per_axis("padding", layer.padding, r)]
    return _CONV_T[r](x, p["weight"], p.get("bias"), per_axis("stride", layer.stride, r),
                      _symmetric(pads), per_axis("output_padding", layer.output_padding, r),
                      layer.groups, per_axis("dilation", layer.dilation, r))


@reference(LocallyConnected)
def locally_connected(layer: LocallyConnected, xs: list[Tensor], p: Params) -> Tensor:
    """``F.unfold`` (2-D only) gives the columns; each position has its own weights."""
    x = xs[0]
    if _rank(x) != 2:
        raise Unsupported("F.unfold is 2-D only")
    ws = layer.windows(_shape(x))
    x = F.pad(x, _flat_pads([(w.pb, w.pa) for w in ws]))
    cols = F.unfold(x, [w.k for w in ws], [w.d for w in ws], 0, [w.s for w in ws])
    w = p["weight"]
    out_sizes = w.shape[:2]
    wm = w.reshape(out_sizes[0] * out_sizes[1], layer.out, -1)
    y = torch.einsum("nkp,pok->nop", cols, wm).reshape(x.shape[0], layer.out, *out_sizes)
    return y + p["bias"] if "bias" in p else y


def _pool_args(layer: Any, x: Tensor) -> tuple[list[int], list[int], list[int], list[int]]:
    if layer.ceil_mode == "caffe":
        raise Unsupported("Caffe's ceil rule")
    ws = layer.windows(_shape(x))
    return ([w.k for w in ws], [w.s for w in ws], _symmetric([(w.pb, w.pa) for w in ws]),
            [w.d for w in ws])


@reference(MaxPool)
def maxpool(layer: MaxPool, xs: list[Tensor], p: Params) -> Tensor:
    k, s, pad, d = _pool_args(layer, xs[0])
    return _MAX[_rank(xs[0])](xs[0], k, s, pad, d, bool(layer.ceil_mode))


@reference(AvgPool)
def avgpool(layer: AvgPool, xs: list[Tensor], p: Params) -> Tensor:
    k, s, pad, _ = _pool_args(layer, xs[0])
    return _AVG[_rank(xs[0])](xs[0], k, s, pad, bool(layer.ceil_mode), layer.count_include_pad)


@reference(LpPool)
def lppool(layer: LpPool, xs: list[Tensor], p: Params) -> Tensor:
    k, s, _, _ = _pool_args(layer, xs[0])
    r = _rank(xs[0])
    return _LP[r](xs[0], layer.norm, k if r > 1 else k[0], s if r > 1 else s[0],
                  bool(layer.ceil_mode))


@reference(GlobalAvgPool)
def global_avgpool(layer: GlobalAvgPool, xs: list[Tensor], p: Params) -> Tensor:
    return _ADAPTIVE_AVG[_rank(xs[0])](xs[0], 1)


@reference(GlobalMaxPool)
def global_maxpool(layer: GlobalMaxPool, xs: list[Tensor], p: Params) -> Tensor:
    return _ADAPTIVE_MAX[_rank(xs[0])](xs[0], 1)


@reference(AdaptiveAvgPool)
def adaptive_avgpool(layer: AdaptiveAvgPool, xs: list[Tensor], p: Params) -> Tensor:
    r = _rank(xs[0])
    return _ADAPTIVE_AVG[r](xs[0], per_axis("output", layer.output, r))


@reference(AdaptiveMaxPool)
def adaptive_maxpool(layer: AdaptiveMaxPool, xs: list[Tensor], p: Params) -> Tensor:
    r = _rank(xs[0])
    return _ADAPTIVE_MAX[r](xs[0], per_axis("output", layer.output, r))


@reference(Linear)
def linear(layer: Linear, xs: list[Tensor], p: Params) -> Tensor:
    return F.linear(xs[0], p["weight"], p.get("bias"))


@reference(Flatten)
def flatten(layer: Flatten, xs: list[Tensor], p: Params) -> Tensor:
    return torch.flatten(xs[0], 1)


@reference(BatchNorm)
def batchnorm(layer: BatchNorm, xs: list[Tensor], p: Params) -> Tensor:
    track = "running_mean" in p
    return F.batch_norm(xs[0], p.get("running_mean"), p.get("running_var"), p.get("weight"),
                        p.get("bias"), training=not track, momentum=layer.momentum,
                        eps=layer.eps)


@reference(LocalResponseNorm)
def lrn(layer: LocalResponseNorm, xs: list[Tensor], p: Params) -> Tensor:
    return F.local_response_norm(xs[0], layer.size, layer.alpha, layer.beta, layer.k)


@reference(LayerNorm)
def layernorm(layer: LayerNorm, xs: list[Tensor], p: Params) -> Tensor:
    """torchvision's LayerNorm2d: channels last, ``F.layer_norm``, channels first again."""
    x = xs[0].movedim(1, -1)
    y = F.layer_norm(x, (x.shape[-1],), p.get("weight"), p.get("bias"), layer.eps)
    return y.movedim(-1, 1)


@reference(GroupNorm)
def groupnorm(layer: GroupNorm, xs: list[Tensor], p: Params) -> Tensor:
    return F.group_norm(xs[0], layer.groups, p.get("weight"), p.get("bias"), layer.eps)


@reference(InstanceNorm)
def instancenorm(layer: InstanceNorm, xs: list[Tensor], p: Params) -> Tensor:
    track = "running_mean" in p
    return F.instance_norm(xs[0], p.get("running_mean"), p.get("running_var"), p.get("weight"),
                           p.get("bias"), use_input_stats=not track, momentum=layer.momentum,
                           eps=layer.eps)


@reference(LayerScale)
def layer_scale(layer: LayerScale, xs: list[Tensor], p: Params) -> Tensor:
    return p["weight"] * xs[0]


@reference(ChannelShuffle)
def channel_shuffle(layer: ChannelShuffle, xs: list[Tensor], p: Params) -> Tensor:
    return F.channel_shuffle(xs[0], layer.groups)


@reference(Split)
def split(layer: Split, xs: list[Tensor], p: Params) -> Tensor:
    if isinstance(layer.parts, tuple):
        return torch.split(xs[0], list(layer.parts), dim=1)[layer.take]
    return torch.chunk(xs[0], layer.parts, dim=1)[layer.take]


@reference(PixelShuffle)
def pixel_shuffle(layer: PixelShuffle, xs: list[Tensor], p: Params) -> Tensor:
    return F.pixel_shuffle(xs[0], layer.factor)


@reference(PixelUnshuffle)
def pixel_unshuffle(layer: PixelUnshuffle, xs: list[Tensor], p: Params) -> Tensor:
    return F.pixel_unshuffle(xs[0], layer.factor)


@reference(Mul)
def mul(layer: Mul, xs: list[Tensor], p: Params) -> Tensor:
    return xs[0] * xs[1]


@reference(Dropout, Identity, StochasticDepth)
def identity(layer: Layer, xs: list[Tensor], p: Params) -> Tensor:
    return xs[0]


_LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


@reference(Upsample)
def upsample(layer: Upsample, xs: list[Tensor], p: Params) -> Tensor:
    x = xs[0]
    r = _rank(x)
    mode = layer.mode
    if mode in ("linear", "bilinear", "trilinear"):
        mode = _LINEAR_MODES[r]
    if mode == "bicubic" and r != 2:
        raise Unsupported("PyTorch's bicubic is 2-D only")
    align = layer.align_corners if mode != "nearest" else None
    if layer.like is not None:
        return F.interpolate(x, size=list(xs[1].shape[2:]), mode=mode, align_corners=align)
    if layer.size is not None:
        return F.interpolate(x, size=per_axis("size", layer.size, r), mode=mode,
                             align_corners=align)
    return F.interpolate(x, scale_factor=per_axis("scale", layer.scale, r), mode=mode,
                         align_corners=align)


@reference(Pad)
def pad(layer: Pad, xs: list[Tensor], p: Params) -> Tensor:
    r = _rank(xs[0])
    pads = [v if isinstance(v, tuple) else (v, v) for v in per_axis("padding", layer.padding, r)]
    if layer.mode == "constant":
        return F.pad(xs[0], _flat_pads(pads), "constant", layer.value)
    return F.pad(xs[0], _flat_pads(pads), layer.mode)


@reference(Crop)
def crop(layer: Crop, xs: list[Tensor], p: Params) -> Tensor:
    offsets = layer.offsets(tuple(_shape(x) for x in xs))
    index = [slice(None), slice(None)]
    index += [slice(b, size - a) for size, (b, a) in zip(xs[0].shape[2:], offsets)]
    return xs[0][tuple(index)]


@reference(Concat)
def concat(layer: Concat, xs: list[Tensor], p: Params) -> Tensor:
    return torch.cat(xs, dim=1)


@reference(Add)
def add(layer: Add, xs: list[Tensor], p: Params) -> Tensor:
    total = xs[0] + xs[1]
    for x in xs[2:]:
        total = total + x
    return total


_ELEMENTWISE: dict[type[Layer], Callable[[Any, Tensor], Tensor]] = {
    ReLU: lambda layer, x: F.relu(x),
    ReLU6: lambda layer, x: F.relu6(x),
    LeakyReLU: lambda layer, x: F.leaky_relu(x, layer.negative_slope),
    ELU: lambda layer, x: F.elu(x, layer.alpha),
    Sigmoid: lambda layer, x: torch.sigmoid(x),
    Tanh: lambda layer, x: torch.tanh(x),
    GELU: lambda layer, x: F.gelu(x, approximate=layer.approximate),
    SiLU: lambda layer, x: F.silu(x),
    Hardswish: lambda layer, x: F.hardswish(x),
    Hardsigmoid: lambda layer, x: F.hardsigmoid(x),
    Mish: lambda layer, x: F.mish(x),
    Softmax: lambda layer, x: F.softmax(x, dim=1),
}


def _elementwise(layer: Layer, xs: list[Tensor], p: Params) -> Tensor:
    return _ELEMENTWISE[type(layer)](layer, xs[0])


for _cls in _ELEMENTWISE:
    REFERENCE[_cls] = _elementwise


@reference(PReLU)
def prelu(layer: PReLU, xs: list[Tensor], p: Params) -> Tensor:
    return F.prelu(xs[0], p["weight"])


def _shape(x: Tensor) -> Any:
    from cnncalc.model.shape import Shape

    return Shape(int(x.shape[1]), tuple(int(d) for d in x.shape[2:]))


def torch_forward(layer: Layer, xs: list[Tensor], params: Params) -> Tensor:
    """The PyTorch result for one layer (``Unsupported`` where PyTorch has no such call)."""
    return REFERENCE[type(layer)](layer, xs, params)


def torch_run(graph: Graph, x: Tensor | Mapping[str, Tensor],
              params: Mapping[str, Params]) -> Tensor:
    """The whole graph in PyTorch, node by node, freeing tensors after their last consumer
    (the same schedule as :func:`cnncalc.kernels.run.run`)."""
    last: dict[str, int] = {}
    for index, node in enumerate(graph.nodes):
        for src in node.inputs:
            last[src] = index
    values: dict[str, Tensor] = (dict(x) if isinstance(x, Mapping)
                                 else {next(iter(graph.sources)): x})
    for index, node in enumerate(graph.nodes):
        values[node.name] = torch_forward(node.layer, [values[s] for s in node.inputs],
                                          params.get(node.name, {}))
        for src in set(node.inputs):
            if last.get(src) == index and src != graph.output:
                del values[src]
    return values[graph.output]
