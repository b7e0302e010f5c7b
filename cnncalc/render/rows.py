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


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: its header, how to show a layer, and the total row's cell."""

    header: str
    cell: Callable[[Report, LayerReport], str]
    total: Callable[[Report], str] = lambda report: ""
    numeric: bool = False
    shrinkable: bool = False
    """Layer and Kind may be cut with an ellipsis to fit the terminal; numbers never are."""
    optional: bool = False
    """Dropped (before anything is cut) when the table does not fit."""
    style: str | None = None


LAYER = Column("Layer", lambda rep, r: r.name, lambda rep: "Total", shrinkable=True, style="bold")
KIND = Column("Kind", lambda rep, r: r.description,
              lambda rep: f"{len(rep.layers)} layers", shrinkable=True, style="cyan")
OUTPUT = Column("Output", lambda rep, r: fmt.shape(r.output_shape),
                lambda rep: fmt.shape(rep.output_shape), style="green")
PARAMS = Column("Params", lambda rep, r: fmt.count(r.params),
                lambda rep: fmt.group(rep.totals.params), numeric=True, style="magenta")
PARAMS_SHARE = Column("%P", lambda rep, r: fmt.percent(r.params, rep.totals.params),
                      lambda rep: "100%" if rep.totals.params else "", numeric=True,
                      optional=True, style="dim magenta")
MACS = Column("MACs", lambda rep, r: fmt.count(r.macs), lambda rep: fmt.group(rep.totals.macs),
              numeric=True, style="yellow")
MACS_SHARE = Column("%M", lambda rep, r: fmt.percent(r.macs, rep.totals.macs),
                    lambda rep: "100%" if rep.totals.macs else "", numeric=True, optional=True,
                    style="dim yellow")

DEFAULT_COLUMNS: tuple[Column, ...] = (LAYER, KIND, OUTPUT, PARAMS, PARAMS_SHARE, MACS, MACS_SHARE)


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
        cells = tuple(c.cell(report, r) for c in view.columns)
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
        f"{fmt.group(t.bias)} biases; trainable {fmt.group(t.trainable_params)}, "
        f"non-trainable {fmt.group(t.non_trainable)}",
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
    return [d.headline() for d in report.warnings]


def column_widths(view: View, table: list[tuple[str, ...]], width: int,
                  gap: int = 2) -> list[int]:
    """Column widths that fit ``width`` (``gap`` characters between columns): shrinkable columns
    (Layer, Kind) are cut down to a minimum; if that is not enough, optional columns get width 0
    (hidden), the rightmost first. Numbers and shapes are never cut."""
    cols = view.columns
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]

    def total() -> int:
        shown = [w for w in widths if w]
        return sum(shown) + gap * (len(shown) - 1)

    floor = [max(MIN_SHRUNK, len(c.header)) if c.shrinkable else w for c, w in zip(cols, widths)]
    while total() > width:  # cut the widest shrinkable column, one character at a time
        candidates = [i for i, c in enumerate(cols) if c.shrinkable and widths[i] > floor[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
    for i in reversed(range(len(cols))):  # drop optional columns from the right until it fits
        if total() > width and cols[i].optional:
            widths[i] = 0
    return widths


MIN_SHRUNK = 10
