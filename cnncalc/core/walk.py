"""The walk: one pass over the graph in topological order, linear in the number of layers.

Each node's layer computes its output shape and counts from its inputs' shapes; errors raised by
a layer become :class:`SpecError` naming the layer and its place in the file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cnncalc.core.errors import Diagnostic, MergeError, ShapeError, SpecError
from cnncalc.core.graph import INPUT, Graph, Node, silenced
from cnncalc.core.memory import LayerFacts, MemoryConfig, plan
from cnncalc.core.report import LayerReport, Report, Totals
from cnncalc.core.rf import MAX_PERIOD, ReceptiveField, union
from cnncalc.core.shape import Shape


def analyze(graph: Graph, input_shape: Shape | None = None, batch: int | None = None,
            memory: MemoryConfig | None = None) -> Report:
    """Walk ``graph`` for an input shape (default: the spec's) and batch size (default: the
    spec's) and return the finished :class:`Report`, memory included (for ``memory``'s dtype
    and optimizer, default float32 and SGD)."""
    shape_in = input_shape or graph.input_shape
    batch = graph.batch if batch is None else batch
    if batch < 1:
        raise SpecError(f"batch must be at least 1, got {batch}", code="type")
    if shape_in.channels < 1 or any(d < 1 for d in shape_in.spatial):
        raise SpecError(f"input shape {shape_in} has a size below 1", code="input-shape")
    input_size = shape_in.spatial
    shapes: dict[str, Shape] = {INPUT: shape_in}
    fields: dict[str, ReceptiveField | None] = {
        INPUT: ReceptiveField.of_input(shape_in.rank)}
    drafts: list[dict[str, Any]] = []
    facts: list[LayerFacts] = []
    warnings: list[Diagnostic] = []
    for node in graph.nodes:
        in_shapes = tuple(shapes[src] for src in node.inputs)
        layer = node.layer
        try:
            out = layer.infer(in_shapes)
            counts = layer.counts(in_shapes, out)
            macs = layer.macs(in_shapes, out) * batch
            dropped = layer.dropped_inputs(in_shapes)
            rf, aligned = _receptive_field(node, in_shapes, out, fields, input_size)
        except MergeError as exc:
            a, b = node.inputs[exc.first], node.inputs[exc.second]
            raise SpecError(f"{node.kind} '{node.name}': inputs do not match: '{a}' gives "
                            f"{in_shapes[exc.first]} but '{b}' gives {in_shapes[exc.second]} "
                            f"({exc})", node.mark, layer=node.name, code="merge-mismatch") from None
        except ShapeError as exc:
            shown = ", ".join(str(s) for s in in_shapes)
            raise SpecError(f"{node.kind} '{node.name}' (input {shown}): {exc}", node.mark,
                            layer=node.name, code="shape") from None
        if not aligned and not silenced(graph, node, "unaligned-merge"):
            rough = (" (the merged field is described by unit 0 only)"
                     if rf is not None and rf.approximate else "")
            warnings.append(Diagnostic(
                f"{node.kind} '{node.name}' merges paths whose receptive fields are not aligned "
                f"(different jumps or centres: {', '.join(node.inputs)}){rough}", node.mark,
                "warning", "unaligned-merge", node.name))
        if (rf is None and all(fields[src] is not None for src in node.inputs)
                and not silenced(graph, node, "rf-untracked")):
            warnings.append(Diagnostic(
                f"{node.kind} '{node.name}': receptive fields are not followed from this layer "
                f"on: their pattern repeats only every more than {MAX_PERIOD} units (many "
                f"upsamplings with no stride between them)", node.mark, "warning",
                "rf-untracked", node.name))
        shapes[node.name] = out
        fields[node.name] = rf
        drafts.append(dict(
            name=node.name, kind=node.kind, description=layer.describe(), inputs=node.inputs,
            input_shapes=in_shapes, output_shape=out, weights=counts.weights, bias=counts.bias,
            buffers=counts.buffers, trainable=node.trainable, macs=macs, rf=rf, dropped=dropped,
            mark=node.mark, scope=node.scope,
            attributes=tuple(layer.set_attributes().items())))
        facts.append(LayerFacts(in_shapes, out, counts.params, counts.buffers,
                                counts.params if node.trainable else 0))
    per_layer, mem = plan(graph, shape_in.numel, facts, batch, memory or MemoryConfig())
    frozen = tuple(LayerReport(**d, activation_bytes=m.activation_bytes, live_bytes=m.live_bytes,
                               saved_bytes=m.saved_bytes, reuses_input=m.reuses_input)
                   for d, m in zip(drafts, per_layer))
    totals = replace(Totals.of(frozen), memory=mem)
    return Report(graph.name, shape_in, batch, shapes[graph.output], frozen, totals,
                  graph.source, tuple(warnings))


def _receptive_field(node: Node, in_shapes: tuple[Shape, ...], out: Shape,
                     fields: dict[str, ReceptiveField | None],
                     input_size: tuple[int, ...]) -> tuple[ReceptiveField | None, bool]:
    """The receptive field of ``node``'s output (None when it cannot be followed), and whether
    its merged paths are aligned."""
    sources = [fields[src] for src in node.inputs]
    if type(node.layer).max_inputs is None:
        known = [f for f in sources if f is not None]
        if len(known) < len(sources):
            return None, True
        rf, aligned = union(known, out.spatial)
    else:
        first = sources[0]
        x = in_shapes[0]
        if first is None:
            return None, True
        if not x.spatial:
            return first, True
        maps = node.layer.receptive_map(in_shapes, out)
        if maps is None or len(maps) != len(first.axes):
            rf = first.whole(x.spatial)
        else:
            rf = first.through(maps)
        aligned = True
    if rf is None:
        return None, aligned
    return rf.with_coverage(input_size, out.spatial), aligned


def explain(graph: Graph, report: Report) -> dict[str, tuple[str, ...]]:
    """Per layer, its formulas with the numbers substituted (``summary --explain``)."""
    layers = {node.name: node.layer for node in graph.nodes}
    out: dict[str, tuple[str, ...]] = {}
    for r in report.layers:
        lines = list(layers[r.name].explain(r.input_shapes, r.output_shape))
        if report.batch != 1 and r.macs:
            lines.append(f"MACs for batch {report.batch}: × {report.batch} = {r.macs:,}")
        out[r.name] = tuple(lines)
    return out
