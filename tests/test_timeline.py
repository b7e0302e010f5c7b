"""The memory timeline (cnncalc/analysis/timeline.py) and the caching allocator it counts with
(cnncalc/analysis/allocator.py): the allocator's rules, the structure of a timeline, and the
peaks against those measured on an H100 (../shared/reference.md, via
benchmarks/memory_timeline.py). tests/test_timeline_torch.py checks the timeline against
PyTorch on the CPU, op by op."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

import cnncalc
from cnncalc.analysis.allocator import CachingAllocator, ExactCounter, round_size, segment_size
from cnncalc.analysis.memory import MemoryConfig
from cnncalc.analysis.timeline import BACKWARD, FORWARD, STEP, Timeline
from cnncalc.layers.base import Layer

from .conftest import ROOT

MiB = 1 << 20


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "memory_timeline", ROOT / "benchmarks" / "memory_timeline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("memory_timeline", module)
    spec.loader.exec_module(module)
    return module


bench = _benchmark()


# --- the caching allocator ---------------------------------------------------------------------

@pytest.mark.parametrize(("request_", "rounded"), [
    (1, 512), (512, 512), (513, 1024), (4000, 4096), (25_690_112, 25_690_112)])
def test_requests_round_up_to_512_bytes(request_: int, rounded: int) -> None:
    assert round_size(request_) == rounded


@pytest.mark.parametrize(("size", "segment"), [
    (512, 2 * MiB), (MiB, 2 * MiB), (MiB + 512, 20 * MiB), (10 * MiB - 512, 20 * MiB),
    (10 * MiB, 10 * MiB), (30_507_008, 30 * MiB), (122_028_032, 118 * MiB)])
def test_segment_sizes(size: int, segment: int) -> None:
    assert segment_size(size) == segment


def test_small_pool_splits_exactly() -> None:
    memory = CachingAllocator()
    memory.malloc(100)
    memory.malloc(1000)
    assert memory.allocated == 512 + 1024


def test_a_remainder_of_at_most_1_mib_is_counted() -> None:
    # ResNet-18's stem at batch 8 on an H100: a 30,507,008-byte workspace gets a fresh 30 MiB
    # segment and keeps the 950,272 bytes left over, so memory_allocated() grows by 30 MiB
    memory = CachingAllocator()
    memory.malloc(30_507_008)
    assert memory.allocated == 30 * MiB
    # ... while 1.5 MiB left over is split off and not counted
    memory.malloc(24 * MiB + MiB // 2)
    assert memory.allocated == 30 * MiB + 24 * MiB + MiB // 2


def test_best_fit_reuse_counts_the_whole_block_when_little_is_left() -> None:
    memory = CachingAllocator()
    big = memory.malloc(14 * MiB)  # a 14 MiB segment
    small = memory.malloc(11 * MiB + MiB // 4)  # a 12 MiB segment, kept whole
    assert memory.allocated == 26 * MiB
    memory.free(big)
    memory.free(small)
    memory.malloc(11 * MiB)  # best fit: the 12 MiB block; 1 MiB left is kept, and counted
    assert memory.allocated == 12 * MiB
    memory.malloc(6 * MiB)  # the 14 MiB block, split: the 8 MiB left is not counted
    assert memory.allocated == 18 * MiB


def test_freed_neighbours_merge() -> None:
    memory = CachingAllocator()
    a = memory.malloc(3 * MiB)
    b = memory.malloc(3 * MiB)
    c = memory.malloc(3 * MiB)  # the rest of the 20 MiB segment stays free after c
    for handle in (a, c, b):
        memory.free(handle)
    assert memory.allocated == 0
    segments = memory._top
    memory.malloc(19 * MiB)  # fits only if the whole segment merged back into one block
    assert memory._top == segments


def test_exact_and_rounded_counters() -> None:
    exact, rounded = ExactCounter(), ExactCounter(rounded=True)
    for counter in (exact, rounded):
        handle = counter.malloc(1000)
        counter.malloc(4)
        counter.free(handle)
    assert (exact.allocated, exact.peak) == (4, 1004)
    assert (rounded.allocated, rounded.peak) == (512, 1536)


# --- the timeline ------------------------------------------------------------------------------

def timeline(name: str, batch: int = 2, **config: str) -> Timeline:
    memory = cnncalc.load(name).summary(batch=batch, memory=MemoryConfig(**config)).totals.memory
    assert memory is not None and memory.timeline is not None
    return memory.timeline


@pytest.mark.parametrize("name", ["resnet18", "googlenet_torchvision", "unet", "tcn1d"])
def test_intervals_are_ordered_and_points_cover_every_phase(name: str) -> None:
    t = timeline(name, optimizer="momentum")
    for peak in (t.inference, t.training):
        assert 0 < peak.low <= peak.likely <= peak.high
    assert {p.phase for p in t.inference_points} == {FORWARD}
    assert {p.phase for p in t.training_points} == {FORWARD, BACKWARD, STEP}
    assert t.inference.likely == max(p.live for p in t.inference_points)
    assert t.training.likely == max(p.live for p in t.training_points)


def test_on_the_cpu_there_is_no_interval() -> None:
    t = timeline("resnet18", device="cpu")
    assert t.inference.low == t.inference.likely == t.inference.high
    assert t.training.low == t.training.likely == t.training.high


def test_the_optimizer_state_is_created_at_the_step() -> None:
    # at batch 1 VGG-16's step dominates: gradients and momentum buffers, two copies of the
    # parameters; Adam adds a second state and the square root of the first
    params = 138_357_544 * 4
    sgd = timeline("vgg16", 1, optimizer="sgd", device="cpu").training
    momentum = timeline("vgg16", 1, optimizer="momentum", device="cpu").training
    adam = timeline("vgg16", 1, optimizer="adam", device="cpu").training
    assert sgd.phase == BACKWARD and momentum.phase == adam.phase == STEP
    assert momentum.likely == 2 * params + 1000 * 4  # and the network's output, still held
    assert adam.likely > 4 * params


def test_a_frozen_prefix_keeps_nothing_and_gets_no_gradient() -> None:
    frozen = cnncalc.parse("input: [3, 32, 32]\nlayers:\n"
                           "  - conv: {out: 8, kernel: 3, trainable: false}\n  - relu\n"
                           "  - conv: {out: 8, kernel: 3}\n")
    memory = frozen.summary(batch=4, memory=MemoryConfig(device="cpu")).totals.memory
    assert memory is not None and memory.timeline is not None
    points = memory.timeline.training_points
    assert [p.layer for p in points if p.phase == BACKWARD] == ["conv2"]


def test_the_peak_grows_with_the_batch() -> None:
    small, large = timeline("resnet50", 4), timeline("resnet50", 8)
    assert small.training.likely < large.training.likely
    assert small.inference.likely < large.inference.likely


def test_a_new_kind_gets_the_defaults() -> None:
    base = Layer()
    from cnncalc.model.saved import NEW
    from cnncalc.model.shape import Shape

    x = Shape(4, (8, 8))
    assert base.eager_storage(True) == base.output_storage(True) == NEW
    assert base.gradient_storage((x, x), x) == (NEW, NEW)
    assert base.gradient_inputs(2) == (0, 1)
    assert base.padded_input((x,)) is None
    assert base.transients((x,), x, True, True) == ()
    assert base.workspace((x,), x, True) is None


def test_replaying_is_linear_in_the_layers() -> None:
    layers = "".join("  - conv: {out: 4, kernel: 3, padding: 1}\n  - relu: {inplace: true}\n"
                     for _ in range(400))
    network = cnncalc.parse("input: [4, 16, 16]\nlayers:\n" + layers)
    memory = network.summary(batch=8).totals.memory
    assert memory is not None and memory.timeline is not None
    assert len(memory.timeline.training_points) >= 1600


# --- against the H100 (../shared/reference.md) -------------------------------------------------

ROWS = bench.reference_rows()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.name}-b{r.batch}-{r.phase}" for r in ROWS])
def test_reference_peaks(row: object) -> None:
    # training within 5 % and inference within 10 % at batch 8 and 32; at batch 1 the
    # measured peak inside the interval; and every measured peak at most the high end, which
    # --fit answers from
    assert row.ok, bench.reference_table([row])  # type: ignore[attr-defined]
    assert row.measured <= row.high, bench.reference_table([row])  # type: ignore[attr-defined]


def test_the_bundled_specs_are_the_reference_networks() -> None:
    expected = {"resnet18": 46_758_048, "resnet50": 102_228_128, "vgg16": 553_430_176,
                "mobilenet_v2": 14_019_488, "googlenet_torchvision": 26_499_616}
    assert set(bench.REFERENCE) == set(expected)
    for name, param_bytes in expected.items():
        assert cnncalc.load(name).summary().totals.params * 4 == param_bytes


@pytest.mark.parametrize("fit", bench.fit_rows(), ids=lambda f: f"{f.name}-{f.phase}")
def test_fit_never_names_a_batch_that_does_not_fit(fit: object) -> None:
    assert fit.ok, fit  # type: ignore[attr-defined]


def test_worked_example_in_the_docs() -> None:
    # docs/memory.md works through ResNet-18 at batch 8 (the reference protocol's settings)
    text = (ROOT / "docs" / "memory.md").read_text(encoding="utf-8")
    t = bench.predict("resnet18", 8)
    for value in (t.inference.likely, t.training.likely, t.inference.low, t.training.high):
        assert f"{value:,}" in text
