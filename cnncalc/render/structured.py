"""Machine-readable renderings of a report: JSON, CSV and Markdown."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cnncalc.core.report import Report
from cnncalc.render.rows import (
    View,
    convention_lines,
    footer_lines,
    header_row,
    layer_rows,
    total_row,
)

CSV_FIELDS = ("name", "kind", "description", "inputs", "output_shape", "params", "weights", "bias",
              "trainable_params", "non_trainable", "macs", "flops")


def render_json(report: Report, explanations: Mapping[str, Sequence[str]] | None = None,
                extra: Mapping[str, Any] | None = None) -> str:
    data = report.to_dict()
    if explanations:
        for layer in data["layers"]:
            layer["explain"] = list(explanations.get(layer["name"], ()))
    if extra:
        data.update(extra)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_csv(report: Report,
               explanations: Mapping[str, Sequence[str]] | None = None) -> str:
    """One row per layer; with ``explanations`` (``--explain``) a last column ``explain`` holds
    the layer's lines joined by `` | ``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow((*CSV_FIELDS, "explain") if explanations else CSV_FIELDS)
    for r in report.layers:
        row = [r.name, r.kind, r.description, ";".join(r.inputs),
               "x".join(str(d) for d in r.output_shape.dims), r.params, r.weights,
               r.bias, r.trainable_params, r.non_trainable, r.macs, r.flops]
        if explanations:
            row.append(" | ".join(explanations.get(r.name, ())))
        writer.writerow(row)
    return buf.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: Report, view: View | None = None) -> str:
    view = view or View()
    out = [f"### {_md_cell(report.name)}", ""]
    out.append("| " + " | ".join(header_row(view)) + " |")
    out.append("|" + "|".join("---:" if c.numeric else "---" for c in view.columns) + "|")
    blank = " |" * (len(view.columns) - 2)
    for row in layer_rows(report, view):
        cells = [_md_cell(c) for c in row.cells]
        cells[0] = f"`{cells[0]}`"
        out.append("| " + " | ".join(cells) + " |")
        for text in row.explain:
            out.append("| | " + _md_cell(text) + " |" + blank)
    total = [f"**{_md_cell(c)}**" if c else "" for c in total_row(report, view)]
    out.append("| " + " | ".join(total) + " |")
    out.append("")
    out += [f"{line}  " for line in footer_lines(report, view)]
    out.append("")
    out += convention_lines(view)
    return "\n".join(out) + "\n"
