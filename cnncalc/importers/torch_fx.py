"""The fallback when ``torch.export`` cannot trace a module (data-dependent control flow it
refuses, an unsupported operator): ``torch.fx`` traces it module by module, and each leaf
module and function call is written as the ATen call it stands for, so the one mapper in
:mod:`cnncalc.importers.torch_module` reads both."""

from __future__ import annotations

import operator
from typing import Any

from cnncalc.importers.ir import import_error
from cnncalc.importers.torch_module import AtenGraph, Node, Ref


def fx_graph(source: str, model: Any, sample: Any, export_error: Exception) -> AtenGraph:
    import torch
    import torch.nn.functional as F
    from torch.fx.passes.shape_prop import ShapeProp

    try:
        traced = torch.fx.symbolic_trace(model)
        ShapeProp(traced).propagate(sample)
    except Exception as exc:  # the user's module: both tracers' failures are reported
        raise import_error(f"neither torch.export ({type(export_error).__name__}: "
                           f"{str(export_error)[:200]}) nor torch.fx ({type(exc).__name__}: "
                           f"{str(exc)[:200]}) can trace the module", source) from None
    params: dict[str, tuple[int, ...]] = {}
    names: dict[str, str] = {}
    nodes: list[Node] = []
    functions: dict[Any, str] = {
        torch.cat: "cat.default", operator.add: "add.Tensor", torch.add: "add.Tensor",
        operator.mul: "mul.Tensor", torch.mul: "mul.Tensor",
        F.relu: "relu.default", torch.relu: "relu.default", torch.flatten: "flatten.using_ints",
        F.pad: "pad.default", torch.sigmoid: "sigmoid.default", torch.tanh: "tanh.default",
        F.max_pool2d: "max_pool2d.default", F.avg_pool2d: "avg_pool2d.default",
        F.adaptive_avg_pool2d: "adaptive_avg_pool2d.default", F.dropout: "dropout.default",
    }
    input_name, output = "", ""
    input_shape: tuple[int, ...] = ()
    for node in traced.graph.nodes:
        meta = node.meta.get("tensor_meta")
        shape = tuple(int(d) for d in meta.shape) if hasattr(meta, "shape") else None
        if node.op == "placeholder":
            input_name, input_shape = node.name, shape or ()
        elif node.op == "output":
            first = node.args[0]
            output = getattr(first, "name", "")
        elif node.op == "call_module":
            module = traced.get_submodule(node.target)
            nodes.append(_module_node(node, module, shape, params, names))
        elif node.op == "call_function":
            target = functions.get(node.target)
            if target is None:
                nodes.append(Node(node.name, getattr(node.target, "__name__", "?"), {}, shape))
                continue
            args = _function_args(target, node)
            nodes.append(Node(node.name, target, args, shape))
        elif node.op == "call_method" and node.target in ("view", "reshape", "flatten",
                                                          "contiguous", "size"):
            target = {"view": "view.default", "reshape": "view.default",
                      "flatten": "flatten.using_ints", "contiguous": "contiguous.default",
                      "size": "sym_size.int"}[node.target]
            args = {"self": _ref(node.args[0])}
            if node.target == "flatten":
                args["start_dim"] = node.args[1] if len(node.args) > 1 else 0
            nodes.append(Node(node.name, target, args, shape))
        else:
            nodes.append(Node(node.name, f"{node.op}:{node.target}", {}, shape))
    return AtenGraph(nodes, input_name, input_shape, params, names, set(), output,
                     f"torch {torch.__version__}, torch.fx (torch.export failed: "
                     f"{type(export_error).__name__})")


def _ref(value: Any) -> Any:
    if hasattr(value, "op") and hasattr(value, "name"):
        return Ref(value.name)
    if isinstance(value, (list, tuple)):
        return [_ref(v) for v in value]
    return value


def _function_args(target: str, node: Any) -> dict[str, Any]:
    args = [_ref(a) for a in node.args]
    kwargs = {k: _ref(v) for k, v in node.kwargs.items()}
    if target == "cat.default":
        return {"tensors": args[0], "dim": args[1] if len(args) > 1 else kwargs.get("dim", 0)}
    if target in ("add.Tensor", "mul.Tensor"):
        return {"self": args[0], "other": args[1]}
    if target == "flatten.using_ints":
        return {"self": args[0], "start_dim": args[1] if len(args) > 1 else
                kwargs.get("start_dim", 0), "end_dim": kwargs.get("end_dim", -1)}
    if target == "pad.default":
        return {"self": args[0], "pad": args[1], "mode": kwargs.get("mode", "constant"),
                "value": kwargs.get("value")}
    if target == "dropout.default":
        return {"input": args[0], "p": kwargs.get("p", args[1] if len(args) > 1 else 0.5)}
    keys = {"max_pool2d.default": ["self", "kernel_size", "stride", "padding", "dilation",
                                   "ceil_mode"],
            "avg_pool2d.default": ["self", "kernel_size", "stride", "padding", "ceil_mode",
                                   "count_include_pad"],
            "adaptive_avg_pool2d.default": ["self", "output_size"]}.get(target, ["self"])
    out = dict(zip(keys, args))
    out.update(kwargs)
    return out


def _module_node(node: Any, module: Any, shape: tuple[int, ...] | None,
                 params: dict[str, tuple[int, ...]], names: dict[str, str]) -> Node:
    import torch.nn as nn

    x = _ref(node.args[0]) if node.args else None
    path = str(node.target)
    kind = f"{type(module).__module__}.{type(module).__qualname__}"

    def weight(attr: str) -> Any:
        tensor = getattr(module, attr, None)
        if tensor is None:
            return None
        key = f"{path}.{attr}"
        params[key] = tuple(int(d) for d in tensor.shape)
        names[key] = key
        return Ref(key)

    def make(target: str, **args: Any) -> Node:
        return Node(node.name, target, args, shape, path, kind)

    if isinstance(module, nn.modules.conv._ConvNd):
        base = dict(input=x, weight=weight("weight"), bias=weight("bias"),
                    stride=list(module.stride), padding=module.padding if isinstance(
                        module.padding, str) else list(module.padding),
                    dilation=list(module.dilation), groups=module.groups)
        if module.transposed:
            return make("conv_transpose2d.input", output_padding=list(module.output_padding),
                        **base)
        return make("conv2d.default", **base)
    if isinstance(module, nn.Linear):
        return make("linear.default", input=x, weight=weight("weight"), bias=weight("bias"))
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return make("batch_norm.default", input=x, weight=weight("weight"),
                    bias=weight("bias"), eps=module.eps, training=False)
    if isinstance(module, nn.LocalResponseNorm):
        return make("fx_lrn", input=x, size=module.size, alpha=module.alpha, beta=module.beta,
                    k=module.k)
    if isinstance(module, nn.GroupNorm):
        return make("group_norm.default", input=x, num_groups=module.num_groups,
                    weight=weight("weight"), bias=weight("bias"), eps=module.eps)
    if isinstance(module, nn.modules.instancenorm._InstanceNorm):
        return make("instance_norm.default", input=x, weight=weight("weight"),
                    bias=weight("bias"), running_mean=weight("running_mean"),
                    use_input_stats=not module.track_running_stats, eps=module.eps)
    if type(module) is nn.LayerNorm:  # a subclass may normalise other axes (LayerNorm2d)
        return make("layer_norm.default", input=x,
                    normalized_shape=list(module.normalized_shape), weight=weight("weight"),
                    bias=weight("bias"), eps=module.eps)
    if isinstance(module, nn.PixelShuffle):
        return make("pixel_shuffle.default", self=x, upscale_factor=module.upscale_factor)
    if isinstance(module, nn.PixelUnshuffle):
        return make("pixel_unshuffle.default", self=x, downscale_factor=module.downscale_factor)
    if isinstance(module, nn.ChannelShuffle):
        return make("channel_shuffle.default", self=x, groups=module.groups)
    simple = {nn.ReLU: "relu.default", nn.Sigmoid: "sigmoid.default", nn.Tanh: "tanh.default",
              nn.SiLU: "silu.default", nn.Hardswish: "hardswish.default",
              nn.Hardsigmoid: "hardsigmoid.default", nn.Mish: "mish.default",
              nn.Identity: "clone.default"}
    for cls, target in simple.items():
        if isinstance(module, cls):
            return make(target, self=x)
    if isinstance(module, nn.ReLU6):
        return make("hardtanh.default", self=x, min_val=0.0, max_val=6.0)
    if isinstance(module, nn.LeakyReLU):
        return make("leaky_relu.default", self=x, negative_slope=module.negative_slope)
    if isinstance(module, nn.modules.pooling._MaxPoolNd):
        return make("max_pool2d.default", self=x, kernel_size=module.kernel_size,
                    stride=module.stride, padding=module.padding, dilation=module.dilation,
                    ceil_mode=module.ceil_mode)
    if isinstance(module, nn.modules.pooling._AvgPoolNd) and hasattr(module, "kernel_size"):
        return make("avg_pool2d.default", self=x, kernel_size=module.kernel_size,
                    stride=module.stride, padding=module.padding, ceil_mode=module.ceil_mode,
                    count_include_pad=module.count_include_pad)
    if isinstance(module, nn.modules.pooling._AdaptiveAvgPoolNd):
        size = module.output_size
        return make("adaptive_avg_pool2d.default", self=x,
                    output_size=list(size) if isinstance(size, tuple) else [size])
    if isinstance(module, nn.Flatten):
        return make("flatten.using_ints", self=x, start_dim=module.start_dim,
                    end_dim=module.end_dim)
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return make("dropout.default", input=x, p=module.p)
    if isinstance(module, nn.Softmax):
        return make("softmax.int", self=x, dim=module.dim)
    return make(f"module:{type(module).__qualname__}")
