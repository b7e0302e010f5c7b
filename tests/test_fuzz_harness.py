"""The fuzzer's harness (benchmarks/fuzz.py) accepts what cnncalc handles, reports what it does
not, and its fallback engine runs where atheris is not installed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cnncalc_fuzz", ROOT / "benchmarks" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["cnncalc_fuzz"] = module
    spec.loader.exec_module(module)
    return module


def test_seeds_and_broken_inputs_pass(fuzz: ModuleType) -> None:
    for seed in fuzz.seeds():
        fuzz.one_input(seed)
    for broken in (b"", b"\xff\xfe", b"input: [3]\nlayers: [covn]\n", b"[[[[", b"- *a"):
        fuzz.one_input(broken)  # located SpecErrors are the expected outcome


def test_a_bug_is_a_finding(fuzz: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.layers.activation import ReLU

    def broken(self: object, inputs: object) -> object:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(ReLU, "infer", broken)
    with pytest.raises(ZeroDivisionError):
        fuzz.one_input(b"input: [3, 8, 8]\nlayers: [relu]\n")


def test_an_error_without_a_location_is_a_finding(fuzz: ModuleType,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.layers.activation import ReLU
    from cnncalc.model.errors import SpecError

    def unlocated(self: object, inputs: object) -> object:
        raise SpecError("no mark")

    monkeypatch.setattr(ReLU, "infer", unlocated)
    with pytest.raises(fuzz.Finding, match="without file:line:col"):
        fuzz.one_input(b"input: [3, 8, 8]\nlayers: [relu]\n")


def test_random_engine_runs(fuzz: ModuleType, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    assert fuzz.main(["--engine", "random", "--seconds", "2", "--crashes",
                      str(tmp_path / "findings")]) == 0
    assert "random engine:" in capsys.readouterr().out
    assert not (tmp_path / "findings").exists()
