"""``cnncalc list`` and ``cnncalc export``."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cnncalc

from .conftest import SPECS

BUNDLED = sorted(p.stem for p in SPECS.glob("*.yaml"))


def test_list_shows_every_bundled_spec_within_100_columns(cli: Callable[..., Any],
                                                          golden: Callable[[str, str], None]
                                                          ) -> None:
    result = cli("list")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert [line.split()[0] for line in lines[1:1 + len(BUNDLED)]] == BUNDLED
    assert max(len(line) for line in lines) <= 100
    golden("list.txt", result.out)


def test_list_json_has_the_exact_totals(cli: Callable[..., Any]) -> None:
    result = cli("list", "--format", "json")
    assert result.code == 0, result.err
    entries = json.loads(result.out)
    assert [e["spec"] for e in entries] == BUNDLED
    for entry in entries:
        report = cnncalc.load(entry["spec"]).summary()
        assert entry["params"] == report.totals.params
        assert entry["macs"] == report.totals.macs
        assert entry["flops"] == 2 * report.totals.macs
        assert entry["input_shape"] == report.input_shape.to_list()
        assert entry["output_shape"] == report.output_shape.to_list()
        assert entry["name"] == report.name


def test_list_markdown(cli: Callable[..., Any]) -> None:
    result = cli("list", "--format", "markdown")
    assert result.code == 0
    assert "| `resnet50` | ResNet-50 (torchvision, v1.5) | 3×224×224 | 1000 | 25,557,032 | " \
           "4,089,184,256 |" in result.out


def test_export_to_stdout_is_the_module_source(cli: Callable[..., Any]) -> None:
    result = cli("export", "resnet18", "--to", "pytorch")
    assert result.code == 0, result.err
    tree = ast.parse(result.out)
    assert "ResNet18Torchvision" in [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert "self.layer2_0_downsample_0 = nn.Conv2d(64, 128, kernel_size=1, stride=2, " \
           "bias=False)" in result.out


def test_export_writes_a_file(cli: Callable[..., Any], tmp_path: Path) -> None:
    out = tmp_path / "model.py"
    result = cli("export", "lenet5", "-o", str(out))
    assert result.code == 0, result.err
    assert out.read_text(encoding="utf-8") == cli("export", "lenet5").out
    assert "class LeNet5ModernVariant" in out.read_text(encoding="utf-8")
    assert "61,706 parameters" in result.err


def test_export_at_another_input_size(cli: Callable[..., Any]) -> None:
    result = cli("export", "alexnet", "--input", "3x259x259")
    assert result.code == 0, result.err
    assert "self.fc6 = nn.Linear(12544, 4096)" in result.out  # 256×7×7 at 259


def test_export_never_overwrites_the_spec(cli: Callable[..., Any],
                                          write_spec: Callable[..., Path]) -> None:
    spec = write_spec("input: [1, 8]\nlayers:\n  - conv: {out: 2, kernel: 3}\n")
    before = spec.read_text()
    result = cli("export", str(spec), "-o", str(spec))
    assert result.code == 2
    assert "refusing to overwrite the spec" in result.err
    assert spec.read_text() == before


def test_export_error_is_located(cli: Callable[..., Any], write_spec: Callable[..., Path]) -> None:
    spec = write_spec("input: [16]\nlayers:\n  - lrn: {size: 3}\n", "flat.yaml")
    result = cli("export", str(spec))
    assert result.code == 1
    assert "flat.yaml:3:5: error: [export] cannot export lrn 'lrn1' to PyTorch" in result.err
    assert "^" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize("args", [("export", "--to", "tensorflow", "lenet5"),
                                  ("export", "lenet5", "--input", "3xfoo"),
                                  ("list", "--format", "yaml")])
def test_misuse_exits_2(cli: Callable[..., Any], args: tuple[str, ...]) -> None:
    assert cli(*args).code == 2


def test_bundled_specs_are_found_in_an_installed_package(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # pip install . puts them in site-packages/cnncalc/specs (package data cnncalc.specs)
    from cnncalc.spec import bundled

    installed = tmp_path / "site-packages" / "cnncalc"
    (installed / "spec").mkdir(parents=True)
    (installed / "specs").mkdir()
    (installed / "specs" / "tiny.yaml").write_text("input: [1, 4]\nlayers: [relu]\n")
    monkeypatch.setattr(bundled, "__file__", str(installed / "spec" / "bundled.py"))
    assert bundled.specs_dir() == installed / "specs"
    assert bundled.names() == ["tiny"]
    assert bundled.find("tiny") == installed / "specs" / "tiny.yaml"
