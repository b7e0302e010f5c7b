"""Share bars in the summary table and the --by block roll-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import cnncalc
from cnncalc.analysis.rollup import block_dicts, by_block, group_by_block
from cnncalc.render.bars import EIGHTHS, FULL, bar, share_cell, with_bars
from cnncalc.render.rows import DEFAULT_COLUMNS, MACS_SHARE, PARAMS_SHARE

BUNDLED = ["lenet5", "alexnet", "alexnet_torchvision", "vgg16", "vgg16_conv", "googlenet",
           "googlenet_torchvision"]


@pytest.mark.parametrize(("part", "whole", "cells", "partial", "expected"), [
    (0, 100, 5, True, ""),               # nothing: no bar
    (5, 0, 5, True, ""),                 # no total: no bar
    (1, 1, 5, True, FULL * 5),           # the largest row fills the bar
    (1, 2, 5, True, FULL * 2 + "▌"),     # 2.5 cells = 20 eighths
    (1, 4, 5, True, FULL + "▎"),         # 1.25 cells = 10 eighths
    (1, 10**9, 5, True, "▏"),            # tiny but not zero: the smallest step shows
    (3, 80, 5, True, "▎"),               # 1.5 eighths: half rounds up to 2
    (1, 3, 6, True, FULL * 2),           # 16 eighths exactly
    (1, 2, 10, False, FULL * 5),         # Markdown: whole blocks
    (1, 1000, 10, False, FULL),          # ... at least one
    (149, 1000, 10, False, FULL),        # 1.49 blocks → 1
    (150, 1000, 10, False, FULL * 2),    # 1.5 → 2 (half up)
])
def test_bar_lengths(part: int, whole: int, cells: int, partial: bool, expected: str) -> None:
    assert bar(part, whole, cells, partial) == expected


def test_bar_is_monotonic_and_bounded() -> None:
    lengths = []
    for part in range(0, 401):
        text = bar(part, 400, 5)
        assert len(text) <= 5
        eighths = sum(8 if ch == FULL else EIGHTHS.index(ch) for ch in text)
        lengths.append(eighths)
    assert lengths == sorted(lengths)
    assert lengths[0] == 0 and lengths[-1] == 40


def test_share_cell_has_a_fixed_width_for_tables() -> None:
    cells = {share_cell(p, 1000, 500) for p in (1, 10, 100, 500)}
    assert {len(c) for c in cells} == {11}
    assert share_cell(0, 1000, 500) == ""
    assert share_cell(500, 1000, 500, pad=False) == f"50.0% {FULL * 5}"


def test_with_bars_replaces_the_share_columns() -> None:
    cols = with_bars()
    assert PARAMS_SHARE not in cols and MACS_SHARE not in cols
    assert [c.header for c in cols] == ["Layer", "Kind", "Output", "Params", "%P", "MACs", "%M"]
    no_shares = tuple(c for c in DEFAULT_COLUMNS if c not in (PARAMS_SHARE, MACS_SHARE))
    assert [c.header for c in with_bars(no_shares)] == [
        "Layer", "Kind", "Output", "Params", "%P", "MACs", "%M"]


def test_vgg16_bars_show_convs_hold_compute_fc_hold_parameters(cli: Callable[..., Any]) -> None:
    out = cli("summary", "vgg16", "--bars", "--format", "text").out
    rows = {line.split()[0]: line for line in out.splitlines() if line[:1].isalpha()}
    assert FULL * 5 in rows["fc6"].split("102,760,448")[0]        # fc6 has the most parameters
    assert "74.3%" in rows["fc6"]
    assert rows["block1.conv2"].rstrip().endswith("12.0% " + FULL * 5)  # a conv has most MACs


@pytest.mark.parametrize(("args", "name"), [
    (("summary", "vgg16", "--bars", "--format", "text"), "summary_vgg16_bars.txt"),
    (("summary", "googlenet", "--by", "block", "--bars", "--format", "text"),
     "summary_googlenet_by_block_bars.txt"),
    (("summary", "alexnet", "--bars", "--format", "markdown"), "summary_alexnet_bars.md"),
    (("summary", "vgg16", "--by", "block", "--format", "markdown"), "summary_vgg16_by_block.md"),
])
def test_golden_bars_and_blocks(cli: Callable[..., Any], golden: Callable[[str, str], None],
                                args: tuple[str, ...], name: str) -> None:
    result = cli(*args)
    assert result.code == 0, result.err
    golden(name, result.out)


@pytest.mark.parametrize("name", BUNDLED)
def test_bars_fit_100_columns(cli: Callable[..., Any], name: str) -> None:
    out = cli("summary", name, "--bars", "--format", "text").out
    table = out.split("\n\n")[0].splitlines()
    assert max(len(line) for line in table) <= 100
    assert "%P" in table[1] and "%M" in table[1]       # the bars were not dropped to fit


# --- roll-up -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUNDLED)
def test_rollup_keeps_the_totals(name: str) -> None:
    report = cnncalc.load(name).summary()
    rolled = by_block(report)
    assert sum(r.params for r in rolled.layers) == report.totals.params
    assert sum(r.macs for r in rolled.layers) == report.totals.macs
    assert sum(r.buffers for r in rolled.layers) == report.totals.buffers
    assert rolled.totals == report.totals
    assert rolled.output_shape == report.output_shape
    names = {r.name for r in rolled.layers} | {"input"}
    assert all(src in names for r in rolled.layers for src in r.inputs)


def test_vgg16_by_block_rows() -> None:
    rolled = by_block(cnncalc.load("vgg16").summary())
    names = [r.name for r in rolled.layers]
    assert names[:5] == ["block1", "block2", "block3", "block4", "block5"]
    assert names[5:] == ["adaptive_avgpool1", "flatten1", "fc6", "relu1", "dropout1", "fc7",
                         "relu2", "dropout2", "fc8"]
    stages = {r.name: r for r in rolled.layers[:5]}
    assert [str(stages[f"block{i}"].output_shape) for i in range(1, 6)] == [
        "64×112×112", "128×56×56", "256×28×28", "512×14×14", "512×7×7"]
    # conv params of a stage: c_in·c·9 + c per conv (CS231n's VGG-16 walk-through)
    assert stages["block1"].params == (3 * 64 * 9 + 64) + (64 * 64 * 9 + 64)
    assert stages["block1"].description == "stage · 5 layers"
    assert stages["block2"].inputs == ("block1",)


# GoogLeNet table 1: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj, and the input channels.
INCEPTION = {
    "inception_3a": (192, 64, 96, 128, 16, 32, 32),
    "inception_3b": (256, 128, 128, 192, 32, 96, 64),
    "inception_4a": (480, 192, 96, 208, 16, 48, 64),
    "inception_4b": (512, 160, 112, 224, 24, 64, 64),
    "inception_4c": (512, 128, 128, 256, 24, 64, 64),
    "inception_4d": (512, 112, 144, 288, 32, 64, 64),
    "inception_4e": (528, 256, 160, 320, 32, 128, 128),
    "inception_5a": (832, 256, 160, 320, 32, 128, 128),
    "inception_5b": (832, 384, 192, 384, 48, 128, 128),
}


def test_googlenet_by_block_module_parameters_from_the_paper_table() -> None:
    rolled = {r.name: r for r in by_block(cnncalc.load("googlenet").summary()).layers}
    for name, (cin, c1, c3r, c3, c5r, c5, pp) in INCEPTION.items():
        expected = ((cin * c1 + c1) + (cin * c3r + c3r) + (c3r * c3 * 9 + c3)
                    + (cin * c5r + c5r) + (c5r * c5 * 25 + c5) + (cin * pp + pp))
        assert rolled[name].params == expected, name
        assert rolled[name].output_shape.channels == c1 + c3 + c5 + pp
        assert rolled[name].kind == "inception"


def test_nested_blocks_roll_up_to_the_outermost(write_spec: Callable[..., Any]) -> None:
    path = write_spec("""
name: nested
input: [8, 16, 16]
blocks:
  inner:
    layers: [conv: {out: 8, kernel: 3, padding: 1}, relu]
  outer:
    layers:
      - add: [[inner, inner], []]
layers:
  - outer: {name: a}
  - repeat: 2
    name: stage
    layers: [outer]
  - global_avgpool
""")
    report = cnncalc.load(str(path)).summary()
    groups = group_by_block(report)
    assert [(g.name, g.what, len(g.layers)) for g in groups] == [
        ("a", "outer", 5), ("stage.1", "outer", 5), ("stage.2", "outer", 5),
        ("global_avgpool1", "global_avgpool", 1)]
    dicts = block_dicts(report)
    assert dicts[0]["params"] == 2 * (8 * 8 * 9 + 8)
    assert dicts[1]["layers"][0].startswith("stage.1.")


def test_by_block_json_adds_blocks_and_keeps_layers(cli: Callable[..., Any]) -> None:
    import json

    data = json.loads(cli("summary", "googlenet", "--by", "block", "--format", "json").out)
    assert len(data["layers"]) == 142
    assert [b["name"] for b in data["blocks"] if b["what"] == "inception"] == list(INCEPTION)
    assert sum(b["params"] for b in data["blocks"]) == data["totals"]["params"]
