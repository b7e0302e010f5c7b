"""How close cnncalc's memory timeline is to PyTorch's: the peak memory of inference and of a
whole training step (docs/memory.md, "The timeline").

Three comparisons:

* ``--reference`` (the default; no torch needed): cnncalc's predicted peaks against the peaks
  measured on an H100 (../shared/reference.md, "Peak GPU memory", copied into
  :data:`REFERENCE`), for the five reference networks at batch 1, 8 and 32, and what
  ``--fit 24GiB`` answers for them.
* ``--cpu [SPEC ...]``: PyTorch eager on the CPU, where the live-tensor peak can be measured
  exactly: the module cnncalc's export builds from the spec runs under
  ``torch.profiler.profile(profile_memory=True)``; every allocation that outlives the PyTorch
  call that made it is a live tensor (what a call frees before returning is its own scratch;
  0-dim CPU tensors that wrap a Python number are left out: on a GPU they are never on the
  device). Forward, backward and the optimizer step are compared one by one with cnncalc's
  timeline for ``--device cpu``.
* ``--cuda [SPEC ...]``: on a machine with a GPU, the reference protocol itself
  (:func:`measure_cuda`), to extend the reference table.

Run:  python benchmarks/memory_timeline.py [--reference | --cpu | --cuda] [SPEC ...]
(``--cpu`` and ``--cuda`` need the optional torch extra). tests/test_timeline.py checks the
reference table's bounds and tests/test_timeline_torch.py the CPU comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import cnncalc  # noqa: E402
from cnncalc.analysis.memory import MemoryConfig  # noqa: E402
from cnncalc.analysis.timeline import BACKWARD, FORWARD, STEP, Timeline  # noqa: E402
from cnncalc.model.quantity import parse_quantity  # noqa: E402

REFERENCE: dict[str, dict[int, tuple[int, int]]] = {
    "resnet18": {1: (10_170_880, 96_962_560), 8: (57_147_392, 227_242_496),
                 32: (224_826_368, 736_094_720)},
    "resnet50": {1: (12_323_840, 210_157_568), 8: (89_915_904, 753_700_352),
                 32: (333_971_456, 2_782_627_328)},
    "vgg16": {1: (38_683_136, 1_110_700_032), 8: (411_189_760, 1_148_987_904),
              32: (1_644_315_136, 2_942_607_360)},
    "mobilenet_v2": {1: (10_735_616, 88_074_240), 8: (83_492_864, 645_794_304),
                     32: (337_117_184, 2_530_639_872)},
    "googlenet_torchvision": {1: (6_422_528, 68_813_312), 8: (57_147_392, 401_271_296),
                              32: (224_826_368, 1_564_561_408)},
}
"""Bundled spec → batch → (inference peak, training-step peak) in bytes, measured on an H100
(PyTorch 2.11, CUDA 13, float32, torchvision's models at 3×224×224; ../shared/reference.md):
``max_memory_allocated() − memory_allocated()`` around one forward pass under ``no_grad``,
and around forward, ``out.float().sum().backward()`` and a first ``SGD(momentum=0.9).step()``.
The bundled specs are those models (GoogLeNet without its auxiliary heads)."""

REFERENCE_CONFIG = MemoryConfig(dtype="float32", optimizer="momentum", device="cuda")
"""The reference protocol's settings, as a memory config."""

TRAINING_BOUND = 0.05
INFERENCE_BOUND = 0.10
"""Issue 17's targets at batch 8 and 32; at batch 1 the measured peak must lie in the interval."""

FIT_BUDGET = "24GiB"


def predict(name: str, batch: int, config: MemoryConfig = REFERENCE_CONFIG) -> Timeline:
    """cnncalc's timeline of a bundled spec at ``batch``."""
    memory = cnncalc.load(name).summary(batch=batch, memory=config).totals.memory
    assert memory is not None and memory.timeline is not None
    return memory.timeline


@dataclass(frozen=True)
class Row:
    """One measured peak and cnncalc's interval and estimate for it."""

    name: str
    batch: int
    phase: str  # "inference" or "training step"
    measured: int
    low: int
    likely: int
    high: int
    where: str

    @property
    def error(self) -> float:
        return (self.likely - self.measured) / self.measured

    @property
    def inside(self) -> bool:
        return self.low <= self.measured <= self.high

    @property
    def bound(self) -> float | None:
        """The issue's bound on :attr:`error` (None at batch 1: the interval must hold)."""
        if self.batch == 1:
            return None
        return TRAINING_BOUND if self.phase == "training step" else INFERENCE_BOUND

    @property
    def ok(self) -> bool:
        bound = self.bound
        return self.inside if bound is None else abs(self.error) <= bound


def reference_rows() -> list[Row]:
    """cnncalc against every measured peak of :data:`REFERENCE`."""
    rows = []
    for name, batches in REFERENCE.items():
        for batch, (inference, training) in batches.items():
            timeline = predict(name, batch)
            for phase, measured, peak in (("inference", inference, timeline.inference),
                                          ("training step", training, timeline.training)):
                where = f"{peak.layer} ({peak.phase})" if peak.layer else ""
                rows.append(Row(name, batch, phase, measured, peak.low, peak.likely,
                                peak.high, where))
    return rows


@dataclass(frozen=True)
class Fit:
    """What ``--fit`` answers for a reference network, and the measured peak extrapolated to
    that batch (linear between the measurements at batch 8 and 32), with the parameters,
    buffers and input: it must not exceed the budget."""

    name: str
    phase: str
    batch: int
    extrapolated: int
    budget: int

    @property
    def ok(self) -> bool:
        return self.extrapolated <= self.budget


def fit_rows(budget_text: str = FIT_BUDGET) -> list[Fit]:
    budget = parse_quantity(budget_text, bytes_unit=True)
    rows = []
    for name, batches in REFERENCE.items():
        timeline = predict(name, 1)
        inference, training = timeline.largest_batch(budget)
        for phase, batch, index in (("inference", inference, 0), ("training step", training, 1)):
            low, high = batches[8][index], batches[32][index]
            slope = (high - low) / 24
            measured = high + slope * (batch - 32)
            state = timeline.replayer.state_bytes(batch)
            rows.append(Fit(name, phase, batch, int(measured) + state, budget))
    return rows


def mib(n: float) -> str:
    return f"{n / 2**20:,.1f}"


def reference_table(rows: list[Row]) -> str:
    head = (f"{'network':<22} {'batch':>5} {'phase':<13} {'measured':>9} {'cnncalc':>9} "
            f"{'error':>7}  {'interval':>19}  peak at")
    lines = [head, "-" * 100]
    for r in rows:
        mark = "" if r.ok else "  <-- outside"
        lines.append(f"{r.name:<22} {r.batch:>5} {r.phase:<13} {mib(r.measured):>9} "
                     f"{mib(r.likely):>9} {r.error:>+7.1%}  {mib(r.low):>8} – {mib(r.high):<8}"
                     f"  {r.where}{mark}")
    return "\n".join(lines)


# --- the CPU: live tensors from the profiler's allocation events ------------------------------


def live_peaks(prof: Any) -> dict[str, int]:
    """The peak of live tensors in each phase (``record_function("phase:...")``) of a
    profiled run: allocations that outlive the outermost PyTorch call that made them, left
    out the 0-dim scalars (≤ 8 bytes) that wrap a Python number within a call or between
    calls."""
    from torch._C._profiler import _EventType

    events: list[list[Any]] = []  # time, pointer, bytes (+/-), call, phase
    calls = [0]
    phase = ["-"]

    def walk(event: Any, call: tuple[int, str] | None) -> None:
        if event.tag == _EventType.Allocation:
            fields = event.extra_fields
            events.append([event.start_time_ns, fields.ptr, fields.alloc_size, call, phase[0]])
            return
        if event.name.startswith("phase:"):
            phase[0] = event.name[len("phase:"):]
        if call is None and event.name.startswith("aten::"):
            calls[0] += 1
            call = (calls[0], event.name)
        for child in event.children:
            walk(child, call)

    for root in prof.profiler.kineto_results.experimental_event_tree():
        walk(root, None)
    events.sort(key=lambda e: e[0])
    last: tuple[Any, ...] = (0, "")
    for event in events:  # outside any call: the gap after the last one
        if event[3] is None:
            event[3] = ("gap", *last)
        else:
            last = event[3]
    scratch: set[int] = set()
    opened: dict[int, int] = {}
    for index, (_, ptr, size, call, _) in enumerate(events):
        if size > 0:
            opened[ptr] = index
            continue
        start = opened.pop(ptr, None)
        if start is None:
            continue  # allocated before profiling: parameters, buffers, the input
        first = events[start][3]
        wrapped_number = events[start][2] <= 8 and (first[0] == "gap" or first == call)
        if first == call or wrapped_number:
            scratch.update((start, index))
    live = 0
    sizes: dict[int, int] = {}
    peaks: dict[str, int] = {}
    for index, (_, ptr, size, _, ph) in enumerate(events):
        if index in scratch:
            continue
        if size > 0:
            sizes[ptr] = size
            live += size
        elif ptr in sizes:
            live -= sizes.pop(ptr)
        else:
            continue
        peaks[ph] = max(peaks.get(ph, 0), live)
    return peaks


@contextlib.contextmanager
def _phase(name: str) -> Iterator[None]:
    from torch.profiler import record_function

    with record_function(f"phase:{name}"):
        yield


def measure_cpu(module: Any, inputs: tuple[Any, ...], training: bool,
                optimizer: str = "momentum", mixed: str | None = None) -> dict[str, int]:
    """The live-tensor peaks of ``module`` on ``inputs`` (one tensor per network input) on the
    CPU: one inference pass (eval, ``no_grad``) or one training step (train, forward,
    ``out.float().sum().backward()``, a first optimizer step), by phase; ``mixed`` runs the
    forward pass under autocast."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    cast = (torch.autocast("cpu", dtype=getattr(torch, mixed)) if mixed
            else contextlib.nullcontext())
    activities = [ProfilerActivity.CPU]
    if not training:
        module.eval()
        with (torch.no_grad(), profile(activities=activities, profile_memory=True) as prof,
              _phase(FORWARD), cast):
            module(*inputs)
        return live_peaks(prof)
    module.train()
    params = list(module.parameters())
    step = (torch.optim.Adam(params, lr=1e-3) if optimizer == "adam" else
            torch.optim.SGD(params, lr=1e-3, momentum=0.9 if optimizer == "momentum" else 0))
    with profile(activities=activities, profile_memory=True) as prof:
        with _phase(FORWARD):
            with cast:
                out = module(*inputs)
            loss = out.float().sum()
        with _phase(BACKWARD):
            loss.backward()
            del loss
        if optimizer != "sgd":
            with _phase(STEP):
                step.step()
    return live_peaks(prof)


def timeline_phases(timeline: Timeline, training: bool) -> dict[str, int]:
    """cnncalc's peak in each phase of a timeline."""
    peaks: dict[str, int] = {}
    for point in timeline.training_points if training else timeline.inference_points:
        peaks[point.phase] = max(peaks.get(point.phase, 0), point.live)
    return peaks


def compare_cpu(network: Any, batch: int, input_shape: Any, training: bool,
                optimizer: str = "momentum", mixed: str | None = None
                ) -> tuple[dict[str, int], dict[str, int]]:
    """(measured, cnncalc) peaks by phase of a network (a name, a path or a parsed network)
    on the CPU."""
    import torch

    from cnncalc.export.pytorch import build_module

    if isinstance(network, str):
        network = cnncalc.load(network)
    config = MemoryConfig(dtype=mixed or "float32", mixed=bool(mixed), optimizer=optimizer,
                          device="cpu")
    report = network.summary(input_shape, batch, config)
    assert report.totals.memory is not None and report.totals.memory.timeline is not None
    torch.manual_seed(0)
    with torch.device("meta"):  # no random initialisation: values do not change memory
        module = build_module(network, input_shape)
    module = module.to_empty(device="cpu")
    for tensor in (*module.parameters(), *module.buffers()):
        tensor.data.normal_(0, 0.01) if tensor.is_floating_point() else tensor.data.zero_()
    inputs = tuple(torch.randn(batch, *shape.dims) for _, shape in report.sources)
    measured = measure_cpu(module, inputs, training, optimizer, mixed)
    return measured, timeline_phases(report.totals.memory.timeline, training)


# --- a GPU: the reference protocol ------------------------------------------------------------


def measure_cuda(name: str, batch: int) -> tuple[int, int]:
    """The reference protocol (../shared/reference.md) on the current CUDA device, for the
    module cnncalc's export builds from a spec: (inference peak, training-step peak)."""
    import torch

    from cnncalc.export.pytorch import build_module

    module = build_module(name).cuda()
    x = torch.randn(batch, *module.INPUT_SHAPE, device="cuda")
    module.train()
    module(x).float().sum().backward()  # warm-up
    module.zero_grad(set_to_none=True)
    torch.cuda.empty_cache()
    module.eval()
    with torch.no_grad():
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        module(x)
        inference = torch.cuda.max_memory_allocated() - base
    module.train()
    step = torch.optim.SGD(module.parameters(), lr=1e-3, momentum=0.9)
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    out = module(x)
    out.float().sum().backward()
    step.step()
    training = torch.cuda.max_memory_allocated() - base
    del out
    return inference, training


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--reference", action="store_true", help="against the H100 measurements "
                     "(the default)")
    how.add_argument("--cpu", action="store_true", help="against PyTorch on the CPU")
    how.add_argument("--cuda", action="store_true", help="measure on this machine's GPU")
    parser.add_argument("specs", nargs="*", help="bundled spec names (default: the reference "
                        "networks)")
    parser.add_argument("--batch", type=int, default=2, help="batch for --cpu")
    parser.add_argument("--input", help="input shape for --cpu, such as 3x64x64")
    args = parser.parse_args(argv)
    if not (args.cpu or args.cuda):
        rows = reference_rows()
        print("Peak memory, measured on an H100 (../shared/reference.md) and predicted by "
              "cnncalc (--device cuda); MiB = 2^20 bytes")
        print(reference_table(rows))
        fits = fit_rows()
        for f in fits:
            print(f"--fit {FIT_BUDGET}: {f.name} {f.phase} batch {f.batch:,}: measured peak "
                  f"extrapolated to it {mib(f.extrapolated)} MiB "
                  f"{'fits' if f.ok else 'DOES NOT FIT'}")
        return 0 if all(r.ok for r in rows) and all(f.ok for f in fits) else 1
    try:
        import torch
    except ImportError:
        print("memory_timeline needs PyTorch: pip install '.[torch]'", file=sys.stderr)
        return 2
    names = args.specs or list(REFERENCE)
    if args.cuda:
        for name in names:
            for batch in (1, 8, 32):
                inference, training = measure_cuda(name, batch)
                timeline = predict(name, batch)
                print(f"{name} batch {batch}: inference {inference:,} (cnncalc "
                      f"{timeline.inference.likely:,}), training step {training:,} (cnncalc "
                      f"{timeline.training.likely:,})")
        return 0
    shape = args.input  # "3x64x64": summary and the export read it
    failures = 0
    print(f"Live-tensor peaks by phase, PyTorch {torch.__version__} eager on the CPU vs cnncalc "
          f"(--device cpu), batch {args.batch}")
    for name in names:
        for training in (False, True):
            start = time.perf_counter()
            measured, predicted = compare_cpu(name, args.batch, shape, training)
            same = measured == predicted
            failures += not same
            print(f"  {name:<24} {'training' if training else 'inference':<9} "
                  f"{'equal' if same else 'DIFFERENT'}  PyTorch {measured}  cnncalc {predicted}"
                  f"  ({time.perf_counter() - start:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
