"""PyTorch models as cnncalc layers, from their ATen graph.

Two sources give the same graph — ATen operators with their arguments, output shapes and the
module path each node came from (which names the layers and lets block recovery see them):

* ``package.module:factory`` — a function (or class) returning an ``nn.Module``. This *imports
  and runs the user's code*; the module is traced with ``torch.export`` at the size given with
  ``--input``, falling back to ``torch.fx`` (module by module) where export fails.
* an ExportedProgram file (``.pt2``, ``torch.export.save``) — read from its JSON graph
  (``models/model.json`` in the archive) with the standard library: torch is not needed, the
  weights and the pickled sample inputs beside it are never opened.

Batch norm stays a node in both (torch.export does not fold it). Local response norm, which
PyTorch writes as a dozen ATen operators, is recognised by the module it came from.
"""

from __future__ import annotations

import importlib
import json
import math
import zipfile
from dataclasses import dataclass, field
from typing import Any

from cnncalc.importers.ir import (
    INPUT,
    MALFORMED,
    Imported,
    Namer,
    Op,
    import_error,
    part_of,
)
from cnncalc.model.errors import SpecError
from cnncalc.model.limits import DEFAULT_LIMITS, Limits

EXTRA = "pip install 'cnncalc[torch]'"
MAX_JSON = 256 * 2**20
"""Largest graph JSON read from a .pt2 archive."""


@dataclass(frozen=True)
class Ref:
    """A tensor argument, by name."""

    name: str


@dataclass
class Node:
    """One ATen call: ``target`` (``conv2d.default``), its arguments by schema name, its output
    tensor's name and shape (batch included), and the module it came from."""

    name: str
    target: str
    args: dict[str, Any]
    shape: tuple[int, ...] | None
    module: str = ""
    module_type: str = ""
    outputs: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class AtenGraph:
    nodes: list[Node]
    input: str
    input_shape: tuple[int, ...]
    params: dict[str, tuple[int, ...]]     # placeholder → shape, for parameters
    param_names: dict[str, str]            # placeholder → the parameter's qualified name
    buffers: set[str]
    output: str
    producer: str


def read_torch(source: str, input_shape: tuple[int, ...] | None = None,
               limits: Limits = DEFAULT_LIMITS) -> Imported:
    if source.lower().endswith(".pt2"):
        graph = _from_pt2(source)
        if input_shape is not None and input_shape != graph.input_shape[1:]:
            raise import_error("an ExportedProgram is traced at one size "
                               f"({'x'.join(map(str, graph.input_shape[1:]))}); re-export it "
                               f"to read it at another", source)
        name = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        fmt = "PyTorch ExportedProgram"
    else:
        graph = _from_factory(source, input_shape)
        name = source.rsplit(":", 1)[-1]
        fmt = "PyTorch module"
    return _Mapper(source, graph, limits).read(name, fmt)


# --- sources ------------------------------------------------------------------------------------

def _from_factory(source: str, input_shape: tuple[int, ...] | None) -> AtenGraph:
    try:
        import torch
    except ImportError:
        raise import_error(f"importing a PyTorch module needs torch: {EXTRA}", source,
                           code="missing-extra") from None
    if input_shape is None:
        raise import_error("a PyTorch module does not say its input size: give it with --input "
                           "(channels first, e.g. 3x224x224)", source)
    module_name, _, attr = source.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            found = getattr(found, part)
        model = found()
    except Exception as exc:  # the user's code: any error is theirs, reported as one
        raise import_error(f"cannot build the module: {type(exc).__name__}: {exc}",
                           source) from None
    if not isinstance(model, torch.nn.Module):
        raise import_error(f"{attr}() returned a {type(model).__name__}, not a torch.nn.Module",
                           source)
    model.eval()
    sample = torch.zeros(1, *input_shape)
    try:
        program = torch.export.export(model, (sample,))
    except Exception as exc:  # export's failures are many; the fx trace is the fallback
        from cnncalc.importers.torch_fx import fx_graph

        return fx_graph(source, model, sample, exc)
    return _from_program(program, torch.__version__)


def _from_program(program: Any, version: str) -> AtenGraph:
    sig = program.graph_signature
    params = dict(sig.inputs_to_parameters)
    buffers = set(sig.inputs_to_buffers)
    nodes: list[Node] = []
    shapes: dict[str, tuple[int, ...]] = {}
    user_inputs = list(sig.user_inputs)
    output = ""
    for node in program.graph.nodes:
        val = node.meta.get("val")
        shape = tuple(int(d) for d in val.shape) if hasattr(val, "shape") else None
        if shape is not None:
            shapes[node.name] = shape
        if node.op == "call_function":
            nodes.append(_fx_node(node, shape))
        elif node.op == "output":
            outs = node.args[0]
            first = outs[0] if isinstance(outs, (list, tuple)) else outs
            output = getattr(first, "name", "")
    if len(user_inputs) != 1:
        raise import_error(f"the module takes {len(user_inputs)} inputs; cnncalc analyses "
                           f"networks with one", "<module>")
    return AtenGraph(nodes, user_inputs[0], shapes[user_inputs[0]],
                     {p: shapes[p] for p in params}, params, buffers, output,
                     f"torch {version}, torch.export")


def _fx_node(node: Any, shape: tuple[int, ...] | None) -> Node:
    target = node.target
    schema = getattr(target, "_schema", None)
    args: dict[str, Any] = {}
    names = [a.name for a in schema.arguments] if schema is not None else []
    for i, value in enumerate(node.args):
        args[names[i] if i < len(names) else str(i)] = _fx_value(value)
    for key, value in node.kwargs.items():
        args[key] = _fx_value(value)
    stack = node.meta.get("nn_module_stack") or {}
    module, module_type = "", ""
    if stack:
        path, kind = list(stack.values())[-1]
        module = str(path)
        module_type = kind if isinstance(kind, str) else getattr(kind, "__qualname__", str(kind))
    name = str(target)
    if schema is not None:
        name = f"{schema.name.split('::')[-1]}.{schema.overload_name or 'default'}"
    elif getattr(target, "__name__", "") == "getitem":
        name = "getitem"
    return Node(node.name, name, args, shape, _clean_path(module), module_type)


def _fx_value(value: Any) -> Any:
    if hasattr(value, "op") and hasattr(value, "name"):
        return Ref(value.name)
    if isinstance(value, (list, tuple)):
        return [_fx_value(v) for v in value]
    return value


def _clean_path(path: str) -> str:
    """``L['self'].layer1[0].conv1`` or ``layer1.0.conv1`` → ``layer1.0.conv1``."""
    text = path.replace("L['self'].", "").replace("L['self']", "")
    text = text.replace("['", ".").replace("']", "").replace("[", ".").replace("]", "")
    return text.strip(".")


def _from_pt2(path: str) -> AtenGraph:
    try:
        with zipfile.ZipFile(path) as archive:
            member = next((i for i in archive.infolist()
                           if i.filename.endswith("models/model.json")), None)
            if member is None:
                raise import_error("not an ExportedProgram archive (no models/model.json)", path)
            if member.file_size > MAX_JSON:
                raise import_error(f"the graph is {member.file_size:,} bytes; over "
                                   f"{MAX_JSON // 2**20} MiB", path, code="limit")
            with archive.open(member) as fh:
                doc = json.loads(fh.read(MAX_JSON + 1))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise import_error(f"not a readable .pt2 archive: {exc}", path) from None
    except RecursionError:
        raise import_error("the graph JSON is nested too deeply", path, code="limit") from None
    try:
        return _json_graph(doc)
    except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
        raise import_error(f"an ExportedProgram graph cnncalc does not understand "
                           f"({type(exc).__name__}: {exc})", path) from None


def _json_graph(doc: dict[str, Any]) -> AtenGraph:
    module = doc["graph_module"]
    graph = module["graph"]
    values = graph["tensor_values"]
    shapes = {name: tuple(int(s["as_int"]) for s in meta["sizes"])
              for name, meta in values.items()
              if all("as_int" in s for s in meta["sizes"])}
    params: dict[str, str] = {}
    buffers: set[str] = set()
    user: list[str] = []
    for spec in module["signature"]["input_specs"]:
        if "parameter" in spec:
            params[spec["parameter"]["arg"]["name"]] = spec["parameter"]["parameter_name"]
        elif "buffer" in spec:
            buffers.add(spec["buffer"]["arg"]["name"])
        elif "user_input" in spec:
            user.append(spec["user_input"]["arg"]["as_tensor"]["name"])
    if len(user) != 1:
        raise ValueError(f"the program takes {len(user)} inputs; cnncalc analyses one")
    nodes = []
    for raw in graph["nodes"]:
        outputs = [_json_output(o) for o in raw["outputs"]]
        name = outputs[0] if outputs and outputs[0] else raw.get("name", "")
        args = {a["name"]: _json_arg(a["arg"]) for a in raw["inputs"]}
        stack = (raw.get("metadata") or {}).get("nn_module_stack", "")
        path, kind = "", ""
        if stack:
            last = stack.split(";")[-1].split(",")
            path, kind = (last[1], last[-1]) if len(last) >= 3 else ("", "")
        target = raw["target"].removeprefix("torch.ops.aten.")
        nodes.append(Node(name, target, args, shapes.get(name), _clean_path(path), kind,
                          tuple(o for o in outputs if o)))
    first = graph["outputs"][0]
    output = _json_output(first)
    version = doc.get("torch_version", "")
    return AtenGraph(nodes, user[0], shapes[user[0]], {p: shapes[p] for p in params}, params,
                     buffers, output, f"torch {version}, torch.export" if version else "")


def _json_output(value: dict[str, Any]) -> str:
    if "as_tensor" in value:
        return str(value["as_tensor"]["name"])
    if value.get("as_tensors"):
        return str(value["as_tensors"][0]["name"])
    return ""


def _json_arg(arg: dict[str, Any]) -> Any:
    (kind, value), = arg.items()
    if kind == "as_tensor":
        return Ref(value["name"])
    if kind == "as_tensors":
        return [Ref(v["name"]) for v in value]
    if kind == "as_optional_tensors":
        return [Ref(v["as_tensor"]["name"]) if "as_tensor" in v else None for v in value]
    if kind == "as_none":
        return None
    if kind in ("as_int", "as_float", "as_bool", "as_string", "as_ints", "as_floats",
                "as_bools", "as_strings"):
        return value
    if kind == "as_scalar_type" or kind == "as_memory_format" or kind == "as_layout":
        return value
    if kind == "as_sym_int" and "as_int" in value:
        return value["as_int"]
    return ("?", kind)


# --- ATen → cnncalc -----------------------------------------------------------------------------

ALIASES = {"clone.default", "contiguous.default", "alias.default", "detach.default",
           "_to_copy.default", "to.dtype", "lift_fresh_copy.default"}
SHAPE_OPS = {"sym_size.int", "sym_numel.default", "sym_stride.int"}
ACTIVATIONS = {"relu": "relu", "relu_": "relu", "sigmoid": "sigmoid", "tanh": "tanh",
               "silu": "silu", "silu_": "silu", "hardswish": "hardswish",
               "hardswish_": "hardswish", "hardsigmoid": "hardsigmoid",
               "hardsigmoid_": "hardsigmoid", "mish": "mish", "mish_": "mish"}
CHANNELS_LAST = "channels last"
"""A pending rearrangement (see ``_Mapper.pending``): channels moved to the last axis."""


class _Mapper:
    def __init__(self, source: str, graph: AtenGraph, limits: Limits) -> None:
        self.source = source
        self.graph = graph
        self.limits = limits
        self.ops: list[Op] = []
        self.notes: list[str] = []
        self.namer = Namer()
        self.act: dict[str, str] = {graph.input: INPUT}
        self.shapes: dict[str, tuple[int, ...] | None] = {graph.input: graph.input_shape}
        # Tensors that are a step of a layer PyTorch writes as several calls, not yet a layer:
        # node → (the layer input, what was done): channels moved last (ConvNeXt's layer
        # norm), channels split into groups and the groups swapped (channel shuffle), the
        # several outputs of a chunk or split.
        self.pending: dict[str, tuple[str, Any]] = {}

    def error(self, node: Node, message: str, code: str = "import") -> SpecError:
        where = f" in '{node.module}' ({node.module_type.rsplit('.', 1)[-1]})" \
            if node.module else ""
        return import_error(f"node '{node.name}' ({node.target}){where}: {message}",
                            self.source, code=code)

    def read(self, name: str, fmt: str) -> Imported:
        nodes = self.graph.nodes
        i = 0
        while i < len(nodes):
            node = nodes[i]
            self.shapes[node.name] = node.shape
            if node.module_type.endswith("LocalResponseNorm") and node.target != "fx_lrn":
                j = i
                while j + 1 < len(nodes) and nodes[j + 1].module == node.module:
                    j += 1
                    self.shapes[nodes[j].name] = nodes[j].shape
                self._lrn(nodes[i:j + 1])
                i = j + 1
                continue
            self._node(node)
            i += 1
        last = self.act.get(self.graph.output)
        if last is None or last == INPUT:
            raise import_error("the output does not depend on the input", self.source)
        needed = {last}
        for op in reversed(self.ops):
            if op.name in needed:
                needed.update(op.inputs)
        ops = tuple(op for op in self.ops if op.name in needed)
        return Imported(name, self.graph.input_shape[1:], ops, self.source, fmt,
                        self.graph.producer, tuple(self.notes), self.graph.input_shape[0])

    def src(self, node: Node, value: Any) -> str:
        if not isinstance(value, Ref) or value.name not in self.act:
            raise self.error(node, f"reads {value!r}, which is not an activation")
        return self.act[value.name]

    def is_act(self, value: Any) -> bool:
        return isinstance(value, Ref) and value.name in self.act

    def param(self, value: Any) -> tuple[int, ...] | None:
        if isinstance(value, Ref):
            return self.graph.params.get(value.name) or (self.shapes.get(value.name)
                                                         if value.name in self.graph.buffers
                                                         else None)
        return None

    def emit(self, node: Node, kind: str, attrs: dict[str, Any], inputs: tuple[str, ...],
             params: int | None = None, weight: Any = None) -> Op:
        raw = node.module or node.name
        if isinstance(weight, Ref) and weight.name in self.graph.param_names:
            raw = self.graph.param_names[weight.name].rsplit(".", 1)[0]
        if len(self.ops) >= self.limits.max_layers:
            raise self.error(node, f"more than {self.limits.max_layers:,} layers", code="limit")
        op = Op(self.namer.take(raw, kind), kind, attrs, inputs,
                f"node '{node.name}' ({node.target})",
                node.shape[1:] if node.shape is not None else None, params)
        self.ops.append(op)
        self.act[node.name] = op.name
        return op

    def alias(self, node: Node, value: Any) -> None:
        self.act[node.name] = self.src(node, value)

    def _node(self, node: Node) -> None:
        args = node.args
        values = list(args.values())
        if node.target == "getitem" and isinstance(values[0], Ref) and \
                values[0].name in self.pending:
            self._part(node, values[0].name, int(values[1]))
            return
        if node.target in ALIASES and isinstance(values[0], Ref) and \
                values[0].name in self.pending:
            self.pending[node.name] = self.pending[values[0].name]
            self.shapes[node.name] = node.shape
            return
        if node.target == "getitem":
            index = values[1] if len(values) > 1 else 0
            if index != 0:
                if isinstance(values[0], Ref) and values[0].name in self.act:
                    raise self.error(node, "uses a second output (max pool indices)",
                                     code="import-unsupported")
                return
            if self.is_act(values[0]):
                self.alias(node, values[0])
            return
        def live(v: Any) -> bool:
            return self.is_act(v) or (isinstance(v, Ref) and v.name in self.pending)

        if not any(live(v) or (isinstance(v, list) and any(live(x) for x in v))
                   for v in values):
            return  # a computation on constants or shapes
        if node.target in SHAPE_OPS:
            return  # reads only a size
        op = node.target.partition(".")[0]
        handler = getattr(self, f"_{op.strip('_')}", None)
        if node.target in ALIASES:
            self.alias(node, values[0])
        elif op in ACTIVATIONS:
            self.emit(node, ACTIVATIONS[op], {}, (self.src(node, values[0]),))
        elif handler is not None:
            try:
                handler(node, args)
            except MALFORMED as exc:
                raise self.error(node, f"malformed arguments ({type(exc).__name__}: "
                                       f"{exc})") from None
        else:
            raise self.error(node, f"cnncalc cannot represent {node.target}",
                             code="import-unsupported")

    # --- handlers -----------------------------------------------------------------------------

    def _conv(self, node: Node, a: dict[str, Any], transposed: bool = False) -> None:
        w = self.param(a.get("weight"))
        if w is None:
            raise self.error(node, "the weight is not a parameter")
        rank = len(w) - 2
        kernel = list(w[2:])
        stride = _per_axis(a.get("stride", 1), rank)
        dilation = _per_axis(a.get("dilation", 1), rank)
        groups = int(a.get("groups", 1))
        padding_arg = a.get("padding", 0)
        attrs: dict[str, Any] = {"out": (w[1] * groups) if transposed else w[0],
                                 "kernel": _axes(kernel)}
        if any(s != 1 for s in stride):
            attrs["stride"] = _axes(stride)
        if isinstance(padding_arg, str):
            if padding_arg == "same":
                attrs["padding"] = "same"
        else:
            padding = _per_axis(padding_arg, rank)
            if any(padding):
                attrs["padding"] = _axes(padding)
        if transposed:
            out_pad = _per_axis(a.get("output_padding", 0), rank)
            if any(out_pad):
                attrs["output_padding"] = _axes(out_pad)
        if any(d != 1 for d in dilation):
            attrs["dilation"] = _axes(dilation)
        if groups != 1:
            attrs["groups"] = groups
        bias = self.param(a.get("bias"))
        if bias is None:
            attrs["bias"] = False
        params = math.prod(w) + (math.prod(bias) if bias else 0)
        self.emit(node, "conv_transpose" if transposed else "conv", attrs,
                  (self.src(node, a.get("input")),), params, a.get("weight"))

    def _conv1d(self, node: Node, a: dict[str, Any]) -> None:
        self._conv(node, a)

    _conv2d = _conv3d = _conv1d

    def _conv_transpose1d(self, node: Node, a: dict[str, Any]) -> None:
        self._conv(node, a, transposed=True)

    _conv_transpose2d = _conv_transpose3d = _conv_transpose1d

    def _convolution(self, node: Node, a: dict[str, Any]) -> None:
        self._conv(node, a, transposed=bool(a.get("transposed", False)))

    def _linear(self, node: Node, a: dict[str, Any]) -> None:
        w = self.param(a.get("weight"))
        if w is None or len(w) != 2:
            raise self.error(node, "the weight is not a parameter matrix")
        x = self.shapes.get(_name(a.get("input")))
        if x is not None and len(x) != 2:
            raise self.error(node, "a linear layer on a tensor with spatial axes (cnncalc's "
                                   "takes a flat vector)", code="import-unsupported")
        bias = self.param(a.get("bias"))
        attrs: dict[str, Any] = {"out": w[0]}
        if bias is None:
            attrs["bias"] = False
        self.emit(node, "linear", attrs, (self.src(node, a.get("input")),),
                  math.prod(w) + (math.prod(bias) if bias else 0), a.get("weight"))

    def _batch_norm(self, node: Node, a: dict[str, Any]) -> None:
        if a.get("training"):
            raise self.error(node, "batch norm in training mode", code="import-unsupported")
        weight, bias = self.param(a.get("weight")), self.param(a.get("bias"))
        attrs: dict[str, Any] = {}
        eps = float(f"{float(a.get('eps', 1e-5)):.7g}")
        if eps != 1e-5:
            attrs["eps"] = eps
        if weight is None:
            attrs["affine"] = False
        params = (math.prod(weight) if weight else 0) + (math.prod(bias) if bias else 0)
        self.emit(node, "batchnorm", attrs, (self.src(node, a.get("input")),), params,
                  a.get("weight"))

    _native_batch_norm_legit_no_training = _batch_norm

    def _hardtanh(self, node: Node, a: dict[str, Any]) -> None:
        low, high = a.get("min_val", -1.0), a.get("max_val", 1.0)
        if (low, high) != (0, 6):
            raise self.error(node, f"hardtanh to [{low}, {high}] (only ReLU6)",
                             code="import-unsupported")
        self.emit(node, "relu6", {}, (self.src(node, a.get("self")),))

    _hardtanh_ = _hardtanh

    def _leaky_relu(self, node: Node, a: dict[str, Any]) -> None:
        slope = float(a.get("negative_slope", 0.01))
        self.emit(node, "leaky_relu", {} if slope == 0.01 else {"negative_slope": slope},
                  (self.src(node, a.get("self")),))

    _leaky_relu_ = _leaky_relu

    def _elu(self, node: Node, a: dict[str, Any]) -> None:
        alpha = float(a.get("alpha", 1.0))
        self.emit(node, "elu", {} if alpha == 1.0 else {"alpha": alpha},
                  (self.src(node, a.get("self")),))

    def _gelu(self, node: Node, a: dict[str, Any]) -> None:
        approx = a.get("approximate", "none")
        self.emit(node, "gelu", {} if approx == "none" else {"approximate": approx},
                  (self.src(node, a.get("self")),))

    def _prelu(self, node: Node, a: dict[str, Any]) -> None:
        w = self.param(a.get("weight"))
        size = math.prod(w) if w else 1
        self.emit(node, "prelu", {"per_channel": True} if size > 1 else {},
                  (self.src(node, a.get("self")),), size, a.get("weight"))

    _prelu_kernel = _prelu

    def _softmax(self, node: Node, a: dict[str, Any]) -> None:
        shape = self.shapes.get(_name(a.get("self"))) or ()
        dim = int(a.get("dim", 1))
        if shape and dim % len(shape) != 1:
            raise self.error(node, f"softmax over dim {dim} (cnncalc's is over the channels)",
                             code="import-unsupported")
        self.emit(node, "softmax", {}, (self.src(node, a.get("self")),))

    def _pool(self, node: Node, a: dict[str, Any], kind: str) -> None:
        x = self.shapes.get(_name(a.get("self"))) or ()
        rank = max(len(x) - 2, 1)
        kernel = _per_axis(a.get("kernel_size"), rank)
        stride_arg = a.get("stride") or kernel
        stride = _per_axis(stride_arg, rank)
        padding = _per_axis(a.get("padding", 0), rank)
        attrs: dict[str, Any] = {"kernel": _axes(kernel)}
        if stride != kernel:
            attrs["stride"] = _axes(stride)
        if any(padding):
            attrs["padding"] = _axes(padding)
        dilation = _per_axis(a.get("dilation", 1), rank)
        if kind == "maxpool" and any(d != 1 for d in dilation):
            attrs["dilation"] = _axes(dilation)
        if a.get("ceil_mode"):
            attrs["ceil_mode"] = True
        if kind == "avgpool" and any(padding) and a.get("count_include_pad") is False:
            attrs["count_include_pad"] = False
        self.emit(node, kind, attrs, (self.src(node, a.get("self")),))

    def _max_pool1d(self, node: Node, a: dict[str, Any]) -> None:
        self._pool(node, a, "maxpool")

    _max_pool2d = _max_pool3d = _max_pool2d_with_indices = _max_pool3d_with_indices = \
        _max_pool1d

    def _avg_pool1d(self, node: Node, a: dict[str, Any]) -> None:
        if a.get("divisor_override") is not None:
            raise self.error(node, "an average pool with divisor_override",
                             code="import-unsupported")
        self._pool(node, a, "avgpool")

    _avg_pool2d = _avg_pool3d = _avg_pool1d

    def _adaptive(self, node: Node, a: dict[str, Any], kind: str) -> None:
        output = list(a.get("output_size") or [])
        src = self.src(node, a.get("self"))
        if output and all(o == 1 for o in output):
            self.emit(node, f"global_{kind}", {}, (src,))
        else:
            self.emit(node, f"adaptive_{kind}", {"output": _axes(output)}, (src,))

    def _adaptive_avg_pool1d(self, node: Node, a: dict[str, Any]) -> None:
        self._adaptive(node, a, "avgpool")

    _adaptive_avg_pool2d = _adaptive_avg_pool3d = _adaptive_avg_pool1d

    def _adaptive_max_pool1d(self, node: Node, a: dict[str, Any]) -> None:
        self._adaptive(node, a, "maxpool")

    _adaptive_max_pool2d = _adaptive_max_pool3d = _adaptive_max_pool1d

    def _mean(self, node: Node, a: dict[str, Any]) -> None:
        x = self.shapes.get(_name(a.get("self"))) or ()
        dims = sorted(int(d) % len(x) for d in (a.get("dim") or [])) if x else []
        if not x or dims != list(range(2, len(x))):
            raise self.error(node, "a mean over other axes than every spatial one",
                             code="import-unsupported")
        pool = self.emit(node, "global_avgpool", {}, (self.src(node, a.get("self")),))
        if not a.get("keepdim"):
            self.act[node.name] = self._flatten_after(node, pool)

    def _flatten_after(self, node: Node, op: Op) -> str:
        flat = Op(self.namer.take(op.name + "_flat", "flatten"), "flatten", {}, (op.name,),
                  op.origin, None)
        self.ops.append(flat)
        return flat.name

    def _flatten(self, node: Node, a: dict[str, Any]) -> None:
        start, end = int(a.get("start_dim", 0)), int(a.get("end_dim", -1))
        if (start, end) == (1, 2) and self._regrouped(node, a.get("self")):
            return
        x = self.shapes.get(_name(a.get("self"))) or ()
        if start != 1 or end not in (-1, len(x) - 1):
            raise self.error(node, "flattening other axes than all but the batch",
                             code="import-unsupported")
        if len(x) == 2:
            self.alias(node, a.get("self"))
        else:
            self.emit(node, "flatten", {}, (self.src(node, a.get("self")),))

    def _view(self, node: Node, a: dict[str, Any]) -> None:
        x = self.shapes.get(_name(a.get("self")))
        out = node.shape
        if x is None or out is None:
            raise self.error(node, "a reshape of unknown shape")
        pending = self.pending.get(_name(a.get("self")))
        if pending is not None and self._regrouped(node, a.get("self")):
            return
        if out == x:
            self.alias(node, a.get("self"))
        elif len(out) == len(x) + 1 and out[0] == x[0] and out[1] * out[2] == x[1] and \
                out[3:] == x[2:]:
            self.pending[node.name] = (self.src(node, a.get("self")), ("grouped", out))
        elif len(out) == 2 and out[1] == math.prod(x[1:]):
            if len(x) == 2:
                self.alias(node, a.get("self"))
            else:
                self.emit(node, "flatten", {}, (self.src(node, a.get("self")),))
        else:
            raise self.error(node, f"reshaping {x} to {out} (only flattening)",
                             code="import-unsupported")

    _reshape = _unsafe_view = _view

    def _cat(self, node: Node, a: dict[str, Any]) -> None:
        tensors = a.get("tensors") or []
        x = self.shapes.get(_name(tensors[0])) if tensors else None
        dim = int(a.get("dim", 0))
        if x is None or dim % len(x) != 1:
            raise self.error(node, f"concatenation along dim {dim} (only the channels)",
                             code="import-unsupported")
        self.emit(node, "concat", {}, tuple(self.src(node, t) for t in tensors))

    def _mul(self, node: Node, a: dict[str, Any]) -> None:
        first, second = a.get("self"), a.get("other")
        if self.is_act(first) and self.is_act(second):
            self.emit(node, "mul", {}, (self.src(node, first), self.src(node, second)))
            return
        act, weight = (first, second) if self.is_act(first) else (second, first)
        w, x = self.param(weight), self.shapes.get(_name(act))
        if w is not None and x is not None and len(w) <= len(x):
            padded = (1,) * (len(x) - len(w)) + tuple(w)
            if padded[0] == 1 and padded[1] == x[1] and all(d == 1 for d in padded[2:]):
                self.emit(node, "layer_scale", {}, (self.src(node, act),), x[1], weight)
                return
        raise self.error(node, "a product that is not of two activations or by a learnt "
                               "scale per channel", code="import-unsupported")

    _mul_ = _mul

    def _layer_norm(self, node: Node, a: dict[str, Any]) -> None:
        x = a.get("input")
        name = _name(x)
        shape = self.shapes.get(name) or ()
        normalized = list(a.get("normalized_shape") or [])
        pending = self.pending.get(name)
        channels_last = pending is not None and pending[1] == CHANNELS_LAST
        if len(normalized) != 1 or not shape or normalized[0] != shape[-1] or \
                not (channels_last or len(shape) == 2):
            raise self.error(node, f"a layer norm over {normalized} of {shape} (cnncalc's is "
                                   f"over the channels at every position, or over a vector)",
                             code="import-unsupported")
        weight, bias = self.param(a.get("weight")), self.param(a.get("bias"))
        attrs: dict[str, Any] = {}
        eps = float(f"{float(a.get('eps', 1e-5)):.7g}")
        if eps != 1e-5:
            attrs["eps"] = eps
        if weight is None:
            attrs["affine"] = False
        elif bias is None:
            attrs["bias"] = False
        params = (math.prod(weight) if weight else 0) + (math.prod(bias) if weight and bias
                                                         else 0)
        source = pending[0] if pending is not None and channels_last else self.src(node, x)
        if channels_last and node.shape is not None:  # the layer's output is channels first
            node = Node(node.name, node.target, node.args,
                        (node.shape[0], node.shape[-1], *node.shape[1:-1]), node.module,
                        node.module_type)
        op = self.emit(node, "layernorm", attrs, (source,), params, a.get("weight"))
        if channels_last:
            del self.act[node.name]
            self.pending[node.name] = (op.name, "channels first")

    def _group_norm(self, node: Node, a: dict[str, Any]) -> None:
        weight, bias = self.param(a.get("weight")), self.param(a.get("bias"))
        attrs: dict[str, Any] = {"groups": int(a.get("num_groups", 1))}
        eps = float(f"{float(a.get('eps', 1e-5)):.7g}")
        if eps != 1e-5:
            attrs["eps"] = eps
        if weight is None:
            attrs["affine"] = False
        params = (math.prod(weight) if weight else 0) + (math.prod(bias) if bias else 0)
        self.emit(node, "groupnorm", attrs, (self.src(node, a.get("input")),), params,
                  a.get("weight"))

    def _instance_norm(self, node: Node, a: dict[str, Any]) -> None:
        if not a.get("use_input_stats", True):
            raise self.error(node, "an instance norm normalising with running statistics",
                             code="import-unsupported")
        weight, bias = self.param(a.get("weight")), self.param(a.get("bias"))
        attrs: dict[str, Any] = {}
        eps = float(f"{float(a.get('eps', 1e-5)):.7g}")
        if eps != 1e-5:
            attrs["eps"] = eps
        if weight is not None:
            attrs["affine"] = True
        if a.get("running_mean") is not None:
            attrs["track_running_stats"] = True
        params = (math.prod(weight) if weight else 0) + (math.prod(bias) if bias else 0)
        self.emit(node, "instancenorm", attrs, (self.src(node, a.get("input")),), params,
                  a.get("weight"))

    def _channel_shuffle(self, node: Node, a: dict[str, Any]) -> None:
        self.emit(node, "channel_shuffle", {"groups": int(a.get("groups", 1))},
                  (self.src(node, a.get("self")),))

    _native_channel_shuffle = _channel_shuffle

    def _pixel_shuffle(self, node: Node, a: dict[str, Any]) -> None:
        self.emit(node, "pixel_shuffle", {"factor": int(a.get("upscale_factor", 1))},
                  (self.src(node, a.get("self")),))

    def _pixel_unshuffle(self, node: Node, a: dict[str, Any]) -> None:
        self.emit(node, "pixel_unshuffle", {"factor": int(a.get("downscale_factor", 1))},
                  (self.src(node, a.get("self")),))

    def _movedim(self, node: Node, a: dict[str, Any]) -> None:
        x = a.get("self")
        shape = self.shapes.get(_name(x)) or ()
        rank = len(shape)
        src: Any = a.get("source")
        dst: Any = a.get("destination")
        src = src[0] if isinstance(src, list) and len(src) == 1 else src
        dst = dst[0] if isinstance(dst, list) and len(dst) == 1 else dst
        self._moved(node, x, int(src) % rank, int(dst) % rank, rank)

    def _permute(self, node: Node, a: dict[str, Any]) -> None:
        x = a.get("self")
        rank = len(self.shapes.get(_name(x)) or ())
        dims = [int(d) % rank for d in a.get("dims") or []] if rank else []
        if dims == [0, *range(2, rank), 1]:
            self._moved(node, x, 1, rank - 1, rank)
        elif dims == [0, rank - 1, *range(1, rank - 1)]:
            self._moved(node, x, rank - 1, 1, rank)
        else:
            self._moved(node, x, -1, -1, rank)

    def _moved(self, node: Node, x: Any, source: int, dest: int, rank: int) -> None:
        """Channels moved last and back, around a layer norm (LayerNorm2d); anything else
        that permutes axes is not a layer."""
        name = _name(x)
        pending = self.pending.get(name)
        if (source, dest) == (1, rank - 1) and self.is_act(x):
            self.pending[node.name] = (self.src(node, x), CHANNELS_LAST)
        elif (source, dest) == (rank - 1, 1) and pending is not None and \
                pending[1] == "channels first":
            self.act[node.name] = pending[0]
        else:
            raise self.error(node, f"cnncalc cannot represent {node.target} here (only "
                                   f"moving the channels last around a layer norm)",
                             code="import-unsupported")

    def _unflatten(self, node: Node, a: dict[str, Any]) -> None:
        x = a.get("self")
        sizes = list(a.get("sizes") or [])
        if int(a.get("dim", 0)) != 1 or len(sizes) != 2 or not self.is_act(x):
            raise self.error(node, "unflattening other than the channels into groups",
                             code="import-unsupported")
        self.pending[node.name] = (self.src(node, x), ("grouped", node.shape))

    def _transpose(self, node: Node, a: dict[str, Any]) -> None:
        x = a.get("self")
        pending = self.pending.get(_name(x))
        rank = len(node.shape or ())
        dims = sorted(int(a.get(k, 0)) % rank for k in ("dim0", "dim1")) if rank else []
        if pending is not None and isinstance(pending[1], tuple) and \
                pending[1][0] == "grouped" and dims == [1, 2]:
            self.pending[node.name] = (pending[0], ("shuffled", pending[1][1]))
            return
        raise self.error(node, f"cnncalc cannot represent {node.target} here (only swapping "
                               f"the groups of a channel shuffle)", code="import-unsupported")

    def _regrouped(self, node: Node, x: Any) -> bool:
        """The end of a channel shuffle written as calls: the swapped groups flattened
        back into channels."""
        pending = self.pending.get(_name(x))
        if pending is None or not isinstance(pending[1], tuple) or \
                pending[1][0] != "shuffled" or pending[1][1] is None:
            return False
        self.emit(node, "channel_shuffle", {"groups": pending[1][1][1]}, (pending[0],))
        return True

    def _chunk(self, node: Node, a: dict[str, Any]) -> None:
        x = a.get("self")
        shape = self.shapes.get(_name(x)) or ()
        if not shape or int(a.get("dim", 0)) % len(shape) != 1:
            raise self.error(node, "a split along another axis than the channels",
                             code="import-unsupported")
        channels = shape[1]
        if "chunks" in a:
            step = -(-channels // int(a["chunks"]))
            sizes = [min(step, channels - s) for s in range(0, channels, step)]
        elif isinstance(a.get("split_size") or a.get("split_sizes"), list):
            sizes = [int(v) for v in a.get("split_size") or a.get("split_sizes") or []]
        else:
            step = int(a.get("split_size", channels))
            sizes = [min(step, channels - s) for s in range(0, channels, step)]
        self.pending[node.name] = (self.src(node, x), ("parts", sizes, node))

    _split = _split_with_sizes = _chunk

    def _part(self, node: Node, name: str, take: int) -> None:
        source, what = self.pending[name]
        if not isinstance(what, tuple) or what[0] != "parts":
            raise self.error(node, "an output of a rearrangement that is no layer",
                             code="import-unsupported")
        sizes, whole = what[1], what[2]
        equal = -(-sum(sizes) // len(sizes))
        chunks = all(s == min(equal, sum(sizes) - i * equal) for i, s in enumerate(sizes))
        attrs: dict[str, Any] = {"parts": len(sizes) if chunks else sizes}
        if take:
            attrs["take"] = take
        self.emit(Node(node.name, whole.target, {}, node.shape, whole.module,
                       whole.module_type), "split", attrs, (source,))

    def _add(self, node: Node, a: dict[str, Any]) -> None:
        first, second = a.get("self"), a.get("other")
        if self.is_act(first) and self.is_act(second) and a.get("alpha", 1) == 1:
            self.emit(node, "add", {}, (self.src(node, first), self.src(node, second)))
            return
        raise self.error(node, "an addition that is not of two activations",
                         code="import-unsupported")

    _add_ = _add

    def _dropout(self, node: Node, a: dict[str, Any]) -> None:
        p = float(a.get("p", 0.5))
        self.emit(node, "dropout", {} if p == 0.5 else {"p": p},
                  (self.src(node, a["input"] if "input" in a else a.get("self")),))

    _feature_dropout = _dropout

    def _pad(self, node: Node, a: dict[str, Any], value_key: str = "value") -> None:
        pad = list(a.get("pad") or [])
        x = self.shapes.get(_name(a.get("self"))) or ()
        rank = len(x) - 2
        pairs = [[0, 0] for _ in range(rank)]
        for k in range(0, len(pad), 2):  # last axis first
            axis = rank - 1 - k // 2
            if axis < 0:
                raise self.error(node, "padding the batch or channel axis",
                                 code="import-unsupported")
            pairs[axis] = [pad[k], pad[k + 1]]
        mode = a.get("mode", "constant")
        attrs: dict[str, Any] = {"padding": _compress(pairs)}
        if mode != "constant":
            attrs["mode"] = mode
        value = a.get(value_key)
        if value:
            attrs["value"] = float(value)
        self.emit(node, "pad", attrs, (self.src(node, a.get("self")),))

    def _constant_pad_nd(self, node: Node, a: dict[str, Any]) -> None:
        self._pad(node, a)

    def _slice(self, node: Node, a: dict[str, Any]) -> None:
        x = self.shapes.get(_name(a.get("self")))
        out = node.shape
        dim = int(a.get("dim", 0))
        if x is None or out is None or a.get("step", 1) != 1:
            raise self.error(node, "a strided slice or one of unknown shape",
                             code="import-unsupported")
        dim %= len(x)
        if out == x:
            self.alias(node, a.get("self"))
            return
        if dim == 1:
            start = a.get("start") or 0
            start = min(max(start + x[1] if start < 0 else start, 0), x[1])
            self.emit(node, "split", part_of(x[1], start, out[1]),
                      (self.src(node, a.get("self")),))
            return
        if dim < 2:
            raise self.error(node, "slicing the batch axis", code="import-unsupported")
        start = a.get("start") or 0
        start = min(max(start + x[dim] if start < 0 else start, 0), x[dim])
        border = [[0, 0] for _ in range(len(x) - 2)]
        border[dim - 2] = [start, x[dim] - start - out[dim]]
        self.emit(node, "crop", {"border": _compress(border)},
                  (self.src(node, a.get("self")),))

    def _narrow(self, node: Node, a: dict[str, Any]) -> None:
        x = self.shapes.get(_name(a.get("self")))
        dim = int(a.get("dim", 0)) % len(x) if x else 0
        start = int(a.get("start", 0))
        self._slice(node, {"self": a.get("self"), "dim": dim,
                           "start": start + x[dim] if x and start < 0 else start})

    def _upsample(self, node: Node, a: dict[str, Any], mode: str) -> None:
        out = node.shape
        if out is None:
            raise self.error(node, "an upsampling of unknown shape")
        attrs: dict[str, Any] = {"size": _axes(list(out[2:]))}
        scales = a.get("scale_factors")
        x = self.shapes.get(_name(a.get("input"))) or ()
        if scales and x and all(math.floor(i * s) == o for i, s, o in
                                zip(x[2:], scales, out[2:])):
            attrs = {"scale": _axes([int(s) if s == int(s) else s for s in scales])}
        if mode != "nearest":
            attrs["mode"] = mode
            if a.get("align_corners"):
                attrs["align_corners"] = True
        self.emit(node, "upsample", attrs, (self.src(node, a.get("input")),))

    def _upsample_nearest1d(self, node: Node, a: dict[str, Any]) -> None:
        self._upsample(node, a, "nearest")

    _upsample_nearest2d = _upsample_nearest3d = _upsample_nearest1d

    def _upsample_bilinear2d(self, node: Node, a: dict[str, Any]) -> None:
        self._upsample(node, a, "linear")

    _upsample_linear1d = _upsample_trilinear3d = _upsample_bilinear2d

    def _fx_lrn(self, node: Node, a: dict[str, Any]) -> None:
        attrs: dict[str, Any] = {"size": int(a["size"])}
        for key, default in (("alpha", 1e-4), ("beta", 0.75), ("k", 1.0)):
            if float(a[key]) != default:
                attrs[key] = float(a[key])
        self.emit(node, "lrn", attrs, (self.src(node, a.get("input")),))

    def _lrn(self, nodes: list[Node]) -> None:
        """PyTorch's LocalResponseNorm: x / (k + alpha · avg_pool(x², size))^beta."""
        first, last = nodes[0], nodes[-1]
        inside = {n.name for n in nodes}
        outer = [v for n in nodes for v in n.args.values()
                 if isinstance(v, Ref) and v.name not in inside and v.name in self.act]
        if not outer:
            raise self.error(first, "a local response norm that reads no activation")
        size = alpha = beta = None
        k = 0.0
        for n in nodes:
            base = n.target.split(".")[0]
            scalars = [v for v in n.args.values() if isinstance(v, (int, float))
                       and not isinstance(v, bool)]
            if base.startswith("avg_pool"):
                size = int(_per_axis(n.args.get("kernel_size"), 1)[0])
            elif base == "mul" and scalars:
                alpha = float(scalars[0])
            elif base == "add" and scalars:
                k = float(scalars[0])
            elif base == "pow" and scalars:
                beta = float(scalars[0])
        if size is None or alpha is None or beta is None:
            raise self.error(first, "a local response norm cnncalc does not recognise",
                             code="import-unsupported")
        attrs: dict[str, Any] = {"size": size}
        for key, value, default in (("alpha", alpha, 1e-4), ("beta", beta, 0.75),
                                    ("k", k, 1.0)):
            if value != default:
                attrs[key] = value
        node = Node(last.name, "local_response_norm", {}, last.shape, first.module,
                    first.module_type)
        self.emit(node, "lrn", attrs, (self.act[outer[0].name],))


def _name(value: Any) -> str:
    return value.name if isinstance(value, Ref) else ""


def _per_axis(value: Any, rank: int) -> list[int]:
    if value is None:
        return [1] * rank
    if isinstance(value, (list, tuple)):
        values = [int(v) for v in value]
        return values * rank if len(values) == 1 else values
    return [int(value)] * rank


def _axes(values: list[int]) -> Any:
    return values[0] if len(set(values)) == 1 else list(values)


def _compress(pairs: list[list[int]]) -> Any:
    if all(b == a for b, a in pairs):
        sides = [b for b, _ in pairs]
        return sides[0] if len(set(sides)) == 1 else sides
    return pairs


