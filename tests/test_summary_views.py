"""What ``summary`` shows beyond the per-layer table: the tree (``--depth``), the Connected-to
column, frozen rows, totals that add up, and the warning when ``--input`` changes the network."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Result


def body(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if set(line) == {"-"}) + 1
    end = next(i for i in range(start, len(lines)) if set(lines[i]) == {"-"})
    return lines[start:end]


def count(cell: str) -> int:
    return int(cell.replace(",", "").replace("frozen ", "")) if cell.strip() else 0


@pytest.mark.parametrize(("spec", "depth"), [("resnet18", 1), ("resnet18", 2),
                                             ("googlenet_torchvision", 2), ("unet", 3)])
def test_a_tree_adds_up(cli: Callable[..., Result], spec: str, depth: int) -> None:
    out = cli("summary", spec, "--depth", str(depth), "--format", "text", "--width", "200").out
    rows = [re.split(r"\s{2,}", line.strip()) for line in body(out)]
    flat = cli("summary", spec, "--format", "json").out
    totals = json.loads(flat)["totals"]
    params = [count(r[3]) for r in rows if len(r) > 3 and re.fullmatch(r"[\d,]+", r[3])]
    assert sum(params) == totals["params"]
    tree = json.loads(cli("summary", spec, "--depth", str(depth), "--format", "json").out)["tree"]
    assert sum(r["params"] for r in tree) == totals["params"]
    assert max(r["depth"] for r in tree) == depth - 1 or depth > 2
    for r in tree:
        if r["expanded"]:
            assert (r["params"], r["macs"]) == (0, 0)


def test_depth_indents_the_layers_of_an_expanded_block(cli: Callable[..., Result]) -> None:
    lines = body(cli("summary", "resnet18", "--depth", "2").out)
    heading = next(i for i, line in enumerate(lines) if line.startswith("layer1.0 "))
    assert re.match(r"layer1\.0\s+basic · 7 layers\s+64×56×56$", lines[heading])
    assert lines[heading + 1].startswith("  layer1.0.conv1 ")


def test_connections_name_what_a_layer_reads_when_not_the_row_above(
        cli: Callable[..., Result]) -> None:
    out = cli("summary", "resnet18", "--connections", "--width", "160").out
    rows = {line.split()[0]: line for line in body(out)}
    assert rows["layer1.0.add1"].rstrip().endswith("maxpool, layer1.0.bn2")
    assert rows["layer1.0.conv1"].rstrip().endswith("6.4%")  # reads the row above: blank
    assert "* Connected to = the rows a layer reads" in out


def test_a_frozen_layer_is_marked_and_the_totals_add_up(cli: Callable[..., Result],
                                                        write_spec: Callable[..., Path]) -> None:
    path = write_spec("input: [3, 32, 32]\nlayers:\n  - conv: {out: 8, kernel: 3, trainable: false}"
                      "\n  - batchnorm\n  - relu\n")
    out = cli("summary", str(path)).out
    assert re.search(r"conv1\s+conv 3×3\s+8×30×30\s+frozen 224", out)
    assert "Params: 240 (240) = 224 weights + 16 biases = 16 trainable + 224 frozen" in out
    assert ("Buffers: 16 (batch-norm running statistics, not params) · Keras's \"Total params\": "
            "256") in out
    totals = json.loads(cli("summary", str(path), "--format", "json").out)["totals"]
    assert totals["params"] == totals["trainable_params"] + totals["frozen_params"]
    assert (totals["frozen_params"], totals["buffers"], totals["keras_total_params"],
            totals["non_trainable"]) == (224, 16, 256, 240)


def test_another_input_that_changes_the_parameters_says_so(cli: Callable[..., Result]) -> None:
    result = cli("summary", "alexnet", "--input", "3x64x64")
    assert result.code == 0
    assert ("warning: [input-changes-params] at input 3×64×64 the network has 24,265,064 "
            "parameters, not the 60,965,224 it has at the spec's input 3×227×227: linear 'fc6' "
            "reads 256 features instead of 9,216") in result.out
    quiet = cli("summary", "vgg16", "--input", "3x320x320").out  # global pooling: same params
    assert "input-changes-params" not in quiet
    warnings = json.loads(cli("summary", "alexnet", "--input", "3x64x64", "--format",
                              "json").out)["warnings"]
    assert [w["code"] for w in warnings] == ["input-changes-params"]
    assert warnings[0]["layer"] == "fc6"


def test_kind_column_has_no_python_text(cli: Callable[..., Result],
                                        write_spec: Callable[..., Path]) -> None:
    path = write_spec("input: [3, 32, 32]\nlayers:\n"
                      "  - conv: {out: 8, kernel: [1, 7], padding: [[0, 0], [3, 3]]}\n"
                      "  - conv: {out: 8, kernel: 3, padding: same}\n"
                      "  - conv: {out: 8, kernel: 3, stride: 2, padding: same_tf}\n"
                      "  - maxpool: {kernel: 2, padding: [[0, 1], [0, 1]]}\n"
                      "  - upsample: {size: [8, 10]}\n")
    kinds = [re.split(r"\s{2,}", line)[1] for line in body(cli("summary", str(path)).out)]
    assert kinds == ["conv 1×7 p0×3", "conv 3×3 same", "conv 3×3/2 same_tf", "maxpool 2/2 p0+1",
                     "upsample → 8×10"]
