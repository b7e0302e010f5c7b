"""Renderings of an input sweep (:class:`~cnncalc.analysis.sweep.Sweep`): a plain table, Markdown,
CSV and JSON. They format; they compute nothing.

Columns are pluggable: a :class:`SweepColumn` turns a row into a table cell and, with a
``json_key``, into a JSON field. :data:`SWEEP_COLUMNS` are the defaults; a command (or another
feature, such as the memory model) passes its own tuple — e.g. ``(*SWEEP_COLUMNS[:-1], MEMORY,
SWEEP_COLUMNS[-1])`` — to every renderer here.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnncalc.analysis.report import CONVENTIONS, SCHEMA_VERSION
from cnncalc.analysis.sweep import Sweep, SweepRow
from cnncalc.render import fmt
from cnncalc.render.fmt import cells, pad


@dataclass(frozen=True)
class SweepColumn:
    """One column of the sweep table: header, cell text, and optionally a JSON field."""

    header: str
    cell: Callable[[Sweep, SweepRow], str]
    numeric: bool = False
    json_key: str | None = None
    json_value: Callable[[Sweep, SweepRow], Any] | None = None
    shrinkable: bool = False
    """Wrapped onto more lines, under its column, when the table would not fit (only the status
    text is; it is never cut)."""


def _params(sweep: Sweep, row: SweepRow) -> str:
    if row.report is None:
        return ""
    return fmt.group(row.report.totals.params) + ("*" if row.params_differ else "")


def _axes(values: tuple[int, ...]) -> str:
    if values and all(v == values[0] for v in values):
        return str(values[0])
    return "×".join(map(str, values))


def status(sweep: Sweep, row: SweepRow) -> str:
    """``clean``; ``floors: pool2 1, conv5 1×0``; ``✗ merge mismatch at inception_4a.concat``;
    ``✗ conv5: kernel 3 is larger than the padded input 2``."""
    if row.error is not None:
        if row.error.code == "merge-mismatch":
            return f"✗ merge mismatch at {row.error.layer}"
        message = row.error.message
        if row.error.layer and "): " in message:
            message = message.split("): ", 1)[1]
        return f"✗ {row.error.layer}: {message}" if row.error.layer else f"✗ {message}"
    if row.dropped:
        return "floors: " + ", ".join(f"{name} {_axes(px)}" for name, px in row.dropped)
    return "clean"


INPUT = SweepColumn("Input", lambda s, r: fmt.shape(r.input_shape), json_key="input_shape",
                    json_value=lambda s, r: r.input_shape.to_list())
OUTPUT = SweepColumn("Output", lambda s, r: fmt.shape(r.report.output_shape) if r.report else "",
                     json_key="output_shape",
                     json_value=lambda s, r: r.report.output_shape.to_list() if r.report else None)
PARAMS = SweepColumn("Params", _params, numeric=True, json_key="params",
                     json_value=lambda s, r: r.report.totals.params if r.report else None)
MACS = SweepColumn("MACs", lambda s, r: fmt.group(r.report.totals.macs) if r.report else "",
                   numeric=True, json_key="macs",
                   json_value=lambda s, r: r.report.totals.macs if r.report else None)
STATUS = SweepColumn("Status", status, shrinkable=True)

SWEEP_COLUMNS: tuple[SweepColumn, ...] = (INPUT, OUTPUT, PARAMS, MACS, STATUS)
MAX_REFUSALS = 8
"""Refused sizes whose full message the legend repeats (the status column may cut it)."""


def legend(sweep: Sweep) -> list[str]:
    """What the marks mean, and the answer in one line."""
    total = len(sweep.rows)
    clean = [r for r in sweep.rows if r.clean]
    lines = [f"{len(clean)} of {total} sizes are clean: accepted, and every layer uses every "
             f"input pixel."]
    if clean and len(clean) < total:
        lines.append("Clean: " + ", ".join(_axes(r.input_shape.spatial) for r in clean[:40])
                     + (", …" if len(clean) > 40 else ""))
    if any(r.dropped for r in sweep.rows):
        lines.append("floors: a layer's stride leaves input pixels that no window reaches "
                     "(pixels per axis).")
    if any(r.params_differ for r in sweep.rows):
        lines.append(f"* parameters differ from the spec's input {sweep.spec_input} "
                     f"({fmt.group(sweep.reference_params or 0)}): a trained model's weights "
                     f"would not fit.")
    refused = [r for r in sweep.rows if r.error is not None]
    if refused:
        lines.append("✗ the network refuses this size; the first layer that fails:")
        for row in refused[:MAX_REFUSALS]:
            assert row.error is not None
            lines.append(f"  {row.input_shape}: {row.error.message}")
        if len(refused) > MAX_REFUSALS:
            lines.append(f"  … and {len(refused) - MAX_REFUSALS} more (--format json has all)")
    lines.append(f"MACs for batch {sweep.batch} (FLOPs = 2 × MACs; docs/conventions.md).")
    return lines


def _cells(sweep: Sweep, columns: tuple[SweepColumn, ...]) -> list[list[str]]:
    return [[c.cell(sweep, r) for c in columns] for r in sweep.rows]


def render_text(sweep: Sweep, columns: tuple[SweepColumn, ...] = SWEEP_COLUMNS,
                width: int = 100) -> str:
    """The sweep as plain text. The status is the verdict, so it is never cut: a status too
    long for the line continues on the next lines, under its column."""
    table = [[c.header for c in columns], *_cells(sweep, columns)]
    widths = [max(cells(row[i]) for row in table) for i in range(len(columns))]
    wrapped = [i for i, c in enumerate(columns) if c.shrinkable]
    for i in wrapped:
        others = sum(w for j, w in enumerate(widths) if j != i) + 2 * (len(widths) - 1)
        widths[i] = min(widths[i], max(width - others, cells(columns[i].header), 20))

    def lines(row: list[str]) -> list[str]:
        pieces = {i: _wrap_cell(row[i], widths[i]) for i in wrapped}
        first = [pieces[i][0] if i in pieces else cell for i, cell in enumerate(row)]
        out = ["  ".join(pad(cell, w, col.numeric)
                         for col, cell, w in zip(columns, first, widths)).rstrip()]
        for i, more in pieces.items():
            indent = sum(widths[:i]) + 2 * i
            out += [" " * indent + text for text in more[1:]]
        return out

    first, last = sweep.rows[0].input_shape, sweep.rows[-1].input_shape
    out = [f"{sweep.name}: input sizes {first} … {last}" if len(sweep.rows) > 1
           else f"{sweep.name}: input {first}"]
    out += [*lines(table[0]), "-" * min(width, sum(widths) + 2 * (len(widths) - 1))]
    for row in table[1:]:
        out += lines(row)
    out.append("")
    for text in legend(sweep):
        out += _wrap(text, width)
    return "\n".join(out) + "\n"


def _wrap_cell(text: str, width: int) -> list[str]:
    """A cell's text in lines of at most ``width`` (broken after commas and spaces)."""
    import textwrap

    return textwrap.wrap(text, width, break_on_hyphens=False, subsequent_indent="  ") or [""]


def _wrap(text: str, width: int) -> list[str]:
    indent = "    " if text.startswith("  ") else "  "
    return textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False) or [""]


def render_markdown(sweep: Sweep, columns: tuple[SweepColumn, ...] = SWEEP_COLUMNS) -> str:
    out = [f"### {sweep.name}: input sweep", ""]
    out.append("| " + " | ".join(c.header for c in columns) + " |")
    out.append("|" + "|".join("---:" if c.numeric else "---" for c in columns) + "|")
    for row in _cells(sweep, columns):
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    out.append("")
    out += [f"{text}  " for text in legend(sweep)]
    return "\n".join(out) + "\n"


def render_csv(sweep: Sweep, columns: tuple[SweepColumn, ...] = SWEEP_COLUMNS) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    keyed = [c for c in columns if c.json_key]
    writer.writerow([*(c.json_key for c in keyed), "clean", "params_differ", "status"])
    for row in sweep.rows:
        values = []
        for c in keyed:
            value = c.json_value(sweep, row) if c.json_value else c.cell(sweep, row)
            values.append("x".join(map(str, value)) if isinstance(value, list) else
                          "" if value is None else value)
        writer.writerow([*values, row.clean, row.params_differ, status(sweep, row)])
    return buf.getvalue()


def sweep_dict(sweep: Sweep, columns: tuple[SweepColumn, ...] = SWEEP_COLUMNS) -> dict[str, Any]:
    """The documented JSON of ``summary --sweep-input`` (docs/quick-answers.md)."""
    rows = []
    for row in sweep.rows:
        data: dict[str, Any] = {}
        for c in columns:
            if c.json_key:
                data[c.json_key] = (c.json_value(sweep, row) if c.json_value
                                    else c.cell(sweep, row))
        data.update({
            "ok": row.ok,
            "clean": row.clean,
            "flops": row.report.totals.flops if row.report else None,
            "params_differ": row.params_differ,
            "dropped": [{"layer": name, "dropped_inputs": list(px)} for name, px in row.dropped],
            "error": row.error.to_dict() if row.error else None,
        })
        rows.append(data)
    return {
        "schema_version": SCHEMA_VERSION,
        "name": sweep.name,
        "source": sweep.source,
        "spec_input_shape": sweep.spec_input.to_list(),
        "batch": sweep.batch,
        "reference_params": sweep.reference_params,
        "rows": rows,
        "conventions": dict(CONVENTIONS),
    }


def render_json(sweep: Sweep, columns: tuple[SweepColumn, ...] = SWEEP_COLUMNS) -> str:
    return json.dumps(sweep_dict(sweep, columns), indent=2, ensure_ascii=False) + "\n"
