"""Receptive-field columns (``summary --rf``, ``cnncalc rf``), footer lines and JSON.

The numbers come finished from :class:`cnncalc.model.rf.ReceptiveField`; this module only
formats them.
"""

from __future__ import annotations

from typing import Any

from cnncalc.analysis.report import LayerReport, Report
from cnncalc.model.axes import format_axes
from cnncalc.model.rf import Exact, exact
from cnncalc.render.rows import KIND, LAYER, OUTPUT, Column

NOTE = ("receptive field (RF) = input pixels one unit sees per axis, padding included "
        "(Distill 2019); jump = distance between neighbouring units' fields, in input pixels; "
        "start = input coordinate of the centre of unit 0's field; after an upsampling the RF is "
        "the largest of any unit and the jump an exact average")


NUMBERS = ("exact: integers; a float only where it is exact (15.5); otherwise a fraction "
           "string (\"16/75\")")


def number(value: Exact) -> str:
    """``32``; ``15.5``; ``1/3`` — exact, decimal only where a short decimal is exact."""
    if isinstance(value, int):
        return str(value)
    if value.denominator == 1:
        return str(value.numerator)
    if value.denominator in (2, 4, 8):
        return f"{float(value):g}"
    return f"{value.numerator}/{value.denominator}"


def per_axis(values: tuple[Exact, ...]) -> str:
    """One value when every axis agrees, else ``212×180``."""
    return format_axes([number(v) for v in values])


def _rf(r: LayerReport, attr: str) -> str:
    if r.rf is None:
        return "?"
    text = per_axis(getattr(r.rf, attr))
    return f"≈{text}" if r.rf.approximate else text


RF = Column("RF", lambda rep, r: _rf(r, "size"), numeric=True, style="bold blue")
JUMP = Column("Jump", lambda rep, r: _rf(r, "jump"), numeric=True, style="blue")
START = Column("Start", lambda rep, r: _rf(r, "start"), numeric=True, optional=True,
               style="dim blue")
PADDING = Column("Pad", lambda rep, r: _rf(r, "effective_padding"), numeric=True,
                 optional=True, style="dim blue")


def covers_column(report: Report) -> Column:
    """``first`` at the first layer that sees the whole input, ``yes`` after it."""
    first = first_covering(report)

    def cell(rep: Report, r: LayerReport) -> str:
        if r.rf is None or not r.rf.covers_input:
            return ""
        return "first" if r.name == first else "yes"
    return Column("Whole", cell, style="green")


SUMMARY_COLUMNS: tuple[Column, ...] = (RF, JUMP, START)


def rf_columns(report: Report) -> tuple[Column, ...]:
    """The columns of ``cnncalc rf``."""
    return (LAYER, KIND, OUTPUT, RF, JUMP, START, PADDING, covers_column(report))


def first_covering(report: Report) -> str | None:
    """The first layer (in execution order) one of whose units sees the whole input."""
    for r in report.layers:
        if r.rf is not None and r.rf.covers_input:
            return r.name
    return None


def footer(report: Report) -> list[str]:
    """What the receptive-field analysis concludes, in words."""
    size = "×".join(str(d) for d in report.input_shape.spatial)
    if not report.input_shape.spatial:
        return ["Receptive field: the input has no spatial axes"]
    name = first_covering(report)
    if name is not None:
        rf = report.layer(name).rf
        assert rf is not None
        return [f"Receptive field: '{name}' is the first layer that sees the whole {size}-pixel "
                f"input (RF {per_axis(rf.size)}, jump {per_axis(rf.jump)})"]
    known = [r for r in report.layers if r.rf is not None and r.rf.size]
    if not known:
        return [f"Receptive field: no layer sees the whole {size}-pixel input"]
    widest = max(known, key=lambda r: min(r.rf.size) if r.rf else 0)
    assert widest.rf is not None
    return [f"Receptive field: no layer sees the whole {size}-pixel input; the largest RF is "
            f"{per_axis(widest.rf.size)} at '{widest.name}'"]


def rf_dict(report: Report) -> dict[str, Any]:
    """The JSON of ``cnncalc rf`` (docs/receptive-field.md)."""
    layers = []
    for r in report.layers:
        entry: dict[str, Any] = {"name": r.name, "kind": r.kind,
                                 "output_shape": r.output_shape.to_list()}
        if r.rf is None:
            entry.update(rf=None, effective_padding=None, covers_input=None, regular=None,
                         approximate=None)
        else:
            entry.update(rf=r.rf.to_dict(),
                         effective_padding=[exact(v) for v in r.rf.effective_padding],
                         covers_input=r.rf.covers_input, regular=r.rf.regular,
                         approximate=r.rf.approximate)
        layers.append(entry)
    warnings = [{"severity": d.severity, "code": d.code, "message": d.message, "layer": d.layer,
                 "line": d.mark.line if d.mark else None,
                 "column": d.mark.column if d.mark else None} for d in report.warnings]
    return {"schema_version": 1, "name": report.name, "source": report.source,
            "input_shape": report.input_shape.to_list(), "layers": layers,
            "first_covering_layer": first_covering(report),
            "conventions": {"rf": NOTE, "numbers": NUMBERS},
            "warnings": warnings}


__all__ = ["JUMP", "NOTE", "PADDING", "RF", "START", "SUMMARY_COLUMNS", "covers_column",
           "first_covering", "footer", "number", "per_axis", "rf_columns", "rf_dict"]
