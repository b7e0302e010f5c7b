"""The terminal summary: a rich table with the totals and conventions under it."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cnncalc.analysis.report import Report
from cnncalc.render.fmt import pad
from cnncalc.render.rows import (
    View,
    convention_lines,
    fit_rows,
    footer_lines,
    header_row,
    layer_rows,
    total_row,
    warning_lines,
)
from cnncalc.render.text import explain_lines


def render_summary(report: Report, width: int = 100, view: View | None = None) -> Any:
    """A rich renderable for a console ``width`` columns wide: shrinkable columns are cut with an
    ellipsis and optional ones dropped to fit; numbers are never cut."""
    view = view or View()
    if view.explanations:
        return _explained_summary(report, width, view)
    rows = layer_rows(report, view)
    widths, fitted = fit_rows(view, [header_row(view), *(r.cells for r in rows),
                                     total_row(report, view)], width, gap=3)
    total = fitted[-1]
    # Every string from a spec goes in as Text, never as a str that rich would read as markup
    # (a spec named "[/]" must print, not crash).
    table = Table(title=Text(report.name, style="bold"), box=box.SIMPLE_HEAD,
                  show_footer=False, pad_edge=False, title_justify="left", title_style="bold",
                  show_edge=False)
    keep = [i for i, w in enumerate(widths) if w]
    for i in keep:
        col = view.columns[i]
        table.add_column(col.header, justify="right" if col.numeric else "left",
                         style=col.style, no_wrap=True, overflow="ellipsis", width=widths[i])
    for row, cells in zip(rows, fitted[1:-1]):
        table.add_row(*(Text(cells[i]) for i in keep))
        for text in row.explain:
            table.add_row(Text("  " + text, style="dim", overflow="fold"))
    table.add_section()
    table.add_row(*(Text(total[i]) for i in keep), style="bold")
    parts: list[Any] = [table]
    parts += [Text(line) for line in footer_lines(report, view)]
    for w in warning_lines(report):
        parts.append(Text(w, style="yellow"))
    parts += [Text(line, style="dim") for line in ["", *convention_lines(view)]]
    return Group(*parts)


def _explained_summary(report: Report, width: int, view: View) -> Any:
    """The summary with each layer's explanation under its row, across the whole width. A rich
    Table cannot span a line over its columns (it would be cut to the Layer column), so this lays
    the table out like the plain-text renderer, with the rich table's styles."""
    rows = layer_rows(report, view)
    widths, fitted = fit_rows(view, [header_row(view), *(r.cells for r in rows),
                                     total_row(report, view)], width, gap=2)
    header, total = fitted[0], fitted[-1]

    def line(cells: list[str], style: str | None = None) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        shown = [(col, cell, w) for col, cell, w in zip(view.columns, cells, widths) if w]
        for index, (col, cell, w) in enumerate(shown):
            if index:
                text.append("  ")
            text.append(pad(cell, w, col.numeric), style=style or col.style)
        text.rstrip()
        return text

    used = [w for w in widths if w]
    rule = Text("─" * min(width, sum(used) + 2 * (len(used) - 1)), style="dim")
    parts: list[Any] = [Text(report.name, style="bold"), line(header, "bold"), rule]
    for row, cells in zip(rows, fitted[1:-1]):
        parts.append(line(cells))
        parts += [Text(text, style="dim", no_wrap=True) for explanation in row.explain
                  for text in explain_lines(explanation, width)]
    parts += [rule, line(total, "bold")]
    parts += [Text(text) for text in footer_lines(report, view)]
    parts += [Text(w, style="yellow") for w in warning_lines(report)]
    parts += [Text(text, style="dim") for text in ["", *convention_lines(view)]]
    return Group(*parts)
