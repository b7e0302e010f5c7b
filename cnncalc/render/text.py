"""Plain-text summary table: what ``cnncalc summary`` prints when its output is not a terminal
(piped, redirected) or with ``--plain``. No colours, no box characters, fixed width."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

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

SHRINKABLE = ("Layer", "Kind")
MIN_WIDTH = {"Layer": 12, "Kind": 10}


def _fit(cell: str, width: int) -> str:
    return cell if len(cell) <= width else cell[: max(1, width - 1)] + "…"


def column_widths(table: list[tuple[str, ...]], width: int, gap: int = 2) -> list[int]:
    """Column widths that fit ``width`` (``gap`` characters between columns): Layer then Kind
    shrink (with an ellipsis) down to a minimum; if that is not enough the share columns
    (%P, %M) get width 0 and are hidden. Numbers and shapes are never cut."""
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]

    def total() -> int:
        shown = [w for w in widths if w]
        return sum(shown) + gap * (len(shown) - 1)

    for name in SHRINKABLE:
        i = COLUMNS.index(name)
        cut = min(total() - width, widths[i] - MIN_WIDTH[name])
        if cut > 0:
            widths[i] -= cut
    if total() > width:
        for name in ("%P", "%M"):
            widths[COLUMNS.index(name)] = 0
    return widths


def render_summary(report: Report, width: int = 100,
                   explanations: Mapping[str, Sequence[str]] | None = None,
                   title: bool = True) -> str:
    rows = layer_rows(report, explanations)
    total = total_row(report)
    table = [COLUMNS, *(r.cells for r in rows), total]
    widths = column_widths(table, width)

    def line(cells: tuple[str, ...]) -> str:
        parts = []
        for name, cell, w in zip(COLUMNS, cells, widths):
            if not w:
                continue
            cell = _fit(cell, w)
            parts.append(cell.rjust(w) if name in NUMERIC else cell.ljust(w))
        return "  ".join(parts).rstrip()

    shown = [w for w in widths if w]
    rule = "-" * min(width, sum(shown) + 2 * (len(shown) - 1))
    out: list[str] = []
    if title:
        out.append(f"{report.name}")
    out += [line(COLUMNS), rule]
    for row in rows:
        out.append(line(row.cells))
        out.extend(f"    {text}" for text in row.explain)
    out += [rule, line(total), ""]
    out += _wrap(footer_lines(report), width, "  ")
    warnings = warning_lines(report)
    if warnings:
        out += ["", *warnings]
    out += ["", *_wrap(convention_lines(), width, "  ")]
    return "\n".join(out) + "\n"


def _wrap(lines: list[str], width: int, indent: str) -> list[str]:
    out: list[str] = []
    for text in lines:
        out += textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False) or [""]
    return out
