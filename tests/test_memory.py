"""The memory model on small graphs whose liveness and saved tensors are worked out by hand
(docs/memory.md), plus its options, units and JSON contract."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

import cnncalc
from cnncalc.analysis.memory import MemoryConfig
from cnncalc.analysis.report import Report

from .conftest import Result


def report(spec: str, batch: int = 1, **config: object) -> Report:
    return cnncalc.parse(spec).summary(batch=batch, memory=MemoryConfig(**config))  # type: ignore[arg-type]


def column(rep: Report, attr: str) -> dict[str, int]:
    return {r.name: getattr(r, attr) for r in rep.layers}


# input 1×4×4 float32 = 64 B; a 2-channel 4×4 tensor = 128 B, a 3-channel one 192 B.
CHAIN = """input: [1, 4, 4]
layers:
  - conv: {out: 2, kernel: 1, name: c1}
  - ACT
  - conv: {out: 3, kernel: 1, name: c2}
"""


def test_chain_liveness_by_hand() -> None:
    rep = report(CHAIN.replace("ACT", "relu: {name: r1}"))
    # c1: input 64 + its output 128; r1 overwrites c1's output; c2: input + r1 + c2 = 384
    assert column(rep, "live_bytes") == {"c1": 192, "r1": 192, "c2": 384}
    assert column(rep, "activation_bytes") == {"c1": 128, "r1": 128, "c2": 192}
    assert column(rep, "reuses_input") == {"c1": False, "r1": True, "c2": False}
    memory = rep.totals.memory
    assert memory is not None
    assert memory.activations_inference_peak_bytes == 384
    assert memory.peak_layer == "c2"


@pytest.mark.parametrize(("act", "saved"), [
    # relu keeps its output (a new tensor in training unless in place); c2's input is that output
    ("relu: {name: r1}", {"c1": 64, "r1": 128, "c2": 0}),
    ("relu: {name: r1, inplace: true}", {"c1": 64, "r1": 128, "c2": 0}),
    # leaky_relu keeps its input (c1's output) and c2 keeps leaky_relu's output: two buffers ...
    ("leaky_relu: {name: r1}", {"c1": 64, "r1": 128, "c2": 128}),
    # ... unless it runs in place: one storage, kept once
    ("leaky_relu: {name: r1, inplace: true}", {"c1": 64, "r1": 128, "c2": 0}),
])
def test_chain_saved_for_backward_by_hand(act: str, saved: dict[str, int]) -> None:
    rep = report(CHAIN.replace("ACT", act))
    assert column(rep, "saved_bytes") == saved
    memory = rep.totals.memory
    assert memory is not None
    assert memory.activations_training_bytes == sum(saved.values())


def test_concat_allocates_its_output() -> None:
    rep = report("""input: [1, 4, 4]
layers:
  - concat:
      - [conv: {out: 2, kernel: 1, name: a}]
      - [conv: {out: 2, kernel: 1, name: b}, relu: {name: b_relu}]
    name: cat
""")
    # the caller's input (64) stays; a and b (128 each) are alive until cat writes 256 more
    assert column(rep, "live_bytes") == {"a": 192, "b": 320, "b_relu": 320, "cat": 576}
    assert rep.totals.memory is not None
    assert rep.totals.memory.activations_inference_peak_bytes == 576


def test_residual_add_in_place_at_inference() -> None:
    rep = report("""input: [2, 4, 4]
layers:
  - conv: {out: 2, kernel: 1, name: stem}
  - add:
      - [conv: {out: 2, kernel: 3, padding: 1, name: body}]
      - []
    name: sum
  - relu: {name: out}
""")
    # input 128, stem 128, body 128; the add writes into body's output (nothing reads it
    # later), after which stem is freed; the relu writes over the sum
    assert column(rep, "live_bytes") == {"stem": 256, "body": 384, "sum": 384, "out": 256}
    assert column(rep, "reuses_input") == {"stem": False, "body": False, "sum": True,
                                           "out": True}
    # training: stem keeps the input, body keeps stem's output, the add nothing, relu its output
    assert column(rep, "saved_bytes") == {"stem": 128, "body": 128, "sum": 0, "out": 128}


DROPOUT = """input: [1, 10, 10]
layers:
  - conv: {out: 1, kernel: 1, name: first}
  - dropout: {p: 0.5, name: drop}
  - conv: {out: 1, kernel: 1, name: conv}
"""


@pytest.mark.parametrize(("device", "mask"), [("cuda", 100), ("cpu", 400)])
def test_dropout_mask_depends_on_device(device: str, mask: int) -> None:
    rep = report(DROPOUT, device=device)
    # 100 elements: dropout keeps its mask (a bool per element on CUDA, a float on the CPU);
    # conv keeps the dropped-out tensor (400 B); `first` keeps the input
    assert column(rep, "saved_bytes") == {"first": 400, "drop": mask, "conv": 400}
    # at inference dropout is the identity: no new memory
    assert column(rep, "live_bytes") == {"first": 800, "drop": 800, "conv": 1200}
    assert column(rep, "reuses_input")["drop"]


def test_nothing_is_saved_before_anything_needs_a_gradient() -> None:
    # the input needs no gradient and dropout has no parameters: autograd records nothing
    rep = report(DROPOUT.replace("  - conv: {out: 1, kernel: 1, name: first}\n", ""))
    assert column(rep, "saved_bytes") == {"drop": 0, "conv": 400}


def test_maxpool_indices_are_64_bit_whatever_the_dtype() -> None:
    rep = report("""input: [1, 4, 4]
layers:
  - conv: {out: 1, kernel: 1, name: conv}
  - maxpool: {kernel: 2, name: pool}
""", dtype="float16")
    # float16: the input and conv output are 32 B each; the pool keeps conv's output and four
    # int64 indices (32 B)
    assert column(rep, "saved_bytes") == {"conv": 32, "pool": 64}


BN = """input: [3, 2, 2]
layers:
  - conv: {out: 3, kernel: 1, bias: false, name: conv}
  - batchnorm: {name: bn}
"""


@pytest.mark.parametrize("batch", [1, 4])
def test_batchnorm_statistics_do_not_scale_with_the_batch(batch: int) -> None:
    rep = report(BN, batch=batch)
    # conv keeps the input (48 B per sample), bn its input (48 B per sample) and 2·3 float32
    # statistics (24 B, once)
    assert column(rep, "saved_bytes") == {"conv": 48 * batch, "bn": 48 * batch + 24}
    assert rep.totals.memory is not None
    assert rep.totals.memory.activations_training_bytes == 96 * batch + 24


def test_frozen_layers_keep_nothing_until_something_trains() -> None:
    rep = report("""input: [1, 4, 4]
layers:
  - conv: {out: 2, kernel: 1, name: frozen, trainable: false}
  - relu: {name: r}
  - conv: {out: 2, kernel: 1, name: trained}
  - flatten: {name: flat}
  - linear: {out: 3, name: head, trainable: false}
""")
    # nothing before `trained` needs a gradient; the frozen head needs only its weight to pass
    # gradients back, not its input
    assert column(rep, "saved_bytes") == {"frozen": 0, "r": 0, "trained": 128, "flat": 0,
                                          "head": 0}
    memory = rep.totals.memory
    assert memory is not None
    trainable = 2 * 2 + 2  # `trained` conv
    assert memory.gradients_bytes == trainable * 4


LINEAR = "input: [10]\nlayers:\n  - linear: {out: 5}\n"  # 55 parameters


@pytest.mark.parametrize(("config", "params", "grads", "optimizer"), [
    ({}, 220, 220, 0),
    ({"optimizer": "momentum"}, 220, 220, 220),
    ({"optimizer": "adam"}, 220, 220, 440),
    ({"dtype": "float16", "optimizer": "adam"}, 110, 110, 220),
    ({"dtype": "float64"}, 440, 440, 0),
    ({"dtype": "int8"}, 55, 55, 0),
    # mixed precision: float32 master weights, gradients and state + a float16 working copy
    ({"dtype": "float16", "mixed": True, "optimizer": "adam"}, 220 + 110, 220, 440),
    ({"dtype": "bfloat16", "mixed": True}, 220 + 110, 220, 0),
])
def test_parameters_gradients_optimizer(config: dict[str, object], params: int, grads: int,
                                        optimizer: int) -> None:
    memory = report(LINEAR, **config).totals.memory
    assert memory is not None
    assert (memory.params_bytes, memory.gradients_bytes, memory.optimizer_bytes) == (
        params, grads, optimizer)
    assert memory.training_step_bytes == (params + grads + optimizer
                                          + memory.activations_training_bytes)


def test_batchnorm_buffers_are_part_of_params_bytes() -> None:
    memory = report(BN).totals.memory
    assert memory is not None
    # conv 9 weights; bn γ, β (6 params) and running mean, var (6 buffers); no grads for buffers
    assert memory.params_bytes == (9 + 6 + 6) * 4
    assert memory.gradients_bytes == (9 + 6) * 4


def test_mixed_precision_needs_a_half_dtype() -> None:
    with pytest.raises(ValueError, match="master weights"):
        MemoryConfig(dtype="float32", mixed=True)


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "vgg16", "googlenet",
                                  "googlenet_torchvision"])
def test_totals_are_the_columns(name: str) -> None:
    rep = cnncalc.load(name).summary(batch=3)
    memory = rep.totals.memory
    assert memory is not None
    assert sum(r.saved_bytes for r in rep.layers) == memory.activations_training_bytes
    assert max(r.live_bytes for r in rep.layers) == memory.activations_inference_peak_bytes
    assert all(r.live_bytes >= (0 if r.reuses_input else r.activation_bytes)
               for r in rep.layers)


@pytest.mark.parametrize("name", ["alexnet_torchvision", "googlenet"])
def test_batch_scaling_used_by_fit_matches_a_real_summary(name: str) -> None:
    network = cnncalc.load(name)
    one = network.summary(batch=1).totals.memory
    seven = network.summary(batch=7).totals.memory
    assert one is not None and seven is not None
    assert one.training_at(7) == seven.training_step_bytes
    assert one.inference_at(7) == seven.inference_bytes


def test_fit_is_the_largest_batch_that_fits() -> None:
    # --fit answers from the timeline's peaks at their high end, with parameters and input
    memory = cnncalc.load("vgg16").summary().totals.memory
    assert memory is not None and memory.timeline is not None
    replayer = memory.timeline.replayer
    budget = 24 * 2**30
    inference, training = memory.largest_batch(budget)
    assert replayer.high(inference, False) <= budget < replayer.high(inference + 1, False)
    assert replayer.high(training, True) <= budget < replayer.high(training + 1, True)
    assert memory.largest_batch(2**20) == (0, 0)


def test_json_contract(cli: Callable[..., Result]) -> None:
    result = cli("summary", "googlenet_torchvision", "--format", "json", "--batch", "8",
                 "--dtype", "float16", "--optimizer", "adam")
    assert result.code == 0
    data = json.loads(result.out)
    memory = data["totals"]["memory"]
    peaks = memory.pop("peaks")
    assert set(memory) == {"params_bytes", "gradients_bytes", "optimizer_bytes",
                           "activations_inference_peak_bytes", "activations_training_bytes",
                           "training_step_bytes", "peak_inference_bytes",
                           "peak_training_step_bytes"}
    assert all(isinstance(v, int) for v in memory.values())
    assert set(peaks) == {"inference", "training_step"}
    for name, key in (("inference", "peak_inference_bytes"),
                      ("training_step", "peak_training_step_bytes")):
        peak = peaks[name]
        assert set(peak) == {"bytes", "low", "high", "layer", "phase", "parts"}
        assert sum(peak["parts"].values()) == peak["bytes"]
        assert peak["low"] <= peak["bytes"] == memory[key] <= peak["high"]
        assert peak["phase"] in ("forward", "backward", "optimizer step")
    assert memory["training_step_bytes"] == (memory["params_bytes"] + memory["gradients_bytes"]
                                             + memory["optimizer_bytes"]
                                             + memory["activations_training_bytes"])
    assert memory["optimizer_bytes"] == 2 * memory["gradients_bytes"]
    assert data["memory_settings"]["dtype"] == "float16"
    for layer in data["layers"]:
        assert isinstance(layer["activation_bytes"], int)
        assert isinstance(layer["live_bytes"], int)
    assert max(layer["live_bytes"] for layer in data["layers"]) == (
        memory["activations_inference_peak_bytes"])


def test_json_always_has_memory(cli: Callable[..., Result]) -> None:
    data = json.loads(cli("summary", "lenet5", "--format", "json").out)
    assert data["totals"]["memory"]["activations_training_bytes"] > 0
    assert "fit" not in data


def test_json_fit(cli: Callable[..., Result]) -> None:
    data = json.loads(cli("summary", "vgg16", "--format", "json", "--fit", "24GiB").out)
    assert data["fit"]["budget_bytes"] == 24 * 2**30
    memory = cnncalc.load("vgg16").summary().totals.memory
    assert memory is not None
    assert (data["fit"]["inference_batch"], data["fit"]["training_batch"]) == (
        memory.largest_batch(24 * 2**30))


def test_summary_memory_table(cli: Callable[..., Result]) -> None:
    result = cli("summary", "vgg16", "--batch", "32", "--memory", "--fit", "24GiB")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[1].split()[-3:] == ["Act", "Live", "Saved"]
    assert all(len(line) <= 100 for line in lines)
    assert "Memory (float32, SGD (no optimizer state); batch 32):" in result.out
    assert "peak live activations 802.38 MiB at 'block1.conv2'" in result.out
    assert "fits in 24GiB: batch" in result.out
    assert "binary units (1 KiB = 1024 B" in result.out


@pytest.mark.parametrize(("args", "message"), [
    (("--fit", "24G"), "ambiguous"),
    (("--fit", "0GiB"), "positive"),
    (("--mixed",), "master weights"),
    (("--dtype", "float8"), "float8"),
])
def test_memory_option_misuse_is_exit_2(cli: Callable[..., Result], args: tuple[str, ...],
                                        message: str) -> None:
    result = cli("summary", "lenet5", *args)
    assert result.code == 2
    assert message in result.err


def test_fit_nothing(cli: Callable[..., Result]) -> None:
    result = cli("summary", "vgg16", "--fit", "100MiB")
    assert "nothing (not even batch 1) for inference" in result.out


@pytest.mark.parametrize(("dtype", "optimizer"), [("float16", "adam"), ("float32", "momentum")])
def test_memory_totals_interface_for_check(dtype: str, optimizer: str) -> None:
    # `cnncalc check` budgets call memory_totals(graph, report, dtype=..., optimizer=...)
    from cnncalc.checks.expectations import memory_totals

    network = cnncalc.load("googlenet")
    report = network.summary(batch=4)
    direct = network.summary(batch=4, memory=MemoryConfig(dtype=dtype, optimizer=optimizer))
    assert direct.totals.memory is not None
    assert memory_totals(network.graph, report, dtype=dtype, optimizer=optimizer) == (
        direct.totals.memory.to_dict())


def test_block_rollup_sums_saved_and_peaks_live() -> None:
    from cnncalc.analysis.rollup import block_dicts, by_block

    report = cnncalc.load("googlenet").summary()
    layers = [r for r in report.layers if r.scope and r.scope[0][0] == "inception_3a"]
    row = by_block(report).layer("inception_3a")
    assert row.saved_bytes == sum(r.saved_bytes for r in layers) > 0
    assert row.live_bytes == max(r.live_bytes for r in layers)
    assert row.activation_bytes == layers[-1].activation_bytes
    block = next(b for b in block_dicts(report) if b["name"] == "inception_3a")
    assert (block["saved_bytes"], block["live_bytes"]) == (row.saved_bytes, row.live_bytes)
