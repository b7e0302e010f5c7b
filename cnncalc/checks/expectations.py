"""Expectations on layers (``expect:``) and budgets for the whole network (``budget:`` and the
``--max-*`` options of ``cnncalc check``), evaluated against a finished :class:`Report`.

The spec builder parses the YAML keys into the frozen values below and stores them on
``Node.options[EXPECT]`` and ``Graph.options[BUDGETS]``; the command line adds its own budgets.
Every failure is a :class:`Diagnostic` that says what was expected and by how much it missed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cnncalc.analysis.memory import MemoryConfig, plan
from cnncalc.analysis.report import LayerReport, Report
from cnncalc.analysis.timeline import Replayer
from cnncalc.analysis.walk import analyze
from cnncalc.checks.lint import exact_axes, lint
from cnncalc.model.errors import Diagnostic, Mark
from cnncalc.model.graph import Graph
from cnncalc.model.quantity import format_bytes, format_count
from cnncalc.model.rf import Exact

EXPECT = "expect"
"""``Node.options`` key: the layer's expectations, a tuple of :class:`Expectation`."""
BUDGETS = "budgets"
"""``Graph.options`` key: the spec's budgets, a tuple of :class:`Budget`."""

EXPECT_KEYS = ("shape", "rf", "jump", "params", "macs")
BUDGET_KEYS = ("params", "trainable_params", "macs", "flops", "memory")
MEMORY_KEYS = ("max", "batch", "dtype", "phase", "optimizer")
DEFAULT_OPTIMIZER = MemoryConfig().optimizer
"""A memory budget's optimizer when it names none: the memory model's, as in every command."""
PHASES: dict[str, str] = {
    "training": "activations_training_bytes",
    "inference": "peak_inference_bytes",
    "step": "peak_training_step_bytes",
}
"""Memory budget phase → the key of the memory model's totals it is checked against."""
PHASE_WORDS = {
    "training": "training activations (kept for the backward pass)",
    "inference": "peak memory of inference (above parameters and input)",
    "step": "peak memory of a training step (above parameters and input)",
}


@dataclass(frozen=True)
class Bound:
    """An exact count (``low == high``) or a range; either end may be open."""

    low: int | None
    high: int | None

    def holds(self, value: int) -> bool:
        return ((self.low is None or value >= self.low)
                and (self.high is None or value <= self.high))

    def describe(self) -> str:
        if self.low is not None and self.low == self.high:
            return f"{self.low:,}"
        if self.low is None:
            return f"at most {self.high:,}"
        if self.high is None:
            return f"at least {self.low:,}"
        return f"between {self.low:,} and {self.high:,}"

    def miss(self, value: int) -> str:
        """How far ``value`` is outside the bound: ``56 over``."""
        if self.high is not None and value > self.high:
            return f"{value - self.high:,} over"
        if self.low is not None and value < self.low:
            return f"{self.low - value:,} under"
        return ""


@dataclass(frozen=True)
class Expectation:
    """One ``expect:`` entry of a layer.

    ``what`` is one of :data:`EXPECT_KEYS`; ``value`` is a tuple of sizes (``None`` matches any)
    for ``shape``, a tuple of exact numbers per axis (or one for every axis) for ``rf`` and
    ``jump``, a :class:`Bound` for ``params`` and ``macs``.
    """

    what: str
    value: Any
    mark: Mark | None = None


@dataclass(frozen=True)
class Budget:
    """An upper limit on a network total.

    ``what`` is one of :data:`BUDGET_KEYS`; ``written`` is the limit as the user wrote it
    (``25M``). Memory budgets say at which batch (None: the spec's), dtype and phase, and with
    which optimizer for the ``step`` phase.
    """

    what: str
    limit: int
    written: str
    mark: Mark | None = None
    source: str = "spec"
    batch: int | None = None
    dtype: str = "float32"
    phase: str = "training"
    optimizer: str = DEFAULT_OPTIMIZER

    @property
    def title(self) -> str:
        if self.what == "memory":
            return f"memory ({self.phase})"
        return self.what


@dataclass(frozen=True)
class BudgetResult:
    """A checked budget: the actual value (None when it could not be computed) and whether it
    is within the limit."""

    budget: Budget
    actual: int | None
    ok: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        b = self.budget
        out: dict[str, Any] = {
            "budget": b.what, "limit": b.limit, "written": b.written, "actual": self.actual,
            "ok": self.ok, "over_by": (self.actual - b.limit
                                       if self.actual is not None and not self.ok else 0),
            "source": b.source, "line": b.mark.line if b.mark else None,
            "column": b.mark.column if b.mark else None,
        }
        if b.what == "memory":
            out.update({"unit": "bytes", "batch": b.batch, "dtype": b.dtype, "phase": b.phase,
                        "optimizer": b.optimizer})
        else:
            out["unit"] = "count"
        return out


MemoryModel = Callable[..., Mapping[str, int]]
"""``(graph, report, *, dtype, optimizer)`` → the memory totals of ``report``'s batch: a mapping
with at least the values of :data:`PHASES` (bytes, exact integers), as :func:`memory_totals`
gives them."""


def memory_totals(graph: Graph, report: Report, *, dtype: str = "float32",
                  optimizer: str = "sgd", mixed: bool = False,
                  device: str = "cuda") -> dict[str, Any]:
    """The ``totals.memory`` mapping (the byte counts of the JSON, the timeline's peaks
    included) of ``report``, analysed from ``graph``, for another dtype, optimizer or precision
    at the report's batch: what memory budgets are checked against (docs/ci.md). Raises
    ValueError for an unknown setting."""
    config = MemoryConfig(dtype=dtype, optimizer=optimizer, mixed=mixed, device=device)
    totals = plan(graph, report.input_shape.numel, report.layers, report.batch, config).totals
    replayer = Replayer(graph, report.layers, report.input_shape, config)
    return replace(totals, replayer=replayer).to_dict()


# --- expectations ------------------------------------------------------------------------------


def check_expectations(graph: Graph, report: Report) -> list[Diagnostic]:
    """One error per expectation that does not hold, in layer order."""
    found: list[Diagnostic] = []
    for node, r in zip(graph.nodes, report.layers):
        for exp in node.options.get(EXPECT, ()):
            problem = _expectation_problem(exp, r)
            if problem:
                found.append(Diagnostic(f"{r.kind} '{r.name}' {problem}", exp.mark or r.mark,
                                        "error", "expect", r.name))
    return found


def _expectation_problem(exp: Expectation, r: LayerReport) -> str:
    if exp.what == "shape":
        got = r.output_shape.dims
        want = exp.value
        if len(got) != len(want) or any(w is not None and w != g for w, g in zip(want, got)):
            shown = "×".join("*" if w is None else str(w) for w in want)
            return f"gives {r.output_shape}, expected {shown}"
        return ""
    if exp.what in ("rf", "jump"):
        if r.rf is None:
            return f"has no receptive field to compare with the expected {exp.what}"
        got_axes: tuple[Exact, ...] = r.rf.size if exp.what == "rf" else r.rf.jump
        if len(exp.value) not in (1, len(got_axes)):
            return (f"has {len(got_axes)} spatial ax{'is' if len(got_axes) == 1 else 'es'}, but "
                    f"its expected {exp.what} gives {len(exp.value)} values")
        want_axes = exp.value if len(exp.value) == len(got_axes) else exp.value * len(got_axes)
        if tuple(want_axes) != tuple(got_axes):
            what = "receptive field" if exp.what == "rf" else "jump (effective stride)"
            return (f"has a {what} of {exact_axes(got_axes)}, expected "
                    f"{exact_axes(tuple(exp.value))}")
        return ""
    bound: Bound = exp.value
    value = r.params if exp.what == "params" else r.macs
    if not bound.holds(value):
        miss = bound.miss(value)
        return f"has {value:,} {_TITLES[exp.what]}, expected {bound.describe()}" + (
            f" ({miss})" if bound.low != bound.high else f" ({_signed(value - (bound.low or 0))})")
    return ""


def _signed(delta: int) -> str:
    return f"{delta:+,}"


# --- budgets -----------------------------------------------------------------------------------


def check_budgets(graph: Graph, report: Report, budgets: tuple[Budget, ...],
                  memory: MemoryModel | None = None) -> tuple[list[BudgetResult],
                                                              list[Diagnostic]]:
    """Every budget's result, and one error per budget that fails. Memory budgets are checked
    with ``memory`` (default :func:`memory_totals`)."""
    results: list[BudgetResult] = []
    errors: list[Diagnostic] = []
    fallback = Mark(graph.source, 1, 1) if graph.source else None
    for b in budgets:
        mark = b.mark or fallback
        where = "" if b.source == "spec" else "command-line "
        if b.what == "memory":
            actual, context = _memory_actual(graph, report, b, memory or memory_totals)
            shown = format_bytes(actual)
            limit_shown = f"{b.written} ({b.limit:,} bytes)"
            subject = f"{PHASE_WORDS[b.phase]} at {context}"
        else:
            actual = _total(report, b.what)
            shown = format_count(actual)
            limit_shown = b.written if b.written == f"{b.limit:,}" else f"{b.written} " \
                f"({b.limit:,})"
            subject = _TITLES[b.what] + (
                f" at batch {report.batch}" if b.what in ("macs", "flops") and report.batch != 1
                else "")
        ok = actual <= b.limit
        results.append(BudgetResult(b, actual, ok))
        if not ok:
            over = actual - b.limit
            share = f" (+{100 * over / b.limit:.1f} %)" if b.limit else ""
            over_shown = (format_bytes(over) if b.what == "memory" else f"{over:,}")
            errors.append(Diagnostic(
                f"{subject}: {shown} exceeds the {where}budget of {limit_shown} by "
                f"{over_shown}{share}", mark, "error", "budget"))
    return results, errors


_TITLES = {"params": "params", "trainable_params": "trainable params", "macs": "MACs",
           "flops": "FLOPs"}


def _total(report: Report, what: str) -> int:
    t = report.totals
    values = {"params": t.params, "trainable_params": t.trainable_params, "macs": t.macs,
              "flops": t.flops}
    return values[what]


def _memory_actual(graph: Graph, report: Report, b: Budget,
                   memory: MemoryModel) -> tuple[int, str]:
    at = report
    if b.batch is not None and b.batch != report.batch:
        at = analyze(graph, report.input_shape, b.batch)
    totals = memory(graph, at, dtype=b.dtype, optimizer=b.optimizer)
    context = f"batch {at.batch}, {b.dtype}" + (f", {b.optimizer}" if b.phase == "step" else "")
    return int(totals[PHASES[b.phase]]), context


# --- one spec, all checks ----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    """What ``cnncalc check`` found in one spec file: its findings (loader and walker errors,
    lint warnings, failed expectations and budgets) and every budget's result."""

    path: str
    name: str | None = None
    findings: tuple[Diagnostic, ...] = ()
    budgets: tuple[BudgetResult, ...] = ()
    totals: Mapping[str, int] | None = None

    @property
    def errors(self) -> int:
        return sum(1 for d in self.findings if d.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.findings if d.severity == "warning")

    @property
    def ok(self) -> bool:
        return self.errors == 0


def run_checks(graph: Graph, report: Report, *, budgets: tuple[Budget, ...] = (),
               disabled: tuple[str, ...] = (),
               memory: MemoryModel | None = None) -> tuple[list[Diagnostic], list[BudgetResult]]:
    """Lint, expectations and budgets (the spec's, then ``budgets``) of an analysed network."""
    findings = lint(graph, report, disabled)
    findings += check_expectations(graph, report)
    all_budgets = tuple(graph.options.get(BUDGETS, ())) + budgets
    results, failures = check_budgets(graph, report, all_budgets, memory)
    return findings + failures, results
