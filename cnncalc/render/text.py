"""Plain-text summary table: what ``cnncalc summary`` prints when its output is not a terminal
(piped, redirected) or with ``--format text``. No colours, no box characters, fixed width."""

from __future__ import annotations

import textwrap

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


def render_summary(report: Report, width: int = 100, view: View | None = None,
                   title: bool = True) -> str:
    view = view or View()
    rows = layer_rows(report, view)
    table = [header_row(view), *(r.cells for r in rows), total_row(report, view)]
    widths, fitted = fit_rows(view, table, width)

    def line(cells: list[str]) -> str:
        parts = [pad(cell, w, col.numeric)
                 for col, cell, w in zip(view.columns, cells, widths) if w]
        return "  ".join(parts).rstrip()

    shown = [w for w in widths if w]
    rule = "-" * min(width, sum(shown) + 2 * (len(shown) - 1))
    out: list[str] = []
    if title:
        out.append(f"{report.name}")
    out += [line(fitted[0]), rule]
    for row, cells in zip(rows, fitted[1:-1]):
        out.append(line(cells))
        for text in row.explain:
            out += explain_lines(text, width)
    out += [rule, line(fitted[-1]), ""]
    out += _wrap(footer_lines(report, view), width, "  ")
    warnings = warning_lines(report)
    if warnings:
        out += ["", *warnings]
    out += ["", *_wrap(convention_lines(view), width, "  ")]
    return "\n".join(out) + "\n"


def explain_lines(text: str, width: int) -> list[str]:
    """One explanation line under its layer, indented, wrapped to ``width`` with a hanging
    indent (formulas are never broken inside a word)."""
    return textwrap.wrap(f"    {text}", width, subsequent_indent="        ",
                         break_on_hyphens=False, break_long_words=False) or [""]


def _wrap(lines: list[str], width: int, indent: str) -> list[str]:
    out: list[str] = []
    for text in lines:
        out += textwrap.wrap(text, width, subsequent_indent=indent,
                             break_on_hyphens=False) or [""]
    return out
