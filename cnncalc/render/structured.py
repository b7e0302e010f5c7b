"""Machine-readable renderings of a report: JSON, CSV and Markdown."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from cnncalc.analysis.report import Report
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
    """``report.to_dict()`` (plus each layer's ``"explain"`` lines and ``extra`` top-level keys)
    as ``json.dumps(..., indent=2, ensure_ascii=False)`` writes it, with a final newline."""
    return "".join(iter_json(report, explanations, extra))


def iter_json(report: Report, explanations: Mapping[str, Sequence[str]] | None = None,
              extra: Mapping[str, Any] | None = None, batch: int = 256) -> Iterator[str]:
    """:func:`render_json`'s text in pieces — the document around the layers, then ``batch``
    layers at a time — so that a report of any size is written without ever holding its whole
    JSON, or every layer's dict, in memory (at 100,000 layers that was most of a gigabyte)."""
    data = dataclasses.replace(report, layers=()).to_dict()
    if extra:
        data.update(extra)
    if not data:
        yield "{}\n"
        return
    last = len(data) - 1
    text = "{\n"
    for n, (key, value) in enumerate(data.items()):
        end = ",\n" if n < last else "\n"
        head = f"  {encode_basestring(key)}: "
        if key == "layers" and report.layers:
            yield text + head + "[\n"
            yield from _layer_chunks(report, explanations, batch)
            text = "  ]" + end
        else:
            text += head + _json(value, "  ") + end
    yield text + "}\n"


def _layer_chunks(report: Report, explanations: Mapping[str, Sequence[str]] | None,
                  batch: int) -> Iterator[str]:
    layers = report.layers
    last = len(layers) - 1
    pieces: list[str] = []
    for i, layer in enumerate(layers):
        data = layer.to_dict()
        if explanations:
            data["explain"] = list(explanations.get(layer.name, ()))
        pieces.append("    " + _json(data, "    ") + (",\n" if i < last else "\n"))
        if len(pieces) >= batch:
            yield "".join(pieces)
            pieces = []
    if pieces:
        yield "".join(pieces)


def _json(value: Any, indent: str) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` for a value nested at ``indent``: the
    same text, for the types a report holds, about 1.5× faster than the standard library's
    pure-Python indenting encoder."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if kind is float:
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        return ("{\n" + ",\n".join(f"{inner}{encode_basestring(str(k))}: {_json(v, inner)}"
                                    for k, v in value.items()) + "\n" + indent + "}")
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + _json(v, inner) for v in value) + "\n" + indent + "]"
    if isinstance(value, int):  # an int subclass (an IntEnum)
        return int.__repr__(value)
    raise TypeError(f"Object of type {kind.__name__} is not JSON serializable")


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
