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

