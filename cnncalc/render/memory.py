"""Memory columns (``summary --memory``), footer lines and notes. The figures come finished from
:mod:`cnncalc.analysis.memory`; this module only formats them, in binary units."""

from __future__ import annotations

from cnncalc.analysis.memory import MemoryTotals
from cnncalc.analysis.report import LayerReport, Report
from cnncalc.render import fmt
from cnncalc.render.rows import Column


def _memory(report: Report) -> MemoryTotals:
    memory = report.totals.memory
    if memory is None:  # pragma: no cover - analyze() always computes it
        raise ValueError("the report has no memory figures")
    return memory


def short(nbytes: int) -> str:
    """Binary units with three significant digits, for table cells: ``392 MiB``, ``18.4 MiB``,
    ``2.19 GiB`` (the footer gives two decimals)."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    power = 0
    while power < len(units) - 1 and nbytes >= 1024 ** (power + 1):
        power += 1
    if power == 0:
        return f"{nbytes} B"
    scaled = nbytes / 1024**power
    text = f"{scaled:.{2 if scaled < 10 else 1 if scaled < 100 else 0}f}"
    if float(text) >= 1024 and power < len(units) - 1:  # 1023.7 MiB shows as 1.00 GiB
        return f"1.00 {units[power + 1]}"
    return f"{text} {units[power]}"


def _act(rep: Report, r: LayerReport) -> str:
    return "shared" if r.reuses_input else short(r.activation_bytes)


ACT = Column("Act", _act, numeric=True, style="green")
LIVE = Column("Live", lambda rep, r: short(r.live_bytes),
              lambda rep: short(_memory(rep).activations_inference_peak_bytes),
              numeric=True, style="bold green")
SAVED = Column("Saved", lambda rep, r: short(r.saved_bytes) if r.saved_bytes else "",
               lambda rep: short(_memory(rep).activations_training_bytes), numeric=True,
               style="dim green")

COLUMNS: tuple[Column, ...] = (ACT, LIVE, SAVED)

NOTES: tuple[str, ...] = (
    "memory in binary units (1 KiB = 1024 B, 1 MiB = 1024² B, 1 GiB = 1024³ B) for the whole "
    "batch; Act = the layer's output, or 'shared' when at inference it reuses its input's memory "
    "(in-place activation, view); Live = activations allocated while the layer runs at "
    "inference, each tensor freed after its last consumer (the input is kept); Saved = what "
    "PyTorch's autograd keeps for backward, counted once per storage",
    "the columns leave out workspaces, the allocator's rounding and the gradients of "
    "activations; the peaks above replay them op by op (docs/memory.md); not counted anywhere: "
    "the CUDA context and the cuBLAS workspace",
)


def footer(report: Report, budget: int | None = None, text: str | None = None) -> list[str]:
    """The memory totals in words (and the ``--fit`` answer when ``budget`` is given)."""
    m = _memory(report)
    b = fmt.binary
    where = f" at '{m.peak_layer}'" if m.peak_layer else ""
    lines = [
        f"Memory ({m.config.describe()}; batch {m.batch}):",
        f"  parameters {b(m.params_bytes)} · gradients {b(m.gradients_bytes)} · optimizer state "
        f"{b(m.optimizer_bytes)}",
        f"  inference: peak live activations {b(m.activations_inference_peak_bytes)}{where}; "
        f"with parameters {b(m.inference_bytes)}",
        f"  training: activations kept for backward {b(m.activations_training_bytes)}; one step "
        f"{b(m.training_step_bytes)} (parameters + gradients + optimizer state + activations)",
    ]
    if m.timeline is not None:
        lines += peak_lines(m)
    if budget is not None:
        lines.append(fit_line(m, budget, text))
    return lines


def peak_lines(m: MemoryTotals) -> list[str]:
    """The timeline's two peaks, where they happen, and their interval."""
    assert m.timeline is not None
    how = ("counted as CUDA's caching allocator counts" if m.config.device == "cuda"
           else "live tensors at their exact size")
    lines = [f"  peaks, replayed op by op ({how}; above parameters and input):"]
    for name, peak in (("inference", m.timeline.inference),
                       ("training step", m.timeline.training)):
        where = f" at '{peak.layer}' ({peak.phase})" if peak.layer else ""
        span = (f", {fmt.binary(peak.low)} to {fmt.binary(peak.high)}"
                if peak.low != peak.high else "")
        lines.append(f"    {name} {fmt.binary(peak.likely)}{where}{span}")
    return lines


def fit_line(m: MemoryTotals, budget: int, text: str | None = None) -> str:
    inference, training = m.largest_batch(budget)
    shown = text or fmt.binary(budget)

    def say(batch: int) -> str:
        return f"batch {batch:,}" if batch else "nothing (not even batch 1)"
    how = " (the peaks' high end)" if m.timeline else ""
    return (f"  fits in {shown}: {say(inference)} for inference, {say(training)} for "
            f"training{how}")


def fit_dict(m: MemoryTotals, budget: int) -> dict[str, int]:
    inference, training = m.largest_batch(budget)
    return {"budget_bytes": budget, "inference_batch": inference, "training_batch": training}
