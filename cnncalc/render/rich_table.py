"""The terminal summary: a rich table with the totals and conventions under it."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cnncalc.core.report import Report
from cnncalc.render.rows import (
    View,
    column_widths,
    convention_lines,
    footer_lines,
    header_row,
    layer_rows,
    total_row,
    warning_lines,
)


def render_summary(report: Report, width: int = 100, view: View | None = None) -> Any:
    """A rich renderable for a console ``width`` columns wide: shrinkable columns are cut with an
    ellipsis and optional ones dropped to fit; numbers are never cut."""
    view = view or View()
    rows = layer_rows(report, view)
    total = total_row(report, view)
    widths = column_widths(view, [header_row(view), *(r.cells for r in rows), total], width,
                           gap=3)
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
    for row in rows:
        table.add_row(*(Text(row.cells[i]) for i in keep))
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
