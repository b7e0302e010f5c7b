"""Issue 14's PyTorch sources: every bundled spec → `export --to pytorch` → imported back as a
`package.module:factory` (torch.export, and the torch.fx fallback) and as a `.pt2` file →
the same parameters, MACs and shapes."""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cnncalc
from cnncalc.analysis.report import Report
from cnncalc.analysis.walk import analyze
from cnncalc.export.pytorch import program
from cnncalc.importers import import_model

from ..conftest import ROUND_TRIP
from ._torch import import_torch

BUNDLED = ROUND_TRIP


@pytest.fixture
def on_path(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("cnncalc_import_test_")]:
        del sys.modules[name]


def _factory(name: str, folder: Path) -> str:
    prog = program(name)
    module = f"cnncalc_import_test_{name}"
    (folder / f"{module}.py").write_text(prog.source)
    return f"{module}:{prog.class_name}"


def _same(got: Report, expected: Report) -> None:
    assert (got.totals.params, got.totals.macs, got.totals.buffers) == \
        (expected.totals.params, expected.totals.macs, expected.totals.buffers)
    assert got.output_shape == expected.output_shape
    weighted = ("conv", "conv_transpose", "linear", "batchnorm")
    assert Counter((r.kind, r.output_shape.dims) for r in got.layers if r.kind in weighted) == \
        Counter((r.kind, r.output_shape.dims) for r in expected.layers if r.kind in weighted)


@pytest.mark.parametrize("name", BUNDLED)
def test_factory_round_trip(name: str, on_path: Path) -> None:
    import_torch()
    expected = cnncalc.load(name).summary()
    result = import_model(_factory(name, on_path), expected.input_shape.dims)
    _same(analyze(result.graph), expected)
    assert "torch.export" in result.text


def test_fx_fallback(on_path: Path, monkeypatch: Any) -> None:
    """Where torch.export fails, torch.fx traces the module (here export is made to fail)."""
    torch = import_torch()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("export refused")

    monkeypatch.setattr(torch.export, "export", refuse)
    for name in ("googlenet", "resnet18", "alexnet"):
        expected = cnncalc.load(name).summary()
        result = import_model(_factory(name, on_path), expected.input_shape.dims)
        _same(analyze(result.graph), expected)
        assert "torch.fx (torch.export failed: RuntimeError)" in result.text


@pytest.mark.parametrize("name", ["alexnet", "resnet18", "unet", "tcn1d"])
def test_pt2_round_trip(name: str, tmp_path: Path, on_path: Path) -> None:
    """An ExportedProgram file is read from its JSON graph, without torch.load."""
    torch = import_torch()
    from cnncalc.export.pytorch import build_module

    expected = cnncalc.load(name).summary()
    module = build_module(name).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exported = torch.export.export(module, (torch.zeros(1, *expected.input_shape.dims),))
    path = tmp_path / f"{name}.pt2"
    torch.export.save(exported, str(path))
    _same(analyze(import_model(str(path)).graph), expected)


def test_factory_errors(on_path: Path, cli: Any) -> None:
    import_torch()
    (on_path / "cnncalc_import_test_bad.py").write_text(
        "import torch\n"
        "def broken():\n    raise ValueError('no weights here')\n"
        "def not_a_module():\n    return 3\n"
        "class Mul(torch.nn.Module):\n"
        "    def forward(self, x):\n        return torch.transpose(x, 2, 3)\n")
    for factory, message in (("broken", "ValueError: no weights here"),
                             ("not_a_module", "not a torch.nn.Module"),
                             ("Mul", "cnncalc cannot represent transpose.int")):
        result = cli("import", f"cnncalc_import_test_bad:{factory}", "--input", "3x8x8")
        assert result.code == 1 and message in result.err and "Traceback" not in result.err
    result = cli("import", "cnncalc_import_test_bad:Mul")
    assert result.code == 1 and "give it with --input" in result.err


@pytest.mark.parametrize("name", ["gates", "norms", "rearranged", "flat"])
def test_new_kinds_from_torch_export(name: str, on_path: Path) -> None:
    """Every kind of issue 13 from its ATen calls (tests/parity/test_onnx_roundtrip.py's small
    networks): the same layers, shapes, parameters, buffers and MACs."""
    import_torch()
    from .test_onnx_roundtrip import _comparable, _small

    network = _small(name)
    prog = program(network)
    module = f"cnncalc_import_test_{name}"
    (on_path / f"{module}.py").write_text(prog.source)
    expected = network.summary()
    result = import_model(f"{module}:{prog.class_name}", expected.input_shape.dims)
    got = analyze(result.graph)
    assert _comparable(got) == _comparable(expected)
    assert got.totals.buffers == expected.totals.buffers


def test_new_kinds_through_the_fx_fallback(on_path: Path, monkeypatch: Any) -> None:
    """The torch.fx fallback reads the new kinds that are torch.nn modules, and mul."""
    torch = import_torch()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("export refused")

    monkeypatch.setattr(torch.export, "export", refuse)
    network = cnncalc.parse(
        "name: fx_kinds\ninput: [8, 6, 6]\nlayers:\n"
        "  - mul: [[], [global_avgpool, conv: {out: 8, kernel: 1}, hardsigmoid]]\n"
        "  - mish\n  - groupnorm: {groups: 4}\n  - instancenorm: {affine: true}\n"
        "  - pixel_shuffle: {factor: 2}\n  - flatten\n  - layernorm\n")
    prog = program(network)
    (on_path / "cnncalc_import_test_fx_kinds.py").write_text(prog.source)
    expected = network.summary()
    result = import_model(f"cnncalc_import_test_fx_kinds:{prog.class_name}",
                          expected.input_shape.dims)
    _same(analyze(result.graph), expected)
    assert "torch.fx (torch.export failed: RuntimeError)" in result.text
