"""The summary table's rows as strings, shared by the text, rich and markdown renderers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cnncalc.core.report import CONVENTIONS, Report
from cnncalc.render import fmt

COLUMNS = ("Layer", "Kind", "Output", "Params", "%P", "MACs", "%M")
NUMERIC = {"Params", "%P", "MACs", "%M"}


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    explain: tuple[str, ...] = ()


def layer_rows(report: Report,
               explanations: Mapping[str, Sequence[str]] | None = None) -> list[Row]:
    t = report.totals
    rows = []
    for r in report.layers:
        rows.append(Row((r.name, r.description, fmt.shape(r.output_shape), fmt.count(r.params),
                         fmt.percent(r.params, t.params), fmt.count(r.macs),
                         fmt.percent(r.macs, t.macs)),
                        tuple(explanations.get(r.name, ())) if explanations else ()))
    return rows


def total_row(report: Report) -> tuple[str, ...]:
    t = report.totals
    return ("Total", f"{len(report.layers)} layers", fmt.shape(report.output_shape),
            fmt.group(t.params), "100%" if t.params else "", fmt.group(t.macs),
            "100%" if t.macs else "")


def footer_lines(report: Report) -> list[str]:
    """Totals spelled out, then the counting conventions (printed under every table)."""
    t = report.totals
    lines = [
        f"Input {report.input_shape}, batch {report.batch} → output {report.output_shape}",
        f"Params: {fmt.group(t.params)} ({fmt.si(t.params)}) = {fmt.group(t.weights)} weights + "
        f"{fmt.group(t.bias)} biases; trainable {fmt.group(t.trainable_params)}, "
        f"non-trainable {fmt.group(t.non_trainable)}",
        f"MACs: {fmt.group(t.macs)} ({fmt.si(t.macs)}) · FLOPs: {fmt.group(t.flops)} "
        f"({fmt.si(t.flops)})" + (f" for batch {report.batch}" if report.batch != 1 else ""),
    ]
    return lines


def convention_lines() -> list[str]:
    return [f"* {text}." for text in CONVENTIONS.values()]


def warning_lines(report: Report) -> list[str]:
    return [d.headline() for d in report.warnings]
