"""The command line: formats, options, bundled names, golden renderings, help with examples."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOT, SPECS, Result


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "googlenet"])
def test_text_table_golden(cli: Callable[..., Result], golden: Callable[[str, str], None],
                           name: str) -> None:
    result = cli("summary", str(SPECS / f"{name}.yaml"), "--format", "text")
    assert result.code == 0, result.err
    golden(f"summary-{name}.txt", result.out.replace(str(SPECS), "specs"))
    assert all(len(line) <= 100 for line in result.out.splitlines())


def test_markdown_and_explain_golden(cli: Callable[..., Result],
                                     golden: Callable[[str, str], None]) -> None:
    result = cli("summary", str(SPECS / "lenet5.yaml"), "--format", "markdown", "--explain")
    assert result.code == 0
    golden("summary-lenet5-explain.md", result.out)


def test_rich_table_fits_100_columns(golden: Callable[[str, str], None]) -> None:
    from rich.console import Console

    import cnncalc
    from cnncalc.render.rich_table import render_summary

    report = cnncalc.load(SPECS / "googlenet_torchvision.yaml").summary()
    console = Console(width=100, force_terminal=True, color_system=None, record=True)
    with console.capture() as capture:
        console.print(render_summary(report, 100))
    text = capture.get()
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 100
    assert "6,624,904" in text and "1,498,376,192" in text and "…" not in text.split("Total")[1]
    golden("summary-googlenet_torchvision-rich.txt", text)


def test_json_contract(cli: Callable[..., Result]) -> None:
    result = cli("summary", "googlenet", "--format", "json")
    data = json.loads(result.out)
    assert {"name", "input_shape", "batch", "output_shape", "layers", "totals"} <= set(data)
    assert data["input_shape"] == [3, 224, 224] and data["output_shape"] == [1000]
    for layer in data["layers"]:
        assert {"name", "kind", "inputs", "output_shape", "params", "trainable_params", "macs",
                "flops"} <= set(layer)
    totals = data["totals"]
    assert totals["params"] == 6_998_552 and totals["macs"] == 1_582_671_872
    assert {"params", "trainable_params", "non_trainable", "macs", "flops"} <= set(totals)


def test_json_columns_sum_to_totals_and_shapes_chain(cli: Callable[..., Result]) -> None:
    for spec in sorted(SPECS.glob("*.yaml")):
        data = json.loads(cli("summary", str(spec), "--format", "json").out)
        layers = data["layers"]
        for key in ("params", "trainable_params", "non_trainable", "macs", "flops", "weights",
                    "bias", "buffers"):
            assert sum(layer[key] for layer in layers) == data["totals"][key], (spec, key)
        produced = {"input": data["input_shape"]}
        for layer in layers:
            assert layer["input_shapes"] == [produced[s] for s in layer["inputs"]]
            produced[layer["name"]] = layer["output_shape"]
        assert layers[-1]["output_shape"] == data["output_shape"]


def test_csv(cli: Callable[..., Result]) -> None:
    rows = list(csv.DictReader(io.StringIO(cli("summary", "alexnet", "--format", "csv").out)))
    assert sum(int(r["params"]) for r in rows) == 60_965_224
    assert rows[0]["name"] == "conv1" and rows[0]["output_shape"] == "96x55x55"


def test_input_and_batch_options(cli: Callable[..., Result]) -> None:
    data = json.loads(cli("summary", "vgg16_conv", "--input", "3x384x384", "--batch", "2",
                          "--format", "json").out)
    assert data["output_shape"] == [1000, 6, 6]
    assert data["batch"] == 2
    one = json.loads(cli("summary", "vgg16_conv", "--input", "3x384x384", "--format", "json").out)
    assert data["totals"]["macs"] == 2 * one["totals"]["macs"]


def test_bundled_name_with_or_without_extension(cli: Callable[..., Result]) -> None:
    a = cli("summary", "lenet5", "--format", "json").out
    b = cli("summary", "lenet5.yaml", "--format", "json").out
    assert json.loads(a)["totals"] == json.loads(b)["totals"]


def test_unknown_bundled_name_lists_the_bundled_specs(cli: Callable[..., Result]) -> None:
    result = cli("summary", "vgg17")
    assert result.code == 1
    assert "vgg16" in result.err


def test_conventions_under_every_table(cli: Callable[..., Result]) -> None:
    for fmt in ("text", "markdown"):
        out = cli("summary", "lenet5", "--format", fmt).out
        assert "FLOPs = 2 × MACs" in out and "MACs = multiply-accumulates" in out


def test_explain_shows_substituted_formulas(cli: Callable[..., Result]) -> None:
    out = cli("summary", "alexnet", "--explain", "--format", "text").out
    assert "⌊(227 + 2·0 − 1·(11−1) − 1)/4⌋ + 1 = 55" in out
    assert "params: 256·48 (96/2 per group)·5×5 = 307,200 weights + 256 bias = 307,456" in out


@pytest.mark.parametrize("command", ["summary", "kinds"])
def test_help_has_examples(cli: Callable[..., Result], command: str) -> None:
    result = cli(command, "--help")
    assert result.code == 0
    assert "Examples:" in result.out and "cnncalc " + command in result.out


def test_top_level_help_lists_commands(cli: Callable[..., Result]) -> None:
    out = cli("--help").out
    assert "summary" in out and "Examples:" in out


def test_kinds_lists_and_describes(cli: Callable[..., Result]) -> None:
    assert "conv_transpose" in cli("kinds").out
    out = cli("kinds", "maxpool").out
    assert "ceil_mode" in out and "kernel" in out
    assert cli("kinds", "maxpol").code == 2


def test_python_dash_m_and_console_script() -> None:
    out = subprocess.run([sys.executable, "-m", "cnncalc", "summary", "lenet5", "--format",
                          "json"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["totals"]["params"] == 61_706


def test_broken_pipe_is_quiet() -> None:
    proc = subprocess.run(f"{sys.executable} -m cnncalc summary googlenet --format text | head -1",
                          shell=True, capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "GoogLeNet (Caffe bvlc_googlenet)"
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr


def test_bundled_specs_found_when_installed(tmp_path: Path) -> None:
    """Installed, the specs live in cnncalc/specs (pyproject maps specs/ there)."""
    import shutil

    from cnncalc.spec import bundled

    package = tmp_path / "cnncalc"
    shutil.copytree(ROOT / "cnncalc", package)
    shutil.copytree(SPECS, package / "specs")
    code = ("import cnncalc.spec.bundled as b, sys; print(b.specs_dir()); "
            "print(b.find('vgg16'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, check=True).stdout.split()
    assert out == [str(package / "specs"), str(package / "specs" / "vgg16.yaml")]
    assert bundled.find("../etc/passwd") is None
