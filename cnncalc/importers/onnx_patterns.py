"""Patterns in ONNX graphs that are one cnncalc layer: ``If`` nodes whose condition is known
(inlined), the local response normalisation that old exporters write as Mul, Pad, AveragePool,
Mul, Add, Pow and Div, SiLU written as ``x * sigmoid(x)`` and Mish as ``x * tanh(softplus(x))``,
layer norm over the channels (Transpose, LayerNormalization, Transpose), group norm (Reshape,
InstanceNormalization, Reshape, Mul, Add), and channel shuffle and pixel (un)shuffle (Reshape,
Transpose, Reshape)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cnncalc.importers.onnx_static import NotStatic, as_written, attributes

if TYPE_CHECKING:
    from cnncalc.importers.onnx_file import _Reader

def prepare(r: _Reader) -> None:
    """Make the graph's shapes known: repeatedly infer shapes, inline every ``If`` whose
    condition is now known, and replace static inputs of activation nodes (a pad vector
    computed from shapes) by their values, until nothing changes."""
    _positive_perms(r)
    for _ in range(MAX_ROUNDS):
        r.infer_shapes()
        r.static.refresh()
        if not (_inline_known_ifs(r) | _fold_static_inputs(r)):
            return
    r.infer_shapes()


def _positive_perms(r: _Reader) -> None:
    """PyTorch's legacy exporter writes ``movedim(-1, 1)`` as a Transpose with a negative axis
    in ``perm`` ([0, -1, 1, 2]), which ONNX shape inference misreads: make every axis positive."""
    import onnx

    fixed: set[str] = set()
    for node in r.graph.node:
        if node.op_type != "Transpose":
            continue
        for attr in node.attribute:
            if attr.name == "perm" and any(p < 0 for p in attr.ints):
                perm = [p % len(attr.ints) for p in attr.ints]
                attr.CopyFrom(onnx.helper.make_attribute("perm", perm))
                fixed.update(node.output)
    for value in (*r.graph.value_info, *r.graph.output):  # the exporter's own misreading
        if value.name in fixed:
            value.type.tensor_type.ClearField("shape")


MAX_ROUNDS = 1000
"""Rounds of shape inference (each makes more shapes known; a pad computed from the shape of
an earlier padded activation needs one round per level)."""


def _fold_static_inputs(r: _Reader) -> bool:
    import onnx
    from onnx import numpy_helper

    dyn = _dynamic(r)
    graph = r.graph
    changed = False
    for node in graph.node:
        if node.op_type in ("Shape", "Size", "If") or not any(n in dyn for n in node.input):
            continue
        for i, name in enumerate(node.input):
            if not name or name in dyn or name in r.static.initializers:
                continue
            producer = r.static.producers.get(name)
            if producer is None or producer[0].op_type == "Constant":
                continue
            try:
                value = r.static.evaluate(name)
            except (NotStatic, ValueError, TypeError, IndexError, KeyError, ZeroDivisionError):
                continue
            folded = f"{name}#value"
            if folded not in r.static.initializers:
                tensor = numpy_helper.from_array(value, folded)
                graph.initializer.append(tensor)
                r.static.initializers[folded] = tensor
            node.input[i] = folded
            changed = True
    del onnx
    return changed


def _inline_known_ifs(r: _Reader) -> bool:
    """Replace every ``If`` whose condition is static by the nodes of the branch it takes."""
    graph = r.graph
    changed = False
    index = 0
    while index < len(graph.node):
        node = graph.node[index]
        if node.op_type != "If":
            index += 1
            continue
        try:
            cond = bool(r.static.evaluate(node.input[0]).reshape(-1)[0])
        except (NotStatic, ValueError, IndexError, TypeError):
            index += 1
            continue
        branch = attributes(node)["then_branch" if cond else "else_branch"]
        new_nodes = _inlined(node, branch)
        nodes = list(graph.node)
        del graph.node[:]
        graph.node.extend([*nodes[:index], *new_nodes, *nodes[index + 1:]])
        graph.initializer.extend(branch.initializer)
        r.static.initializers.update({t.name: t for t in branch.initializer})
        r.static.refresh()
        index += len(new_nodes)
        changed = True
    return changed


def _inlined(node: Any, branch: Any) -> list[Any]:
    import onnx

    rename = {out.name: target for out, target in zip(branch.output, node.output)}
    local: dict[str, str] = {}
    produced = {o for n in branch.node for o in n.output}
    out_nodes = []
    for sub in branch.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(sub)
        del copy.input[:]
        copy.input.extend(local.get(name, name) for name in sub.input)
        del copy.output[:]
        for name in sub.output:
            new = rename.get(name, f"{node.name}/{name}")
            local[name] = new
            copy.output.append(new)
        copy.name = f"{node.name}/{sub.name}"
        out_nodes.append(copy)
    for out, target in zip(branch.output, node.output):
        if out.name not in produced:
            out_nodes.append(onnx.helper.make_node("Identity", [local.get(out.name, out.name)],
                                                   [target], name=f"{node.name}/{target}"))
    return out_nodes


def _dynamic(r: _Reader) -> set[str]:
    """Tensors that depend on the data input (shapes of activations do not)."""
    dyn = {r.data_input}
    for node in r.graph.node:
        if node.op_type in ("Shape", "Size"):
            continue
        if any(n in dyn for n in node.input if n):
            dyn.update(node.output)
    return dyn


def find_patterns(r: _Reader) -> None:
    dyn = _dynamic(r)
    producer = {out: (node, i) for i, node in enumerate(r.graph.node) for out in node.output}
    consumers: dict[str, list[tuple[Any, int]]] = {}  # the nodes that read a tensor's values
    for i, node in enumerate(r.graph.node):
        if node.op_type in ("Shape", "Size"):
            continue
        for name in node.input:
            consumers.setdefault(name, []).append((node, i))
    for index, node in enumerate(r.graph.node):
        if index in r.skip or index in r.special:
            continue
        if node.op_type == "Div" and all(n in dyn for n in node.input[:2]):
            _lrn(r, node, index, dyn, producer)
        elif node.op_type == "Mul" and len(node.input) == 2:
            _silu(r, node, index, producer)
            _mish(r, node, index, producer)
        elif node.op_type == "LayerNormalization":
            _channel_layernorm(r, node, index, producer, consumers)
        elif node.op_type == "InstanceNormalization":
            _groupnorm(r, node, index, dyn, producer, consumers)
        elif node.op_type == "Transpose":
            _rearrangement(r, node, index, producer, consumers)
        elif node.op_type == "Gather":
            _strided_copy(r, node, index, dyn, producer)


def _strided_copy(r: _Reader, node: Any, index: int, dyn: set[str],
                  producer: dict[str, tuple[Any, int]]) -> None:
    """An activation flattened to one axis, then every element gathered back in order into
    its own shape: the default exporter's ``as_strided`` that changes nothing (ConvNeXt's
    channels-last view of a 1×1 map). The identity."""
    flat = _made_by(r, node.input[0], producer, "Reshape")
    if flat is None or node.input[1] in dyn or attributes(node).get("axis", 0) != 0:
        return
    x = flat[0].input[0]
    shape, out = r.shape(x), r.shape(node.output[0])
    if shape is None or out != shape or r.shape(node.input[0]) != (math.prod(shape),):
        return
    try:
        indices = [int(i) for i in r.static.evaluate(node.input[1]).reshape(-1)]
    except (NotStatic, ValueError, TypeError, IndexError, KeyError):
        # the indices were left out with the weights: in order wherever one axis alone has
        # more than one element (a view that moves size-1 axes is all such an export makes)
        indices = list(range(math.prod(shape))) if sum(d > 1 for d in shape) <= 1 else []
    if indices != list(range(math.prod(shape))):
        return
    r.skip.add(flat[1])
    r.special[index] = lambda: r.alias(node, index, x)


def _only(r: _Reader, name: str, consumers: dict[str, list[tuple[Any, int]]],
          op_type: str) -> tuple[Any, int] | None:
    """The one node reading ``name``, when it is of ``op_type`` (and ``name`` is not an output
    of the graph)."""
    readers = consumers.get(name, [])
    if len(readers) != 1 or readers[0][0].op_type != op_type or \
            any(o.name == name for o in r.graph.output):
        return None
    return readers[0]


def _made_by(r: _Reader, name: str, producer: dict[str, tuple[Any, int]],
             op_type: str) -> tuple[Any, int] | None:
    """The node of ``op_type`` that makes ``name``, when nothing else reads its values."""
    found = producer.get(name)
    if found is None or found[0].op_type != op_type or _value_users(r, name) != 1:
        return None
    return found


def _mish(r: _Reader, node: Any, index: int, producer: dict[str, tuple[Any, int]]) -> None:
    """``x * tanh(softplus(x))``: Mish as the legacy exporter writes it."""
    if index in r.special:
        return
    for x, t in (node.input, reversed(node.input)):
        tanh = _made_by(r, t, producer, "Tanh")
        softplus = _made_by(r, tanh[0].input[0], producer, "Softplus") if tanh else None
        if tanh and softplus and softplus[0].input[0] == x:
            r.skip.update((tanh[1], softplus[1]))
            r.special[index] = _mish_emitter(r, node, index, x)
            return


def _mish_emitter(r: _Reader, node: Any, index: int, x: str) -> Callable[[], object]:
    return lambda: r.emit(node, index, "mish", {}, (r.src(x, node, index),))


def _channel_layernorm(r: _Reader, node: Any, index: int, producer: dict[str, tuple[Any, int]],
                       consumers: dict[str, list[tuple[Any, int]]]) -> None:
    """Channels last, LayerNormalization over the last axis, channels first again: a layer
    norm over the channels at every position (ConvNeXt's LayerNorm2d)."""
    before = _made_by(r, node.input[0], producer, "Transpose")
    after = _only(r, node.output[0], consumers, "Transpose")
    shape = r.shape(node.input[0])
    if before is None or after is None or shape is None:
        return
    rank = len(shape)
    last = [0, *range(2, rank), 1]
    first = [0, rank - 1, *range(1, rank - 1)]
    axis = attributes(node).get("axis", -1) % rank
    if list(attributes(before[0]).get("perm", [])) != last or axis != rank - 1 or \
            list(attributes(after[0]).get("perm", [])) != first:
        return
    r.skip.update((before[1], after[1]))
    out = after[0].output[0]
    x = before[0].input[0]
    r.special[index] = lambda: _layernorm_emit(r, node, index, x, out)


def _layernorm_emit(r: _Reader, node: Any, index: int, x: str, out: str) -> None:
    from cnncalc.importers.onnx_file import layernorm_attrs

    attrs, params = layernorm_attrs(r, node, index)
    r.emit(node, index, "layernorm", attrs, (r.src(x, node, index),), output=out, params=params)


def _groupnorm(r: _Reader, node: Any, index: int, dyn: set[str],
               producer: dict[str, tuple[Any, int]],
               consumers: dict[str, list[tuple[Any, int]]]) -> None:
    """PyTorch's group norm as both exporters write it: the channels reshaped to
    ``N × groups × rest``, an instance norm without learnt scale, the shape restored, then
    ``* weight + bias`` per channel when it is affine."""
    before = _made_by(r, node.input[0], producer, "Reshape")
    after = _only(r, node.output[0], consumers, "Reshape")
    if before is None or after is None:
        return
    x = before[0].input[0]
    shape, grouped = r.shape(x), r.shape(node.input[0])
    if shape is None or grouped is None or len(shape) < 3 or len(grouped) != 3 or \
            r.shape(after[0].output[0]) != shape or grouped[0] != shape[0] or \
            shape[1] % grouped[1] or any(n in dyn for n in node.input[1:]):
        return
    chain = [before[1], after[1]]
    out = after[0].output[0]
    params = 0
    for op_type in ("Mul", "Add"):
        step = _only(r, out, consumers, op_type)
        if step is None:
            break
        const = [n for n in step[0].input if n != out]
        size = math.prod(r.shape(const[0]) or (0,)) if len(const) == 1 else 0
        if len(const) != 1 or const[0] in dyn or size not in (1, shape[1]):
            break
        chain.append(step[1])  # without affine, the legacy exporter multiplies by 1, adds 0
        if size == shape[1] and _learnt_gamma(r, step[0], const[0]):
            params += shape[1]
        out = step[0].output[0]
    if params not in (0, 2 * shape[1]):
        return
    a = attributes(node)
    attrs: dict[str, Any] = {"groups": grouped[1]}
    eps = as_written(a.get("epsilon", 1e-5))
    if eps != 1e-5:
        attrs["eps"] = eps
    if not params:
        attrs["affine"] = False
    r.skip.update(chain)
    r.special[index] = lambda: r.emit(node, index, "groupnorm", attrs,
                                      (r.src(x, node, index),), output=out, params=params)


def _learnt_gamma(r: _Reader, node: Any, name: str) -> bool:
    """Whether a group norm's per-channel scale or shift is learnt: the default exporter says
    which module arguments it computed the node from (a weight is a ``%p_`` parameter; a norm
    without affine has ``None`` there and the exporter writes ones and zeros)."""
    from cnncalc.importers.onnx_file import learnt

    return learnt(r, node, name, 2)


def _rearrangement(r: _Reader, node: Any, index: int, producer: dict[str, tuple[Any, int]],
                   consumers: dict[str, list[tuple[Any, int]]]) -> None:
    """Reshape, Transpose, Reshape: PyTorch's channel shuffle (``N×g×C/g×…``, groups swapped),
    pixel unshuffle (``N×C×H/r×r×W/r×r`` to ``N×C·r²×H/r×W/r``) or pixel shuffle (the
    inverse)."""
    before = _made_by(r, node.input[0], producer, "Reshape")
    after = _only(r, node.output[0], consumers, "Reshape")
    if before is None or after is None:
        return
    x = before[0].input[0]
    shape, mid, out = r.shape(x), r.shape(node.input[0]), r.shape(after[0].output[0])
    if shape is None or mid is None or out is None:
        return
    perm = [p % len(mid) for p in attributes(node).get("perm", [])]
    found = _rearranged(shape, mid, perm, out)
    if found is None:
        return
    kind, attrs = found
    r.skip.update((before[1], after[1]))
    target = after[0].output[0]
    r.special[index] = lambda: r.emit(node, index, kind, attrs, (r.src(x, node, index),),
                                      output=target)


def _rearranged(shape: tuple[int, ...], mid: tuple[int, ...], perm: list[int],
                out: tuple[int, ...]) -> tuple[str, dict[str, Any]] | None:
    rank = len(shape)
    if len(mid) == rank + 1 and out == shape and mid[0] == shape[0] and \
            mid[1] * mid[2] == shape[1] and mid[3:] == shape[2:] and \
            perm == [0, 2, 1, *range(3, rank + 1)]:
        return "channel_shuffle", {"groups": mid[1]}
    if rank != 4 or len(mid) != 6:
        return None
    n, c, h, w = shape
    factor = mid[3]
    if perm == [0, 1, 3, 5, 2, 4] and factor > 0 and \
            mid == (n, c, h // factor, factor, w // factor, factor) and \
            out == (n, c * factor * factor, h // factor, w // factor):
        return "pixel_unshuffle", {"factor": factor}
    factor = mid[2]
    if perm == [0, 1, 4, 2, 5, 3] and factor > 0 and mid == (n, c // factor ** 2, factor,
                                                              factor, h, w) and \
            out == (n, c // factor ** 2, h * factor, w * factor):
        return "pixel_shuffle", {"factor": factor}
    return None


def _silu(r: _Reader, node: Any, index: int, producer: dict[str, tuple[Any, int]]) -> None:
    for x, s in (node.input, reversed(node.input)):
        found = producer.get(s)
        if found and found[0].op_type == "Sigmoid" and found[0].input[0] == x and \
                r.users.get(s) == 1:
            r.skip.add(found[1])
            r.special[index] = _silu_emitter(r, node, index, x)
            return


def _silu_emitter(r: _Reader, node: Any, index: int, x: str) -> Callable[[], object]:
    return lambda: r.emit(node, index, "silu", {}, (r.src(x, node, index),))


_CHAIN = {"Mul", "Add", "Div", "Pow", "Pad", "AveragePool", "Reshape", "Squeeze", "Unsqueeze",
          "Transpose", "Identity", "Cast"}


def _lrn(r: _Reader, div: Any, index: int, dyn: set[str],
         producer: dict[str, tuple[Any, int]]) -> None:
    """``x / (k + alpha * avgpool_channels(x²))^beta`` → lrn."""
    x, denominator = div.input[0], div.input[1]
    chain: list[int] = []
    size = None
    alpha, k, beta = 1.0, 0.0, None
    cur = denominator
    for _ in range(64):
        found = producer.get(cur)
        if found is None or _value_users(r, cur) != 1:
            return
        node, i = found
        if node.op_type not in _CHAIN:
            return
        chain.append(i)
        dynamic = [n for n in node.input if n in dyn]
        static = [n for n in node.input if n and n not in dyn]
        squares = node.op_type == "Mul" and dynamic == [x, x]
        if squares or (node.op_type == "Pow" and dynamic == [x] and static
                       and _const(r, static[0]) == 2.0):
            break
        if len(dynamic) != 1:
            return
        try:
            if node.op_type == "Pow" and beta is None and static:
                beta = _const(r, static[0])
            elif node.op_type == "Mul" and static:
                alpha *= _const(r, static[0])
            elif node.op_type == "Div" and static:
                alpha /= _const(r, static[0])
            elif node.op_type == "Add" and static:
                k += _const(r, static[0])
        except (NotStatic, ValueError, IndexError):
            return
        if node.op_type == "AveragePool":
                size = int(attributes(node)["kernel_shape"][0])
        cur = dynamic[0]
    else:
        return
    if size is None or beta is None:
        return
    r.skip.update(chain)
    attrs: dict[str, Any] = {"size": size}
    for key, value, default in (("alpha", alpha, 1e-4), ("beta", beta, 0.75), ("k", k, 1.0)):
        if as_written(value) != default:
            attrs[key] = as_written(value)
    r.special[index] = lambda: r.emit(div, index, "lrn", attrs, (r.src(x, div, index),))


def _value_users(r: _Reader, name: str) -> int:
    """Nodes that read the values of ``name`` (not only its shape)."""
    return sum(1 for node in r.graph.node if node.op_type not in ("Shape", "Size")
               for n in node.input if n == name)


def _const(r: _Reader, name: str) -> float:
    return float(r.static.evaluate(name).reshape(-1)[0])
