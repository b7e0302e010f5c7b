"""Input sweeps: one network analysed at many input sizes (``cnncalc summary SPEC --sweep-input
128:512:32``) — "which input sizes does this network accept cleanly?".

Each size is walked like ``--input`` would (the spec's channels, the size on every spatial axis,
or a per-axis size) and gives a :class:`SweepRow`: the finished report, or the error that stops
the walk (a merge whose inputs no longer match, a kernel larger than its input), the layers whose
stride floors away input pixels, and whether the parameter count differs from the spec's own input
(a flatten before a linear layer: a trained model's weights would not fit). Renderers pick what to
show from the rows (:mod:`cnncalc.render.sweep`), so a new column — memory, once the memory model
lands — needs no change here: each row keeps its whole :class:`~cnncalc.analysis.report.Report`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cnncalc.analysis.report import Report
from cnncalc.analysis.walk import Progress, analyze
from cnncalc.model.errors import SpecError
from cnncalc.model.graph import Graph, silenced
from cnncalc.model.shape import Shape

MAX_SIZES = 10_000
"""More sizes than this is a typo (a step forgotten in ``1:100000``), not a question."""


@dataclass(frozen=True)
class SweepError:
    """Why a size fails: the diagnostic's code (``merge-mismatch``, ``shape``), the layer it
    names and the message without the location."""

    code: str | None
    layer: str | None
    message: str

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "layer": self.layer, "message": self.message}


@dataclass(frozen=True)
class SweepRow:
    """The network at one input size."""

    input_shape: Shape
    report: Report | None
    error: SweepError | None = None
    dropped: tuple[tuple[str, tuple[int, ...]], ...] = ()
    """(layer name, input pixels dropped per axis) for every layer whose stride drops some."""
    params_differ: bool = False
    """The parameter count differs from the one at the spec's input shape."""

    @property
    def ok(self) -> bool:
        return self.report is not None

    @property
    def clean(self) -> bool:
        """Accepted, with every pixel used by every layer."""
        return self.ok and not self.dropped

    @property
    def merge_mismatch(self) -> bool:
        return self.error is not None and self.error.code == "merge-mismatch"


@dataclass(frozen=True)
class Sweep:
    """A network analysed at several input sizes; ``reference_params`` is the parameter count at
    the spec's own input (``None`` if that input fails)."""

    name: str
    source: str | None
    spec_input: Shape
    batch: int
    reference_params: int | None
    rows: tuple[SweepRow, ...]

    @property
    def clean_sizes(self) -> tuple[Shape, ...]:
        return tuple(r.input_shape for r in self.rows if r.clean)


def _shape_for(graph: Graph, size: tuple[int, ...]) -> Shape:
    rank = graph.input_shape.rank
    if rank == 0:
        raise SpecError(f"the spec's input {graph.input_shape} has no spatial axes to sweep")
    if len(size) == 1:
        size = size * rank
    if len(size) != rank:
        raise SpecError(f"size {'x'.join(map(str, size))} has {len(size)} axes but the spec's "
                        f"input {graph.input_shape} has {rank}")
    return graph.input_shape.with_spatial(size)


def sweep_input(graph: Graph, sizes: Iterable[int | tuple[int, ...]],
                batch: int | None = None, progress: Progress | None = None,
                graph_for: Callable[[Shape], Graph] | None = None) -> Sweep:
    """Analyse ``graph`` at every input size (an int for every spatial axis, or one per axis);
    ``progress(done, total, size)`` is told after each size. ``graph_for`` builds the graph for
    an input, for specs whose expressions read a layer's input shape
    (:attr:`Graph.input_dependent`)."""
    try:
        reference: int | None = analyze(graph, None, batch).totals.params
    except SpecError:
        reference = None
    quiet = {node.name for node in graph.nodes if silenced(graph, node, "dropped-pixels")}
    rows: list[SweepRow] = []
    sizes = list(sizes)
    for done, size in enumerate(sizes):
        if progress is not None:
            progress(done, len(sizes), str(size))
        shape = _shape_for(graph, (size,) if isinstance(size, int) else tuple(size))
        try:
            at = graph_for(shape) if graph_for is not None else graph
            report = analyze(at, shape, batch)
        except SpecError as exc:
            diag = exc.diagnostics[0]
            rows.append(SweepRow(shape, None, SweepError(diag.code, diag.layer, diag.message)))
            continue
        # The same verdict as `check`'s dropped-pixels warning: the layers' own answer (which
        # leaves out windows that skip pixels by design) for layers the spec does not silence.
        dropped = tuple((r.name, r.dropped) for r in report.layers
                        if any(r.dropped) and r.name not in quiet)
        differ = reference is not None and report.totals.params != reference
        rows.append(SweepRow(shape, report, None, dropped, differ))
    batch_used = graph.batch if batch is None else batch
    return Sweep(graph.name, graph.source, graph.input_shape, batch_used, reference, tuple(rows))
