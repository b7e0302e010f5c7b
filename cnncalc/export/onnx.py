"""A cnncalc network as an ONNX model (``cnncalc export SPEC --to onnx``), built with
``onnx.helper`` — no torch — so a spec opens in Netron and in every ONNX tool.

One *emitter* per layer kind, registered for its class with :func:`emits`, writes the kind's
ONNX nodes. Tensors are named after the spec's layers (weights ``<layer>.weight`` and
``<layer>.bias``), so ``cnncalc import`` of the file gives the layers their names back.
Weights are zeros (the default), seeded random numbers, or left out: ``weights="none"`` declares
them as graph inputs with their shapes (the ONNX form before IR version 4), a file of a few
kilobytes whatever the network's size. Decisions are in docs/export.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, TypeVar

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
from cnncalc.layers.conv import Conv, ConvTranspose
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
from cnncalc.model.axes import per_axis
from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.geometry import windows
from cnncalc.model.graph import INPUT
from cnncalc.model.shape import Shape

OPSET = 20
"""ONNX opset of the written models (20: the first with a Gelu operator)."""
IR_VERSION = 9
"""ONNX IR version (read by onnx 1.14 and later, and by current runtimes)."""
WEIGHTS = ("zeros", "random", "none")


class OnnxExportError(SpecError):
    """A layer that ONNX cannot express (located at the layer in its spec)."""


@dataclass(frozen=True)
class Site:
    """One layer to emit: the layer, its name, its input tensors and shapes, its output."""

    layer: Layer
    name: str
    inputs: tuple[str, ...]
    shapes: tuple[Shape, ...]
    output: Shape
    batch: int
    mark: Mark | None

    def refuse(self, reason: str) -> OnnxExportError:
        return OnnxExportError(f"cannot export {self.layer.kind} '{self.name}' to ONNX: "
                               f"{reason}", self.mark, code="export", layer=self.name)

    @property
    def rank(self) -> int:
        return self.output.rank


L = TypeVar("L", bound=Layer)
Emitter = Callable[[Any, Site, "_Graph"], None]
EMITTERS: dict[type[Layer], Emitter] = {}
UNSUPPORTED = {"locally_connected": "ONNX has no locally connected operator"}
"""Kinds without an ONNX form, and why (tests check every other kind has an emitter)."""


def emits(cls: type[L]) -> Callable[[Callable[[L, Site, _Graph], None]],
                                    Callable[[L, Site, _Graph], None]]:
    def register(fn: Callable[[L, Site, _Graph], None]) -> Callable[[L, Site, _Graph], None]:
        if cls in EMITTERS:
            raise TypeError(f"{cls.__name__} already has an ONNX emitter")
        EMITTERS[cls] = fn
        return fn
    return register


def missing_emitters() -> list[str]:
    return sorted(k for k, cls in kinds().items() if cls not in EMITTERS and k not in UNSUPPORTED)


class _Graph:
    """The nodes, initializers and weight inputs being written."""

    def __init__(self, weights: str, seed: int) -> None:
        import numpy as np
        import onnx

        self.onnx = onnx
        self.np = np
        self.weights = weights
        self.rng = np.random.default_rng(seed)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.weight_inputs: list[Any] = []

    def node(self, op_type: str, inputs: list[str], output: str, name: str,
             **attrs: Any) -> None:
        clean = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [output], name=name,
                                                     **clean))

    def weight(self, name: str, shape: tuple[int, ...], fill: float | None = None) -> str:
        """A learnt tensor (or a buffer): zeros, random, or a typed graph input."""
        np = self.np
        if self.weights == "none" and fill is None:
            self.weight_inputs.append(self.onnx.helper.make_tensor_value_info(
                name, self.onnx.TensorProto.FLOAT, list(shape)))
            return name
        if fill is not None:
            array = np.full(shape, fill, dtype=np.float32)
        elif self.weights == "random":
            array = (self.rng.standard_normal(shape, dtype=np.float32) * 0.01)
        else:
            array = np.zeros(shape, dtype=np.float32)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def fixed(self, name: str, shape: tuple[int, ...], fill: float) -> str:
        """A constant that is no weight (the ones an ONNX norm needs when PyTorch's has no γ):
        a Constant node, so that the importer does not count it as parameters."""
        array = self.np.full(shape, fill, dtype=self.np.float32)
        self.nodes.append(self.onnx.helper.make_node(
            "Constant", [], [name], name=name,
            value=self.onnx.numpy_helper.from_array(array, name)))
        return name

    def constant(self, name: str, values: list[int] | list[float], dtype: str = "int64") -> str:
        array = self.np.array(values, dtype=dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name


def to_model(network: Any, input_shape: Any = None, weights: str = "zeros",
             seed: int = 0) -> Any:
    """The ONNX ModelProto of ``network`` (a :class:`cnncalc.Network`) at its input shape or
    ``input_shape``; ``weights`` is ``zeros``, ``random`` (seeded) or ``none``."""
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}, not {weights!r}")
    report = network.summary(input_shape, batch=None)
    graph = network.graph
    batch = report.batch
    out = _Graph(weights, seed)
    onnx = out.onnx
    by_name = {r.name: r for r in report.layers}
    for node in graph.nodes:
        r = by_name[node.name]
        site = Site(node.layer, node.name, tuple(node.inputs), r.input_shapes, r.output_shape,
                    batch, node.mark)
        emitter = EMITTERS.get(type(node.layer))
        if emitter is None:
            reason = UNSUPPORTED.get(node.layer.kind, "no ONNX emitter for this kind")
            raise site.refuse(reason)
        emitter(node.layer, site, out)
    tensor = onnx.TensorProto.FLOAT
    inputs = [onnx.helper.make_tensor_value_info(INPUT, tensor,
                                                 [batch, *report.input_shape.dims]),
              *out.weight_inputs]
    outputs = [onnx.helper.make_tensor_value_info(graph.output, tensor,
                                                  [batch, *report.output_shape.dims])]
    model_graph = onnx.helper.make_graph(out.nodes, network.name or "network", inputs, outputs,
                                         out.initializers)
    try:
        version = metadata.version("cnncalc")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree
        version = "0"
    model = onnx.helper.make_model(model_graph, producer_name="cnncalc",
                                   producer_version=version,
                                   opset_imports=[onnx.helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    model.doc_string = f"{network.name}: written by cnncalc export --to onnx ({weights} weights)"
    return model


# --- emitters -----------------------------------------------------------------------------------

def _pads(pairs: list[tuple[int, int]]) -> list[int]:
    return [b for b, _ in pairs] + [a for _, a in pairs]


def _windowed(site: Site, ws: Any) -> dict[str, Any]:
    return {"kernel_shape": [w.k for w in ws], "strides": [w.s for w in ws],
            "pads": _pads([(w.pb, w.pa) for w in ws])}


@emits(Conv)
def _conv(layer: Conv, site: Site, g: _Graph) -> None:
    x = site.shapes[0]
    ws = layer.windows(x)
    w = g.weight(f"{site.name}.weight",
                 (layer.out, x.channels // layer.groups, *[w.k for w in ws]))
    inputs = [site.inputs[0], w]
    if layer.bias:
        inputs.append(g.weight(f"{site.name}.bias", (layer.out,)))
    g.node("Conv", inputs, site.name, site.name, **_windowed(site, ws),
           dilations=[w.d for w in ws], group=layer.groups)


@emits(ConvTranspose)
def _conv_transpose(layer: ConvTranspose, site: Site, g: _Graph) -> None:
    x = site.shapes[0]
    ws = windows(x.spatial, layer.kernel, layer.stride, layer.padding, layer.dilation, ())
    output_padding = list(per_axis("output_padding", layer.output_padding, x.rank))
    w = g.weight(f"{site.name}.weight",
                 (x.channels, layer.out // layer.groups, *[w.k for w in ws]))
    inputs = [site.inputs[0], w]
    if layer.bias:
        inputs.append(g.weight(f"{site.name}.bias", (layer.out,)))
    g.node("ConvTranspose", inputs, site.name, site.name, **_windowed(site, ws),
           dilations=[w.d for w in ws], group=layer.groups,
           output_padding=output_padding if any(output_padding) else None)


@emits(Linear)
def _linear(layer: Linear, site: Site, g: _Graph) -> None:
    inputs = [site.inputs[0],
              g.weight(f"{site.name}.weight", (layer.out, site.shapes[0].channels))]
    if layer.bias:
        inputs.append(g.weight(f"{site.name}.bias", (layer.out,)))
    g.node("Gemm", inputs, site.name, site.name, transB=1)


@emits(Flatten)
def _flatten(layer: Flatten, site: Site, g: _Graph) -> None:
    g.node("Flatten", [site.inputs[0]], site.name, site.name, axis=1)


@emits(Dropout)
def _dropout(layer: Dropout, site: Site, g: _Graph) -> None:
    ratio = g.constant(f"{site.name}.ratio", [layer.p], "float32")
    g.nodes.append(g.onnx.helper.make_node("Dropout", [site.inputs[0], ratio], [site.name],
                                           name=site.name))
    g.initializers[-1] = g.onnx.numpy_helper.from_array(g.np.array(layer.p, g.np.float32),
                                                        ratio)


@emits(BatchNorm)
def _batchnorm(layer: BatchNorm, site: Site, g: _Graph) -> None:
    c = site.shapes[0].channels
    names = [g.weight(f"{site.name}.weight", (c,), None if layer.affine else 1.0),
             g.weight(f"{site.name}.bias", (c,), None if layer.affine else 0.0),
             g.weight(f"{site.name}.running_mean", (c,), 0.0),
             g.weight(f"{site.name}.running_var", (c,), 1.0)]
    g.node("BatchNormalization", [site.inputs[0], *names], site.name, site.name,
           epsilon=float(layer.eps), momentum=1.0 - float(layer.momentum))


@emits(LocalResponseNorm)
def _lrn(layer: LocalResponseNorm, site: Site, g: _Graph) -> None:
    g.node("LRN", [site.inputs[0]], site.name, site.name, size=layer.size,
           alpha=float(layer.alpha), beta=float(layer.beta), bias=float(layer.k))


def _pool(layer: Any, site: Site, g: _Graph, op_type: str, **extra: Any) -> None:
    x = site.shapes[0]
    ws = layer.windows(x)
    ceil = layer.ceil_mode
    if ceil == "caffe":
        torch_rule = dataclasses.replace(layer, ceil_mode=True).infer((x,))
        if torch_rule != site.output:
            raise site.refuse(f"Caffe's ceil rule keeps a last window that ONNX's drops "
                              f"(ONNX gives {torch_rule}, cnncalc {site.output})")
    attrs = _windowed(site, ws)
    if op_type == "LpPool":
        attrs.pop("pads") if not any(attrs["pads"]) else None
    g.node(op_type, [site.inputs[0]], site.name, site.name, **attrs,
           ceil_mode=1 if ceil else None, **extra)


@emits(MaxPool)
def _maxpool(layer: MaxPool, site: Site, g: _Graph) -> None:
    d = list(per_axis("dilation", layer.dilation, site.rank))
    _pool(layer, site, g, "MaxPool", dilations=d if any(v != 1 for v in d) else None)


@emits(AvgPool)
def _avgpool(layer: AvgPool, site: Site, g: _Graph) -> None:
    _pool(layer, site, g, "AveragePool", count_include_pad=int(layer.count_include_pad))


@emits(LpPool)
def _lppool(layer: LpPool, site: Site, g: _Graph) -> None:
    if layer.norm != int(layer.norm):
        raise site.refuse(f"ONNX's LpPool takes an integer p, not {layer.norm}")
    _pool(layer, site, g, "LpPool", p=int(layer.norm))


@emits(GlobalAvgPool)
def _global_avgpool(layer: GlobalAvgPool, site: Site, g: _Graph) -> None:
    g.node("GlobalAveragePool", [site.inputs[0]], site.name, site.name)


@emits(GlobalMaxPool)
def _global_maxpool(layer: GlobalMaxPool, site: Site, g: _Graph) -> None:
    g.node("GlobalMaxPool", [site.inputs[0]], site.name, site.name)


def _adaptive(layer: Any, site: Site, g: _Graph, op_type: str) -> None:
    sizes, outs = site.shapes[0].spatial, site.output.spatial
    if all(o == 1 for o in outs):  # the same at every input size
        g.node(f"Global{op_type}", [site.inputs[0]], site.name, site.name)
        return
    if any(i % o for i, o in zip(sizes, outs)):
        raise site.refuse(f"an adaptive pool from {Shape.of((1, *sizes)).spatial} to {outs} "
                          f"has windows of unequal size, which no ONNX pool has")
    kernel = [i // o for i, o in zip(sizes, outs)]
    g.node(op_type, [site.inputs[0]], site.name, site.name, kernel_shape=kernel,
           strides=kernel)


@emits(AdaptiveAvgPool)
def _adaptive_avgpool(layer: AdaptiveAvgPool, site: Site, g: _Graph) -> None:
    _adaptive(layer, site, g, "AveragePool")


@emits(AdaptiveMaxPool)
def _adaptive_maxpool(layer: AdaptiveMaxPool, site: Site, g: _Graph) -> None:
    _adaptive(layer, site, g, "MaxPool")


@emits(Upsample)
def _upsample(layer: Upsample, site: Site, g: _Graph) -> None:
    mode = {"nearest": "nearest", "bicubic": "cubic"}.get(layer.mode, "linear")
    if layer.size is not None:
        sizes = g.constant(f"{site.name}.sizes",
                           [site.batch, site.output.channels, *site.output.spatial])
        inputs = [site.inputs[0], "", "", sizes]
    else:
        scales = [float(s) for s in per_axis("scale", layer.scale, site.rank)]
        inputs = [site.inputs[0], "", g.constant(f"{site.name}.scales", [1.0, 1.0, *scales],
                                                 "float32")]
    if mode == "nearest":
        how = {"coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    else:
        how = {"coordinate_transformation_mode":
               "align_corners" if layer.align_corners else "pytorch_half_pixel"}
    g.node("Resize", inputs, site.name, site.name, mode=mode, **how)


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": "wrap"}


@emits(Pad)
def _pad(layer: Pad, site: Site, g: _Graph) -> None:
    pairs = [(0, 0), (0, 0), *layer.pads(site.shapes[0])]
    inputs = [site.inputs[0], g.constant(f"{site.name}.pads", _pads(pairs))]
    if layer.mode == "constant" and layer.value:
        inputs.append(g.constant(f"{site.name}.value", [float(layer.value)], "float32"))
        g.initializers[-1] = g.onnx.numpy_helper.from_array(
            g.np.array(float(layer.value), g.np.float32), inputs[-1])
    g.node("Pad", inputs, site.name, site.name, mode=_PAD_MODES[layer.mode])


@emits(Crop)
def _crop(layer: Crop, site: Site, g: _Graph) -> None:
    offsets = layer.offsets(site.shapes)
    sizes = site.shapes[0].spatial
    axes = list(range(2, 2 + site.rank))
    g.node("Slice", [site.inputs[0],
                     g.constant(f"{site.name}.starts", [b for b, _ in offsets]),
                     g.constant(f"{site.name}.ends", [i - a for i, (_, a) in zip(sizes, offsets)]),
                     g.constant(f"{site.name}.axes", axes)], site.name, site.name)


@emits(Concat)
def _concat(layer: Concat, site: Site, g: _Graph) -> None:
    g.node("Concat", list(site.inputs), site.name, site.name, axis=1)


@emits(Add)
def _add(layer: Add, site: Site, g: _Graph) -> None:
    g.node("Add" if len(site.inputs) == 2 else "Sum", list(site.inputs), site.name, site.name)


@emits(Identity)
def _identity(layer: Identity, site: Site, g: _Graph) -> None:
    g.node("Identity", [site.inputs[0]], site.name, site.name)


def _unary(op_type: str, **attrs: Any) -> Emitter:
    def emit(layer: Any, site: Site, g: _Graph) -> None:
        g.node(op_type, [site.inputs[0]], site.name, site.name, **attrs)
    return emit


EMITTERS[ReLU] = _unary("Relu")
EMITTERS[Sigmoid] = _unary("Sigmoid")
EMITTERS[Tanh] = _unary("Tanh")
EMITTERS[Hardswish] = _unary("HardSwish")
EMITTERS[Softmax] = _unary("Softmax", axis=1)


@emits(ReLU6)
def _relu6(layer: ReLU6, site: Site, g: _Graph) -> None:
    low = g.constant(f"{site.name}.min", [0.0], "float32")
    g.initializers[-1] = g.onnx.numpy_helper.from_array(g.np.array(0.0, g.np.float32), low)
    high = g.constant(f"{site.name}.max", [6.0], "float32")
    g.initializers[-1] = g.onnx.numpy_helper.from_array(g.np.array(6.0, g.np.float32), high)
    g.node("Clip", [site.inputs[0], low, high], site.name, site.name)


@emits(LeakyReLU)
def _leaky_relu(layer: LeakyReLU, site: Site, g: _Graph) -> None:
    g.node("LeakyRelu", [site.inputs[0]], site.name, site.name,
           alpha=float(layer.negative_slope))


@emits(ELU)
def _elu(layer: ELU, site: Site, g: _Graph) -> None:
    g.node("Elu", [site.inputs[0]], site.name, site.name, alpha=float(layer.alpha))


@emits(PReLU)
def _prelu(layer: PReLU, site: Site, g: _Graph) -> None:
    shape = (site.output.channels, *[1] * site.rank) if layer.per_channel else (1,)
    g.node("PRelu", [site.inputs[0], g.weight(f"{site.name}.weight", shape)], site.name,
           site.name)


@emits(GELU)
def _gelu(layer: GELU, site: Site, g: _Graph) -> None:
    g.node("Gelu", [site.inputs[0]], site.name, site.name,
           approximate=None if layer.approximate == "none" else layer.approximate)


@emits(SiLU)
def _silu(layer: SiLU, site: Site, g: _Graph) -> None:
    gate = f"{site.name}.sigmoid"
    g.node("Sigmoid", [site.inputs[0]], gate, gate)
    g.node("Mul", [site.inputs[0], gate], site.name, site.name)


@emits(Hardsigmoid)
def _hardsigmoid(layer: Hardsigmoid, site: Site, g: _Graph) -> None:
    g.node("HardSigmoid", [site.inputs[0]], site.name, site.name, alpha=1 / 6, beta=0.5)


EMITTERS[Mish] = _unary("Mish")


@emits(Mul)
def _mul(layer: Mul, site: Site, g: _Graph) -> None:
    g.node("Mul", list(site.inputs), site.name, site.name)


def _norm_weights(g: _Graph, site: Site, shape: tuple[int, ...], bias: bool = True) -> list[str]:
    names = [g.weight(f"{site.name}.weight", shape)]
    if bias:
        names.append(g.weight(f"{site.name}.bias", shape))
    return names


def _permuted(g: _Graph, site: Site, source: str, suffix: str, perm: list[int]) -> str:
    name = f"{site.name}.{suffix}"
    g.node("Transpose", [source], name, name, perm=perm)
    return name


@emits(LayerNorm)
def _layernorm(layer: LayerNorm, site: Site, g: _Graph) -> None:
    """Over the channels at every position: channels last, LayerNormalization over the last
    axis, channels first again (as PyTorch's exporters write ConvNeXt's LayerNorm2d). Without
    affine, ONNX still needs a scale: a constant of ones, which the importer does not count."""
    c = site.shapes[0].channels
    if layer.affine:
        weights = _norm_weights(g, site, (c,), layer.bias)
    else:
        weights = [g.fixed(f"{site.name}.ones", (c,), 1.0)]
    eps = float(layer.eps)
    if not site.rank:
        g.node("LayerNormalization", [site.inputs[0], *weights], site.name, site.name,
               axis=-1, epsilon=eps)
        return
    rank = site.rank + 2
    last = _permuted(g, site, site.inputs[0], "channels_last", [0, *range(2, rank), 1])
    normed = f"{site.name}.normalized"
    g.node("LayerNormalization", [last, *weights], normed, site.name, axis=-1, epsilon=eps)
    g.node("Transpose", [normed], site.name, f"{site.name}.channels_first",
           perm=[0, rank - 1, *range(1, rank - 1)])


@emits(GroupNorm)
def _groupnorm(layer: GroupNorm, site: Site, g: _Graph) -> None:
    """ONNX's GroupNormalization (opset 21) has γ and β per group before opset 21 and per
    channel after; PyTorch's exporters write group norm as an instance norm of the channels
    reshaped to groups, then the per-channel γ and β: so is it written here."""
    x = site.shapes[0]
    grouped = g.constant(f"{site.name}.grouped_shape", [site.batch, layer.groups, -1])
    g.node("Reshape", [site.inputs[0], grouped], f"{site.name}.grouped",
           f"{site.name}.grouped")
    ones = g.fixed(f"{site.name}.group_ones", (layer.groups,), 1.0)
    zeros = g.fixed(f"{site.name}.group_zeros", (layer.groups,), 0.0)
    g.node("InstanceNormalization", [f"{site.name}.grouped", ones, zeros],
           f"{site.name}.normalized", site.name, epsilon=float(layer.eps))
    shape = g.constant(f"{site.name}.shape", [site.batch, *x.dims])
    out = site.name if not layer.affine else f"{site.name}.ungrouped"
    g.node("Reshape", [f"{site.name}.normalized", shape], out, f"{site.name}.ungrouped")
    if layer.affine:
        weight, bias = _norm_weights(g, site, (x.channels, *[1] * site.rank))
        g.node("Mul", [out, weight], f"{site.name}.scaled", f"{site.name}.scale")
        g.node("Add", [f"{site.name}.scaled", bias], site.name, f"{site.name}.shift")


@emits(InstanceNorm)
def _instancenorm(layer: InstanceNorm, site: Site, g: _Graph) -> None:
    """At inference PyTorch uses the running statistics when it tracks them: that is a batch
    norm, so it is refused; without affine the scale and shift are constants (ones, zeros)."""
    if layer.track_running_stats:
        raise site.refuse("with track_running_stats PyTorch normalises with the running "
                          "statistics at inference, which is a batch norm in ONNX")
    c = site.shapes[0].channels
    if layer.affine:
        weights = _norm_weights(g, site, (c,))
    else:
        weights = [g.fixed(f"{site.name}.ones", (c,), 1.0),
                   g.fixed(f"{site.name}.zeros", (c,), 0.0)]
    g.node("InstanceNormalization", [site.inputs[0], *weights], site.name, site.name,
           epsilon=float(layer.eps))


@emits(LayerScale)
def _layer_scale(layer: LayerScale, site: Site, g: _Graph) -> None:
    shape = (site.shapes[0].channels, *[1] * site.rank)
    g.node("Mul", [g.weight(f"{site.name}.weight", shape), site.inputs[0]], site.name,
           site.name)


@emits(StochasticDepth)
def _stochastic_depth(layer: StochasticDepth, site: Site, g: _Graph) -> None:
    """The identity at inference, as PyTorch's exporters leave it: nothing to import back."""
    g.node("Identity", [site.inputs[0]], site.name, site.name)


@emits(Split)
def _split(layer: Split, site: Site, g: _Graph) -> None:
    start, size = layer.bounds(site.shapes[0].channels)
    g.node("Slice", [site.inputs[0], g.constant(f"{site.name}.starts", [start]),
                     g.constant(f"{site.name}.ends", [start + size]),
                     g.constant(f"{site.name}.axes", [1])], site.name, site.name)


def _rearrange(site: Site, g: _Graph, mid: list[int], perm: list[int]) -> None:
    """Reshape, Transpose, Reshape, as PyTorch's exporters write channel shuffle and pixel
    unshuffle."""
    moved = f"{site.name}.moved"
    g.node("Reshape", [site.inputs[0], g.constant(f"{site.name}.split_shape", mid)],
           f"{site.name}.split", f"{site.name}.split")
    g.node("Transpose", [f"{site.name}.split"], moved, moved, perm=perm)
    g.node("Reshape", [moved, g.constant(f"{site.name}.shape",
                                         [site.batch, *site.output.dims])],
           site.name, site.name)


@emits(ChannelShuffle)
def _channel_shuffle(layer: ChannelShuffle, site: Site, g: _Graph) -> None:
    x = site.shapes[0]
    _rearrange(site, g, [site.batch, layer.groups, x.channels // layer.groups, *x.spatial],
               [0, 2, 1, *range(3, 3 + site.rank)])


@emits(PixelShuffle)
def _pixel_shuffle(layer: PixelShuffle, site: Site, g: _Graph) -> None:
    """DepthToSpace in CRD order is PyTorch's channel order (DCR is TensorFlow's)."""
    g.node("DepthToSpace", [site.inputs[0]], site.name, site.name, blocksize=layer.factor,
           mode="CRD")


@emits(PixelUnshuffle)
def _pixel_unshuffle(layer: PixelUnshuffle, site: Site, g: _Graph) -> None:
    """ONNX's SpaceToDepth has TensorFlow's channel order only: the reshapes PyTorch's
    exporters write instead."""
    x, r = site.shapes[0], layer.factor
    h, w = x.spatial
    _rearrange(site, g, [site.batch, x.channels, h // r, r, w // r, r], [0, 1, 3, 5, 2, 4])
