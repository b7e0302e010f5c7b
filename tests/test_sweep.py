"""`summary --sweep-input`: which input sizes a network accepts cleanly."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

import cnncalc
from cnncalc.analysis.sweep import MAX_SIZES
from cnncalc.model.errors import SpecError
from cnncalc.model.quantity import parse_size_list

from .conftest import SPECS, Result

BRANCHES = """\
name: branches
input: [3, 32, 32]
layers:
  - concat:
      - [conv: {out: 8, kernel: 3, stride: 2, padding: 1}]
      - [maxpool: {kernel: 2}]
  - flatten
  - linear: {out: 10}
"""


def test_parse_sizes() -> None:
    def parse_sizes(text: str) -> tuple[tuple[int, ...], ...]:
        return parse_size_list(text, max_items=MAX_SIZES)

    assert parse_sizes("128:512:32") == tuple((v,) for v in range(128, 513, 32))  # both ends
    assert len(parse_sizes("128:512:32")) == 13
    assert parse_sizes("224,256, 320") == ((224,), (256,), (320,))
    assert parse_sizes("30:32,224x320") == ((30,), (31,), (32,), (224, 320))
    for bad, message in [("", "empty item"), ("a:b", "start:stop"), ("5:3", "empty"),
                         ("0:4", "at least 1"), ("1:2:3:4", "start:stop"), ("22x", "positive"),
                         (f"1:{MAX_SIZES + 1}", "more than")]:
        with pytest.raises(ValueError, match=message):
            parse_sizes(bad)


def test_merge_mismatch_and_floors_and_params(write_spec: Callable[[str], Path]) -> None:
    net = cnncalc.load(write_spec(BRANCHES))
    sweep = net.sweep_input("30:33")
    by_size = {r.input_shape.spatial[0]: r for r in sweep.rows}
    assert by_size[32].clean and by_size[30].clean
    for odd in (31, 33):  # conv gives ⌈i/2⌉, the pool ⌊i/2⌋: concat cannot join them
        row = by_size[odd]
        assert not row.ok and row.merge_mismatch and row.error is not None
        assert row.error.layer == "concat1"
    assert by_size[30].params_differ and not by_size[32].params_differ  # linear's input changes
    assert sweep.reference_params == by_size[32].report.totals.params  # type: ignore[union-attr]
    assert sweep.clean_sizes == (by_size[30].input_shape, by_size[32].input_shape)


def test_vgg16_floors_at_sizes_that_are_not_multiples_of_32() -> None:
    sweep = cnncalc.load(SPECS / "vgg16.yaml").sweep_input("192:256:16")
    status = {r.input_shape.spatial[0]: (r.clean, r.dropped) for r in sweep.rows}
    assert status[192] == (True, ()) and status[224] == (True, ()) and status[256] == (True, ())
    assert status[208] == (False, (("block5.pool", (1, 1)),))


def test_googlenet_refuses_small_inputs_and_changes_its_classifier() -> None:
    sweep = cnncalc.load(SPECS / "googlenet.yaml").sweep_input([192, 224, 256])
    small, native, large = sweep.rows
    assert not small.ok and small.error is not None and small.error.layer == "pool5"
    assert native.clean and not native.params_differ
    assert native.report is not None and native.report.totals.params == 6_998_552
    assert large.ok and large.params_differ


def test_per_axis_sizes_and_rank_checks() -> None:
    net = cnncalc.load(SPECS / "lenet5.yaml")
    row = net.sweep_input([(32, 36)]).rows[0]
    assert row.input_shape.spatial == (32, 36)
    with pytest.raises(SpecError, match="has 3 axes"):
        net.sweep_input([(32, 32, 32)])
    with pytest.raises(SpecError, match="start:stop"):
        net.sweep_input("1:2:3:4")


def test_cli_text(cli: Callable[..., Result], golden: Callable[[str, str], None]) -> None:
    result = cli("summary", str(SPECS / "googlenet.yaml"), "--sweep-input", "192:320:32")
    assert result.code == 0, result.err
    assert all(len(line) <= 100 for line in result.out.splitlines())
    golden("sweep-googlenet.txt", result.out.replace(str(SPECS), "specs"))


def test_cli_json_contract(cli: Callable[..., Result], write_spec: Callable[[str], Path]) -> None:
    data = json.loads(cli("summary", str(write_spec(BRANCHES)), "--sweep-input", "31:32",
                          "--format", "json").out)
    assert data["spec_input_shape"] == [3, 32, 32] and data["batch"] == 1
    bad, good = data["rows"]
    assert bad["input_shape"] == [3, 31, 31] and bad["ok"] is False and bad["clean"] is False
    assert bad["output_shape"] is None and bad["params"] is None and bad["macs"] is None
    assert bad["error"]["code"] == "merge-mismatch" and bad["error"]["layer"] == "concat1"
    assert good["ok"] and good["clean"] and good["error"] is None and good["dropped"] == []
    assert good["output_shape"] == [10] and good["flops"] == 2 * good["macs"]
    assert data["reference_params"] == good["params"]


def test_cli_csv_and_markdown(cli: Callable[..., Result]) -> None:
    rows = list(csv.DictReader(io.StringIO(cli("summary", "vgg16", "--sweep-input", "208,224",
                                               "--format", "csv").out)))
    assert [r["clean"] for r in rows] == ["False", "True"]
    assert rows[0]["status"] == "floors: block5.pool 1" and rows[0]["input_shape"] == "3x208x208"
    md = cli("summary", "vgg16", "--sweep-input", "208,224", "--format", "markdown").out
    assert "| Input | Output | Params | MACs | Status |" in md


@pytest.mark.parametrize(("args", "message"), [
    (["--sweep-input", "5:3"], "empty"),
    (["--sweep-input", "224", "--input", "3x224x224"], "without --input"),
    (["--sweep-input", "224", "--explain"], "without --input, --explain"),
    (["--sweep-input", "224", "--by", "block"], "--bars, --by"),
    (["--sweep-input", "32x32x32"], "has 3 axes"),
])
def test_cli_misuse(cli: Callable[..., Result], args: list[str], message: str) -> None:
    result = cli("summary", "lenet5", *args)
    assert result.code == 2 and message in result.err


def test_batch_scales_macs_not_params(cli: Callable[..., Result]) -> None:
    one = json.loads(cli("summary", "lenet5", "--sweep-input", "32", "--format", "json").out)
    four = json.loads(cli("summary", "lenet5", "--sweep-input", "32", "--batch", "4",
                          "--format", "json").out)
    assert four["rows"][0]["macs"] == 4 * one["rows"][0]["macs"]
    assert four["rows"][0]["params"] == one["rows"][0]["params"] and four["batch"] == 4


def test_columns_are_pluggable() -> None:
    """A later column (memory) is one more SweepColumn, in the table and the JSON."""
    from cnncalc.render.sweep import SWEEP_COLUMNS, SweepColumn, render_text, sweep_dict

    outputs = SweepColumn("Values", lambda s, r: str(r.report.output_shape.numel)
                          if r.report else "", numeric=True, json_key="output_values",
                          json_value=lambda s, r: r.report.output_shape.numel if r.report
                          else None)
    columns = (*SWEEP_COLUMNS[:-1], outputs, SWEEP_COLUMNS[-1])
    sweep = cnncalc.load(SPECS / "lenet5.yaml").sweep_input("32")
    assert "Values" in render_text(sweep, columns).splitlines()[1]
    assert sweep_dict(sweep, columns)["rows"][0]["output_values"] == 10
