"""Rolling a report up by block: one row per top-level block use or named repeat.

Every layer carries its ``scope``: the enclosing block uses and named repeats as ``(name, what)``
pairs, outermost first (``(("inception_3a", "inception"),)``). :func:`by_block` groups the layers
by the outermost pair; a layer outside every block is a group of its own. A group's row

* adds up what is additive: weights, biases, buffers, MACs (so the totals are unchanged);
* takes what describes the block's result from its **last** layer in execution order: the output
  shape and the receptive field (a VGG stage's output is its pool's, an inception module's its
  concat's), and any other per-layer value;
* reads the tensors that enter the group from outside, named by the rows that produce them (a
  lone layer's inputs are renamed the same way), so the rows form a graph of their own.

A group is placed where its first layer is. Groups are linear to build (one pass, one dict).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cnncalc.analysis.report import LayerReport, Report, Totals


@dataclass(frozen=True)
class BlockGroup:
    """The layers of one top-level block use (or named repeat, or a single layer outside any)."""

    name: str
    what: str
    """The block's name (``inception``), ``repeat``, or the layer's kind for a lone layer."""
    layers: tuple[LayerReport, ...]

    @property
    def is_block(self) -> bool:
        return bool(self.layers[0].scope)

    @property
    def last(self) -> LayerReport:
        return self.layers[-1]


def group_by_block(report: Report) -> list[BlockGroup]:
    """The report's layers grouped by their outermost scope, in order of first appearance."""
    order: list[str] = []
    members: dict[str, list[LayerReport]] = {}
    what: dict[str, str] = {}
    for r in report.layers:
        if r.scope:
            key, kind = r.scope[0]
        else:
            key, kind = r.name, r.kind
        if key not in members:
            order.append(key)
            members[key] = []
            what[key] = kind
        members[key].append(r)
    return [BlockGroup(key, what[key], tuple(members[key])) for key in order]


def by_block(report: Report) -> Report:
    """The report with one row per :class:`BlockGroup` (same totals, input and output)."""
    groups = group_by_block(report)
    row_of: dict[str, str] = {name: name for name, _ in report.sources}
    for g in groups:
        for r in g.layers:
            row_of[r.name] = g.name
    rows: list[LayerReport] = []
    for g in groups:
        if not g.is_block:
            r = g.last
            rows.append(dataclasses.replace(r, inputs=tuple(row_of[s] for s in r.inputs)))
            continue
        inside = {r.name for r in g.layers}
        inputs: list[str] = []
        shapes = []
        for r in g.layers:
            for src, shape in zip(r.inputs, r.input_shapes):
                if src not in inside and row_of[src] not in inputs:
                    inputs.append(row_of[src])
                    shapes.append(shape)
        count = len(g.layers)
        rows.append(dataclasses.replace(
            g.last,
            name=g.name,
            kind=g.what,
            description=f"{g.what} · {count} layer{'s' if count != 1 else ''}",
            inputs=tuple(inputs),
            input_shapes=tuple(shapes),
            weights=sum(r.weights for r in g.layers),
            bias=sum(r.bias for r in g.layers),
            buffers=sum(r.buffers for r in g.layers),
            # A row is trainable when all its layers are (the JSON "blocks" have exact counts).
            trainable=all(r.trainable for r in g.layers),
            macs=sum(r.macs for r in g.layers),
            # Memory: what the block keeps for backward adds up; the memory in use while it
            # runs peaks at its busiest layer; its output is its last layer's.
            saved_bytes=sum(r.saved_bytes for r in g.layers),
            live_bytes=max(r.live_bytes for r in g.layers),
            mark=g.layers[0].mark,
            scope=(),
            attributes=(),
        ))
    frozen = tuple(rows)
    # Totals of the original layers: a partly frozen block would otherwise move its trainable
    # parameters into non-trainable.
    return dataclasses.replace(report, layers=frozen, totals=report.totals)


@dataclass(frozen=True)
class Tree:
    """A report rolled up to a depth (``summary --depth N``, torchinfo's tree): its rows, how
    deep each row is (0 at the top), and which rows are the headers of expanded blocks."""

    report: Report
    depth: dict[str, int]
    headers: frozenset[str]


def by_depth(report: Report, depth: int) -> Tree:
    """The report as a tree cut at ``depth`` (1: one row per top-level block use, named
    repeat or lone layer, as :func:`by_block`). A block or repeat nested deeper than ``depth``
    is one row with its totals (additive counts summed, output and other values from its last
    layer); one at a depth above is a header row (its kind, its output, no counts and no
    inputs), with its contents under it, one level deeper. So the figures of every row still
    add up to the network's totals. One pass over the layers; a row is placed where its first
    layer is."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    order: list[str] = []
    members: dict[str, list[LayerReport]] = {}
    what: dict[str, str] = {}
    level: dict[str, int] = {}
    headers: set[str] = set()
    for r in report.layers:
        opened = r.scope[:depth - 1]
        for j, (name, kind) in enumerate(opened):  # the expanded blocks around the layer
            if name not in members:
                order.append(name)
                members[name], what[name], level[name] = [], kind, j
                headers.add(name)
            members[name].append(r)
        if len(r.scope) >= depth:
            key, kind = r.scope[depth - 1]
        else:
            key, kind = r.name, r.kind
        if key not in members:
            order.append(key)
            members[key], what[key], level[key] = [], kind, len(opened)
        members[key].append(r)
    row_of: dict[str, str] = {name: name for name, _ in report.sources}  # layer → its row
    for key in order:
        if key not in headers:
            for r in members[key]:
                row_of[r.name] = key
    rows: list[LayerReport] = []
    for key in order:
        group = members[key]
        if key not in headers and len(group) == 1 and group[0].name == key:
            r = group[0]
            rows.append(dataclasses.replace(r, inputs=tuple(row_of[s] for s in r.inputs)))
            continue
        count = len(group)
        last = group[-1]
        summed = key not in headers
        inside = {r.name for r in group}
        inputs: list[str] = []
        shapes = []
        for r in group:
            for src, shape in zip(r.inputs, r.input_shapes):
                if src not in inside and row_of[src] not in inputs:
                    inputs.append(row_of[src])
                    shapes.append(shape)
        if not summed:  # a header reads nothing itself: the rows under it do
            inputs, shapes = [], []
        rows.append(dataclasses.replace(
            last, name=key, kind=what[key], inputs=tuple(inputs), input_shapes=tuple(shapes),
            description=f"{what[key]} · {count} layer{'s' if count != 1 else ''}",
            weights=sum(r.weights for r in group) if summed else 0,
            bias=sum(r.bias for r in group) if summed else 0,
            buffers=sum(r.buffers for r in group) if summed else 0,
            trainable=all(r.trainable for r in group),
            macs=sum(r.macs for r in group) if summed else 0,
            saved_bytes=sum(r.saved_bytes for r in group) if summed else 0,
            live_bytes=max(r.live_bytes for r in group) if summed else 0,
            activation_bytes=last.activation_bytes if summed else 0,
            mark=group[0].mark, scope=(), attributes=()))
    rolled = dataclasses.replace(report, layers=tuple(rows), totals=report.totals)
    return Tree(rolled, level, frozenset(headers))


def tree_dicts(tree: Tree) -> list[dict[str, object]]:
    """The rows of ``summary --depth N --format json`` (``"tree"``): name, depth, whether it
    heads an expanded block (then its counts are its rows'), and the row's figures."""
    return [{
        "name": r.name,
        "depth": tree.depth.get(r.name, 0),
        "expanded": r.name in tree.headers,
        "kind": r.kind,
        "description": r.description,
        "output_shape": r.output_shape.to_list(),
        "params": r.params,
        "frozen_params": r.frozen_params,
        "buffers": r.buffers,
        "macs": r.macs,
    } for r in tree.report.layers]


def block_dicts(report: Report) -> list[dict[str, object]]:
    """The groups as JSON objects (``summary --by block --format json`` adds them as
    ``"blocks"``): name, what, the layer names, output shape and the additive counts."""
    out: list[dict[str, object]] = []
    for g in group_by_block(report):
        totals = Totals.of(g.layers)
        out.append({
            "name": g.name,
            "what": g.what,
            "layers": [r.name for r in g.layers],
            "output_shape": g.last.output_shape.to_list(),
            "params": totals.params,
            "trainable_params": totals.trainable_params,
            "non_trainable": totals.non_trainable,
            "macs": totals.macs,
            "flops": totals.flops,
            "activation_bytes": g.last.activation_bytes,
            "live_bytes": max(r.live_bytes for r in g.layers),
            "saved_bytes": sum(r.saved_bytes for r in g.layers),
        })
    return out

