"""Renderings of a :class:`~cnncalc.checks.diff.ReportDiff`: a plain or rich table for the terminal,
Markdown for a pull-request comment, and JSON. They format; the diff is computed in
:mod:`cnncalc.checks.diff`."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cnncalc.checks.diff import (
    ADDED,
    FAIL_ON_GRAMMAR,
    REMOVED,
    UNCHANGED,
    Condition,
    LayerChange,
    LayerFacts,
    ReportDiff,
    TotalChange,
)
from cnncalc.render import fmt
from cnncalc.render.fmt import Fit, fit, pad

SYMBOL = {ADDED: "+", REMOVED: "-", UNCHANGED: " "}
LEGEND = ("+ added · - removed · ~ changed · old ⇒ new (a renamed layer was matched by its "
          "position) · (moved): same name, another place in the order")
MD_SYMBOL = {"+": "➕", "-": "➖", "~": "✏️"}
MD_LEGEND = ("➕ added · ➖ removed · ✏️ changed · old ⇒ new (a renamed layer was matched by its "
             "position) · (moved): same name, another place in the order")


@dataclass(frozen=True)
class Check:
    """A ``--fail-on`` condition and its outcome."""

    condition: Condition
    failed: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"condition": self.condition.text, "failed": self.failed,
                "message": self.message}


def signed(value: int | None, unit: str = "count") -> str:
    """``+135,616`` / ``-11,648`` / ``+1.50 MiB``; blank for zero."""
    if not value:
        return ""
    if unit == "bytes":
        return ("+" if value > 0 else "-") + fmt.binary(abs(value))
    return f"{value:+,}"


def plain(value: int | None, unit: str = "count") -> str:
    if value is None:
        return "—"
    return fmt.binary(value) if unit == "bytes" else fmt.group(value)


def percent_change(total: TotalChange) -> str:
    if total.name == "layers":
        return ""
    p = total.percent
    if p is None:
        return "new" if total.old == 0 and total.new else ""
    if p == 0:
        return ""
    return f"({p:+.2f}%)"


def shape_text(dims: Sequence[int]) -> str:
    return "×".join(str(d) for d in dims)


def rf_text(facts: LayerFacts | None) -> str:
    if facts is None or facts.rf_size is None:
        return ""
    sizes = facts.rf_size
    return sizes[0] if len(set(sizes)) == 1 else "×".join(sizes)


ARROW = " ⇒ "
"""Between an old and a new value (descriptions use → themselves: ``linear → 4096``)."""


def _pair(old: str, new: str, changed: bool) -> str:
    return f"{old}{ARROW}{new}" if changed else new


def _layer_cells(e: LayerChange, diff: ReportDiff, show_rf: bool) -> list[str]:
    o, n = e.old, e.new
    symbol = SYMBOL.get(e.status, "~")
    if o is not None and n is not None:
        name = _pair(o.name, n.name, o.name != n.name)
        if e.moved:
            name += " (moved)"
        kind = _pair(o.description, n.description, o.description != n.description)
        output = _pair(shape_text(o.output_shape), shape_text(n.output_shape),
                       o.output_shape != n.output_shape)
        rf = _pair(rf_text(o), rf_text(n), "rf" in e.changes)
    else:
        facts = n or o
        assert facts is not None
        name, kind = facts.name, facts.description
        output, rf = shape_text(facts.output_shape), rf_text(facts)
    cells = [symbol, name, kind, output]
    cells += [signed(e.delta(key), unit) for key, _, unit in diff.layer_metrics]
    if show_rf:
        cells.append(rf)
    return cells


def _layer_headers(diff: ReportDiff, show_rf: bool) -> list[str]:
    heads = ["", "Layer", "Kind", "Output"]
    heads += [f"Δ{label}" for _, label, _ in diff.layer_metrics]
    if show_rf:
        heads.append("RF")
    return heads


def _show_rf(diff: ReportDiff) -> bool:
    return diff.rf_compared and any("rf" in e.changes for e in diff.entries)


def _shown(diff: ReportDiff, show_all: bool) -> list[LayerChange]:
    return [e for e in diff.entries if show_all or e.status != UNCHANGED]


def _layer_table(diff: ReportDiff, show_all: bool
                 ) -> tuple[list[LayerChange], list[str], list[list[str]], set[int]]:
    """The layers shown, the table's headers, each layer's cells and the numeric columns."""
    entries = _shown(diff, show_all)
    show_rf = _show_rf(diff)
    rows = [_layer_cells(e, diff, show_rf) for e in entries]
    return (entries, _layer_headers(diff, show_rf), rows,
            set(range(4, 4 + len(diff.layer_metrics))))


def counts_line(diff: ReportDiff, show_all: bool) -> str:
    if diff.identical:
        return f"No differences: {len(diff.entries)} layers, same shapes and counts."
    parts = [f"{diff.count('changed')} changed", f"{diff.count(ADDED)} added",
             f"{diff.count(REMOVED)} removed"]
    if diff.moved:
        parts.append(f"{diff.moved} moved")
    if diff.renamed:
        parts.append(f"{diff.renamed} renamed")
    hidden = "" if show_all else " (not shown; --all shows them)"
    parts.append(f"{diff.count(UNCHANGED)} unchanged{hidden}")
    return " · ".join(parts)


def _title(diff: ReportDiff) -> str:
    return f"{diff.old.name} → {diff.new.name}"


def total_rows(diff: ReportDiff) -> list[list[str]]:
    """Label, old, new, change, per cent. Trainable params are shown only where they differ from
    the params, non-trainable counts only where there are any."""
    params = diff.total("params")
    rows = []
    for t in diff.totals:
        if t.name == "trainable_params" and params is not None and (
                (t.old, t.new) == (params.old, params.new)):
            continue
        if t.name == "non_trainable" and not t.old and not t.new:
            continue
        rows.append([t.label, plain(t.old, t.unit), plain(t.new, t.unit),
                     signed(t.delta, t.unit), percent_change(t)])
    old, new = diff.old, diff.new
    rows.append(["Input", shape_text(old.input_shape), shape_text(new.input_shape), "", ""])
    if old.batch != 1 or new.batch != 1:
        rows.append(["Batch", str(old.batch), str(new.batch), "", ""])
    rows.append(["Output", shape_text(old.output_shape), shape_text(new.output_shape), "", ""])
    return rows


# --- plain text --------------------------------------------------------------------------------


def _layer_fits(headers: list[str]) -> list[Fit]:
    """How the layer table makes room (render/fmt.py): the memory and RF columns go first
    (rightmost first; ``--format json`` has them), then names are shortened in the middle,
    distinct; the kind and shape, whose cells are the change itself, are cut only as a last
    resort; the parameter and MAC deltas always stay."""
    fits = []
    for i, h in enumerate(headers):
        if i == 1:
            fits.append(Fit(names=True))
        elif i in (2, 3):
            fits.append(Fit(cut="last"))
        else:
            fits.append(Fit(optional="mem" in h or h == "RF"))
    return fits


def _table(headers: list[str], rows: list[list[str]], numeric: set[int], fits: list[Fit],
           width: int) -> list[str]:
    widths, fitted = fit(fits, [headers, *rows], width)

    def line(cells: Sequence[str]) -> str:
        parts = [pad(cell, w, i in numeric) for i, (cell, w) in enumerate(zip(cells, widths))
                 if w]
        return "  ".join(parts).rstrip()

    shown = [w for w in widths if w]
    rule = "-" * min(width, sum(shown) + 2 * (len(shown) - 1))
    return [line(fitted[0]), rule, *(line(r) for r in fitted[1:])]


def render_text(diff: ReportDiff, width: int = 100, show_all: bool = False,
                checks: Sequence[Check] = ()) -> str:
    """The diff as plain text: the changed layers, then the totals, then the checks."""
    out = [_title(diff)]
    out.append(f"  old: {diff.old.source or diff.old.name}")
    out.append(f"  new: {diff.new.source or diff.new.name}")
    out.append("")
    entries, headers, rows, numeric = _layer_table(diff, show_all)
    if entries:
        out += _table(headers, rows, numeric, _layer_fits(headers), width)
        out.append("")
    out.append(counts_line(diff, show_all))
    if entries:
        out += textwrap.wrap(LEGEND, width, break_on_hyphens=False)
    out.append("")
    out += _table(["Totals", "old", "new", "change", ""], total_rows(diff), {1, 2, 3},
                  [Fit()] * 5, width)
    out += _check_lines(checks)
    return "\n".join(out) + "\n"


def _check_lines(checks: Sequence[Check], markdown: bool = False) -> list[str]:
    if not checks:
        return []
    out = [""]
    for c in checks:
        if markdown:
            mark = "❌ **failed**" if c.failed else "✅ passed"
            out.append(f"- {mark} `{c.condition.text}`: {c.message}")
        else:
            mark = "FAILED" if c.failed else "passed"
            out.append(f"{mark}: {c.condition.text}: {c.message}")
    return out


# --- rich (terminal) -------------------------------------------------------------------------

STYLE = {ADDED: "green", REMOVED: "red", "changed": "yellow", UNCHANGED: "dim"}


def render_rich(diff: ReportDiff, width: int = 100, show_all: bool = False,
                checks: Sequence[Check] = ()) -> Any:
    """A rich renderable: the same content as :func:`render_text`, coloured by status."""
    parts: list[Any] = [Text(_title(diff), style="bold"),
                        Text(f"  old: {diff.old.source or diff.old.name}", style="dim"),
                        Text(f"  new: {diff.new.source or diff.new.name}", style="dim")]
    entries, headers, rows, numeric = _layer_table(diff, show_all)
    if entries:
        widths, fitted = fit(_layer_fits(headers), [headers, *rows], width, gap=3)
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for i, h in enumerate(headers):
            if widths[i]:
                table.add_column(h, justify="right" if i in numeric else "left", no_wrap=True,
                                 overflow="ellipsis", width=widths[i])
        for e, row in zip(entries, fitted[1:]):
            table.add_row(*(Text(c) for c, w in zip(row, widths) if w),
                          style=STYLE.get(e.status))
        parts.append(table)
    parts.append(Text(counts_line(diff, show_all)))
    if entries:
        parts.append(Text(LEGEND, style="dim"))
    totals = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for i, h in enumerate(["Totals", "old", "new", "change", ""]):
        totals.add_column(h, justify="right" if i in (1, 2, 3) else "left", no_wrap=True)
    for row in total_rows(diff):
        totals.add_row(*row)
    parts.append(totals)
    for c in checks:
        parts.append(Text(f"{'FAILED' if c.failed else 'passed'}: {c.condition.text}: "
                          f"{c.message}", style="bold red" if c.failed else "green"))
    return Group(*parts)


# --- Markdown ---------------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(diff: ReportDiff, show_all: bool = False,
                    checks: Sequence[Check] = ()) -> str:
    """Markdown for a pull-request comment: the totals first, then the changed layers."""
    out = [f"### cnncalc diff: {_md(_title(diff))}", ""]
    out.append("| | old | new | change |")
    out.append("|---|---:|---:|---:|")
    for label, old, new, change, pct in total_rows(diff):
        change = f"{change} {pct}".strip()
        out.append(f"| {_md(label)} | {old} | {new} | {change} |")
    out.append("")
    out.append(f"**{counts_line(diff, show_all)}**")
    out += _check_lines(checks, markdown=True)
    entries, headers, rows, numeric = _layer_table(diff, show_all)
    if entries:
        out.append("")
        out.append("| " + " | ".join(headers) + " |")
        out.append("|" + "|".join("---:" if i in numeric else "---"
                                  for i in range(len(headers))) + "|")
        for row in rows:
            cells = [_md(c) for c in row]
            cells[0] = MD_SYMBOL.get(cells[0], cells[0])
            cells[1] = f"`{cells[1]}`"
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
        out.append(f"<sub>{_md(MD_LEGEND)}</sub>")
    out.append("")
    out.append(f"<sub>old: `{_md(diff.old.source or diff.old.name)}` · new: "
               f"`{_md(diff.new.source or diff.new.name)}` · MACs = multiply-accumulates of "
               f"conv and linear layers (docs/conventions.md)</sub>")
    return "\n".join(out) + "\n"


# --- JSON -------------------------------------------------------------------------------------


def render_json(diff: ReportDiff, checks: Sequence[Check] = ()) -> str:
    data = diff.to_dict()
    data["checks"] = [c.to_dict() for c in checks]
    data["failed"] = any(c.failed for c in checks)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


__all__ = ["FAIL_ON_GRAMMAR", "Check", "render_json", "render_markdown", "render_rich",
           "render_text"]
