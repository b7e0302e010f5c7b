"""Machine-readable renderings of a report: JSON, CSV and Markdown."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cnncalc.core.report import Report
from cnncalc.render.rows import (
    COLUMNS,
    NUMERIC,
    convention_lines,
    footer_lines,
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


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in report.layers:
        writer.writerow([r.name, r.kind, r.description, ";".join(r.inputs),
                         "x".join(str(d) for d in r.output_shape.dims), r.params, r.weights,
                         r.bias, r.trainable_params, r.non_trainable, r.macs, r.flops])
    return buf.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: Report,
                    explanations: Mapping[str, Sequence[str]] | None = None) -> str:
    out = [f"### {_md_cell(report.name)}", ""]
    out.append("| " + " | ".join(COLUMNS) + " |")
    out.append("|" + "|".join("---:" if c in NUMERIC else "---" for c in COLUMNS) + "|")
    for row in layer_rows(report, explanations):
        cells = [_md_cell(c) for c in row.cells]
        cells[0] = f"`{cells[0]}`"
        out.append("| " + " | ".join(cells) + " |")
        for text in row.explain:
            out.append("| | " + _md_cell(text) + " | | | | | |")
    total = [f"**{_md_cell(c)}**" if c else "" for c in total_row(report)]
    out.append("| " + " | ".join(total) + " |")
    out.append("")
    out += [f"{line}  " for line in footer_lines(report)]
    out.append("")
    out += convention_lines()
    return "\n".join(out) + "\n"
