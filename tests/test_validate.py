"""``cnncalc validate`` and :func:`cnncalc.validate`: every bundled spec runs on real arrays with
the predicted shapes; a deliberately wrong rule is caught; memory is bounded up front."""

from __future__ import annotations

import json
import subprocess
import sys
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cnncalc
from cnncalc.kernels.run import (
    MemoryLimitError,
    Step,
    estimate_memory,
    random_input,
    run,
    seeded_params,
)
from cnncalc.layers.base import Counts, kinds
from cnncalc.layers.norm import BatchNorm
from cnncalc.model import arith

from .conftest import SPECS, Result

ZOO = Path(__file__).resolve().parent / "kernel_specs"
@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_spec_validates(path: Path) -> None:
    result = cnncalc.validate(path)
    assert result.ok, [(c.name, c.status, c.error) for c in result.failures]
    report = cnncalc.load(path).summary()
    assert [c.name for c in result.layers] == [r.name for r in report.layers]
    assert all(c.status == "ok" for c in result.layers)


@pytest.mark.parametrize("name", ["zoo1d", "zoo2d", "zoo3d", "zoo_modern"])
def test_every_kind_in_1d_2d_3d_validates(name: str) -> None:
    result = cnncalc.validate(ZOO / f"{name}.yaml", batch=2)
    assert result.ok, [(c.name, c.status, c.error) for c in result.failures]
    assert all(c.actual is not None and c.actual[0] == 2 for c in result.layers)


def test_the_zoo_specs_use_every_layer_kind() -> None:
    used = {r.kind for name in ("zoo1d", "zoo2d", "zoo3d", "zoo_modern")
            for r in cnncalc.load(ZOO / f"{name}.yaml").summary().layers}
    assert set(kinds()) <= used, set(kinds()) - used


# --- a wrong rule is caught ---------------------------------------------------------------------

def test_an_off_by_one_conv_rule_fails_validation(monkeypatch: pytest.MonkeyPatch,
                                                  cli: Callable[..., Result]) -> None:
    real = arith.conv_out
    monkeypatch.setattr(arith, "conv_out", lambda *a, **k: real(*a, **k) + 1)
    result = cnncalc.validate("lenet5")
    assert not result.ok
    first = result.failures[0]
    assert (first.name, first.status) == ("c1", "shape")
    assert str(first.predicted) == "6×29×29" and first.actual == (1, 6, 28, 28)
    out = cli("validate", "lenet5")
    assert out.code == 1
    assert "✗ c1 (conv): predicted 6×29×29, the arrays give 6×28×28" in out.out
    assert "layers do not match the prediction" in out.out


def test_a_pool_rule_without_the_last_window_correction_fails(
        monkeypatch: pytest.MonkeyPatch, write_spec: Callable[..., Path]) -> None:
    """PyTorch: AvgPool2d(2, 2, 1, ceil_mode=True) on 17×17 gives 9×9; a rule that forgets to
    drop the window starting in the padding predicts 10×10, and the arrays disagree."""
    spec = write_spec("name: t\ninput: [1, 17, 17]\nlayers:\n"
                      "  - avgpool: {kernel: 2, stride: 2, padding: 1, ceil_mode: true}\n")
    assert cnncalc.validate(spec).ok
    real = arith.pool_out

    def without_correction(i: int, k: int, s: int | None = None, pb: int = 0,
                           pa: int | None = None, d: int = 1, ceil_mode: bool | str = False,
                           rounding: str = "pytorch") -> int:
        if not ceil_mode:
            return real(i, k, s, pb, pa, d, ceil_mode, rounding)
        s = k if s is None else s
        pa = pb if pa is None else pa
        return -(-(i + pb + pa - d * (k - 1) - 1) // s) + 1

    monkeypatch.setattr(arith, "pool_out", without_correction)
    result = cnncalc.validate(spec)
    assert not result.ok
    assert str(result.failures[0].predicted) == "1×10×10"
    assert result.failures[0].actual == (1, 1, 9, 9)


def test_a_wrong_parameter_count_fails_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting batch-norm running statistics as parameters (torchinfo's mistake) is caught by
    the sizes of the real tensors."""
    def wrong(self: BatchNorm, inputs: Any, output: Any) -> Counts:
        c = inputs[0].channels
        return Counts(2 * c, 2 * c, 0)

    monkeypatch.setattr(BatchNorm, "counts", wrong)
    result = cnncalc.validate("googlenet_torchvision")
    assert not result.ok
    assert {c.kind for c in result.failures} == {"batchnorm"}
    assert all(c.status == "params" for c in result.failures)


def test_a_failing_kernel_is_reported_and_the_rest_not_run(
        monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Result]) -> None:
    from cnncalc.kernels import registry

    kern = registry.kernel_for(cnncalc.load("lenet5").graph.nodes[3].layer)

    def broken(layer: Any, inputs: Any, params: Any) -> Any:
        raise ValueError("boom")

    monkeypatch.setitem(registry._KERNELS, kern.layer,
                        registry.Kernel(kern.layer, broken, kern.params, kern.workspace))
    result = cnncalc.validate("lenet5")
    statuses = [c.status for c in result.layers]
    assert statuses[:1] == ["error"] and set(statuses[1:]) == {"not run"}
    out = cli("validate", "lenet5", "--format", "text")
    assert out.code == 1
    assert "the kernel failed: ValueError: boom" in out.out


# --- running a graph ----------------------------------------------------------------------------

def test_arrays_are_freed_after_their_last_consumer() -> None:
    net = cnncalc.load("name: t\ninput: [1, 8, 8]\nlayers:\n"
                       "  - conv: {out: 2, kernel: 3, padding: 1, name: a}\n"
                       "  - relu: {name: b}\n  - relu: {name: c}\n  - relu: {name: d}\n"
                       "  - add: {inputs: [a, d], name: e}\n  - relu: {name: f}\n")
    alive: dict[str, Any] = {}
    seen: list[tuple[str, set[str]]] = []

    def on_step(step: Step) -> None:
        alive[step.node.name] = weakref.ref(step.output)
        seen.append((step.node.name, {n for n, r in alive.items() if r() is not None}))

    x = random_input(net.input_shape, 1, 0, np.float32)
    run(net.graph, x, seeded_params(0, np.float32), on_step)
    live = dict(seen)
    assert live["d"] == {"a", "c", "d"}       # a waits for the add; b is gone
    assert live["f"] == {"e", "f"}


def test_the_same_seed_gives_the_same_arrays() -> None:
    net = cnncalc.load("lenet5")
    outs = []
    for seed in (3, 3, 4):
        x = random_input(net.input_shape, 2, seed, np.float32)
        outs.append(run(net.graph, x, seeded_params(seed, np.float32)))
    assert np.array_equal(outs[0], outs[1]) and not np.array_equal(outs[0], outs[2])


def test_float64_runs_too() -> None:
    result = cnncalc.validate("googlenet_torchvision", dtype="float64", input_shape="3x96x96")
    assert result.ok and result.dtype == "float64"


# --- memory -------------------------------------------------------------------------------------

def test_memory_estimate_counts_live_activations_workspace_and_weights() -> None:
    net = cnncalc.load("lenet5")
    report = net.summary(batch=4)
    est = estimate_memory(net.graph, report, 4)
    assert est.layer == "c1"    # 1×32×32 input live, 6×28×28 out, im2col 25×28×28 columns
    assert est.activations == 4 * 4 * (32 * 32 + 6 * 28 * 28)
    assert est.workspace == 4 * 4 * 25 * 28 * 28
    assert est.params == 4 * (6 * 25 + 6)
    assert est.peak_bytes == est.activations + est.workspace + est.params


def test_refuses_up_front_when_over_the_memory_limit(cli: Callable[..., Result]) -> None:
    with pytest.raises(MemoryLimitError, match=r"would need about .* at layer 'fc6'"):
        cnncalc.validate("vgg16", max_memory="100MiB")
    out = cli("validate", "vgg16", "--max-memory", "100MiB")
    assert out.code == 1
    assert "more than the limit of 100.00 MiB" in out.err
    assert "Traceback" not in out.err and out.out == ""


def test_the_default_memory_limit_is_half_the_ram(cli: Callable[..., Result]) -> None:
    from cnncalc.kernels.run import default_max_memory, physical_memory

    total = physical_memory()
    assert total is None or default_max_memory() == total // 2
    with pytest.raises(MemoryLimitError, match="half of this machine's memory"):
        cnncalc.validate("lenet5", batch=10**9)


def test_bad_max_memory_is_misuse(cli: Callable[..., Result]) -> None:
    out = cli("validate", "lenet5", "--max-memory", "lots")
    assert out.code == 2 and "--max-memory" in out.err


# --- the command --------------------------------------------------------------------------------

def test_validate_table_and_exit_code(cli: Callable[..., Result]) -> None:
    out = cli("validate", "lenet5", "--format", "text")
    assert out.code == 0
    lines = out.out.splitlines()
    assert lines[1].split() == ["Layer", "Kind", "Predicted", "Actual", "✓", "Time"]
    c1 = next(line for line in lines if line.startswith("c1 "))
    assert c1.split()[3:6] == ["6×28×28", "6×28×28", "✓"]
    assert "✓ all 12 layers match the predicted shapes and parameter counts" in out.out
    assert max(len(line) for line in lines) <= 100


def test_validate_json(cli: Callable[..., Result]) -> None:
    out = cli("validate", "alexnet_torchvision", "--format", "json", "--input", "3x256x256",
              "--batch", "2", "--seed", "5")
    assert out.code == 0
    data = json.loads(out.out)
    assert data["ok"] is True and data["failures"] == 0
    assert (data["input_shape"], data["batch"], data["seed"]) == ([3, 256, 256], 2, 5)
    conv1 = data["layers"][0]
    assert conv1["predicted_shape"] == conv1["actual_shape"] == [64, 63, 63]
    assert conv1["actual_batch"] == 2
    assert conv1["predicted_params"] == conv1["actual_params"] == {
        "weight": 64 * 3 * 11 * 11, "bias": 64, "buffer": 0}
    assert set(data["memory"]) == {"estimated_peak_bytes", "peak_layer", "max_memory_bytes"}


def test_validate_help_has_examples(cli: Callable[..., Result]) -> None:
    out = cli("validate", "--help")
    assert out.code == 0
    assert "cnncalc validate lenet5" in out.out and "--max-memory" in out.out


def test_validate_reports_spec_errors_located(cli: Callable[..., Result],
                                              write_spec: Callable[..., Path]) -> None:
    path = write_spec("name: t\ninput: [1, 4, 4]\nlayers:\n  - conv: {out: 2, kernel: 5}\n")
    out = cli("validate", str(path))
    assert out.code == 1 and ":4:" in out.err and "larger than the padded input" in out.err


def test_summary_never_imports_numpy() -> None:
    code = ("import sys; from cnncalc.cli import run; run(['summary', 'googlenet']); "
            "sys.stdout.flush(); print('numpy' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stderr.strip() == "False"


def test_progress_is_reported_after_every_layer() -> None:
    calls: list[tuple[int, int, str]] = []
    cnncalc.validate("lenet5", progress=lambda done, total, name: calls.append((done, total, name)))
    assert [c[0] for c in calls] == list(range(1, 13))
    assert calls[-1] == (12, 12, "output")
