"""The walk: one pass over the graph in topological order, linear in the number of layers.

Each node's layer computes its output shape and counts from its inputs' shapes; errors raised by
a layer become :class:`SpecError` naming the layer and its place in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cnncalc.analysis.memory import MemoryConfig, plan
from cnncalc.analysis.report import LayerReport, Report, Totals
from cnncalc.analysis.timeline import Replayer
from cnncalc.layers.base import Counts
from cnncalc.model.errors import Diagnostic, LimitError, MergeError, ShapeError, SpecError
from cnncalc.model.gcpause import paused_gc
from cnncalc.model.graph import Graph, Node, silenced
from cnncalc.model.limits import DEFAULT_LIMITS, Limits
from cnncalc.model.rf import IDENTITY_AXIS, MAX_PERIOD, AxisMap, ReceptiveField, union
from cnncalc.model.shape import Shape

RF_MAX_BITS = 128
"""Receptive fields are exact integers. A stride on an axis that has shrunk to one unit (or a
chain of rescalings) doubles the jump at every layer, and exact arithmetic on numbers that grow
by a bit per layer would make the walk quadratic in time and memory. Beyond this many bits (far
past any meaningful field: 2^128 pixels) a layer's receptive field, and those after it, are not
followed (``null``, with an ``rf-untracked`` warning)."""

RF_BUDGET = 1_000_000
"""Receptive fields that repeat with a period of P > 1 units (after upsamplings) cost work in
proportion to P at every layer that is not the identity (about 2.5 µs per unit measured); the
walk stops following them once the periods it has worked through add up to this, so that a deep
stack behind an irregular upsampling stays linear (at most a few seconds). Plain networks
(period 1) never count against it."""


Progress = Callable[[int, int, str], None]
"""``progress(done, total, what)``: told how far a long piece of work has got (the CLI draws a
bar from it; the core draws nothing)."""
PROGRESS_EVERY = 512
"""Layers walked between two calls of a progress function."""


def analyze(graph: Graph, input_shape: Shape | None = None, batch: int | None = None,
            memory: MemoryConfig | None = None, limits: Limits = DEFAULT_LIMITS,
            progress: Progress | None = None) -> Report:
    """Walk ``graph`` for an input shape (default: the spec's) and batch size (default: the
    spec's) and return the finished :class:`Report`, memory included (for ``memory``'s dtype
    and optimizer, default float32 and SGD). Every size, given or computed, must be at most
    ``limits.max_dim``."""
    with paused_gc():
        return _analyze(graph, input_shape, batch, memory, limits, progress)


def _analyze(graph: Graph, input_shape: Shape | None, batch: int | None,
             memory: MemoryConfig | None, limits: Limits, progress: Progress | None) -> Report:
    shape_in = input_shape or graph.input_shape
    if graph.inputs and shape_in != graph.input_shape:
        raise SpecError(f"{graph.name} has several inputs ({', '.join(graph.sources)}); their "
                        f"shapes are the spec's (edit 'inputs' to analyse others)",
                        code="input-shape")
    if graph.input_dependent and shape_in != graph.input_shape:
        raise SpecError(f"{graph.name}'s expressions read layers' input shapes, so its graph "
                        f"holds for input {graph.input_shape} only; build it for {shape_in} "
                        f"(cnncalc.Network.at)", code="input-shape")
    batch = graph.batch if batch is None else batch
    if batch < 1:
        raise SpecError(f"batch must be at least 1, got {batch}", code="type")
    if shape_in.channels < 1 or any(d < 1 for d in shape_in.spatial):
        raise SpecError(f"input shape {shape_in} has a size below 1", code="input-shape")
    if batch > limits.max_dim:
        raise LimitError(limits.exceeded("max_dim", "batch", batch), code="limit")
    if max(shape_in.dims) > limits.max_dim:
        raise LimitError(limits.exceeded("max_dim", f"input {shape_in}: size",
                                         max(shape_in.dims)), code="limit")
    input_size = shape_in.spatial  # receptive fields are in the (first) input's pixels
    sources = graph.sources
    sources[next(iter(sources))] = shape_in
    shapes: dict[str, Shape] = dict(sources)
    fields: dict[str, ReceptiveField | None] = {
        name: ReceptiveField.of_input(shape.rank) for name, shape in sources.items()}
    steps: list[_Step] = []  # per node, what its layer computes
    rfs: list[ReceptiveField | None] = []  # per node, its receptive field
    owners: dict[str, tuple[Node, Counts]] = {}  # layers whose weights others share
    trainable_of: dict[str, bool] = {}  # a layer sharing weights trains as their owner does
    warnings: list[Diagnostic] = []
    # What a layer computes depends only on the layer and its input shapes, and the builder
    # interns equal layers, so deep stacks of identical blocks compute each step once.
    memo: dict[tuple[int, tuple[Shape, ...]], _Step] = {}
    rf_work = 0
    total_nodes = len(graph.nodes)
    for done, node in enumerate(graph.nodes):
        if progress is not None and not done % PROGRESS_EVERY:
            progress(done, total_nodes, node.name)
        inputs = node.inputs
        in_shapes = ((shapes[inputs[0]],) if len(inputs) == 1
                     else tuple(shapes[src] for src in inputs))
        key = (id(node.layer), in_shapes)
        step = memo.get(key)
        if step is None:
            step = memo[key] = _evaluate(node, in_shapes, limits)
        out = step.output_shape
        rf, aligned = _receptive_field(node, in_shapes, step, fields, input_size)
        untracked = ""
        if rf is None:
            if all(fields[src] is not None for src in inputs):
                untracked = (f"their pattern repeats only every more than {MAX_PERIOD} units "
                             f"(many upsamplings with no stride between them)")
        elif rf is not fields[inputs[0]]:  # not passed through unchanged
            rf_work += sum(axis.period for axis in rf.axes if axis.period > 1)
            if rf_work > RF_BUDGET:
                rf, untracked = None, (f"following them has taken more than {RF_BUDGET:,} "
                                       f"steps (long periods after upsamplings, many layers)")
            elif _too_large(rf):
                rf, untracked = None, (f"they need numbers beyond {RF_MAX_BITS} bits (a stride "
                                       f"or rescaling on every layer)")
        if not aligned and not silenced(graph, node, "unaligned-merge"):
            rough = (" (the merged field is described by unit 0 only)"
                     if rf is not None and rf.approximate else "")
            warnings.append(Diagnostic(
                f"{node.kind} '{node.name}' merges paths whose receptive fields are not aligned "
                f"(different jumps or centres: {', '.join(inputs)}){rough}", node.mark,
                "warning", "unaligned-merge", node.name))
        if untracked and not silenced(graph, node, "rf-untracked"):
            warnings.append(Diagnostic(
                f"{node.kind} '{node.name}': receptive fields are not followed from this layer "
                f"on: {untracked}", node.mark, "warning", "rf-untracked", node.name))
        shapes[node.name] = out
        fields[node.name] = rf
        if node.shares is not None and (node.shares in owners or step.counts.params):
            # shared weights: counted (and given gradients and optimizer state) once, at the
            # layer that owns them; this use's MACs and activations are its own
            owner, owned = owners.get(node.shares, (node, Counts()))
            if owned != step.counts:
                shown = ", ".join(map(str, in_shapes))
                raise SpecError(f"{node.kind} '{node.name}' shares the weights of "
                                f"'{node.shares}', but for its input {shown} it would need other "
                                f"ones ({step.counts.params:,} parameters, not "
                                f"{owned.params:,})", node.mark, layer=node.name, code="shape")
            step = replace(step, counts=Counts(),
                           description=f"{step.description} (shares {owner.name})")
            trainable_of[node.name] = owner.trainable
        elif step.counts.params or step.counts.buffers:
            owners[node.name] = (node, step.counts)
        steps.append(step)
        rfs.append(rf)
    config = memory or MemoryConfig()
    mem = plan(graph, shape_in.numel, steps, batch, config)
    frozen = tuple(
        LayerReport(name=node.name, kind=node.kind, description=step.description,
                    inputs=node.inputs, input_shapes=step.input_shapes,
                    output_shape=step.output_shape, weights=step.counts.weights,
                    bias=step.counts.bias, buffers=step.counts.buffers,
                    trainable=trainable_of.get(node.name, node.trainable),
                    macs=step.macs * batch, rf=rf, dropped=step.dropped, mark=node.mark,
                    scope=node.scope, attributes=step.attributes,
                    activation_bytes=activation, live_bytes=live, saved_bytes=saved,
                    reuses_input=reuses)
        for node, step, rf, activation, live, saved, reuses in zip(
            graph.nodes, steps, rfs, mem.activation_bytes, mem.live_bytes, mem.saved_bytes,
            mem.reuses_input))
    replayer = Replayer(graph, tuple(steps), shape_in, config)  # replays when asked
    totals = replace(Totals.of(frozen), memory=replace(mem.totals, replayer=replayer))
    return Report(graph.name, shape_in, batch, shapes[graph.output], frozen, totals,
                  graph.source, tuple(warnings), graph.inputs)


def input_changes_params(report: Report, reference: Report) -> Diagnostic | None:
    """A warning when the network at another input size (``summary --input``) has other
    parameters than at the spec's own input: the first layer whose parameter count changes
    (a linear layer after a flatten), named with both input shapes. PyTorch would refuse to
    load weights trained at the spec's input into it; cnncalc says so instead of quietly
    reporting another network."""
    if report.totals.params == reference.totals.params and all(
            a.params == b.params for a, b in zip(report.layers, reference.layers)):
        return None
    before = {r.name: r for r in reference.layers}
    for r in report.layers:
        old = before.get(r.name)
        if old is None or old.params == r.params:
            continue
        was, now = old.input_shapes[0], r.input_shapes[0]
        reads = (f"{now.numel:,} features instead of {was.numel:,}" if not now.rank
                 else f"{now} ({now.numel:,} values) instead of {was} ({was.numel:,})")
        return Diagnostic(
            f"at input {report.input_shape} the network has {report.totals.params:,} parameters, "
            f"not the {reference.totals.params:,} it has at the spec's input "
            f"{reference.input_shape}: {r.kind} '{r.name}' reads {reads}, so it has "
            f"{r.params:,} parameters instead of {old.params:,}; weights trained at "
            f"{reference.input_shape} would not load",
            r.mark, "warning", "input-changes-params", r.name)
    return None


@dataclass(frozen=True, slots=True)
class _Step:
    """What one layer computes for given input shapes (independent of the batch and of where
    the layer sits in the graph); also what the memory model needs to know of the layer
    (:class:`cnncalc.analysis.memory.LayerFacts`)."""

    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    counts: Counts
    macs: int
    dropped: tuple[int, ...]
    maps: tuple[AxisMap, ...] | None
    description: str
    attributes: tuple[tuple[str, Any], ...]

    @property
    def params(self) -> int:
        return self.counts.params

    @property
    def buffers(self) -> int:
        return self.counts.buffers


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
        if not type(layer).merges() and in_shapes[0].spatial:
            maps = layer.receptive_map(in_shapes, out)
        return _Step(input_shapes=in_shapes, output_shape=out, counts=layer.counts(in_shapes, out),
                     macs=layer.macs(in_shapes, out), dropped=layer.dropped_inputs(in_shapes),
                     maps=maps, description=layer.describe(in_shapes[0].rank),
                     attributes=tuple(layer.set_attributes().items()))
    except MergeError as exc:
        a, b = node.inputs[exc.first], node.inputs[exc.second]
        raise SpecError(f"{node.kind} '{node.name}': inputs do not match: '{a}' gives "
                        f"{in_shapes[exc.first]} but '{b}' gives {in_shapes[exc.second]} "
                        f"({exc.hint})", node.mark, layer=node.name,
                        code="merge-mismatch") from None
    except ShapeError as exc:
        shown = ", ".join(str(s) for s in in_shapes)
        raise SpecError(f"{node.kind} '{node.name}' (input {shown}): {exc}", node.mark,
                        layer=node.name, code="shape") from None


def _too_large(rf: ReceptiveField) -> bool:
    """Whether a field holds a number beyond :data:`RF_MAX_BITS` bits."""
    for axis in rf.axes:
        if axis.shift.bit_length() > RF_MAX_BITS:
            return True
        for value in (*axis.lows, *axis.highs):
            if value is not None and value.bit_length() > RF_MAX_BITS:
                return True
    return False


def _receptive_field(node: Node, in_shapes: tuple[Shape, ...], step: _Step,
                     fields: dict[str, ReceptiveField | None],
                     input_size: tuple[int, ...]) -> tuple[ReceptiveField | None, bool]:
    """The receptive field of ``node``'s output (None when it cannot be followed), and whether
    its merged paths are aligned."""
    out = step.output_shape
    if type(node.layer).merges():
        # An input broadcast over the spatial axes (a squeeze-excitation gate, C×1×1) scales
        # every position alike: the fields follow the full-size inputs (docs/receptive-field.md)
        full = [src for src, x in zip(node.inputs, in_shapes) if x.spatial == out.spatial]
        sources = [fields[src] for src in (full or node.inputs)]
        known = [f for f in sources if f is not None]
        if len(known) < len(sources):
            return None, True
        rf, aligned = union(known, out.spatial)
    else:
        first = fields[node.inputs[0]]
        x = in_shapes[0]
        if first is None:
            return None, True
        if not x.spatial:
            return first, True
        maps = step.maps
        if maps is not None and out.spatial == x.spatial and all(
                m is IDENTITY_AXIS for m in maps):
            return first, True  # activations, normalisation: the same fields, the same coverage
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
