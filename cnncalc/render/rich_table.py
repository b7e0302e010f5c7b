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

STYLES = {"Layer": "bold", "Kind": "cyan", "Output": "green", "Params": "magenta",
          "MACs": "yellow", "%P": "dim magenta", "%M": "dim yellow"}


def render_summary(report: Report,
                   explanations: Mapping[str, Sequence[str]] | None = None) -> Any:
    table = Table(title=report.name, box=box.SIMPLE_HEAD, show_footer=False, pad_edge=False,
                  title_justify="left", title_style="bold")
    for name in COLUMNS:
        numeric = name in NUMERIC
        table.add_column(name, justify="right" if numeric else "left", style=STYLES.get(name),
                         no_wrap=True, overflow="ellipsis",
                         min_width=8 if name in ("Layer", "Kind") else None)
    for row in layer_rows(report, explanations):
        table.add_row(*row.cells)
        for text in row.explain:
            table.add_row(Text("  " + text, style="dim"), end_section=False)
    table.add_section()
    table.add_row(*total_row(report), style="bold")
    parts: list[Any] = [table]
    parts += [Text(line) for line in footer_lines(report)]
    for w in warning_lines(report):
        parts.append(Text(w, style="yellow"))
    parts += [Text(line, style="dim") for line in ["", *convention_lines()]]
    return Group(*parts)
