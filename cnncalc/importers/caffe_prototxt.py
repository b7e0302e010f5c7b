"""Caffe network definitions (``deploy.prototxt``) as cnncalc layers.

The text is parsed with protobuf's text format against Caffe's own message types, loaded from
the compiled descriptor ``caffe.desc`` shipped beside this module (regenerated from
third_party/caffe/caffe.proto by scripts/caffe_descriptor.py; BSD licence in caffe.LICENSE).
Both the current ``layer {}`` form and the old ``layers {}`` with upper-case enum types are read.
Blobs are followed by name, in-place layers (``top`` = ``bottom``) included; ``Split`` tops are
the same blob. Caffe's pooling rounds up (``ceil_mode: caffe``); ``InnerProduct`` flattens its
input itself (a ``flatten`` is written before it); ``BatchNorm`` followed by ``Scale`` is one
affine batch norm.
"""

from __future__ import annotations

import math
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from cnncalc.importers.ir import INPUT, Imported, Namer, Op, import_error
from cnncalc.model.limits import DEFAULT_LIMITS, Limits

DESCRIPTOR = Path(__file__).with_name("caffe.desc")
MAX_BYTES = 16 * 2**20
"""Largest prototxt read (BVLC's GoogLeNet deploy file is 36 KB)."""
EXTRA = "pip install 'cnncalc[caffe]'"

V1_TYPES = {
    "CONVOLUTION": "Convolution", "DECONVOLUTION": "Deconvolution", "POOLING": "Pooling",
    "INNER_PRODUCT": "InnerProduct", "RELU": "ReLU", "SIGMOID": "Sigmoid", "TANH": "TanH",
    "LRN": "LRN", "DROPOUT": "Dropout", "SOFTMAX": "Softmax", "CONCAT": "Concat",
    "ELTWISE": "Eltwise", "SPLIT": "Split", "FLATTEN": "Flatten", "DATA": "Data",
    "SOFTMAX_LOSS": "SoftmaxWithLoss", "ACCURACY": "Accuracy", "BNLL": "BNLL",
    "POWER": "Power", "ABSVAL": "AbsVal", "IMAGE_DATA": "ImageData",
    "MEMORY_DATA": "MemoryData", "HDF5_DATA": "HDF5Data", "WINDOW_DATA": "WindowData",
}
SKIPPED = {"SoftmaxWithLoss", "Accuracy", "EuclideanLoss", "HingeLoss", "SigmoidCrossEntropyLoss",
           "InfogainLoss", "MultinomialLogisticLoss", "Silence"}
"""Training-only layers, left out with a note."""
DATA = {"Data", "ImageData", "MemoryData", "HDF5Data", "WindowData", "DummyData"}


@cache
def net_parameter() -> Any:
    """Caffe's NetParameter message class, from the shipped descriptor."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for proto in files.file:
        pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("caffe.NetParameter"))


def read_prototxt(path: str, input_shape: tuple[int, ...] | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> Imported:
    try:
        from google.protobuf import text_format
    except ImportError:
        raise import_error(f"reading Caffe files needs the protobuf package: {EXTRA}", path,
                           code="missing-extra") from None
    text = _read_text(path)
    net = net_parameter()()
    try:
        text_format.Parse(text, net, allow_unknown_field=False, allow_unknown_extension=False)
    except text_format.ParseError as exc:
        line, column = exc.GetLine(), exc.GetColumn()
        message = str(exc)
        message = re.sub(r"^\d+:\d+ : ", "", message)
        raise import_error(f"not a valid Caffe prototxt: {message}", path, line or 1,
                           column or 1, code="prototxt") from None
    except RecursionError:
        raise import_error("the prototxt is nested too deeply", path, 1, 1,
                           code="limit") from None
    return _Reader(path, text, net, input_shape, limits).read()


def _read_text(path: str) -> str:
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise import_error(f"the file is {size:,} bytes; a prototxt over "
                               f"{MAX_BYTES // 2**20} MiB is not a network definition", path,
                               1, 1, code="limit")
        data = Path(path).read_bytes()
    except OSError as exc:
        raise import_error(f"cannot read the file: {exc.strerror or exc}", path,
                           code="io") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        raise import_error(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x})", path,
                           before.count(b"\n") + 1,
                           len(before) - (before.rfind(b"\n") + 1) + 1,
                           code="encoding") from None


def _layer_lines(text: str) -> list[int]:
    """The line of each top-level ``layer {`` / ``layers {``, in order (for locating errors)."""
    lines: list[int] = []
    depth, line, i, n = 0, 1, 0, len(text)
    token = re.compile(r"layers?\s*:?\s*\{")
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif c in "\"'":
            end = i + 1
            while end < n and text[end] != c and text[end] != "\n":
                end += 2 if text[end] == "\\" else 1
            i = end + 1
            continue
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and c == "l" and token.match(text, i) and (i == 0 or not
                                                                    text[i - 1].isalnum()):
            lines.append(line)
        i += 1
    return lines


def _ints(repeated: Any, single: Any, default: int) -> list[int]:
    return list(repeated) if len(repeated) else ([single] if single else [default])


class _Reader:
    def __init__(self, path: str, text: str, net: Any, input_shape: tuple[int, ...] | None,
                 limits: Limits) -> None:
        self.path = path
        self.net = net
        self.limits = limits
        self.override = input_shape
        self.lines = _layer_lines(text)
        self.ops: list[Op] = []
        self.notes: list[str] = []
        self.namer = Namer()
        self.blobs: dict[str, str] = {}     # blob name → producing op ("input": the data)
        self.channels: dict[str, int] = {}  # op name → its output channels (for parameters)
        self.flat: set[str] = set()         # ops whose output is a vector
        self.input_dims: tuple[int, ...] = ()
        self.batch = 1

    def error(self, index: int, layer: Any, message: str, code: str = "import") -> Any:
        line = self.lines[index] if index < len(self.lines) else 1
        return import_error(f"layer '{layer.name}' ({self._type(layer)}): {message}", self.path,
                            line, 1, code=code)

    def _type(self, layer: Any) -> str:
        if isinstance(layer.type, str):
            return layer.type
        name = str(layer.DESCRIPTOR.fields_by_name["type"].enum_type
                   .values_by_number[layer.type].name)
        return V1_TYPES.get(name, name)

    def read(self) -> Imported:
        layers = list(self.net.layer) or list(self.net.layers)
        if self.net.layer and self.net.layers:
            raise import_error("the file mixes layer {} and the old layers {}", self.path, 1, 1)
        self._net_input()
        for index, layer in enumerate(layers):
            kind = self._type(layer)
            if any(rule.phase == 0 for rule in layer.include):  # TRAIN only
                continue
            if kind in SKIPPED:
                self.notes.append(f"training layer '{layer.name}' ({kind}) left out")
                continue
            if len(self.ops) >= self.limits.max_layers:
                raise self.error(index, layer, f"more than {self.limits.max_layers:,} layers",
                                 code="limit")
            handler = getattr(self, f"_{kind.lower()}", None)
            if handler is None:
                raise self.error(index, layer, f"cnncalc cannot represent Caffe's {kind} layer",
                                 code="import-unsupported")
            handler(index, layer)
        if not self.ops:
            raise import_error("the prototxt has no layers", self.path, 1, 1)
        if not self.input_dims:
            raise import_error("the prototxt declares no input shape (input_shape, input_dim "
                               "or an Input layer); give one with --input", self.path, 1, 1)
        name = self.net.name or os.path.splitext(os.path.basename(self.path))[0]
        return Imported(name, self.input_dims, tuple(self._used()), self.path,
                        "Caffe prototxt", "", tuple(self.notes), self.batch)

    def _used(self) -> list[Op]:
        """The layers the last one depends on (a deploy net has one output)."""
        needed = {self.ops[-1].name}
        for op in reversed(self.ops):
            if op.name in needed:
                needed.update(op.inputs)
        return [op for op in self.ops if op.name in needed]

    # --- input --------------------------------------------------------------------------------

    def _net_input(self) -> None:
        net = self.net
        if not net.input:
            return
        dims = list(net.input_shape[0].dim) if net.input_shape else list(net.input_dim[:4])
        self._set_input(net.input[0], dims)

    def _set_input(self, blob: str, dims: list[int]) -> None:
        if self.input_dims:
            raise import_error("the network has more than one input; cnncalc analyses "
                               "networks with one", self.path, 1, 1)
        if self.override is not None:
            dims = [dims[0] if dims else 1, *self.override]
        if len(dims) < 2 or any(d < 1 for d in dims):
            raise import_error(f"input '{blob}' has shape {dims}; cnncalc needs batch, "
                               f"channels and sizes", self.path, 1, 1)
        self.batch, self.input_dims = dims[0], tuple(dims[1:])
        self.blobs[blob] = INPUT
        self.channels[INPUT] = dims[1]

    def _input(self, index: int, layer: Any) -> None:
        shape = layer.input_param.shape
        if not shape:
            raise self.error(index, layer, "an Input layer without a shape")
        self._set_input(layer.top[0], list(shape[0].dim))

    def _data(self, index: int, layer: Any) -> None:
        raise self.error(index, layer, "a data layer's shape comes from its database; import "
                                       "the deploy.prototxt, or give --input", code="import")

    # --- helpers ------------------------------------------------------------------------------

    def src(self, index: int, layer: Any, i: int = 0) -> str:
        if len(layer.bottom) <= i:
            raise self.error(index, layer, "the layer has no bottom blob")
        blob = layer.bottom[i]
        if blob not in self.blobs:
            raise self.error(index, layer, f"bottom blob '{blob}' is not produced by any "
                                           f"layer above")
        return self.blobs[blob]

    def emit(self, index: int, layer: Any, kind: str, attrs: dict[str, Any],
             inputs: tuple[str, ...], channels: int | None = None, params: int | None = None,
             name: str | None = None, top: bool = True) -> Op:
        line = self.lines[index] if index < len(self.lines) else 0
        op = Op(name or self.namer.take(layer.name, kind), kind, attrs, inputs,
                f"layer '{layer.name}' ({self._type(layer)}) at line {line}", None, params)
        self.ops.append(op)
        self.channels[op.name] = channels if channels is not None else \
            self.channels.get(inputs[0], 0)
        if kind in ("flatten", "linear") or (inputs[0] in self.flat
                                             and kind not in ("concat", "add")):
            self.flat.add(op.name)
        if top:
            for blob in layer.top[:1]:
                self.blobs[blob] = op.name
        return op

    def _one(self, index: int, layer: Any, kind: str, attrs: dict[str, Any] | None = None,
             params: int | None = None) -> None:
        self.emit(index, layer, kind, attrs or {}, (self.src(index, layer),), params=params)

    # --- layers -------------------------------------------------------------------------------

    def _convolution(self, index: int, layer: Any, transpose: bool = False) -> None:
        p = layer.convolution_param
        kernel = [p.kernel_h, p.kernel_w] if p.kernel_h or p.kernel_w else \
            _ints(p.kernel_size, 0, 0)
        if not all(kernel):
            raise self.error(index, layer, "no kernel_size")
        stride = [p.stride_h, p.stride_w] if p.stride_h or p.stride_w else _ints(p.stride, 0, 1)
        pad = [p.pad_h, p.pad_w] if p.pad_h or p.pad_w else _ints(p.pad, 0, 0)
        dilation = _ints(p.dilation, 0, 1)
        src = self.src(index, layer)
        cin = self.channels.get(src, 0)
        groups = p.group or 1
        attrs: dict[str, Any] = {"out": p.num_output, "kernel": _axes(kernel)}
        if any(s != 1 for s in stride):
            attrs["stride"] = _axes(stride)
        if any(pad):
            attrs["padding"] = _axes(pad)
        if any(d != 1 for d in dilation):
            attrs["dilation"] = _axes(dilation)
        if groups != 1:
            attrs["groups"] = groups
        if not p.bias_term:
            attrs["bias"] = False
        rank = len(kernel) if len(kernel) > 1 else len(self.input_dims) - 1
        k = math.prod(kernel) if len(kernel) > 1 else kernel[0] ** max(rank, 1)
        params = None
        if cin:
            params = p.num_output * (cin // groups) * k + (p.num_output if p.bias_term else 0)
        self.emit(index, layer, "conv_transpose" if transpose else "conv", attrs, (src,),
                  channels=p.num_output, params=params)

    def _deconvolution(self, index: int, layer: Any) -> None:
        self._convolution(index, layer, transpose=True)

    def _pooling(self, index: int, layer: Any) -> None:
        p = layer.pooling_param
        pools = {0: "maxpool", 1: "avgpool"}
        if p.pool not in pools:
            raise self.error(index, layer, "stochastic pooling has no cnncalc kind",
                             code="import-unsupported")
        if p.global_pooling:
            self._one(index, layer, f"global_{pools[p.pool]}")
            return
        kernel = [p.kernel_h, p.kernel_w] if p.kernel_h or p.kernel_w else [p.kernel_size]
        stride = [p.stride_h, p.stride_w] if p.stride_h or p.stride_w else [p.stride or 1]
        pad = [p.pad_h, p.pad_w] if p.pad_h or p.pad_w else [p.pad]
        attrs: dict[str, Any] = {"kernel": _axes(kernel)}
        if stride != kernel:
            attrs["stride"] = _axes(stride)
        if any(pad):
            attrs["padding"] = _axes(pad)
        if p.round_mode == 0:  # CEIL, Caffe's default
            attrs["ceil_mode"] = "caffe"
        self._one(index, layer, pools[p.pool], attrs)

    def _innerproduct(self, index: int, layer: Any) -> None:
        p = layer.inner_product_param
        src = self.src(index, layer)
        if src not in self.flat and (src != INPUT or len(self.input_dims) > 1):
            flat = self.emit(index, layer, "flatten", {}, (src,),
                             name=self.namer.take(f"{layer.name}_flatten", "flatten"),
                             top=False)
            src = flat.name
        attrs: dict[str, Any] = {"out": p.num_output}
        if not p.bias_term:
            attrs["bias"] = False
        self.emit(index, layer, "linear", attrs, (src,), channels=p.num_output)

    def _relu(self, index: int, layer: Any) -> None:
        slope = layer.relu_param.negative_slope
        if slope:
            self._one(index, layer, "leaky_relu", {"negative_slope": _round(slope)})
        else:
            self._one(index, layer, "relu")

    def _sigmoid(self, index: int, layer: Any) -> None:
        self._one(index, layer, "sigmoid")

    def _tanh(self, index: int, layer: Any) -> None:
        self._one(index, layer, "tanh")

    def _elu(self, index: int, layer: Any) -> None:
        alpha = _round(layer.elu_param.alpha)
        self._one(index, layer, "elu", {} if alpha == 1.0 else {"alpha": alpha})

    def _prelu(self, index: int, layer: Any) -> None:
        shared = layer.prelu_param.channel_shared
        self._one(index, layer, "prelu", {} if shared else {"per_channel": True})

    def _softmax(self, index: int, layer: Any) -> None:
        if layer.softmax_param.axis not in (1, -3):
            raise self.error(index, layer, f"softmax over axis {layer.softmax_param.axis}",
                             code="import-unsupported")
        self._one(index, layer, "softmax")

    def _dropout(self, index: int, layer: Any) -> None:
        ratio = _round(layer.dropout_param.dropout_ratio)
        self._one(index, layer, "dropout", {} if ratio == 0.5 else {"p": ratio})

    def _lrn(self, index: int, layer: Any) -> None:
        p = layer.lrn_param
        if p.norm_region != 0:
            raise self.error(index, layer, "LRN within a channel (WITHIN_CHANNEL) has no "
                                           "cnncalc kind", code="import-unsupported")
        attrs: dict[str, Any] = {"size": p.local_size}
        for key, value, default in (("alpha", p.alpha, 1e-4), ("beta", p.beta, 0.75),
                                    ("k", p.k, 1.0)):
            if _round(value) != default:
                attrs[key] = _round(value)
        self._one(index, layer, "lrn", attrs)

    def _batchnorm(self, index: int, layer: Any) -> None:
        eps = _round(layer.batch_norm_param.eps)
        attrs: dict[str, Any] = {"affine": False}
        if eps != 1e-5:
            attrs["eps"] = eps
        self._one(index, layer, "batchnorm", attrs)

    def _scale(self, index: int, layer: Any) -> None:
        """Caffe's Scale after BatchNorm is the batch norm's γ and β."""
        src = self.src(index, layer)
        last = self.ops[-1] if self.ops else None
        if last is None or last.name != src or last.kind != "batchnorm" or \
                not layer.scale_param.bias_term:
            raise self.error(index, layer, "a Scale that does not follow a BatchNorm (with "
                                           "bias_term) has no cnncalc kind",
                             code="import-unsupported")
        attrs = {k: v for k, v in last.attrs.items() if k != "affine"}
        self.ops[-1] = Op(last.name, last.kind, attrs, last.inputs,
                          f"{last.origin} with its Scale '{layer.name}'")
        for blob in layer.top[:1]:
            self.blobs[blob] = last.name

    def _concat(self, index: int, layer: Any) -> None:
        axis = layer.concat_param.axis if layer.concat_param.HasField("axis") else \
            (layer.concat_param.concat_dim or 1)
        if axis != 1:
            raise self.error(index, layer, f"concatenation along axis {axis}",
                             code="import-unsupported")
        inputs = tuple(self.src(index, layer, i) for i in range(len(layer.bottom)))
        self.emit(index, layer, "concat", {}, inputs,
                  channels=sum(self.channels.get(s, 0) for s in inputs))

    def _eltwise(self, index: int, layer: Any) -> None:
        p = layer.eltwise_param
        if p.operation != 1 or any(c != 1 for c in p.coeff):
            raise self.error(index, layer, "only an element-wise sum (with coefficients 1)",
                             code="import-unsupported")
        inputs = tuple(self.src(index, layer, i) for i in range(len(layer.bottom)))
        self.emit(index, layer, "add", {}, inputs)

    def _flatten(self, index: int, layer: Any) -> None:
        self._one(index, layer, "flatten")

    def _split(self, index: int, layer: Any) -> None:
        src = self.src(index, layer)
        for blob in layer.top:
            self.blobs[blob] = src


def _axes(values: list[int]) -> Any:
    return values[0] if len(set(values)) == 1 else values


def _round(value: float) -> float:
    return float(f"{value:.7g}")
