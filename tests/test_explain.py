"""`summary --explain`: every kind explains itself, and the numbers its lines end with are the
numbers in the report (so an explanation can never disagree with the table)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

import cnncalc
from cnncalc.layers.base import lookup
from cnncalc.model.shape import Shape
from cnncalc.quick.calc import axis_names

from .conftest import SPECS, Result
from .test_layers import CASES

LABELLED = re.compile(r"^(?:out|dropped) ([A-Z](?:, [A-Z])*): ")


def final_number(line: str) -> int:
    """The number after the last ``= `` (``... = 9,472`` → 9472)."""
    return int(line.rsplit("= ", 1)[1].split()[0].replace(",", ""))


def check(lines: tuple[str, ...], output: Shape, params: int, macs: int) -> None:
    assert lines, "every kind explains itself"
    names = axis_names(output.rank) if output.rank else ()
    for line in lines:
        if line.startswith("params:"):
            assert (final_number(line) if "= " in line else 0) == params, line
        elif line.startswith("MACs") and "batch" not in line:
            assert final_number(line) == macs, line
        elif line.startswith("out ") and (m := LABELLED.match(line)) and " = " in line:
            for axis in m.group(1).split(", "):
                assert final_number(line.split(" (the last")[0]) == \
                    output.spatial[names.index(axis)], line
    if params and not any(line.startswith("params:") for line in lines):
        pytest.fail(f"parameters {params} are not explained: {lines}")
    if macs and not any(line.startswith("MACs") for line in lines):
        pytest.fail(f"MACs {macs} are not explained: {lines}")


@pytest.mark.parametrize(("kind", "attrs", "inputs", "output", "counts", "macs"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_every_kind_explains_its_own_numbers(kind: str, attrs: dict[str, Any],
                                             inputs: tuple[Shape, ...], output: Shape,
                                             counts: tuple[int, int, int], macs: int) -> None:
    cls = lookup(kind)
    assert cls is not None
    layer = cls.from_attrs(attrs)
    lines = layer.explain(inputs, output)
    check(lines, output, counts[0] + counts[1], macs)
    assert not any(re.search(r"\(\d+, \d+\)", line) for line in lines), lines


@pytest.mark.parametrize("spec", sorted(p.stem for p in SPECS.glob("*.yaml")))
def test_bundled_explanations_match_their_reports(spec: str) -> None:
    net = cnncalc.load(SPECS / f"{spec}.yaml")
    report = net.summary(batch=1)
    explained = net.explain()
    assert list(explained) == [r.name for r in report.layers]
    for r in report.layers:
        check(explained[r.name], r.output_shape, r.params, r.macs)


def test_batch_line_and_dropped_pixels() -> None:
    net = cnncalc.load({"name": "t", "input": [3, 10, 10], "layers": [
        {"conv": {"out": 4, "kernel": 3, "stride": 2}}]})
    lines = net.explain(batch=4)["conv1"]
    assert "dropped H, W: 1 input pixel at the end: (10 + 2·0 − 3) mod 2 = 1; 9 and 11 use " \
           "every pixel" in lines
    assert "MACs: 4·4×4 outputs × 3·3×3 = 1,728" in lines  # per sample …
    assert lines[-1] == "MACs for batch 4: × 4 = 6,912"  # … and for the batch, as the table


def test_googlenet_floor_alternative_is_named() -> None:
    net = cnncalc.load({"name": "t", "input": [64, 112, 112], "layers": [
        {"maxpool": {"kernel": 3, "stride": 2}}]})
    assert "H, W: rounding up (ceil_mode) gives 56" in net.explain()["maxpool1"]


def test_json_carries_explain_per_layer(cli: Callable[..., Result]) -> None:
    data = json.loads(cli("summary", "lenet5", "--explain", "--format", "json").out)
    first = data["layers"][0]
    assert first["explain"][0] == "out H, W: ⌊(32 + 2·0 − 1·(5−1) − 1)/1⌋ + 1 = 28"
    assert all(isinstance(layer["explain"], list) and layer["explain"]
               for layer in data["layers"])
    plain = json.loads(cli("summary", "lenet5", "--format", "json").out)
    assert "explain" not in plain["layers"][0]  # only when asked for


def test_csv_explain_column(cli: Callable[..., Result]) -> None:
    rows = list(csv.DictReader(io.StringIO(cli("summary", "lenet5", "--explain", "--format",
                                               "csv").out)))
    assert rows[0]["explain"].startswith("out H, W: ⌊(32 + 2·0") and " | params: " in \
        rows[0]["explain"]
    plain = cli("summary", "lenet5", "--format", "csv").out
    assert "explain" not in plain.splitlines()[0]


def test_rich_table_shows_whole_explanations() -> None:
    """A rich table cell would cut an explanation to the Layer column's width."""
    from rich.console import Console

    from cnncalc.analysis.walk import explain
    from cnncalc.render.rich_table import render_summary
    from cnncalc.render.rows import View

    net = cnncalc.load(SPECS / "alexnet.yaml")
    report = net.summary()
    console = Console(width=100, force_terminal=True, color_system=None)
    with console.capture() as capture:
        console.print(render_summary(report, 100, View(explanations=explain(net.graph, report))))
    text = capture.get()
    assert "params: 256·48 (96/2 per group)·5×5 = 307,200 weights + 256 bias = 307,456" in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 100
    assert "60,965,224" in text


def test_text_explanations_wrap_to_the_width(cli: Callable[..., Result]) -> None:
    net = "{name: t, input: [1, 8, 10], layers: [{maxpool: {kernel: 3, stride: 4, ceil_mode: " \
          "true}}]}"
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.yaml"
        path.write_text(net, encoding="utf-8")
        out = cli("summary", str(path), "--explain", "--format", "text", "--width", "60").out
    assert all(len(line) <= 60 for line in out.splitlines())
    assert "(the last" in out and "        of 3 windows" in out  # a hanging indent
