"""Share bars for the summary table: how much of the parameters and of the MACs each row holds.

``cnncalc summary --bars`` replaces the ``%P`` and ``%M`` columns with these. A cell is the share
of the network's total in per cent followed by a bar, e.g. ``12.0% ███▎  ``. The bars are scaled
to the largest row (its bar is full), so that rows of a few per cent each are still told apart;
the percentage says what the share of the total is. How the bars look depends on where the table
goes:

* terminal (rich): five cells of eighth-block glyphs (``▏▎▍▌▋▊▉█``, 1/40 resolution), coloured
  like the numbers they stand for;
* plain text (piped, ``--format text``): the same glyphs, without colour. cnncalc's plain text is
  UTF-8 already (``×``, ``→``, ``…``), and a bar's meaning is its length, not its colour;
* Markdown: whole blocks only (``█``, ten cells for 100 %), because GitHub sets tables in a
  proportional font where the partial glyphs come from fallback fonts of other widths;
* CSV and JSON carry the exact counts; they have no bars.

A non-zero share never shows as an empty bar: the smallest bar is one eighth (or one block in
Markdown). A zero share is a blank cell, like the ``%P`` and ``%M`` columns; the total row shows
``100%`` without a bar.
"""

from __future__ import annotations

from collections.abc import Callable

from cnncalc.analysis.report import LayerReport, Report
from cnncalc.render import fmt
from cnncalc.render.rows import DEFAULT_COLUMNS, MACS, MACS_SHARE, PARAMS, PARAMS_SHARE, Column

EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"
TERMINAL_CELLS = 5
MARKDOWN_CELLS = 10


def bar(part: int, whole: int, cells: int = TERMINAL_CELLS, partial: bool = True) -> str:
    """A bar at most ``cells`` wide whose length is ``part / whole`` of that.

    With ``partial`` the resolution is an eighth of a cell, otherwise a whole cell. A non-zero
    part shows at least the smallest step; a zero part (or whole) is an empty string.
    """
    if part <= 0 or whole <= 0:
        return ""
    steps = 8 if partial else 1
    # Round half up in exact integer arithmetic: round(part / whole · cells · steps).
    units = (2 * part * cells * steps + whole) // (2 * whole)
    units = min(max(units, 1), cells * steps)
    full, rest = divmod(units, steps)
    return FULL * full + (EIGHTHS[rest] if rest else "")


def share_cell(part: int, whole: int, largest: int, cells: int = TERMINAL_CELLS,
               partial: bool = True, pad: bool = True) -> str:
    """``12.0% ███▎ ``: the share of ``whole`` as ``fmt.percent`` writes it, then a bar scaled so
    that ``largest`` fills it; blank for zero. With ``pad`` the cell has a fixed width (the
    percentage right-aligned, the bar padded), as a fixed-width table needs."""
    if not part or not whole:
        return ""
    pct, shown = fmt.percent(part, whole), bar(part, largest, cells, partial)
    return f"{pct:>5} {shown:<{cells}}" if pad else f"{pct} {shown}"


def _share_column(header: str, value: Callable[[LayerReport], int],
                  total: Callable[[Report], int], style: str, cells: int,
                  partial: bool) -> Column:
    largest: dict[int, int] = {}  # id(report) → its largest row value, computed once per report

    def cell(rep: Report, r: LayerReport) -> str:
        top = largest.get(id(rep))
        if top is None:
            top = largest[id(rep)] = max((value(x) for x in rep.layers), default=0)
        return share_cell(value(r), total(rep), top, cells, partial, pad=partial)

    full = f"{'100%':>5}" if partial else "100%"
    # Not optional: the bars are what --bars asks for, so names are shortened before they go.
    return Column(header, cell, lambda rep: full if total(rep) else "",
                  numeric=False, style=style)


def bar_columns(markdown: bool = False) -> tuple[Column, Column]:
    """The parameter-share and MAC-share bar columns (for a terminal/plain table, or Markdown)."""
    cells, partial = (MARKDOWN_CELLS, False) if markdown else (TERMINAL_CELLS, True)
    params = _share_column("%P", lambda r: r.params, lambda rep: rep.totals.params,
                           "magenta", cells, partial)
    macs = _share_column("%M", lambda r: r.macs, lambda rep: rep.totals.macs,
                         "yellow", cells, partial)
    return params, macs


def with_bars(columns: tuple[Column, ...] = DEFAULT_COLUMNS,
              markdown: bool = False) -> tuple[Column, ...]:
    """``columns`` with the ``%P``/``%M`` share columns replaced by bar columns; when neither share
    column is there, the bars go after the Params and MACs columns."""
    params_bar, macs_bar = bar_columns(markdown)
    has_shares = PARAMS_SHARE in columns or MACS_SHARE in columns
    replace = {id(PARAMS_SHARE): params_bar, id(MACS_SHARE): macs_bar}
    after = {} if has_shares else {id(PARAMS): params_bar, id(MACS): macs_bar}
    out: list[Column] = []
    for col in columns:
        out.append(replace.get(id(col), col))
        if id(col) in after:
            out.append(after[id(col)])
    return tuple(out)
