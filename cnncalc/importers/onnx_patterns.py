"""Patterns in ONNX graphs that are one cnncalc layer: ``If`` nodes whose condition is known
(inlined), the local response normalisation that old exporters write as Mul, Pad, AveragePool,
Mul, Add, Pow and Div, and SiLU written as ``x * sigmoid(x)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cnncalc.importers.onnx_static import NotStatic, as_written, attributes

if TYPE_CHECKING:
    from cnncalc.importers.onnx_file import _Reader

def prepare(r: _Reader) -> None:
    """Make the graph's shapes known: repeatedly infer shapes, inline every ``If`` whose
    condition is now known, and replace static inputs of activation nodes (a pad vector
    computed from shapes) by their values, until nothing changes."""
    for _ in range(MAX_ROUNDS):
        r.infer_shapes()
        r.static.refresh()
        if not (_inline_known_ifs(r) | _fold_static_inputs(r)):
            return
    r.infer_shapes()


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
    for index, node in enumerate(r.graph.node):
        if node.op_type == "Div" and all(n in dyn for n in node.input[:2]):
            _lrn(r, node, index, dyn, producer)
        elif node.op_type == "Mul" and len(node.input) == 2:
            _silu(r, node, index, producer)


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
