"""The summary table's columns, rows and footer as strings, shared by the text, rich and markdown
renderers.

A :class:`Column` turns a finished :class:`LayerReport` into a cell and the whole
:class:`Report` into its total. Commands choose which columns to show (``DEFAULT_COLUMNS`` plus
whatever their options add) and pass them to a renderer in a :class:`View`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cnncalc.analysis.report import CONVENTIONS, LayerReport, Report
from cnncalc.render import fmt
from cnncalc.render.fmt import Fit, fit


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: its header, how to show a layer, and the total row's cell."""

    header: str
    cell: Callable[[Report, LayerReport], str]
    total: Callable[[Report], str] = lambda report: ""
    numeric: bool = False
    cut: str = ""
    """How the column gives up room when the table is too wide (render/fmt.py): ``"first"``
    (Kind) or ``"last"``; numbers and shapes are never cut."""
    optional: bool = False
    """Dropped when the table does not fit (after ``cut="first"`` columns are cut)."""
    style: str | None = None
    names: bool = False
    """The column holds layer names: shortened in the middle, and kept distinct."""

    @property
    def fit(self) -> Fit:
        return Fit(cut=self.cut, optional=self.optional, names=self.names)


LAYER = Column("Layer", lambda rep, r: r.name, lambda rep: "Total", style="bold", names=True)
KIND = Column("Kind", lambda rep, r: r.description,
              lambda rep: f"{len(rep.layers)} layers", cut="first", style="cyan")
OUTPUT = Column("Output", lambda rep, r: fmt.shape(r.output_shape),
                lambda rep: fmt.shape(rep.output_shape), style="green")
def _params_cell(report: Report, r: LayerReport) -> str:
    """The layer's parameters; ``frozen 9,408`` for a layer written ``trainable: false``."""
    return f"frozen {fmt.group(r.params)}" if r.params and not r.trainable else fmt.count(r.params)


PARAMS = Column("Params", _params_cell, lambda rep: fmt.group(rep.totals.params), numeric=True,
                style="magenta")
PARAMS_SHARE = Column("%P", lambda rep, r: fmt.percent(r.params, rep.totals.params),
                      lambda rep: "100%" if rep.totals.params else "", numeric=True,
                      optional=True, style="dim magenta")
MACS = Column("MACs", lambda rep, r: fmt.count(r.macs), lambda rep: fmt.group(rep.totals.macs),
              numeric=True, style="yellow")
MACS_SHARE = Column("%M", lambda rep, r: fmt.percent(r.macs, rep.totals.macs),
                    lambda rep: "100%" if rep.totals.macs else "", numeric=True, optional=True,
                    style="dim yellow")

DEFAULT_COLUMNS: tuple[Column, ...] = (LAYER, KIND, OUTPUT, PARAMS, PARAMS_SHARE, MACS, MACS_SHARE)

_PREVIOUS: dict[int, dict[str, str]] = {}
"""id(report) → each row's previous row name (computed once per report)."""


def _connected(report: Report, r: LayerReport) -> str:
    """The rows a layer reads (Keras's "Connected to"), blank when it reads just the row
    above it; ``input`` is the network's input."""
    previous = _PREVIOUS.get(id(report))
    if previous is None:
        if len(_PREVIOUS) > 8:
            _PREVIOUS.clear()
        previous, last = {}, "input"
        for x in report.layers:
            previous[x.name] = last
            if x.inputs:  # a tree's header row reads nothing: the row above its first child
                last = x.name
        _PREVIOUS[id(report)] = previous
    if r.inputs == (previous.get(r.name),):
        return ""
    return ", ".join(r.inputs)


CONNECTED = Column("Connected to", _connected, cut="first", style="dim")
"""``summary --connections``: what each row reads, where it is not the row above."""
CONNECTED_NOTE = ("Connected to = the rows a layer reads, left blank where it reads just the row "
                  "above")


@dataclass(frozen=True, slots=True)
class View:
    """What a summary shows: the columns, per-layer explanation lines, and extra footer lines
    (after the totals, before the conventions)."""

    columns: tuple[Column, ...] = DEFAULT_COLUMNS
    explanations: Mapping[str, Sequence[str]] | None = None
    footer: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Extra convention lines (e.g. the memory model's assumptions)."""
    counts: bool = True
    """Print the parameter/MAC totals and their conventions (off for tables about something
    else, such as ``cnncalc rf``)."""
    depth: Mapping[str, int] | None = None
    """A tree (``summary --depth N``): each row's depth, shown as indentation of its name."""
    headers: frozenset[str] = frozenset()
    """Rows that head an expanded block in a tree: their name and kind only."""


@dataclass(frozen=True, slots=True)
class Row:
    """One layer's cells, and its explanation lines under it."""

    cells: tuple[str, ...]
    explain: tuple[str, ...] = ()


def header_row(view: View) -> tuple[str, ...]:
    return tuple(c.header for c in view.columns)


def layer_rows(report: Report, view: View) -> list[Row]:
    rows = []
    for r in report.layers:
        if r.name in view.headers:  # a tree's expanded block: its contents carry the figures
            shown = (KIND.cell, OUTPUT.cell)
            cells = tuple(c.cell(report, r) if c.names or c.cell in shown else ""
                          for c in view.columns)
        else:
            cells = tuple(c.cell(report, r) for c in view.columns)
        if view.depth and view.depth.get(r.name):
            indent = "  " * view.depth[r.name]
            cells = tuple(indent + cell if c.names else cell
                          for c, cell in zip(view.columns, cells))
        explain = tuple(view.explanations.get(r.name, ())) if view.explanations else ()
        rows.append(Row(cells, explain))
    return rows


def total_row(report: Report, view: View) -> tuple[str, ...]:
    return tuple(c.total(report) for c in view.columns)


def footer_lines(report: Report, view: View | None = None) -> list[str]:
    """Totals spelled out (printed under every table)."""
    t = report.totals
    given = (f"Inputs {', '.join(f'{n} {s}' for n, s in report.inputs)}" if report.inputs
             else f"Input {report.input_shape}")
    if view is not None and not view.counts:
        return [f"{given}, batch {report.batch} → output {report.output_shape}", *view.footer]
    lines = [
        f"{given}, batch {report.batch} → output {report.output_shape}",
        f"Params: {fmt.group(t.params)} ({fmt.si(t.params)}) = {fmt.group(t.weights)} weights + "
        f"{fmt.group(t.bias)} biases = {fmt.group(t.trainable_params)} trainable + "
        f"{fmt.group(t.frozen_params)} frozen",
        *([f"Buffers: {fmt.group(t.buffers)} (batch-norm running statistics, not params) · "
           f"Keras's \"Total params\": {fmt.group(t.keras_total_params)}"]
          if t.buffers else []),
        f"MACs: {fmt.group(t.macs)} ({fmt.si(t.macs)}) · FLOPs: {fmt.group(t.flops)} "
        f"({fmt.si(t.flops)})" + (f" for batch {report.batch}" if report.batch != 1 else ""),
    ]
    if view is not None:
        lines += view.footer
    return lines


def convention_lines(view: View | None = None) -> list[str]:
    counts = list(CONVENTIONS.values()) if view is None or view.counts else []
    texts = [*counts, *(view.notes if view else ())]
    return [f"* {text}." for text in texts]


def warning_lines(report: Report) -> list[str]:
    """Each warning's headline, then its notes (the block uses that led to it)."""
    lines = []
    for d in report.warnings:
        lines.append(d.headline())
        lines += [f"      note: {note}" for note in d.all_notes]
    return lines


def fit_rows(view: View, table: list[tuple[str, ...]], width: int,
             gap: int = 2) -> tuple[list[int], list[list[str]]]:
    """Column widths (0 for a dropped column) and the cells fitted to them, by the one rule of
    render/fmt.py: names stay distinct; figures make room first. ``table`` is the header row,
    the layer rows, then the total row."""
    return fit([c.fit for c in view.columns], table, width, gap)


def block_columns(layer_count: int, columns: tuple[Column, ...] = DEFAULT_COLUMNS,
                  header: str = "Block") -> tuple[Column, ...]:
    """``columns`` for rolled-up rows (``--by block``, ``--depth``): the name column is headed
    ``header`` and the total row still counts the network's layers (``layer_count``), not the
    rows."""
    block = Column(header, LAYER.cell, LAYER.total, style=LAYER.style, names=True)
    kind = Column(KIND.header, KIND.cell, lambda rep: f"{layer_count} layers", cut=KIND.cut,
                  style=KIND.style)
    swap = {id(LAYER): block, id(KIND): kind}
    return tuple(swap.get(id(c), c) for c in columns)
