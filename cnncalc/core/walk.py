"""The walk: one pass over the graph in topological order, linear in the number of layers.

Each node's layer computes its output shape and counts from its inputs' shapes; errors raised by
a layer become :class:`SpecError` naming the layer and its place in the file.
"""

from __future__ import annotations

from typing import Any

from cnncalc.core.errors import Diagnostic, LimitError, MergeError, ShapeError, SpecError
from cnncalc.core.gcpause import paused_gc
from cnncalc.core.graph import INPUT, Graph, Node
from cnncalc.core.layer import Counts
from cnncalc.core.limits import DEFAULT_LIMITS, Limits
from cnncalc.core.report import LayerReport, Report, Totals
from cnncalc.core.rf import AxisMap, ReceptiveField, union
from cnncalc.core.shape import Shape

RF_MAX_BITS = 128
"""Receptive fields are exact: integers, or fractions after upsampling and transposed convolutions.
A chain of rescalings that never cancel (upsample to 7, conv to 6, upsample to 7, ...) makes their
numerators and denominators grow with every layer, and exact arithmetic on them would make the
walk quadratic. Beyond this many bits (far past any meaningful field: 2^128 pixels) a layer's
receptive field, and those of the layers after it, are reported as unknown (``null``)."""


def analyze(graph: Graph, input_shape: Shape | None = None, batch: int | None = None,
            limits: Limits = DEFAULT_LIMITS) -> Report:
    """Walk ``graph`` for an input shape (default: the spec's) and batch size (default: the
    spec's) and return the finished :class:`Report`. Every size, given or computed, must be at
    most ``limits.max_dim``."""
    with paused_gc():
        return _analyze(graph, input_shape, batch, limits)


def _analyze(graph: Graph, input_shape: Shape | None, batch: int | None,
             limits: Limits) -> Report:
    shape_in = input_shape or graph.input_shape
    batch = graph.batch if batch is None else batch
    if batch < 1:
        raise SpecError(f"batch must be at least 1, got {batch}")
    if shape_in.channels < 1 or any(d < 1 for d in shape_in.spatial):
        raise SpecError(f"input shape {shape_in} has a size below 1")
    max_dim = limits.max_dim
    if batch > max_dim:
        raise LimitError(limits.exceeded("max_dim", "batch", batch), code="limit")
    if max(shape_in.dims) > max_dim:
        raise LimitError(limits.exceeded("max_dim", f"input {shape_in}: size",
                                         max(shape_in.dims)), code="limit")
    input_size = shape_in.spatial
    shapes: dict[str, Shape] = {INPUT: shape_in}
    fields: dict[str, ReceptiveField | None] = {INPUT: ReceptiveField.of_input(shape_in.rank)}
    layers: list[LayerReport] = []
    warnings: list[Diagnostic] = []
    # What a layer computes depends only on the layer and its input shapes, and the builder
    # interns equal layers, so deep stacks of identical blocks compute each step once.
    memo: dict[tuple[int, tuple[Shape, ...]], _Step] = {}
    for node in graph.nodes:
        inputs = node.inputs
        in_shapes = ((shapes[inputs[0]],) if len(inputs) == 1
                     else tuple(shapes[src] for src in inputs))
        layer = node.layer
        key = (id(layer), in_shapes)
        step = memo.get(key)
        if step is None:
            step = memo[key] = _evaluate(node, in_shapes, limits)
        out = step.output
        rf, aligned = _receptive_field(node, in_shapes, step, fields, input_size)
        if rf is not None and _too_precise(rf):
            rf = None
            warnings.append(Diagnostic(
                f"receptive fields from {node.kind} '{node.name}' on are not tracked: they "
                f"need numbers beyond {RF_MAX_BITS} bits (rescalings that never cancel)",
                node.mark, "warning", "rf-untracked", node.name))
        if not aligned:
            warnings.append(Diagnostic(
                f"{node.kind} '{node.name}' merges paths whose receptive fields are not aligned "
                f"(different jumps or centres: {', '.join(node.inputs)})", node.mark, "warning",
                "unaligned-merge", node.name))
        shapes[node.name] = out
        fields[node.name] = rf
        counts = step.counts
        layers.append(LayerReport(
            name=node.name, kind=node.kind, description=step.description, inputs=inputs,
            input_shapes=in_shapes, output_shape=out, weights=counts.weights, bias=counts.bias,
            buffers=counts.buffers, trainable=node.trainable, macs=step.macs * batch, rf=rf,
            dropped=step.dropped, mark=node.mark, scope=node.scope, attributes=step.attributes))
    frozen = tuple(layers)
    return Report(graph.name, shape_in, batch, shapes[graph.output], frozen, Totals.of(frozen),
                  graph.source, tuple(warnings))


class _Step:
    """What one layer computes for given input shapes (independent of the batch and of where
    the layer sits in the graph)."""

    __slots__ = ("attributes", "counts", "description", "dropped", "macs", "maps", "output")

    def __init__(self, output: Shape, counts: Counts, macs: int, dropped: tuple[int, ...],
                 maps: tuple[AxisMap, ...] | None, description: str,
                 attributes: tuple[tuple[str, Any], ...]) -> None:
        self.output = output
        self.counts = counts
        self.macs = macs
        self.dropped = dropped
        self.maps = maps
        self.description = description
        self.attributes = attributes


def _evaluate(node: Node, in_shapes: tuple[Shape, ...], limits: Limits) -> _Step:
    """Run the layer's rules; errors become located SpecErrors naming the layer."""
    layer = node.layer
    try:
        out = layer.infer(in_shapes)
        max_dim = limits.max_dim
        if out.channels > max_dim or (out.spatial and max(out.spatial) > max_dim):
            raise LimitError(limits.exceeded(
                "max_dim", f"{node.kind} '{node.name}' gives {out}, whose size",
                max(out.dims)), node.mark, layer=node.name, code="limit")
        maps = None
        if type(layer).max_inputs is not None and in_shapes[0].spatial:
            maps = layer.receptive_map(in_shapes, out)
        return _Step(out, layer.counts(in_shapes, out), layer.macs(in_shapes, out),
                     layer.dropped_inputs(in_shapes), maps, layer.describe(),
                     tuple(layer.set_attributes().items()))
    except MergeError as exc:
        a, b = node.inputs[exc.first], node.inputs[exc.second]
        raise SpecError(f"{node.kind} '{node.name}': inputs do not match: '{a}' gives "
                        f"{in_shapes[exc.first]} but '{b}' gives {in_shapes[exc.second]} "
                        f"({exc})", node.mark, layer=node.name, code="merge-mismatch") from None
    except ShapeError as exc:
        shown = ", ".join(str(s) for s in in_shapes)
        raise SpecError(f"{node.kind} '{node.name}' (input {shown}): {exc}", node.mark,
                        layer=node.name, code="shape") from None


def _too_precise(rf: ReceptiveField) -> bool:
    for values in (rf.size, rf.jump, rf.start):
        for v in values:
            if type(v) is int:
                if v.bit_length() > RF_MAX_BITS:
                    return True
            elif (v.numerator.bit_length() > RF_MAX_BITS
                  or v.denominator.bit_length() > RF_MAX_BITS):
                return True
    return False


def _receptive_field(node: Node, in_shapes: tuple[Shape, ...], step: _Step,
                     fields: dict[str, ReceptiveField | None],
                     input_size: tuple[int, ...]) -> tuple[ReceptiveField | None, bool]:
    """The receptive field of ``node``'s output (None when an input's is not tracked), and
    whether its merged paths are aligned."""
    inputs = node.inputs
    if len(inputs) == 1:
        rf = fields[inputs[0]]
        if rf is None:
            return None, True
    else:
        sources = [fields[src] for src in inputs]
        if any(s is None for s in sources):
            return None, True
        known: list[ReceptiveField] = sources  # type: ignore[assignment]
        if type(node.layer).max_inputs is None:
            return union(known)
        rf = known[0]
    x = in_shapes[0]
    if not x.spatial:
        return rf, True
    maps = step.maps
    if maps is None or len(maps) != len(rf.size):
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
