"""ONNX models (``.onnx``) as cnncalc layers.

The graph is read without its weights (:mod:`cnncalc.importers.onnx_wire`): parameters come
from each node's weight *shapes*, never from counting initializers (exporters share equal
initializers between nodes) and never from loading external data. Static computations — the
shape arithmetic old exporters write around ``Pad`` and ``Reshape``, an ``If`` on a known shape —
are evaluated (:mod:`cnncalc.importers.onnx_static`); every node that touches the activations
becomes a cnncalc layer or is an error naming it. Shapes come from ``onnx.shape_inference`` and
every layer's output is checked against them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cnncalc.importers.ir import (
    INPUT,
    MALFORMED,
    Imported,
    Namer,
    Op,
    import_error,
    part_of,
)
from cnncalc.importers.onnx_patterns import find_patterns, prepare
from cnncalc.importers.onnx_static import Static, as_written, attributes
from cnncalc.importers.onnx_wire import FileBytes, WireError, graph_bytes
from cnncalc.model.errors import SpecError
from cnncalc.model.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    import onnx

EXTRA = "pip install 'cnncalc[onnx]'"


def require_onnx(path: str) -> Any:
    try:
        import onnx
    except ImportError:
        raise import_error(f"reading ONNX files needs the onnx package: {EXTRA}", path,
                           code="missing-extra") from None
    return onnx


def load_graph(path: str, limits: Limits) -> tuple[onnx.ModelProto, int]:
    """The model without its large weights, and how many bytes of weights were left out."""
    onnx = require_onnx(path)
    from google.protobuf.message import DecodeError

    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                raise import_error("the file is empty, not an ONNX model", path)
            data, skipped = graph_bytes(FileBytes(fh.fileno()), 4 * limits.max_layers)
    except WireError as exc:
        raise import_error(f"not a readable ONNX model: {exc}", path) from None
    except OSError as exc:
        raise import_error(f"cannot read the file: {exc.strerror or exc}", path,
                           code="io") from None
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise import_error(f"not a readable ONNX model: {exc}", path) from None
    if not model.ir_version or not model.graph.node:
        raise import_error("not an ONNX model (no IR version or no graph nodes)", path)
    _check_text(model, path)
    return model, skipped


def _check_text(model: Any, path: str) -> None:
    """Every name the reader uses is text: protobuf hands string fields that are not UTF-8 back
    as bytes."""
    graph = model.graph
    where = "the model's producer or graph name"
    strings: list[Any] = [model.producer_name, model.producer_version, graph.name]
    for value in (*graph.input, *graph.output, *graph.initializer, *graph.value_info):
        strings.append(value.name)
    if not all(isinstance(s, str) for s in strings):
        raise import_error(f"{where} or a tensor name is not UTF-8 text", path)
    for index, node in enumerate(graph.node):
        fields = [node.name, node.op_type, node.domain, *node.input, *node.output,
                  *(p.key for p in node.metadata_props), *(p.value for p in node.metadata_props)]
        if not all(isinstance(s, str) for s in fields):
            raise import_error(f"node {index}: a name that is not UTF-8 text", path)


def read_onnx(path: str, input_shape: tuple[int, ...] | None = None,
              limits: Limits = DEFAULT_LIMITS) -> Imported:
    model, _ = load_graph(path, limits)
    return _Reader(path, model, input_shape, limits).read()


# --- the reader ---------------------------------------------------------------------------------

Handler = Callable[["_Reader", Any, int], None]
HANDLERS: dict[str, Handler] = {}


def handles(*op_types: str) -> Callable[[Handler], Handler]:
    def wrap(fn: Handler) -> Handler:
        for op_type in op_types:
            HANDLERS[op_type] = fn
        return fn
    return wrap


ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hardswish",
               "Softplus": None}
PASS_THROUGH = {"Identity", "Cast", "CastLike"}
ELEMENTWISE_WITH_CONSTANT = {"Add", "Sub", "Mul", "Div"}


class _Reader:
    def __init__(self, path: str, model: onnx.ModelProto, input_shape: tuple[int, ...] | None,
                 limits: Limits) -> None:
        self.path = path
        self.model = model
        self.limits = limits
        self.graph = model.graph
        self.ops: list[Op] = []
        self.notes: list[str] = []
        self.namer = Namer()
        self.act: dict[str, str] = {}         # tensor name → producing cnncalc op name
        self.op_by_name: dict[str, Op] = {}
        self.users: dict[str, int] = {}       # tensor → number of consuming nodes
        self.skip: set[int] = set()           # nodes folded into a pattern
        self.special: dict[int, Callable[[], object]] = {}
        self.data_input, self.batch, self.input_dims = self._input(input_shape)
        self.static: Static = Static(self)
        self.folded_bn = 0
        self.computed_weights = 0

    # --- input and shapes ------------------------------------------------------------------

    def _input(self, override: tuple[int, ...] | None) -> tuple[str, int, tuple[int, ...]]:
        inits = {t.name for t in self.graph.initializer}
        weight_slots = _weight_slots(self.graph)
        candidates = [i for i in self.graph.input if i.name not in inits
                      and i.name not in weight_slots]
        if len(candidates) > 1:
            # weights fed as graph inputs that no weighted node reads (a per-channel scale,
            # a group norm's γ and β, written with export_params=False) have fewer axes
            most = max(len(c.type.tensor_type.shape.dim) for c in candidates)
            candidates = [c for c in candidates if len(c.type.tensor_type.shape.dim) == most]
        if not candidates:
            raise import_error("the graph has no data input (every input is a weight)",
                               self.path)
        if len(candidates) > 1:
            names = ", ".join(repr(c.name) for c in candidates)
            raise import_error(f"the graph has {len(candidates)} data inputs ({names}); "
                               f"cnncalc analyses networks with one input", self.path)
        value = candidates[0]
        dims = value.type.tensor_type.shape.dim
        if len(dims) < 2 or len(dims) > 5:
            raise import_error(f"input '{value.name}' has {len(dims)} axes; cnncalc reads "
                               f"batch × channels × 0 to 3 spatial axes", self.path)
        if override is not None:
            if len(override) != len(dims) - 1:
                raise import_error(f"--input {'x'.join(map(str, override))} has "
                                   f"{len(override)} axes, but input '{value.name}' has "
                                   f"{len(dims) - 1} besides the batch", self.path)
            batch = dims[0].dim_value or 1
            for dim, size in zip(dims, (batch, *override)):
                dim.Clear()
                dim.dim_value = size
            del self.graph.value_info[:]
            for out in self.graph.output:
                out.type.tensor_type.shape.Clear()
            return value.name, batch, tuple(override)
        sizes = []
        for axis, dim in enumerate(dims):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                sizes.append(dim.dim_value)
            elif axis == 0:
                dim.Clear()
                dim.dim_value = 1
                sizes.append(1)
            else:
                raise import_error(f"input '{value.name}' has a symbolic size "
                                   f"'{dim.dim_param or '?'}' on axis {axis}; give the input "
                                   f"size with --input (channels first, e.g. 3x224x224)",
                                   self.path)
        return value.name, sizes[0], tuple(sizes[1:])

    def infer_shapes(self) -> None:
        import onnx

        try:
            inferred = onnx.shape_inference.infer_shapes(self.model, check_type=False,
                                                         strict_mode=False, data_prop=True)
        except Exception as exc:  # onnx raises many kinds; the message says which
            self.notes.append(f"ONNX shape inference failed ({str(exc)[:200]}); layer shapes "
                              f"are cnncalc's alone")
            inferred = self.model
        self.shapes: dict[str, tuple[int, ...] | None] = {}
        graph = inferred.graph
        for value in (*graph.input, *graph.value_info, *graph.output):
            if value.type.HasField("tensor_type") and value.type.tensor_type.HasField("shape"):
                dims = value.type.tensor_type.shape.dim
                self.shapes[value.name] = tuple(d.dim_value if d.HasField("dim_value") else -1
                                                for d in dims)
        for tensor in graph.initializer:
            self.shapes[tensor.name] = tuple(tensor.dims)

    def shape(self, name: str) -> tuple[int, ...] | None:
        """A tensor's full shape (batch included for activations) when every size is known."""
        found = self.shapes.get(name)
        if found is None or any(d < 0 for d in found):
            return None
        return found

    def act_shape(self, name: str, node: Any, index: int) -> tuple[int, ...]:
        found = self.shape(name)
        if found is None:
            raise self.error(node, index, f"the shape of '{name}' is unknown (ONNX shape "
                                          f"inference could not work it out)")
        return found

    # --- errors and names --------------------------------------------------------------------

    def where(self, node: Any, index: int) -> str:
        name = f" '{node.name}'" if node.name else ""
        domain = f" in domain '{node.domain}'" if node.domain not in ("", "ai.onnx") else ""
        return f"node {index}{name} ({node.op_type}{domain})"

    def error(self, node: Any, index: int, message: str, code: str = "import") -> SpecError:
        return import_error(f"{self.where(node, index)}: {message}", self.path, code=code)

    def unsupported(self, node: Any, index: int, why: str = "") -> SpecError:
        reason = f": {why}" if why else ""
        return self.error(node, index, f"cnncalc cannot represent {node.op_type}{reason}",
                          code="import-unsupported")

    def layer_name(self, node: Any, kind: str) -> str:
        weight = node.input[1] if len(node.input) > 1 and node.op_type in WEIGHTED else ""
        for suffix in (".weight", ".W", "/weights", "_W", ".kernel"):
            if weight.endswith(suffix) and not weight.startswith("onnx::"):
                return self.namer.take(weight[:-len(suffix)], kind)
        meta = {p.key: p.value for p in node.metadata_props}
        space = meta.get("namespace")
        if space:
            parts = [p.split(":")[0].strip() for p in space.split("/")[1:]]
            parts = parts[:-1] if len(parts) > 1 else parts
            path = ".".join(p for p in parts if p)
            if path:
                return self.namer.take(path, kind)
        if node.name.startswith("/"):
            comps = [c for c in node.name.strip("/").split("/") if c]
            if comps and comps[-1].split("_")[0] == node.op_type:
                comps = comps[:-1]
            path = ""
            for comp in comps:
                path = comp if not path or comp.startswith(path + ".") else f"{path}.{comp}"
            if path:
                return self.namer.take(path, kind)
        return self.namer.take(node.name or node.op_type.lower(), kind)

    # --- building ops -------------------------------------------------------------------------

    def src(self, name: str, node: Any, index: int) -> str:
        """The cnncalc layer that produces activation tensor ``name``."""
        if name == self.data_input:
            return INPUT
        found = self.act.get(name)
        if found is None:
            raise self.error(node, index, f"input '{name}' is neither an activation nor a "
                                          f"weight the importer knows")
        return found

    def is_act(self, name: str) -> bool:
        return name == self.data_input or name in self.act

    def emit(self, node: Any, index: int, kind: str, attrs: dict[str, Any],
             inputs: tuple[str, ...], output: str | None = None, params: int | None = None,
             name: str | None = None) -> Op:
        out = output if output is not None else node.output[0]
        full = self.shape(out)
        op = Op(name or self.layer_name(node, kind), kind, attrs, inputs,
                self.where(node, index), full[1:] if full is not None else None, params)
        if len(self.ops) >= self.limits.max_layers:
            raise import_error(f"more than {self.limits.max_layers:,} layers "
                               f"(--limit max_layers raises it)", self.path, code="limit")
        self.ops.append(op)
        self.op_by_name[op.name] = op
        self.act[out] = op.name
        return op

    def alias(self, node: Any, index: int, source: str) -> None:
        self.act[node.output[0]] = self.src(source, node, index)
        if source == self.data_input:
            self.act[node.output[0]] = INPUT

    def weight_size(self, name: str, node: Any, index: int) -> int:
        dims = self.shape(name)
        if dims is None:
            raise self.error(node, index, f"the shape of weight '{name}' is unknown")
        return math.prod(dims)

    # --- the walk -----------------------------------------------------------------------------

    def read(self) -> Imported:
        prepare(self)
        for node in self.graph.node:
            for name in node.input:
                self.users[name] = self.users.get(name, 0) + 1
        find_patterns(self)
        for index, node in enumerate(self.graph.node):
            if index in self.skip:
                continue
            if index in self.special:
                self.special[index]()
                continue
            acts = [n for n in node.input if n and self.is_act(n)]
            if not acts or node.op_type in ("Shape", "Size"):
                self.static.add(node, index)
                continue
            handler = HANDLERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
            if handler is None:
                raise self.unsupported(node, index)
            try:
                handler(self, node, index)
            except MALFORMED as exc:
                raise self.error(node, index, f"a malformed node ({type(exc).__name__}: "
                                              f"{exc})") from None
        self._trim_to_output()
        self._notes()
        return Imported(self._model_name(), self.input_dims, tuple(self.ops), self.path, "ONNX",
                        self._producer(), tuple(self.notes), self.batch)

    def _trim_to_output(self) -> None:
        """Keep the layers the first graph output depends on."""
        if not self.graph.output:
            return
        out = self.graph.output[0].name
        last = self.act.get(out)
        if last is None:
            raise import_error(f"the graph output '{out}' does not depend on the input",
                               self.path)
        needed = {last}
        for op in reversed(self.ops):
            if op.name in needed:
                needed.update(op.inputs)
        dropped = [op.name for op in self.ops if op.name not in needed]
        if dropped:
            self.notes.append(f"{len(dropped)} layer(s) that the first output does not use are "
                              f"left out ({', '.join(dropped[:5])}"
                              f"{', ...' if len(dropped) > 5 else ''})")
        self.ops = [op for op in self.ops if op.name in needed]
        if len(self.graph.output) > 1:
            others = ", ".join(o.name for o in self.graph.output[1:4])
            self.notes.append(f"only the first output is analysed ('{out}'; also: {others})")

    def _notes(self) -> None:
        if self.folded_bn:
            self.notes.append(
                f"batch norm folded into {self.folded_bn} convolution(s) by the exporter "
                f"(onnxscript's FuseBatchNormIntoConv): each keeps a bias but the batch norm's "
                f"scale, shift and running statistics are gone, so parameters are lower than "
                f"the training model's")
        elif self.computed_weights:
            self.notes.append(
                f"{self.computed_weights} convolution(s) have weights the exporter computed "
                f"(named onnx::Conv_...): batch norm was probably folded into them (constant "
                f"folding), so parameters may be lower than the training model's")

    def _model_name(self) -> str:
        stem = os.path.splitext(os.path.basename(self.path))[0]
        name = self.graph.name
        return stem if not name or name in ("main_graph", "torch_jit", "torch-jit-export",
                                            "graph", "model") else name

    def _producer(self) -> str:
        who = " ".join(x for x in (self.model.producer_name, self.model.producer_version) if x)
        opset = next((o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx")),
                     None)
        parts = [who] if who else []
        if opset is not None:
            parts.append(f"opset {opset}")
        return ", ".join(parts)


WEIGHTED = {"Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization", "PRelu"}


def _weight_slots(graph: Any) -> set[str]:
    """Tensors that nodes read as weights (for telling weights fed as graph inputs from data)."""
    slots: set[str] = set()
    for node in graph.node:
        if node.op_type in ("Conv", "ConvTranspose", "BatchNormalization", "PRelu",
                            "InstanceNormalization", "Gemm", "LayerNormalization",
                            "GroupNormalization"):
            slots.update(node.input[1:])
    return slots


def pads_of(pads: list[int], rank: int) -> Any:
    """ONNX pads ``[b1, b2, ..., e1, e2, ...]`` as a spec padding."""
    if not pads:
        return 0
    pairs = [[pads[i], pads[i + rank]] for i in range(rank)]
    return compress(pairs)


def compress(pairs: list[list[int]]) -> Any:
    """``[[1, 1], [1, 1]]`` → 1; ``[[1, 1], [2, 2]]`` → ``[1, 2]``; else the pairs."""
    if all(b == a for b, a in pairs):
        sides = [b for b, _ in pairs]
        return sides[0] if len(set(sides)) == 1 else sides
    return pairs


def ints_of(values: list[Any]) -> Any:
    return values[0] if len(set(values)) == 1 else list(values)


def _same_padding(auto_pad: str, sizes: tuple[int, ...], kernel: list[int], strides: list[int],
                  dilations: list[int]) -> Any:
    """auto_pad SAME_UPPER (TensorFlow's SAME: the odd pixel after) or SAME_LOWER (before)."""
    if auto_pad == "SAME_UPPER":
        return "same_tf"
    pairs = []
    for i, k, s, d in zip(sizes, kernel, strides, dilations):
        total = max((-(-i // s) - 1) * s + (k - 1) * d + 1 - i, 0)
        pairs.append([total - total // 2, total // 2])
    return compress(pairs)


def _window(r: _Reader, node: Any, index: int, a: dict[str, Any], kernel: list[int],
            rank: int) -> tuple[list[int], list[int], Any]:
    strides = list(a.get("strides") or [1] * rank)
    dilations = list(a.get("dilations") or [1] * rank)
    auto_pad = a.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        shape = r.act_shape(node.input[0], node, index)
        padding = _same_padding(auto_pad, shape[2:], kernel, strides, dilations)
    elif auto_pad == "VALID":
        padding = 0
    elif auto_pad in ("NOTSET", ""):
        padding = pads_of(list(a.get("pads") or []), rank)
    else:
        raise r.error(node, index, f"unknown auto_pad '{auto_pad}'")
    return strides, dilations, padding


def _convolution(r: _Reader, node: Any, index: int, w: Sequence[int], out: int, kernel: list[int],
                 strides: list[int], padding: Any, dilations: list[int], groups: int,
                 output_padding: list[int] | None = None) -> tuple[dict[str, Any], int]:
    """A convolution's (or transposed convolution's) spec attributes, the defaults left out,
    and its parameters from the weight's shape ``w`` and the bias input's."""
    attrs: dict[str, Any] = {"out": out, "kernel": ints_of(kernel)}
    if any(s != 1 for s in strides):
        attrs["stride"] = ints_of(strides)
    if padding != 0:
        attrs["padding"] = padding
    if output_padding and any(output_padding):
        attrs["output_padding"] = ints_of(output_padding)
    if any(d != 1 for d in dilations):
        attrs["dilation"] = ints_of(dilations)
    if groups != 1:
        attrs["groups"] = groups
    has_bias = len(node.input) > 2 and bool(node.input[2])
    if not has_bias:
        attrs["bias"] = False
    params = math.prod(w) + (r.weight_size(node.input[2], node, index) if has_bias else 0)
    return attrs, params


@handles("Conv")
def _conv(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    w = r.shape(node.input[1])
    if w is None:
        raise r.error(node, index, f"the shape of weight '{node.input[1]}' is unknown")
    rank = len(w) - 2
    kernel = list(a.get("kernel_shape") or w[2:])
    strides, dilations, padding = _window(r, node, index, a, kernel, rank)
    attrs, params = _convolution(r, node, index, w, w[0], kernel, strides, padding, dilations,
                                 int(a.get("group", 1)))
    meta = {p.key: p.value for p in node.metadata_props}
    if "FuseBatchNorm" in meta.get("pkg.onnxscript.rewriter.rule_name", ""):
        r.folded_bn += 1
    elif node.input[1].startswith("onnx::Conv_"):
        r.computed_weights += 1
    r.emit(node, index, "conv", attrs, (r.src(node.input[0], node, index),), params=params)


@handles("ConvTranspose")
def _conv_transpose(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    w = r.shape(node.input[1])
    if w is None:
        raise r.error(node, index, f"the shape of weight '{node.input[1]}' is unknown")
    rank = len(w) - 2
    groups = int(a.get("group", 1))
    kernel = list(a.get("kernel_shape") or w[2:])
    strides = list(a.get("strides") or [1] * rank)
    dilations = list(a.get("dilations") or [1] * rank)
    out_pad = list(a.get("output_padding") or [0] * rank)
    auto_pad = a.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if a.get("output_shape"):
        raise r.unsupported(node, index, "an explicit output_shape (export with pads instead)")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        sizes = r.act_shape(node.input[0], node, index)[2:]
        pairs = []
        for i, k, s, d, op in zip(sizes, kernel, strides, dilations, out_pad):
            total = s * (i - 1) + op + (k - 1) * d + 1 - i * s
            before = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
            pairs.append([before, total - before])
        padding = compress(pairs)
    else:
        padding = pads_of(list(a.get("pads") or []), rank)
    attrs, params = _convolution(r, node, index, w, w[1] * groups, kernel, strides, padding,
                                 dilations, groups, out_pad)
    r.emit(node, index, "conv_transpose", attrs, (r.src(node.input[0], node, index),),
           params=params)


@handles("Gemm")
def _gemm(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    if a.get("transA", 0) or not r.is_act(node.input[0]) or r.is_act(node.input[1]):
        raise r.unsupported(node, index, "only activation × weight products are layers")
    w = r.shape(node.input[1])
    if w is None or len(w) != 2:
        raise r.error(node, index, f"the weight '{node.input[1]}' is not a known matrix")
    out = w[0] if a.get("transB", 0) else w[1]
    has_bias = len(node.input) > 2 and bool(node.input[2])
    params = math.prod(w) + (r.weight_size(node.input[2], node, index) if has_bias else 0)
    attrs: dict[str, Any] = {"out": out}
    if not has_bias:
        attrs["bias"] = False
    r.emit(node, index, "linear", attrs, (r.src(node.input[0], node, index),), params=params)


@handles("MatMul")
def _matmul(r: _Reader, node: Any, index: int) -> None:
    if not r.is_act(node.input[0]) or r.is_act(node.input[1]):
        raise r.unsupported(node, index, "only activation × weight products are layers")
    w = r.shape(node.input[1])
    x = r.act_shape(node.input[0], node, index)
    if w is None or len(w) != 2 or len(x) != 2:
        raise r.unsupported(node, index, "a product that is not a vector × matrix (a linear "
                                         "layer on a flat input)")
    r.emit(node, index, "linear", {"out": w[1], "bias": False},
           (r.src(node.input[0], node, index),), params=math.prod(w))


def _pool_common(r: _Reader, node: Any, index: int, kind: str) -> None:
    a = attributes(node)
    kernel = list(a["kernel_shape"])
    rank = len(kernel)
    strides, dilations, padding = _window(r, node, index, a, kernel, rank)
    if len(node.output) > 1 and node.output[1] and r.users.get(node.output[1]):
        raise r.unsupported(node, index, "the indices output of a max pool")
    attrs: dict[str, Any] = {"kernel": ints_of(kernel)}
    if strides != kernel:
        attrs["stride"] = ints_of(strides)
    if padding != 0:
        attrs["padding"] = padding
    if kind == "maxpool" and any(d != 1 for d in dilations):
        attrs["dilation"] = ints_of(dilations)
    if a.get("ceil_mode", 0):
        attrs["ceil_mode"] = True
    if kind == "avgpool" and padding != 0 and not a.get("count_include_pad", 0):
        attrs["count_include_pad"] = False
    if kind == "lppool":
        attrs["norm"] = float(a.get("p", 2))
        attrs.pop("ceil_mode", None)
    if _adaptive(node):
        shape = r.shape(node.output[0])
        if shape is not None:
            r.notes.append(f"{r.where(node, index)} is an adaptive pool exported at the traced "
                           f"size: written as adaptive with output {'×'.join(map(str, shape[2:]))}")
            r.emit(node, index, f"adaptive_{kind}", {"output": ints_of(list(shape[2:]))},
                   (r.src(node.input[0], node, index),))
            return
    r.emit(node, index, kind, attrs, (r.src(node.input[0], node, index),))


def _adaptive(node: Any) -> bool:
    meta = {p.key: p.value for p in node.metadata_props}
    return "AdaptiveAvgPool" in meta.get("pkg.torch.onnx.class_hierarchy", "") or \
        "AdaptiveMaxPool" in meta.get("pkg.torch.onnx.class_hierarchy", "")


@handles("MaxPool")
def _maxpool(r: _Reader, node: Any, index: int) -> None:
    _pool_common(r, node, index, "maxpool")


@handles("AveragePool")
def _avgpool(r: _Reader, node: Any, index: int) -> None:
    _pool_common(r, node, index, "avgpool")


@handles("LpPool")
def _lppool(r: _Reader, node: Any, index: int) -> None:
    _pool_common(r, node, index, "lppool")


@handles("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(r: _Reader, node: Any, index: int) -> None:
    kind = "global_avgpool" if node.op_type == "GlobalAveragePool" else "global_maxpool"
    r.emit(node, index, kind, {}, (r.src(node.input[0], node, index),))


@handles("ReduceMean", "ReduceMax")
def _reduce(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    shape = r.act_shape(node.input[0], node, index)
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = [int(v) for v in r.static.value(node.input[1], node, index).reshape(-1)]
    rank = len(shape)
    spatial = list(range(2, rank))
    if axes is None or sorted(x % rank for x in axes) != spatial:
        raise r.unsupported(node, index, f"a reduction over axes {axes} (only over every "
                                         f"spatial axis, a global pool)")
    kind = "global_avgpool" if node.op_type == "ReduceMean" else "global_maxpool"
    keep = a.get("keepdims", 1)
    if keep:
        r.emit(node, index, kind, {}, (r.src(node.input[0], node, index),))
        return
    pool = r.emit(node, index, kind, {}, (r.src(node.input[0], node, index),),
                  output=node.output[0] + "#pool")
    r.emit(node, index, "flatten", {}, (pool.name,), name=r.namer.take(pool.name + "_flat",
                                                                        "flatten"))


@handles("BatchNormalization")
def _batchnorm(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    if a.get("training_mode", 0):
        raise r.unsupported(node, index, "batch norm in training mode")
    attrs: dict[str, Any] = {}
    eps = as_written(a.get("epsilon", 1e-5))
    if eps != 1e-5:
        attrs["eps"] = eps
    params = sum(r.weight_size(n, node, index) for n in node.input[1:3])
    r.emit(node, index, "batchnorm", attrs, (r.src(node.input[0], node, index),), params=params)


def learnt(r: _Reader, node: Any, name: str, position: int) -> bool:
    """Whether ``node``'s input ``name`` is a learnt weight rather than a constant an exporter
    wrote for a norm without one (ones and zeros). The default exporter says which call it
    translated (``pkg.torch.onnx.fx_node``): the weight is learnt when argument ``position`` of
    that call is a parameter (``%p_...``), not ``None`` — its initializer names cannot tell,
    since it shares equal initializers between nodes. Otherwise: a graph input or an
    initializer (through Identity, Unsqueeze, Reshape), not made by a node (the legacy
    exporter's ``Constant`` ones)."""
    meta = {p.key: p.value for p in node.metadata_props}
    args = _call_args(meta.get("pkg.torch.onnx.fx_node", ""))
    if args is not None:
        return len(args) > position and args[position].startswith("%p_")
    while name in r.static.producers and \
            r.static.producers[name][0].op_type in ("Identity", "Unsqueeze", "Reshape", "Cast"):
        name = r.static.producers[name][0].input[0]  # a weight shared or reshaped
    return bool(name) and name not in r.static.producers and not name.startswith("val_")


def _call_args(call: str) -> list[str] | None:
    """The positional arguments of a torch.fx call as the default exporter records it:
    ``%x = call_function[target=...](args = (%a, [1, 2], None, 1e-05), kwargs = {})``."""
    if "args = (" not in call:
        return None
    text = call.split("args = (", 1)[1]
    args, depth, current = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            args.append(current.strip())
            current = ""
        else:
            current += ch
    args.append(current.strip())
    return args


def layernorm_attrs(r: _Reader, node: Any, index: int) -> tuple[dict[str, Any], int]:
    """A LayerNormalization's spec attributes and parameters."""
    a = attributes(node)
    attrs: dict[str, Any] = {}
    eps = as_written(a.get("epsilon", 1e-5))
    if eps != 1e-5:
        attrs["eps"] = eps
    if not learnt(r, node, node.input[1], 2):
        attrs["affine"] = False
        return attrs, 0
    params = r.weight_size(node.input[1], node, index)
    if len(node.input) > 2 and learnt(r, node, node.input[2], 3):
        params += r.weight_size(node.input[2], node, index)
    else:
        attrs["bias"] = False
    return attrs, params


@handles("LayerNormalization")
def _layernorm(r: _Reader, node: Any, index: int) -> None:
    shape = r.act_shape(node.input[0], node, index)
    axis = attributes(node).get("axis", -1) % len(shape)
    if len(shape) != 2 or axis != 1:
        raise r.unsupported(node, index, f"layer norm over axes {axis} to {len(shape) - 1} of "
                                         f"{_dims(shape)} (cnncalc's is over the channels at "
                                         f"every position, or over a vector)")
    attrs, params = layernorm_attrs(r, node, index)
    r.emit(node, index, "layernorm", attrs, (r.src(node.input[0], node, index),), params=params)


@handles("InstanceNormalization")
def _instancenorm(r: _Reader, node: Any, index: int) -> None:
    shape = r.act_shape(node.input[0], node, index)
    if len(shape) < 3:
        raise r.unsupported(node, index, "an instance norm without spatial axes")
    attrs: dict[str, Any] = {}
    eps = as_written(attributes(node).get("epsilon", 1e-5))
    if eps != 1e-5:
        attrs["eps"] = eps
    params = 0
    if learnt(r, node, node.input[1], 1):
        attrs["affine"] = True
        params = sum(r.weight_size(n, node, index) for n in node.input[1:3])
    r.emit(node, index, "instancenorm", attrs, (r.src(node.input[0], node, index),),
           params=params)


@handles("GroupNormalization")
def _groupnorm(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    attrs: dict[str, Any] = {"groups": int(a["num_groups"])}
    eps = as_written(a.get("epsilon", 1e-5))
    if eps != 1e-5:
        attrs["eps"] = eps
    params = sum(r.weight_size(n, node, index) for i, n in enumerate(node.input[1:3])
                 if learnt(r, node, n, 2 + i))
    if not params:
        attrs["affine"] = False
    r.emit(node, index, "groupnorm", attrs, (r.src(node.input[0], node, index),),
           params=params)


@handles("LRN")
def _lrn(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    attrs: dict[str, Any] = {"size": int(a["size"])}
    for onnx_name, name, default in (("alpha", "alpha", 1e-4), ("beta", "beta", 0.75),
                                     ("bias", "k", 1.0)):
        value = as_written(a.get(onnx_name, default))
        if value != default:
            attrs[name] = value
    r.emit(node, index, "lrn", attrs, (r.src(node.input[0], node, index),))


@handles("Relu", "Sigmoid", "Tanh", "HardSwish")
def _activation(r: _Reader, node: Any, index: int) -> None:
    kind = ACTIVATIONS[node.op_type]
    assert kind is not None
    r.emit(node, index, kind, {}, (r.src(node.input[0], node, index),))


@handles("HardSigmoid")
def _hardsigmoid(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    alpha, beta = float(a.get("alpha", 0.2)), float(a.get("beta", 0.5))
    if abs(alpha - 1 / 6) > 1e-7 or beta != 0.5:
        raise r.unsupported(node, index, f"hard sigmoid with alpha {as_written(alpha)} and beta "
                                         f"{as_written(beta)} (cnncalc's is PyTorch's: x/6 + "
                                         f"1/2)")
    r.emit(node, index, "hardsigmoid", {}, (r.src(node.input[0], node, index),))


@handles("Mish")
def _mish(r: _Reader, node: Any, index: int) -> None:
    r.emit(node, index, "mish", {}, (r.src(node.input[0], node, index),))


@handles("LeakyRelu")
def _leaky(r: _Reader, node: Any, index: int) -> None:
    slope = as_written(attributes(node).get("alpha", 0.01))
    attrs = {} if slope == 0.01 else {"negative_slope": slope}
    r.emit(node, index, "leaky_relu", attrs, (r.src(node.input[0], node, index),))


@handles("Elu")
def _elu(r: _Reader, node: Any, index: int) -> None:
    alpha = as_written(attributes(node).get("alpha", 1.0))
    r.emit(node, index, "elu", {} if alpha == 1.0 else {"alpha": alpha},
           (r.src(node.input[0], node, index),))


@handles("Gelu")
def _gelu(r: _Reader, node: Any, index: int) -> None:
    approx = attributes(node).get("approximate", b"none")
    approx = approx.decode() if isinstance(approx, bytes) else approx
    r.emit(node, index, "gelu", {} if approx == "none" else {"approximate": approx},
           (r.src(node.input[0], node, index),))


@handles("PRelu")
def _prelu(r: _Reader, node: Any, index: int) -> None:
    size = r.weight_size(node.input[1], node, index)
    r.emit(node, index, "prelu", {"per_channel": True} if size > 1 else {},
           (r.src(node.input[0], node, index),), params=size)


@handles("Softmax")
def _softmax(r: _Reader, node: Any, index: int) -> None:
    shape = r.act_shape(node.input[0], node, index)
    axis = attributes(node).get("axis", -1 if _opset(r) >= 13 else 1) % len(shape)
    if axis != 1:
        raise r.unsupported(node, index, f"softmax over axis {axis} (cnncalc's is over the "
                                         f"channels)")
    r.emit(node, index, "softmax", {}, (r.src(node.input[0], node, index),))


def _opset(r: _Reader) -> int:
    return next((o.version for o in r.model.opset_import if o.domain in ("", "ai.onnx")), 1)


@handles("Clip")
def _clip(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    low, high = a.get("min"), a.get("max")
    if len(node.input) > 1 and node.input[1]:
        low = float(r.static.value(node.input[1], node, index).reshape(-1)[0])
    if len(node.input) > 2 and node.input[2]:
        high = float(r.static.value(node.input[2], node, index).reshape(-1)[0])
    if low == 0 and high == 6:
        kind = "relu6"
    elif low == 0 and (high is None or math.isinf(high) or high > 3e38):
        kind = "relu"
    else:
        raise r.unsupported(node, index, f"clipping to [{low}, {high}] (only ReLU and ReLU6)")
    r.emit(node, index, kind, {}, (r.src(node.input[0], node, index),))


@handles(*sorted(PASS_THROUGH))
def _pass(r: _Reader, node: Any, index: int) -> None:
    r.alias(node, index, node.input[0])


@handles("Dropout")
def _dropout(r: _Reader, node: Any, index: int) -> None:
    if any(r.users.get(o) for o in node.output[1:] if o):
        raise r.unsupported(node, index, "the mask output of a dropout")
    ratio = attributes(node).get("ratio", 0.5)
    if len(node.input) > 1 and node.input[1]:
        ratio = float(r.static.value(node.input[1], node, index).reshape(-1)[0])
    ratio = as_written(ratio)
    r.emit(node, index, "dropout", {} if ratio == 0.5 else {"p": ratio},
           (r.src(node.input[0], node, index),))


@handles("Flatten")
def _flatten(r: _Reader, node: Any, index: int) -> None:
    axis = attributes(node).get("axis", 1)
    shape = r.act_shape(node.input[0], node, index)
    if axis % len(shape) != 1:
        raise r.unsupported(node, index, f"flattening from axis {axis} (only from the "
                                         f"channels, keeping the batch)")
    _flat(r, node, index, shape)


def _flat(r: _Reader, node: Any, index: int, shape: tuple[int, ...]) -> None:
    if len(shape) == 2:
        r.alias(node, index, node.input[0])
    else:
        r.emit(node, index, "flatten", {}, (r.src(node.input[0], node, index),))


@handles("Reshape", "Squeeze", "Unsqueeze")
def _reshape(r: _Reader, node: Any, index: int) -> None:
    shape = r.act_shape(node.input[0], node, index)
    out = r.act_shape(node.output[0], node, index)
    if out == shape:
        r.alias(node, index, node.input[0])
    elif len(out) == 2 and out[0] == shape[0] and out[1] == math.prod(shape[1:]):
        _flat(r, node, index, shape)
    else:
        raise r.unsupported(node, index, f"reshaping {_dims(shape)} to {_dims(out)} (only "
                                         f"flattening to a vector per sample)")


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


@handles("Concat")
def _concat(r: _Reader, node: Any, index: int) -> None:
    shape = r.act_shape(node.output[0], node, index)
    axis = attributes(node).get("axis", 1) % len(shape)
    if axis != 1:
        raise r.unsupported(node, index, f"concatenation along axis {axis} (only along the "
                                         f"channels)")
    if not all(r.is_act(n) for n in node.input):
        raise r.unsupported(node, index, "concatenating a constant to an activation")
    r.emit(node, index, "concat", {}, tuple(r.src(n, node, index) for n in node.input))


@handles("Sum")
def _sum(r: _Reader, node: Any, index: int) -> None:
    if not all(r.is_act(n) for n in node.input):
        raise r.unsupported(node, index, "adding a constant to an activation")
    r.emit(node, index, "add", {}, tuple(r.src(n, node, index) for n in node.input))


@handles("Add", "Sub", "Mul", "Div")
def _elementwise(r: _Reader, node: Any, index: int) -> None:
    a, b = node.input[0], node.input[1]
    if r.is_act(a) and r.is_act(b):
        out = r.act_shape(node.output[0], node, index)
        ranks = {len(r.act_shape(n, node, index)) for n in (a, b)}
        if node.op_type in ("Add", "Mul") and ranks == {len(out)}:
            r.emit(node, index, node.op_type.lower(), {},
                   (r.src(a, node, index), r.src(b, node, index)))
            return
        missing = "" if node.op_type in ("Add", "Mul") else \
            f" (cnncalc has add and mul, not {node.op_type.lower()})"
        raise r.unsupported(node, index, f"an element-wise {node.op_type} of two activations"
                                         f"{missing}" + ("" if missing else " of different "
                                                         "ranks"))
    act, const = (a, b) if r.is_act(a) else (b, a)
    size = math.prod(r.shape(const) or (1,))
    if node.op_type == "Mul" and size > 1 and _per_channel(r.shape(const),
                                                           r.act_shape(act, node, index)):
        # a learnt scale per channel (ConvNeXt's γ): its parameters are the weight's size
        r.emit(node, index, "layer_scale", {}, (r.src(act, node, index),), params=size)
        return
    producer = r.op_by_name.get(r.act.get(act, ""))
    if (node.op_type == "Add" and producer is not None and producer.kind in ("conv", "linear")
            and producer.attrs.get("bias") is False and r.users.get(act) == 1
            and size == producer.attrs["out"]):
        # an exporter's separate bias: part of the layer before
        attrs = {k: v for k, v in producer.attrs.items() if k != "bias"}
        fused = Op(producer.name, producer.kind, attrs, producer.inputs, producer.origin,
                   _batchless(r.shape(node.output[0])), (producer.params or 0) + size)
        r.ops[r.ops.index(producer)] = fused
        r.op_by_name[fused.name] = fused
        r.act[node.output[0]] = fused.name
        return
    if size == 1:
        r.notes.append(f"{r.where(node, index)}: {node.op_type} by a constant is written as an "
                       f"identity (no parameters, no MACs)")
        r.emit(node, index, "identity", {}, (r.src(act, node, index),))
        return
    raise r.unsupported(node, index, f"{node.op_type} by a constant tensor of {size} values "
                                     f"(a per-channel scale or shift)")


def _per_channel(const: tuple[int, ...] | None, act: tuple[int, ...]) -> bool:
    """A constant shaped ``C×1×…×1`` (or ``1×C×1…``) against an activation ``N×C×…``: one
    value per channel, broadcast over the positions."""
    if const is None or len(const) > len(act):
        return False
    padded = (1,) * (len(act) - len(const)) + tuple(const)
    return padded[0] == 1 and padded[1] == act[1] and all(d == 1 for d in padded[2:])


def _batchless(shape: tuple[int, ...] | None) -> tuple[int, ...] | None:
    return shape[1:] if shape is not None else None


@handles("Pad")
def _pad(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    shape = r.act_shape(node.input[0], node, index)
    rank = len(shape)
    if len(node.input) > 1 and node.input[1]:
        pads = [int(v) for v in r.static.value(node.input[1], node, index).reshape(-1)]
    else:
        pads = list(a.get("pads", []))
    axes = list(range(rank))
    if len(node.input) > 3 and node.input[3]:
        axes = [int(v) % rank for v in r.static.value(node.input[3], node, index).reshape(-1)]
    full = [[0, 0] for _ in range(rank)]
    for i, axis in enumerate(axes):
        full[axis] = [pads[i], pads[i + len(axes)]]
    if any(full[0]) or any(full[1]):
        raise r.unsupported(node, index, "padding the batch or channel axis")
    if any(v < 0 for pair in full for v in pair):
        raise r.unsupported(node, index, "negative padding (a crop)")
    mode = a.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    modes = {"constant": "constant", "reflect": "reflect", "edge": "replicate",
             "wrap": "circular"}
    if mode not in modes:
        raise r.unsupported(node, index, f"padding mode '{mode}'")
    value = 0.0
    if len(node.input) > 2 and node.input[2]:
        value = float(r.static.value(node.input[2], node, index).reshape(-1)[0])
    elif "value" in a:
        value = float(a["value"])
    attrs: dict[str, Any] = {"padding": compress(full[2:])}
    if modes[mode] != "constant":
        attrs["mode"] = modes[mode]
    if value:
        attrs["value"] = as_written(value)
    r.emit(node, index, "pad", attrs, (r.src(node.input[0], node, index),))


@handles("Slice")
def _slice(r: _Reader, node: Any, index: int) -> None:
    shape = r.act_shape(node.input[0], node, index)
    out = r.act_shape(node.output[0], node, index)
    rank = len(shape)
    if len(node.input) > 1:
        def get(i: int) -> list[int] | None:
            if len(node.input) > i and node.input[i]:
                return [int(v) for v in r.static.value(node.input[i], node, index).reshape(-1)]
            return None
        starts, ends, axes, steps = get(1), get(2), get(3), get(4)
    else:
        a = attributes(node)
        starts, ends, axes, steps = a.get("starts"), a.get("ends"), a.get("axes"), None
    if starts is None or ends is None:
        raise r.error(node, index, "a slice without starts or ends")
    axes = [x % rank for x in (axes or list(range(len(starts))))]
    if steps is not None and any(s != 1 for s in steps):
        raise r.unsupported(node, index, "a strided slice")
    border = [[0, 0] for _ in range(rank)]
    for axis, start in zip(axes, starts):
        begin = min(max(start + shape[axis] if start < 0 else start, 0), shape[axis])
        border[axis] = [begin, shape[axis] - begin - out[axis]]
    if any(border[0]):
        raise r.unsupported(node, index, "slicing the batch axis")
    if any(border[1]):
        if any(v for pair in border[2:] for v in pair):
            raise r.unsupported(node, index, "slicing the channels and a spatial axis at once")
        start = border[1][0]
        r.emit(node, index, "split", part_of(shape[1], start, out[1]),
               (r.src(node.input[0], node, index),))
        return
    if not any(v for pair in border for v in pair):
        r.alias(node, index, node.input[0])
        return
    r.emit(node, index, "crop", {"border": compress(border[2:])},
           (r.src(node.input[0], node, index),))


@handles("Split")
def _split(r: _Reader, node: Any, index: int) -> None:
    shape = r.act_shape(node.input[0], node, index)
    if attributes(node).get("axis", 0) % len(shape) != 1:
        raise r.unsupported(node, index, "a split along another axis than the channels")
    sizes = [r.act_shape(o, node, index)[1] for o in node.output]
    equal = -(-shape[1] // len(sizes))
    chunks = all(s == min(equal, shape[1] - i * equal) for i, s in enumerate(sizes))
    x = r.src(node.input[0], node, index)
    name = ""
    for take, out in enumerate(node.output):
        if not out or (not r.users.get(out) and all(o.name != out for o in r.graph.output)):
            continue
        attrs: dict[str, Any] = {"parts": len(sizes) if chunks else sizes}
        if take:
            attrs["take"] = take
        name = r.namer.take(f"{name}_{take}", "split") if name else r.layer_name(node, "split")
        r.emit(node, index, "split", attrs, (x,), output=out, name=name)


@handles("DepthToSpace", "SpaceToDepth")
def _depth_to_space(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    mode = a.get("mode", b"DCR")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    shuffle = node.op_type == "DepthToSpace"
    if not shuffle or mode != "CRD":
        r.notes.append(f"{r.where(node, index)} orders the channels as TensorFlow does "
                       f"({'DCR' if shuffle else 'blocks first'}); written as PyTorch's "
                       f"{'pixel_shuffle' if shuffle else 'pixel_unshuffle'}, which has the "
                       f"same shapes and counts but another channel order")
    r.emit(node, index, "pixel_shuffle" if shuffle else "pixel_unshuffle",
           {"factor": int(a["blocksize"])}, (r.src(node.input[0], node, index),))


@handles("Resize", "Upsample")
def _resize(r: _Reader, node: Any, index: int) -> None:
    a = attributes(node)
    shape = r.act_shape(node.input[0], node, index)
    out = r.act_shape(node.output[0], node, index)
    if out[:2] != shape[:2]:
        raise r.unsupported(node, index, "resizing the batch or channel axis")
    mode = a.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    modes = {"nearest": "nearest", "linear": "linear", "bilinear": "linear", "cubic": "bicubic"}
    if mode not in modes:
        raise r.unsupported(node, index, f"interpolation mode '{mode}'")
    attrs: dict[str, Any] = {}
    scales: list[float] | None = None
    names = list(node.input)
    scale_input = 1 if node.op_type == "Upsample" or _opset(r) < 11 else 2
    if len(names) > scale_input and names[scale_input]:
        values = r.static.value(names[scale_input], node, index).reshape(-1)
        if values.size:
            scales = [float(v) for v in values]
    if scales is None and "scales" in a:
        scales = [float(v) for v in a["scales"]]
    if scales is not None and all(math.floor(i * s) == o for i, s, o in
                                  zip(shape[2:], scales[2:], out[2:])):
        attrs["scale"] = ints_of([int(s) if s == int(s) else s for s in scales[2:]])
    else:
        attrs["size"] = ints_of(list(out[2:]))
    if modes[mode] != "nearest":
        attrs["mode"] = modes[mode]
        ctm = a.get("coordinate_transformation_mode", b"half_pixel")
        ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
        if ctm == "align_corners":
            attrs["align_corners"] = True
    r.emit(node, index, "upsample", attrs, (r.src(node.input[0], node, index),))
