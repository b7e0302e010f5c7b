"""cnncalc diff: matching, deltas, --fail-on conditions, renderings."""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.checks.diff import (
    ADDED,
    CHANGED,
    REMOVED,
    UNCHANGED,
    Condition,
    ConditionError,
    diff_reports,
    longest_increasing,
)


def report(name: str, **kwargs: Any) -> dict[str, Any]:
    data: dict[str, Any] = cnncalc.load(name).summary(**kwargs).to_dict()
    return data


def spec_report(text: str) -> dict[str, Any]:
    data: dict[str, Any] = cnncalc.load(text).summary().to_dict()
    return data


# --- golden files --------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "fmt", "name"), [
    ("alexnet", "alexnet_torchvision", "text", "diff_alexnet.txt"),
    ("alexnet", "alexnet_torchvision", "markdown", "diff_alexnet.md"),
    ("alexnet", "alexnet_torchvision", "json", "diff_alexnet.json"),
    ("vgg16", "vgg16_conv", "text", "diff_vgg16_conv.txt"),
    ("vgg16", "vgg16_conv", "markdown", "diff_vgg16_conv.md"),
])
def test_golden_diffs(cli: Callable[..., Any], golden: Callable[[str, str], None], old: str,
                      new: str, fmt: str, name: str) -> None:
    result = cli("diff", old, new, "--format", fmt)
    assert result.code == 0, result.err
    golden(name, result.out)


def test_golden_googlenet_rename_by_position(cli: Callable[..., Any],
                                             golden: Callable[[str, str], None]) -> None:
    # No layer name is shared: every pair is matched by position (and kind).
    result = cli("diff", "googlenet", "googlenet_torchvision", "--format", "text", "--width",
                 "120")
    assert result.code == 0, result.err
    golden("diff_googlenet.txt", result.out)


# --- matching ------------------------------------------------------------------------------------


def test_identical_reports_have_no_changes() -> None:
    d = diff_reports(report("googlenet"), report("googlenet"))
    assert d.identical
    assert {e.status for e in d.entries} == {UNCHANGED}
    assert all(t.delta == 0 for t in d.totals)


def test_alexnet_against_torchvision() -> None:
    d = diff_reports(report("alexnet"), report("alexnet_torchvision"))
    by_name = {e.name: e for e in d.entries}
    assert [e.name for e in d.entries if e.status == REMOVED] == ["norm1", "norm2"]
    assert [e.name for e in d.entries if e.status == ADDED] == ["adaptive_avgpool1"]
    conv1 = by_name["conv1"]
    # 96·(11·11·3)+96 → 64·(11·11·3)+64 parameters; 96 → 64 channels at 55×55
    assert conv1.delta("params") == (64 - 96) * (11 * 11 * 3 + 1)
    assert conv1.delta("macs") == (64 - 96) * 55 * 55 * 11 * 11 * 3
    assert set(conv1.changes) >= {"description", "output_shape", "params", "macs"}
    assert by_name["conv3"].changes == ("params", "macs")    # 256 → 192 input channels
    assert by_name["dropout1"].moved and by_name["dropout2"].moved
    assert by_name["relu3"].status == UNCHANGED
    assert d.total("params").delta == 61_100_840 - 60_965_224       # type: ignore[union-attr]
    assert d.total("macs").delta == 714_188_480 - 724_406_816       # type: ignore[union-attr]
    # Removed layers sit where they were: norm1 right after relu1.
    order = [e.name for e in d.entries]
    assert order.index("norm1") == order.index("relu1") + 1


def test_renamed_layers_are_matched_by_position_and_kind() -> None:
    old = spec_report("""
input: [3, 32, 32]
layers:
  - conv: {out: 8, kernel: 3, name: stem}
  - relu
  - conv: {out: 16, kernel: 3, name: body}
  - relu
  - global_avgpool
  - flatten
  - linear: {out: 10, name: head}
""")
    new = spec_report("""
input: [3, 32, 32]
layers:
  - conv: {out: 8, kernel: 3, name: first}
  - relu
  - batchnorm: {name: bn}
  - conv: {out: 32, kernel: 3, name: second}
  - relu
  - global_avgpool
  - flatten
  - linear: {out: 10, name: head}
""")
    d = diff_reports(old, new)
    pairs = [(e.status, e.old.name if e.old else None, e.new.name if e.new else None, e.match)
             for e in d.entries]
    assert pairs == [
        (CHANGED, "stem", "first", "position"),
        (UNCHANGED, "relu1", "relu1", "name"),
        (ADDED, None, "bn", None),
        (CHANGED, "body", "second", "position"),
        (CHANGED, "relu2", "relu2", "name"),
        (CHANGED, "global_avgpool1", "global_avgpool1", "name"),   # 16 → 32 channels
        (CHANGED, "flatten1", "flatten1", "name"),
        (CHANGED, "head", "head", "name"),
    ]
    # relu2's own output doubles (16 → 32 channels), and with it the bytes it holds
    assert d.entries[4].changes == ("output_shape", "activation_bytes")
    assert d.entries[7].changes == ("params", "macs")
    second = d.entries[3]
    assert second.delta("params") == (8 * 9 * 32 + 32) - (8 * 9 * 16 + 16)
    assert d.renamed == 2


def test_position_matching_stays_between_anchors() -> None:
    # conv 'a' vanished before the anchor 'mid'; conv 'b' appeared after it: not a rename.
    old = spec_report("""
input: [4, 8, 8]
layers: [conv: {out: 4, kernel: 1, name: a}, relu: {name: mid}, identity: {name: end}]
""")
    new = spec_report("""
input: [4, 8, 8]
layers: [relu: {name: mid}, conv: {out: 4, kernel: 1, name: b}, identity: {name: end}]
""")
    d = diff_reports(old, new)
    assert [(e.status, e.name) for e in d.entries] == [
        (REMOVED, "a"), (UNCHANGED, "mid"), (ADDED, "b"), (UNCHANGED, "end")]
    # mid now reads the input instead of 'a', and end reads 'b' instead of mid: both edges are
    # explained by the removal and the addition, so neither counts as a rewiring.


def test_rewiring_is_a_change() -> None:
    text = """
input: [4, 8, 8]
layers:
  - conv: {out: 4, kernel: 1, name: a}
  - conv: {out: 4, kernel: 1, name: b}
  - add: {inputs: [{src}, b], name: merge}
"""
    d = diff_reports(spec_report(text.replace("{src}", "a")),
                     spec_report(text.replace("{src}", "input")))
    assert {e.name: e.changes for e in d.entries}["merge"] == ("inputs",)


def test_memory_fields_are_compared_when_present() -> None:
    old, new = report("lenet5"), report("lenet5")
    for data, scale in ((old, 4), (new, 2)):   # as if float32 vs float16
        for layer in data["layers"]:
            numel = 1
            for dim in layer["output_shape"]:
                numel *= dim
            layer["activation_bytes"] = numel * scale
        data["totals"]["memory"] = {"params_bytes": data["totals"]["params"] * scale,
                                    "training_step_bytes": 1000 * scale}
    d = diff_reports(old, new)
    assert [key for key, _, _ in d.layer_metrics] == ["params", "macs", "activation_bytes",
                                                      "live_bytes"]
    c1 = {e.name: e for e in d.entries}["c1"]
    assert c1.status == CHANGED and c1.changes == ("activation_bytes",)
    assert c1.delta("activation_bytes") == -6 * 28 * 28 * 2
    assert d.total("training_step_bytes").delta == -2000     # type: ignore[union-attr]
    holds, _ = Condition.parse("training_step_bytes<-40%").check(d)
    assert holds
    from cnncalc.render.diff import render_markdown, render_text

    assert "ΔAct. mem" in render_text(d)
    assert "Memory: training step" in render_markdown(d)


def test_reports_without_rf_are_compared_without_it() -> None:
    old, new = report("lenet5"), report("lenet5")
    for layer in old["layers"] + new["layers"]:
        del layer["rf"]
    d = diff_reports(old, new)
    assert not d.rf_compared and d.identical


def test_deleting_every_layer_name_keeps_linear_matching() -> None:
    old = report("vgg16")
    new = copy.deepcopy(old)
    for i, layer in enumerate(new["layers"]):
        layer["name"] = f"x{i}"
    d = diff_reports(old, new)
    assert d.renamed == len(new["layers"])
    assert d.count(ADDED) == d.count(REMOVED) == 0


# --- longest increasing subsequence --------------------------------------------------------------


def _lis_length(values: list[int]) -> int:
    """O(n²) dynamic programme, the oracle."""
    best = [1] * len(values)
    for i in range(len(values)):
        for j in range(i):
            if values[j] < values[i]:
                best[i] = max(best[i], best[j] + 1)
    return max(best, default=0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=40))
def test_longest_increasing_matches_the_quadratic_oracle(values: list[int]) -> None:
    picked = longest_increasing(values)
    assert picked == sorted(picked)
    chosen = [values[i] for i in picked]
    assert all(a < b for a, b in itertools.pairwise(chosen))
    assert len(picked) == _lis_length(values)


# --- conditions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "metric", "op", "amount", "percent"), [
    ("params>5%", "params", ">", 5.0, True),
    ("macs >= 1G", "macs", ">=", 1e9, False),
    ("params<-10%", "params", "<", -10.0, True),
    ("layers!=0", "layers", "!=", 0.0, False),
    ("flops=0", "flops", "==", 0.0, False),
    ("params_bytes>64MiB", "params_bytes", ">", 64 * 2**20, False),
    ("params>1,000,000", "params", ">", 1e6, False),
    ("any", "any", "", 0.0, False),
])
def test_condition_grammar(text: str, metric: str, op: str, amount: float,
                           percent: bool) -> None:
    c = Condition.parse(text)
    assert (c.metric, c.op, c.amount, c.percent) == (metric, op, amount, percent)


@pytest.mark.parametrize(("text", "message"), [
    ("params", "shell redirect"),
    ("params>5 parsecs", "unknown unit"),
    ("params>>5", "cannot read"),
    ("5%>params", "cannot read"),
])
def test_bad_conditions(text: str, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        Condition.parse(text)


def test_conditions_on_alexnet() -> None:
    d = diff_reports(report("alexnet"), report("alexnet_torchvision"))
    assert Condition.parse("params>5%").check(d)[0] is False       # +0.22 %
    assert Condition.parse("params>0.2%").check(d)[0] is True
    assert Condition.parse("macs<-1%").check(d)[0] is True         # −1.41 %
    assert Condition.parse("macs>-10M").check(d)[0] is False       # −10,218,336
    assert Condition.parse("layers==-1").check(d)[0] is True
    assert Condition.parse("any").check(d)[0] is True
    same = diff_reports(report("lenet5"), report("lenet5"))
    assert Condition.parse("any").check(same)[0] is False
    with pytest.raises(ConditionError, match="unknown metric 'memory'"):
        Condition.parse("memory>5%").check(d)


def test_percent_of_zero() -> None:
    old = spec_report("input: [4, 8, 8]\nlayers: [relu]")
    new = spec_report("input: [4, 8, 8]\nlayers: [conv: {out: 4, kernel: 1}]")
    d = diff_reports(old, new)
    assert Condition.parse("params>1000%").check(d)[0] is True     # from 0: +inf %


# --- CLI -----------------------------------------------------------------------------------------


def test_fail_on_sets_the_exit_code(cli: Callable[..., Any]) -> None:
    ok = cli("diff", "alexnet", "alexnet_torchvision", "--fail-on", "params>5%")
    assert ok.code == 0 and "passed: params>5%" in ok.out
    bad = cli("diff", "alexnet", "alexnet_torchvision", "--fail-on", "params>5%,macs<-1%",
              "--format", "markdown")
    assert bad.code == 1
    assert "❌ **failed** `macs<-1%`" in bad.out
    assert "failed: macs<-1%" in bad.err          # said on stderr too: stdout may be a file
    data = json.loads(cli("diff", "alexnet", "alexnet_torchvision", "--fail-on", "macs<-1%",
                          "--format", "json").out)
    assert data["failed"] is True and data["checks"][0]["condition"] == "macs<-1%"


def test_fail_on_misuse_is_exit_2(cli: Callable[..., Any]) -> None:
    result = cli("diff", "lenet5", "lenet5", "--fail-on", "params")
    assert result.code == 2 and "shell redirect" in result.err
    result = cli("diff", "lenet5", "lenet5", "--fail-on", "memory>1%")
    assert result.code == 2 and "these reports have: params" in result.err


def test_saved_json_baseline(cli: Callable[..., Any], tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(cli("summary", "vgg16", "--format", "json").out, encoding="utf-8")
    same = cli("diff", str(baseline), "vgg16", "--fail-on", "any")
    assert same.code == 0, same.out + same.err
    assert "No differences: 40 layers" in same.out
    changed = cli("diff", str(baseline), "vgg16", "--input", "3x256x256", "--fail-on", "any")
    assert changed.code == 1


def test_bad_baseline_is_a_located_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"layers": [}', encoding="utf-8")
    result = cli("diff", str(broken), "lenet5")
    assert result.code == 1 and "broken.json:1:" in result.err and "Traceback" not in result.err
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}', encoding="utf-8")
    result = cli("diff", str(other), "lenet5")
    assert result.code == 1 and "not a cnncalc report" in result.err


def test_text_diff_fits_100_columns(cli: Callable[..., Any]) -> None:
    for old, new in (("alexnet", "alexnet_torchvision"), ("googlenet", "googlenet_torchvision"),
                     ("vgg16", "vgg16_conv")):
        out = cli("diff", old, new, "--all").out
        assert max(len(line) for line in out.splitlines()) <= 100
