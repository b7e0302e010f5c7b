"""The terminal summary: a rich table with the totals and conventions under it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cnncalc.core.report import Report
from cnncalc.render.rows import (
    COLUMNS,
    NUMERIC,
    convention_lines,
    footer_lines,
    layer_rows,
    total_row,
    warning_lines,
)
from cnncalc.render.text import column_widths

STYLES = {"Layer": "bold", "Kind": "cyan", "Output": "green", "Params": "magenta",
          "MACs": "yellow", "%P": "dim magenta", "%M": "dim yellow"}


def render_summary(report: Report, width: int = 100,
                   explanations: Mapping[str, Sequence[str]] | None = None) -> Any:
    """A rich renderable for a console ``width`` columns wide: only the Layer and Kind columns
    shrink (with an ellipsis); numbers are never cut."""
    rows = layer_rows(report, explanations)
    widths = column_widths([COLUMNS, *(r.cells for r in rows), total_row(report)], width,
                           gap=3)
    table = Table(title=report.name, box=box.SIMPLE_HEAD, show_footer=False, pad_edge=False,
                  title_justify="left", title_style="bold", show_edge=False)
    keep = [i for i, w in enumerate(widths) if w]
    for i in keep:
        name = COLUMNS[i]
        table.add_column(name, justify="right" if name in NUMERIC else "left",
                         style=STYLES.get(name), no_wrap=True, overflow="ellipsis",
                         width=widths[i])
    for row in rows:
        table.add_row(*(row.cells[i] for i in keep))
        for text in row.explain:
            table.add_row(Text("  " + text, style="dim", overflow="fold"))
    table.add_section()
    total = total_row(report)
    table.add_row(*(total[i] for i in keep), style="bold")
    parts: list[Any] = [table]
    parts += [Text(line) for line in footer_lines(report)]
    for w in warning_lines(report):
        parts.append(Text(w, style="yellow"))
    parts += [Text(line, style="dim") for line in ["", *convention_lines()]]
    return Group(*parts)
