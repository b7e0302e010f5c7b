"""The walk: one pass over the graph in topological order, linear in the number of layers.

Each node's layer computes its output shape and counts from its inputs' shapes; errors raised by
a layer become :class:`SpecError` naming the layer and its place in the file.
"""

from __future__ import annotations

from cnncalc.core.errors import Diagnostic, MergeError, ShapeError, SpecError
from cnncalc.core.graph import INPUT, Graph, Node, silenced
from cnncalc.core.report import LayerReport, Report, Totals
from cnncalc.core.rf import ReceptiveField, union
from cnncalc.core.shape import Shape


def analyze(graph: Graph, input_shape: Shape | None = None, batch: int | None = None) -> Report:
    """Walk ``graph`` for an input shape (default: the spec's) and batch size (default: the
    spec's) and return the finished :class:`Report`."""
    shape_in = input_shape or graph.input_shape
    batch = graph.batch if batch is None else batch
    if batch < 1:
        raise SpecError(f"batch must be at least 1, got {batch}", code="type")
    if shape_in.channels < 1 or any(d < 1 for d in shape_in.spatial):
        raise SpecError(f"input shape {shape_in} has a size below 1", code="input-shape")
    input_size = shape_in.spatial
    shapes: dict[str, Shape] = {INPUT: shape_in}
    fields: dict[str, ReceptiveField] = {INPUT: ReceptiveField.of_input(shape_in.rank)}
    layers: list[LayerReport] = []
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
            warnings.append(Diagnostic(
                f"{node.kind} '{node.name}' merges paths whose receptive fields are not aligned "
                f"(different jumps or centres: {', '.join(node.inputs)})", node.mark, "warning",
                "unaligned-merge", node.name))
        shapes[node.name] = out
        fields[node.name] = rf
        layers.append(LayerReport(
            name=node.name, kind=node.kind, description=layer.describe(), inputs=node.inputs,
            input_shapes=in_shapes, output_shape=out, weights=counts.weights, bias=counts.bias,
            buffers=counts.buffers, trainable=node.trainable, macs=macs, rf=rf, dropped=dropped,
            mark=node.mark, scope=node.scope,
            attributes=tuple(layer.set_attributes().items())))
    frozen = tuple(layers)
    return Report(graph.name, shape_in, batch, shapes[graph.output], frozen, Totals.of(frozen),
                  graph.source, tuple(warnings))


def _receptive_field(node: Node, in_shapes: tuple[Shape, ...], out: Shape,
                     fields: dict[str, ReceptiveField],
                     input_size: tuple[int, ...]) -> tuple[ReceptiveField, bool]:
    """The receptive field of ``node``'s output, and whether its merged paths are aligned."""
    sources = [fields[src] for src in node.inputs]
    if type(node.layer).max_inputs is None:
        return union(sources)
    rf = sources[0]
    x = in_shapes[0]
    if not x.spatial:
        return rf, True
    maps = node.layer.receptive_map(in_shapes, out)
    if maps is None:
        return rf.whole(x.spatial, input_size), True
    if len(maps) != len(rf.size):
        return rf.whole(x.spatial, input_size), True
    return rf.through(maps, input_size), True


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
