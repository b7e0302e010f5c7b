"""Keras models as cnncalc layers, with the standard library only (Keras is not needed): a
``.keras`` archive (its ``config.json``; the weights are never opened) or a JSON model config
(``model.to_json()``), Keras 3's format and Keras 2's.

Keras is channels-last by default; cnncalc is channels-first, so the input ``[224, 224, 3]``
becomes ``3×224×224`` and a concatenation on the last axis is one on the channels. A layer's
fused ``activation`` becomes a layer of its own after it; ``trainable: false`` is kept (its
parameters count as non-trainable); batch norm's moving mean and variance are buffers, which
is what Keras counts as non-trainable.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from typing import Any

from cnncalc.importers.ir import INPUT, MALFORMED, Imported, Namer, Op, import_error
from cnncalc.model.errors import SpecError
from cnncalc.model.limits import DEFAULT_LIMITS, Limits

MAX_BYTES = 64 * 2**20
"""Largest model config read (ResNet50's is 170 KB)."""

ACTIVATIONS: dict[str, str | None] = {
    "linear": None, "relu": "relu", "relu6": "relu6", "sigmoid": "sigmoid", "tanh": "tanh",
    "softmax": "softmax", "swish": "silu", "silu": "silu", "gelu": "gelu", "elu": "elu",
    "hard_swish": "hardswish", "hard_silu": "hardswish", "leaky_relu": "leaky_relu",
}
IGNORED = {"Rescaling", "Normalization", "Resizing", "CenterCrop", "RandomFlip",
           "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation",
           "GaussianNoise", "GaussianDropout", "ActivityRegularization", "Masking"}
"""Preprocessing and training-time layers: the identity at inference, left out with a note."""


def looks_like_keras(path: str) -> bool:
    """Whether a ``.json`` file is a Keras model config (not a cnncalc summary)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b'"class_name"' in head and b'"config"' in head and b'"layers"' not in head[:20]


def read_keras(path: str, input_shape: tuple[int, ...] | None = None,
               limits: Limits = DEFAULT_LIMITS) -> Imported:
    text, shown = _config_text(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise import_error(f"not valid JSON{shown}: {exc.msg}", path, exc.lineno, exc.colno,
                           code="json") from None
    except RecursionError:
        raise import_error(f"the JSON{shown} is nested too deeply", path, 1, 1,
                           code="limit") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise import_error(f"not a Keras model config{shown} (expected class_name and config)",
                           path, 1 if not shown else None)
    return _Reader(path, text, shown, doc, input_shape, limits).read()


def _config_text(path: str) -> tuple[str, str]:
    """The model config's text, and where it is (`` in config.json`` inside an archive)."""
    if path.lower().endswith(".keras"):
        try:
            with zipfile.ZipFile(path) as archive:
                info = archive.getinfo("config.json")
                if info.file_size > MAX_BYTES:
                    raise import_error(f"config.json is {info.file_size:,} bytes; over "
                                       f"{MAX_BYTES // 2**20} MiB", path, code="limit")
                with archive.open(info) as fh:
                    data = fh.read(MAX_BYTES + 1)
        except KeyError:
            raise import_error("not a Keras archive: it has no config.json", path) from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise import_error(f"not a readable .keras archive: {exc}", path) from None
        shown = " in config.json"
    else:
        try:
            if os.path.getsize(path) > MAX_BYTES:
                raise import_error(f"over {MAX_BYTES // 2**20} MiB: not a model config", path,
                                   1, 1, code="limit")
            with open(path, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise import_error(f"cannot read the file: {exc.strerror or exc}", path,
                               code="io") from None
        shown = ""
    try:
        return data.decode("utf-8"), shown
    except UnicodeDecodeError:
        raise import_error(f"the config{shown} is not UTF-8 text", path) from None


class _Reader:
    def __init__(self, path: str, text: str, shown: str, doc: dict[str, Any],
                 input_shape: tuple[int, ...] | None, limits: Limits) -> None:
        self.path = path
        self.text = text
        self.shown = shown
        self.doc = doc
        self.override = input_shape
        self.limits = limits
        self.ops: list[Op] = []
        self.notes: list[str] = []
        self.namer = Namer()
        self.tensors: dict[str, str] = {}      # Keras layer name → cnncalc op (its output)
        self.channels: dict[str, int] = {}     # cnncalc op → output channels (or features)
        self.flat: set[str] = set()
        self.input_dims: tuple[int, ...] = ()
        config = doc["config"]
        self.layers: list[Any] = config.get("layers") or []
        if not isinstance(self.layers, list):
            raise self._error(None, "the config's layers are not a list")
        self.channels_first = '"channels_first"' in text

    def _error(self, layer: dict[str, Any] | None, message: str,
               code: str = "import") -> SpecError:
        name = None
        if isinstance(layer, dict):
            config = layer.get("config")
            name = layer.get("name") or (config.get("name") if isinstance(config, dict) else None)
            named = f"layer '{name}'" if name else "a layer"
            where = f"{named} ({layer.get('class_name')}){self.shown}: "
        else:
            where = self.shown.strip() + (": " if self.shown else "")
        if self.shown:  # inside an archive: no useful line
            return import_error(f"{where}{message}", self.path, code=code)
        line, column = 1, 1
        if name:
            at = self.text.find(f'"name": "{name}"')
            if at < 0:
                at = self.text.find(f'"{name}"')
            if at >= 0:
                line = self.text.count("\n", 0, at) + 1
                column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return import_error(f"{where}{message}", self.path, line, column, code=code)

    def read(self) -> Imported:
        kind = self.doc.get("class_name")
        if kind not in ("Sequential", "Functional", "Model"):
            raise self._error(None, f"a Keras {kind!r}, not a Sequential or Functional model")
        sequential = kind == "Sequential"
        if sequential:
            self._sequential_input()
        for layer in self.layers:
            if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
                raise self._error(None, "a layer entry without class_name and config")
            if len(self.ops) >= self.limits.max_layers:
                raise self._error(layer, f"more than {self.limits.max_layers:,} layers",
                                  code="limit")
            self._layer(layer, sequential)
        if not self.input_dims:
            raise self._error(None, "no input shape (an InputLayer, or batch_input_shape on "
                                    "the first layer)")
        if not self.ops:
            raise self._error(None, "the model has no layers")
        name = self.doc["config"].get("name") or os.path.splitext(
            os.path.basename(self.path))[0]
        producer = self.doc.get("keras_version") or self._archive_version()
        return Imported(str(name), self.input_dims, tuple(self._used()), self.path,
                        "Keras", f"Keras {producer}" if producer else "", tuple(self.notes))

    def _archive_version(self) -> str:
        if not self.shown:
            return ""
        try:
            with zipfile.ZipFile(self.path) as archive:
                meta = json.loads(archive.read("metadata.json")[:65536])
            return str(meta.get("keras_version", ""))
        except (KeyError, zipfile.BadZipFile, OSError, ValueError):
            return ""

    def _used(self) -> list[Op]:
        outputs = self.doc["config"].get("output_layers")
        last = self.ops[-1].name
        if isinstance(outputs, list) and outputs:
            first = outputs[0] if isinstance(outputs[0], list) else outputs
            if first and isinstance(first[0], str) and first[0] in self.tensors:
                last = self.tensors[first[0]]
            if len(outputs) > 1 and isinstance(outputs[0], list):
                self.notes.append(f"only the first output ('{first[0]}') is analysed")
        needed = {last}
        for op in reversed(self.ops):
            if op.name in needed:
                needed.update(op.inputs)
        return [op for op in self.ops if op.name in needed]

    # --- inputs -------------------------------------------------------------------------------

    def _shape_of(self, config: dict[str, Any]) -> list[Any] | None:
        for key in ("batch_shape", "batch_input_shape"):
            if isinstance(config.get(key), list):
                return list(config[key])[1:]
        return None

    def _set_input(self, layer: dict[str, Any], sizes: list[Any]) -> None:
        if self.input_dims:
            raise self._error(layer, "a second input; cnncalc analyses networks with one")
        if self.override is not None:
            dims = self.override
        else:
            if not sizes or any(not isinstance(s, int) or s < 1 for s in sizes):
                raise self._error(layer, f"the input shape {sizes} is not fixed; give it with "
                                         f"--input (channels first, e.g. 3x224x224)")
            dims = tuple(sizes) if self.channels_first or len(sizes) == 1 else \
                (sizes[-1], *sizes[:-1])
        self.input_dims = tuple(dims)
        self.channels[INPUT] = self.input_dims[0]
        if len(self.input_dims) == 1:
            self.flat.add(INPUT)

    def _sequential_input(self) -> None:
        config = self.doc["config"]
        shape = self._shape_of(config)
        first = self.layers[0] if self.layers else None
        if shape is None and isinstance(first, dict):
            shape = self._shape_of(first.get("config") or {})
            if shape is None and isinstance(first.get("build_config"), dict):
                built = first["build_config"].get("input_shape")
                shape = list(built)[1:] if isinstance(built, list) else None
        if shape is not None or self.override is not None:
            self._set_input({"name": "input", "class_name": "InputLayer"}, shape or [])

    def _inbound(self, layer: dict[str, Any], sequential: bool) -> list[str]:
        """The cnncalc ops a functional layer reads (Keras 3's keras_history, Keras 2's
        [name, node, tensor, kwargs] lists)."""
        if sequential:
            return [self.ops[-1].name if self.ops else INPUT]
        nodes = layer.get("inbound_nodes") or []
        if not nodes:
            return []
        if len(nodes) > 1:
            raise self._error(layer, "a layer called more than once (shared weights)")
        names: list[str] = []

        def visit(value: Any) -> None:
            if isinstance(value, dict):
                history = (value.get("config") or {}).get("keras_history")
                if isinstance(history, list) and history and isinstance(history[0], str):
                    names.append(history[0])
                    return
                for inner in value.values():
                    visit(inner)
            elif isinstance(value, list):
                if len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int):
                    names.append(value[0])
                    return
                for inner in value:
                    visit(inner)

        node = nodes[0]
        visit(node.get("args", []) if isinstance(node, dict) else node)
        out = []
        for name in names:
            if name not in self.tensors:
                raise self._error(layer, f"reads '{name}', which is not a layer above it")
            out.append(self.tensors[name])
        return out

    # --- layers -------------------------------------------------------------------------------

    def emit(self, layer: dict[str, Any], kind: str, attrs: dict[str, Any],
             inputs: tuple[str, ...], channels: int | None = None, suffix: str = "",
             flat: bool | None = None) -> Op:
        config = layer["config"]
        raw = str(config.get("name") or layer.get("name") or kind)
        op = Op(self.namer.take(raw + suffix, kind), kind, attrs, inputs,
                f"layer '{raw}' ({layer.get('class_name')})", None, None,
                trainable=config.get("trainable", True) is not False)
        self.ops.append(op)
        self.channels[op.name] = channels if channels is not None else \
            self.channels.get(inputs[0], 0)
        if flat or (flat is None and inputs[0] in self.flat):
            self.flat.add(op.name)
        return op

    def _layer(self, layer: dict[str, Any], sequential: bool) -> None:
        cls = str(layer.get("class_name"))
        config = layer["config"]
        name = str(config.get("name") or layer.get("name") or cls)
        if cls == "InputLayer":
            if not (sequential and self.input_dims):  # Sequential's input was read already
                self._set_input(layer, self._shape_of(config) or [])
            self.tensors[name] = INPUT
            return
        if sequential and not self.input_dims:
            shape = self._shape_of(config)
            if shape is None:
                raise self._error(layer, "no input shape before the first layer; give it with "
                                         "--input")
            self._set_input(layer, shape)
        try:
            inputs = self._inbound(layer, sequential)
        except MALFORMED as exc:
            raise self._error(layer, f"malformed inbound nodes ({type(exc).__name__}: "
                                     f"{exc})") from None
        if not inputs:
            raise self._error(layer, "the layer reads nothing")
        if cls in IGNORED:
            self.notes.append(f"{cls} layer '{name}' left out (the identity at inference)")
            self.tensors[name] = inputs[0]
            return
        handler = getattr(self, f"_{_snake(cls)}", None)
        if handler is None:
            raise self._error(layer, f"cnncalc cannot represent Keras's {cls} layer",
                              code="import-unsupported")
        try:
            op = handler(layer, config, tuple(inputs))
        except MALFORMED as exc:
            raise self._error(layer, f"a malformed layer config ({type(exc).__name__}: "
                                     f"{exc})") from None
        self.tensors[name] = op.name if op is not None else inputs[0]

    def _activation_after(self, layer: dict[str, Any], op: Op, activation: Any) -> Op:
        name = activation.get("class_name") if isinstance(activation, dict) else activation
        if name in (None, "linear"):
            return op
        kind = ACTIVATIONS.get(str(name).lower())
        if kind is None:
            raise self._error(layer, f"activation '{name}' has no cnncalc kind",
                              code="import-unsupported")
        return self.emit(layer, kind, {}, (op.name,), suffix=f"_{kind}")

    def _window(self, config: dict[str, Any], key: str, rank: int, default: Any = 1) -> Any:
        value = config.get(key, default)
        if value is None:
            value = default
        values = list(value) if isinstance(value, (list, tuple)) else [value] * rank
        return values[0] if len(set(values)) == 1 else values

    def _padding(self, config: dict[str, Any]) -> Any:
        padding = config.get("padding", "valid")
        if padding == "same":
            return "same_tf"
        if padding == "valid":
            return None
        if padding == "causal":
            return "causal"
        raise ValueError(padding)

    def _rank(self, src: str) -> int:
        return max(len(self.input_dims) - 1, 1)

    def _conv(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...]
              ) -> Op:
        rank = self._rank(inputs[0])
        attrs: dict[str, Any] = {"out": config["filters"],
                                 "kernel": self._window(config, "kernel_size", rank)}
        stride = self._window(config, "strides", rank)
        if stride != 1:
            attrs["stride"] = stride
        padding = self._padding(config)
        if padding == "causal":
            kernel = attrs["kernel"] if isinstance(attrs["kernel"], int) else attrs["kernel"][0]
            dilation = self._window(config, "dilation_rate", rank)
            attrs["padding"] = [[(kernel - 1) * (dilation if isinstance(dilation, int) else 1),
                                 0]]
        elif padding is not None:
            attrs["padding"] = padding
        dilation = self._window(config, "dilation_rate", rank)
        if dilation != 1:
            attrs["dilation"] = dilation
        if config.get("groups", 1) != 1:
            attrs["groups"] = config["groups"]
        if not config.get("use_bias", True):
            attrs["bias"] = False
        op = self.emit(layer, "conv", attrs, inputs, config["filters"])
        return self._activation_after(layer, op, config.get("activation"))

    _conv1_d = _conv2_d = _conv3_d = _conv

    def _depthwise_conv2_d(self, layer: dict[str, Any], config: dict[str, Any],
                           inputs: tuple[str, ...]) -> Op:
        attrs = self._depthwise(config, inputs)
        if not config.get("use_bias", True):
            attrs["bias"] = False
        op = self.emit(layer, "conv", attrs, inputs, attrs["out"])
        return self._activation_after(layer, op, config.get("activation"))

    def _depthwise(self, config: dict[str, Any], inputs: tuple[str, ...]) -> dict[str, Any]:
        """A depthwise convolution's attributes (DepthwiseConv and SeparableConv's first
        half): ``depth_multiplier`` outputs per input channel, the defaults left out."""
        cin = self.channels.get(inputs[0], 0)
        rank = self._rank(inputs[0])
        attrs: dict[str, Any] = {"out": cin * config.get("depth_multiplier", 1),
                                 "kernel": self._window(config, "kernel_size", rank),
                                 "groups": cin}
        stride = self._window(config, "strides", rank)
        if stride != 1:
            attrs["stride"] = stride
        padding = self._padding(config)
        if padding is not None:
            attrs["padding"] = padding
        dilation = self._window(config, "dilation_rate", rank)
        if dilation != 1:
            attrs["dilation"] = dilation
        return attrs

    _depthwise_conv1_d = _depthwise_conv2_d

    def _separable_conv2_d(self, layer: dict[str, Any], config: dict[str, Any],
                           inputs: tuple[str, ...]) -> Op:
        attrs = self._depthwise(config, inputs)
        attrs["bias"] = False  # Keras's separable convolution has one bias, after the pointwise
        depthwise = self.emit(layer, "conv", attrs, inputs, attrs["out"], suffix="_depthwise")
        point: dict[str, Any] = {"out": config["filters"], "kernel": 1}
        if not config.get("use_bias", True):
            point["bias"] = False
        op = self.emit(layer, "conv", point, (depthwise.name,), config["filters"])
        return self._activation_after(layer, op, config.get("activation"))

    _separable_conv1_d = _separable_conv2_d

    def _conv2_d_transpose(self, layer: dict[str, Any], config: dict[str, Any],
                           inputs: tuple[str, ...]) -> Op:
        rank = self._rank(inputs[0])
        kernel = self._window(config, "kernel_size", rank)
        stride = self._window(config, "strides", rank)
        attrs: dict[str, Any] = {"out": config["filters"], "kernel": kernel}
        if stride != 1:
            attrs["stride"] = stride
        if config.get("padding") == "same":
            ks = kernel if isinstance(kernel, list) else [kernel] * rank
            ss = stride if isinstance(stride, list) else [stride] * rank
            pairs = []
            for k, s in zip(ks, ss):
                if k < s:
                    raise self._error(layer, "'same' padding with a kernel smaller than the "
                                             "stride", code="import-unsupported")
                pairs.append([(k - s) // 2, k - s - (k - s) // 2])
            if any(b or a for b, a in pairs):
                attrs["padding"] = pairs
        if not config.get("use_bias", True):
            attrs["bias"] = False
        op = self.emit(layer, "conv_transpose", attrs, inputs, config["filters"])
        return self._activation_after(layer, op, config.get("activation"))

    _conv1_d_transpose = _conv3_d_transpose = _conv2_d_transpose

    def _dense(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...]
               ) -> Op:
        if inputs[0] not in self.flat:
            raise self._error(layer, "a Dense layer on a tensor with spatial axes (cnncalc's "
                                     "linear takes a flat vector: add a Flatten)",
                              code="import-unsupported")
        attrs: dict[str, Any] = {"out": config["units"]}
        if not config.get("use_bias", True):
            attrs["bias"] = False
        op = self.emit(layer, "linear", attrs, inputs, config["units"], flat=True)
        return self._activation_after(layer, op, config.get("activation"))

    def _pool(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...],
              kind: str) -> Op:
        rank = self._rank(inputs[0])
        size = self._window(config, "pool_size", rank, 2)
        strides = config.get("strides")
        stride = size if strides is None else self._window(config, "strides", rank)
        attrs: dict[str, Any] = {"kernel": size}
        if stride != size:
            attrs["stride"] = stride
        if config.get("padding") == "same":
            attrs["padding"] = "same_tf"
        return self.emit(layer, kind, attrs, inputs)

    def _max_pooling2_d(self, layer: dict[str, Any], config: dict[str, Any],
                        inputs: tuple[str, ...]) -> Op:
        return self._pool(layer, config, inputs, "maxpool")

    def _average_pooling2_d(self, layer: dict[str, Any], config: dict[str, Any],
                            inputs: tuple[str, ...]) -> Op:
        if config.get("padding") == "same":
            raise self._error(layer, "average pooling with 'same' padding divides by the "
                                     "window inside the input (count_include_pad false) at "
                                     "unequal pads", code="import-unsupported")
        return self._pool(layer, config, inputs, "avgpool")

    _max_pooling1_d = _max_pooling3_d = _max_pooling2_d
    _average_pooling1_d = _average_pooling3_d = _average_pooling2_d
    _max_pool2_d = _max_pooling2_d
    _avg_pool2_d = _average_pooling2_d

    def _global(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...],
                kind: str) -> Op:
        if config.get("keepdims"):
            return self.emit(layer, kind, {}, inputs)
        pool = self.emit(layer, kind, {}, inputs)
        return self.emit(layer, "flatten", {}, (pool.name,), suffix="_flatten", flat=True)

    def _global_average_pooling2_d(self, layer: dict[str, Any], config: dict[str, Any],
                                   inputs: tuple[str, ...]) -> Op:
        return self._global(layer, config, inputs, "global_avgpool")

    def _global_max_pooling2_d(self, layer: dict[str, Any], config: dict[str, Any],
                               inputs: tuple[str, ...]) -> Op:
        return self._global(layer, config, inputs, "global_maxpool")

    _global_average_pooling1_d = _global_average_pooling3_d = _global_average_pooling2_d
    _global_max_pooling1_d = _global_max_pooling3_d = _global_max_pooling2_d

    def _batch_normalization(self, layer: dict[str, Any], config: dict[str, Any],
                             inputs: tuple[str, ...]) -> Op:
        center, scale = config.get("center", True), config.get("scale", True)
        if center != scale:
            raise self._error(layer, "a batch norm with only one of center and scale (cnncalc's "
                                     "affine is both or neither)", code="import-unsupported")
        attrs: dict[str, Any] = {}
        eps = float(f"{float(config.get('epsilon', 1e-3)):.7g}")
        if eps != 1e-5:
            attrs["eps"] = eps
        if not center:
            attrs["affine"] = False
        return self.emit(layer, "batchnorm", attrs, inputs)

    def _activation(self, layer: dict[str, Any], config: dict[str, Any],
                    inputs: tuple[str, ...]) -> Op | None:
        name = config.get("activation")
        name = name.get("class_name") if isinstance(name, dict) else name
        kind = ACTIVATIONS.get(str(name).lower(), "?")
        if kind == "?":
            raise self._error(layer, f"activation '{name}' has no cnncalc kind",
                              code="import-unsupported")
        if kind is None:
            return None
        return self.emit(layer, kind, {}, inputs)

    def _re_l_u(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...]
                ) -> Op:
        slope = config.get("negative_slope") or 0
        high = config.get("max_value")
        if slope:
            return self.emit(layer, "leaky_relu", {"negative_slope": float(slope)}, inputs)
        if high == 6 or high == 6.0:
            return self.emit(layer, "relu6", {}, inputs)
        if high is not None:
            raise self._error(layer, f"a ReLU capped at {high}", code="import-unsupported")
        return self.emit(layer, "relu", {}, inputs)

    def _leaky_re_l_u(self, layer: dict[str, Any], config: dict[str, Any],
                      inputs: tuple[str, ...]) -> Op:
        slope = config.get("negative_slope", config.get("alpha", 0.3))
        return self.emit(layer, "leaky_relu", {"negative_slope": float(slope)}, inputs)

    def _p_re_l_u(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...]
                  ) -> Op:
        shared = config.get("shared_axes") or []
        if self.channels_first or len(shared) != self._rank(inputs[0]):
            raise self._error(layer, "a PReLU with a slope per position (cnncalc's is shared "
                                     "or per channel: set shared_axes to the spatial axes)",
                              code="import-unsupported")
        return self.emit(layer, "prelu", {"per_channel": True}, inputs)

    def _e_l_u(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...]
               ) -> Op:
        alpha = float(config.get("alpha", 1.0))
        return self.emit(layer, "elu", {} if alpha == 1.0 else {"alpha": alpha}, inputs)

    def _softmax(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...]
                 ) -> Op:
        return self.emit(layer, "softmax", {}, inputs)

    def _dropout(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...]
                 ) -> Op:
        rate = float(config.get("rate", 0.5))
        return self.emit(layer, "dropout", {} if rate == 0.5 else {"p": rate}, inputs)

    _spatial_dropout1_d = _spatial_dropout2_d = _spatial_dropout3_d = _dropout

    def _flatten(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...]
                 ) -> Op:
        return self.emit(layer, "flatten", {}, inputs, flat=True)

    def _reshape(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...]
                 ) -> Op:
        target = config.get("target_shape")
        if isinstance(target, list) and len(target) == 1:
            return self.emit(layer, "flatten", {}, inputs, flat=True)
        raise self._error(layer, f"reshaping to {target} (only flattening to a vector)",
                          code="import-unsupported")

    def _add(self, layer: dict[str, Any], config: dict[str, Any], inputs: tuple[str, ...]
             ) -> Op:
        return self.emit(layer, "add", {}, inputs)

    def _concatenate(self, layer: dict[str, Any], config: dict[str, Any],
                     inputs: tuple[str, ...]) -> Op:
        axis = config.get("axis", -1)
        flat = all(i in self.flat for i in inputs)
        rank = 1 if flat else self._rank(inputs[0]) + 1
        channel_axis = 1 if self.channels_first else rank
        if axis not in (-1, channel_axis) if not self.channels_first else axis not in (1, -rank):
            raise self._error(layer, f"concatenation along axis {axis} (only along the "
                                     f"channels)", code="import-unsupported")
        return self.emit(layer, "concat", {}, inputs,
                         sum(self.channels.get(i, 0) for i in inputs), flat=flat)

    def _zero_padding2_d(self, layer: dict[str, Any], config: dict[str, Any],
                         inputs: tuple[str, ...]) -> Op:
        return self.emit(layer, "pad", {"padding": _pairs(config.get("padding", 1),
                                                           self._rank(inputs[0]))}, inputs)

    _zero_padding1_d = _zero_padding3_d = _zero_padding2_d

    def _cropping2_d(self, layer: dict[str, Any], config: dict[str, Any],
                     inputs: tuple[str, ...]) -> Op:
        return self.emit(layer, "crop", {"border": _pairs(config.get("cropping", 0),
                                                          self._rank(inputs[0]))}, inputs)

    _cropping1_d = _cropping3_d = _cropping2_d

    def _up_sampling2_d(self, layer: dict[str, Any], config: dict[str, Any],
                        inputs: tuple[str, ...]) -> Op:
        attrs: dict[str, Any] = {"scale": self._window(config, "size", self._rank(inputs[0]),
                                                       2)}
        if config.get("interpolation", "nearest") != "nearest":
            attrs["mode"] = "linear" if config["interpolation"] == "bilinear" else \
                config["interpolation"]
        return self.emit(layer, "upsample", attrs, inputs)

    _up_sampling1_d = _up_sampling3_d = _up_sampling2_d


def _snake(name: str) -> str:
    """``DepthwiseConv2D`` → ``depthwise_conv2_d`` (the handler's name)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _pairs(value: Any, rank: int) -> Any:
    """Keras's padding/cropping (an int, a pair per axis or a per-axis int) as a spec value."""
    if isinstance(value, int):
        return value
    pairs = [list(v) if isinstance(v, (list, tuple)) else [v, v] for v in value]
    if len(pairs) == 1 and rank == 1 and isinstance(value[0], int) and len(value) == 2:
        pairs = [list(value)]
    if all(b == a for b, a in pairs):
        sides = [b for b, _ in pairs]
        return sides[0] if len(set(sides)) == 1 else sides
    return pairs
