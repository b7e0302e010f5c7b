"""Comparing two analysed networks layer by layer (``cnncalc diff``).

The diff works on the JSON contract (:meth:`Report.to_dict`, docs/json-schema.md), so that either
side can be a spec analysed now or a summary saved earlier (``summary --format json``), and so
that fields added to the contract later (the memory model's ``activation_bytes``) are compared as
soon as a report carries them.

Matching, in O(n log n) for n layers (never quadratic):

1. **By name.** Layers with the same name in both reports are the same layer (one dict lookup
   each).
2. **Stable order.** Among the name-matched pairs, taken in the new report's order, the longest
   run whose old positions increase (longest increasing subsequence, patience sorting,
   O(n log n)) are the anchors; the other name-matched layers are *moved*.
3. **By position where names changed.** Between two consecutive anchors the unmatched old layers
   and the unmatched new layers sit in the same place of the network; there, layers of the same
   kind are paired in order (the first unmatched old conv with the first unmatched new conv, ...;
   one queue per kind, linear). These are *renamed*.
4. What is left over is *removed* (old only) or *added* (new only).

A matched pair is *changed* when its kind, description, output shape, parameters, MACs, receptive
field or its own memory figures differ, when it moved, or when it is rewired (``live_bytes``, the
memory in use while the layer runs, depends on which other tensors are alive, so a difference there
alone does not make a layer changed; it is shown for the layers that are): it reads a different
number of inputs, or an input whose old and new producers are both matched and unmoved but not
each other's match (an edge to an added, removed or moved layer is explained by that).
Entries come in the new report's order; a removed layer is placed right after the new
counterpart of the closest old layer before it that has one.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DIFF_SCHEMA_VERSION = 1

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"

CONTEXT_METRICS = frozenset({"live_bytes"})
"""Layer figures that depend on the rest of the network, not on the layer: shown, but a
difference in them alone does not make a layer *changed*."""

# Per-layer integer fields compared when a report has them: (JSON key, label, unit).
LAYER_METRICS: tuple[tuple[str, str, str], ...] = (
    ("params", "Params", "count"),
    ("macs", "MACs", "count"),
    ("activation_bytes", "Act. mem", "bytes"),
    ("live_bytes", "Live mem", "bytes"),
)

# Whole-network figures compared: (name, label, unit). Memory totals (``totals.memory``) are
# added after these, under their own keys, when either report has them.
TOTAL_METRICS: tuple[tuple[str, str, str], ...] = (
    ("params", "Params", "count"),
    ("trainable_params", "Trainable params", "count"),
    ("non_trainable", "Non-trainable (frozen + buffers)", "count"),
    ("macs", "MACs", "count"),
    ("flops", "FLOPs", "count"),
    ("layers", "Layers", "count"),
)


@dataclass(frozen=True)
class LayerFacts:
    """What the diff compares about one layer, read from a report's JSON."""

    index: int
    name: str
    kind: str
    description: str
    inputs: tuple[str, ...]
    output_shape: tuple[int, ...]
    rf_size: tuple[str, ...] | None
    values: tuple[tuple[str, int], ...]
    """The :data:`LAYER_METRICS` the report has for this layer, in that order."""

    def value(self, key: str) -> int | None:
        for k, v in self.values:
            if k == key:
                return v
        return None

    @classmethod
    def of(cls, index: int, layer: Mapping[str, Any]) -> LayerFacts:
        rf = layer.get("rf")
        rf_size = tuple(str(v) for v in rf["size"]) if isinstance(rf, Mapping) else None
        values = tuple((key, int(layer[key])) for key, _, _ in LAYER_METRICS
                       if isinstance(layer.get(key), int))
        return cls(index, str(layer["name"]), str(layer.get("kind", "")),
                   str(layer.get("description", layer.get("kind", ""))),
                   tuple(str(s) for s in layer.get("inputs", ())),
                   tuple(int(d) for d in layer.get("output_shape", ())), rf_size, values)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind,
                               "description": self.description, "inputs": list(self.inputs),
                               "output_shape": list(self.output_shape),
                               "rf_size": list(self.rf_size) if self.rf_size else None}
        out.update(self.values)
        return out


@dataclass(frozen=True)
class LayerChange:
    """One entry of the diff: a matched pair (changed or unchanged), or a layer on one side."""

    status: str
    """``added``, ``removed``, ``changed`` or ``unchanged``."""
    old: LayerFacts | None
    new: LayerFacts | None
    match: str | None = None
    """How the pair was matched: ``name`` or ``position`` (renamed); None for added/removed."""
    moved: bool = False
    changes: tuple[str, ...] = ()
    """The fields that differ: kind, description, output_shape, inputs, rf, params, macs, ..."""

    @property
    def name(self) -> str:
        facts = self.new or self.old
        assert facts is not None
        return facts.name

    @property
    def renamed(self) -> bool:
        return self.match == "position"

    def delta(self, key: str) -> int | None:
        """new − old of a metric (an added layer counts from 0, a removed one to 0)."""
        old = self.old.value(key) if self.old else 0
        new = self.new.value(key) if self.new else 0
        if old is None or new is None:
            return None
        return new - old

    def to_dict(self) -> dict[str, Any]:
        delta = {}
        for key, _, _ in LAYER_METRICS:
            d = self.delta(key)
            if d is not None and (self.old is None or self.old.value(key) is not None) and (
                    self.new is None or self.new.value(key) is not None):
                delta[key] = d
        return {"status": self.status,
                "old_name": self.old.name if self.old else None,
                "new_name": self.new.name if self.new else None,
                "match": self.match, "moved": self.moved, "changes": list(self.changes),
                "old": self.old.to_dict() if self.old else None,
                "new": self.new.to_dict() if self.new else None,
                "delta": delta}


@dataclass(frozen=True)
class TotalChange:
    name: str
    label: str
    unit: str
    old: int | None
    new: int | None

    @property
    def delta(self) -> int | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old

    @property
    def percent(self) -> float | None:
        """The change in per cent of the old value (None when the old value is 0 or missing)."""
        if self.delta is None or not self.old:
            return None
        return 100.0 * self.delta / self.old

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "delta": self.delta, "percent": self.percent}


@dataclass(frozen=True)
class Side:
    """What the diff says about one report as a whole."""

    name: str
    source: str | None
    input_shape: tuple[int, ...]
    batch: int
    output_shape: tuple[int, ...]
    layers: int

    @classmethod
    def of(cls, report: Mapping[str, Any]) -> Side:
        return cls(str(report.get("name", "")), report.get("source"),
                   tuple(report.get("input_shape", ())), int(report.get("batch", 1)),
                   tuple(report.get("output_shape", ())), len(report.get("layers", ())))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "input_shape": list(self.input_shape),
                "batch": self.batch, "output_shape": list(self.output_shape),
                "layers": self.layers}


@dataclass(frozen=True)
class ReportDiff:
    old: Side
    new: Side
    entries: tuple[LayerChange, ...]
    totals: tuple[TotalChange, ...]
    layer_metrics: tuple[tuple[str, str, str], ...]
    """The :data:`LAYER_METRICS` that at least one of the two reports has."""
    rf_compared: bool

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def moved(self) -> int:
        return sum(1 for e in self.entries if e.moved)

    @property
    def renamed(self) -> int:
        return sum(1 for e in self.entries if e.renamed)

    @property
    def identical(self) -> bool:
        return (all(e.status == UNCHANGED for e in self.entries)
                and all(t.delta == 0 for t in self.totals)
                and self.old.input_shape == self.new.input_shape
                and self.old.output_shape == self.new.output_shape)

    def total(self, name: str) -> TotalChange | None:
        for t in self.totals:
            if t.name == name:
                return t
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": DIFF_SCHEMA_VERSION,
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "summary": {"added": self.count(ADDED), "removed": self.count(REMOVED),
                        "changed": self.count(CHANGED), "unchanged": self.count(UNCHANGED),
                        "moved": self.moved, "renamed": self.renamed},
            "layers": [e.to_dict() for e in self.entries],
            "totals": {t.name: t.to_dict() for t in self.totals},
        }


# --- matching ----------------------------------------------------------------------------------


def longest_increasing(values: Sequence[int]) -> list[int]:
    """Indices into ``values`` of one longest strictly increasing subsequence (patience sorting,
    O(n log n))."""
    tails: list[int] = []        # tails[k]: value ending the best run of length k + 1
    tail_index: list[int] = []   # ... and its index in ``values``
    previous = [-1] * len(values)
    for i, v in enumerate(values):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_index.append(i)
        else:
            tails[k] = v
            tail_index[k] = i
        previous[i] = tail_index[k - 1] if k else -1
    out: list[int] = []
    i = tail_index[-1] if tail_index else -1
    while i >= 0:
        out.append(i)
        i = previous[i]
    return out[::-1]


def match_layers(old: Sequence[LayerFacts],
                 new: Sequence[LayerFacts]) -> tuple[dict[int, int], dict[int, str], set[int]]:
    """Match layers (module docstring): new index → old index, new index → how (``name`` or
    ``position``), and the new indices of name-matched layers that moved."""
    old_by_name = {f.name: f.index for f in old}
    pairs = [(f.index, old_by_name[f.name]) for f in new if f.name in old_by_name]
    match = {j: i for j, i in pairs}
    how = {j: "name" for j, _ in pairs}
    stable = [pairs[k] for k in longest_increasing([i for _, i in pairs])]
    moved = {j for j, _ in pairs} - {j for j, _ in stable}
    matched_old = set(match.values())
    # Gaps between consecutive anchors, with sentinels before the first and after the last.
    anchors = [(-1, -1), *stable, (len(new), len(old))]
    unmatched_old = [f.index for f in old if f.index not in matched_old]
    unmatched_new = [f.index for f in new if f.index not in match]
    oi = ni = 0
    for (j0, i0), (j1, i1) in itertools.pairwise(anchors):
        queues: dict[str, deque[int]] = {}
        while oi < len(unmatched_old) and unmatched_old[oi] < i1:
            i = unmatched_old[oi]
            if i > i0:
                queues.setdefault(old[i].kind, deque()).append(i)
            oi += 1
        while ni < len(unmatched_new) and unmatched_new[ni] < j1:
            j = unmatched_new[ni]
            queue = queues.get(new[j].kind) if j > j0 else None
            if queue:
                match[j] = queue.popleft()
                how[j] = "position"
            ni += 1
    return match, how, moved


def diff_reports(old_report: Mapping[str, Any], new_report: Mapping[str, Any]) -> ReportDiff:
    """The layer-by-layer and total differences between two reports (JSON contract dicts)."""
    old = [LayerFacts.of(i, layer) for i, layer in enumerate(old_report.get("layers", ()))]
    new = [LayerFacts.of(j, layer) for j, layer in enumerate(new_report.get("layers", ()))]
    match, how, moved = match_layers(old, new)
    old_to_new = {i: j for j, i in match.items()}
    # Old name → new name of the layers whose place is settled (matched and not moved); an edge
    # from or to any other layer is explained by an addition, removal or move, not a rewiring.
    rename = {old[i].name: new[j].name for j, i in match.items() if j not in moved}
    rename["input"] = "input"
    settled = set(rename.values())
    metrics = tuple(m for m in LAYER_METRICS
                    if any(f.value(m[0]) is not None for f in (*old, *new)))
    rf_compared = any(f.rf_size is not None for f in old) and any(
        f.rf_size is not None for f in new)

    keyed: list[tuple[tuple[int, int, int], LayerChange]] = []
    for f in new:
        if f.index not in match:
            keyed.append(((f.index, 1, 0), LayerChange(ADDED, None, f)))
            continue
        o = old[match[f.index]]
        changes = _changes(o, f, rename, settled, metrics, rf_compared)
        is_moved = f.index in moved
        if is_moved:
            changes = ("order", *changes)
        status = CHANGED if changes or how[f.index] == "position" else UNCHANGED
        keyed.append(((f.index, 1, 0),
                      LayerChange(status, o, f, how[f.index], is_moved, changes)))
    last = -1
    for o in old:
        if o.index in old_to_new:
            last = old_to_new[o.index]
        else:
            keyed.append(((last, 2, o.index), LayerChange(REMOVED, o, None)))
    keyed.sort(key=lambda item: item[0])
    entries = tuple(change for _, change in keyed)
    return ReportDiff(Side.of(old_report), Side.of(new_report), entries,
                      _total_changes(old_report, new_report), metrics, rf_compared)


def _rewired(o: LayerFacts, n: LayerFacts, rename: Mapping[str, str], settled: set[str]) -> bool:
    """Whether the layer reads different producers: a different number of inputs, or an input
    whose producers are both settled (matched, not moved) yet are not each other's match."""
    if len(o.inputs) != len(n.inputs):
        return True
    return any(a in rename and b in settled and rename[a] != b for a, b in zip(o.inputs, n.inputs))


def _changes(o: LayerFacts, n: LayerFacts, rename: Mapping[str, str], settled: set[str],
             metrics: Iterable[tuple[str, str, str]], rf_compared: bool) -> tuple[str, ...]:
    out = []
    if o.kind != n.kind:
        out.append("kind")
    if o.description != n.description:
        out.append("description")
    if o.output_shape != n.output_shape:
        out.append("output_shape")
    if _rewired(o, n, rename, settled):
        out.append("inputs")
    if rf_compared and o.rf_size != n.rf_size:
        out.append("rf")
    out += [key for key, _, _ in metrics
            if key not in CONTEXT_METRICS and o.value(key) != n.value(key)]
    return tuple(out)


def _total_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[TotalChange, ...]:
    def figures(report: Mapping[str, Any]) -> dict[str, int]:
        totals = report.get("totals", {})
        out = {k: int(v) for k, v in totals.items() if isinstance(v, int)}
        out["layers"] = len(report.get("layers", ()))
        memory = totals.get("memory")
        if isinstance(memory, Mapping):
            out.update({k: int(v) for k, v in memory.items() if isinstance(v, int)})
        return out

    a, b = figures(old), figures(new)
    rows = [TotalChange(name, label, unit, a.get(name), b.get(name))
            for name, label, unit in TOTAL_METRICS if name in a or name in b]
    known = {name for name, _, _ in TOTAL_METRICS}
    for source in (old, new):
        memory = source.get("totals", {}).get("memory")
        if isinstance(memory, Mapping):
            for key, value in memory.items():
                if key not in known and isinstance(value, int):  # not the peaks' details
                    known.add(key)
                    unit = "bytes" if key.endswith("_bytes") else "count"
                    rows.append(TotalChange(key, _label(key), unit, a.get(key), b.get(key)))
    return tuple(rows)


def _label(key: str) -> str:
    words = key.removesuffix("_bytes").replace("_", " ")
    return "Memory: " + words


def total_names(diff: ReportDiff) -> list[str]:
    """The metric names a ``--fail-on`` condition can use for this diff."""
    return [t.name for t in diff.totals]


# --- CI conditions (--fail-on) -------------------------------------------------------------------

FAIL_ON_GRAMMAR = """\
CONDITION := METRIC OP AMOUNT | any
METRIC    := params | trainable_params | non_trainable | macs | flops | layers
             | a memory total (params_bytes, training_step_bytes, ...) when the reports have them
OP        := >  >=  <  <=  ==  !=
AMOUNT    := [+|-] NUMBER [%] | [+|-] NUMBER SUFFIX
SUFFIX    := k M G T (10^3 ... 10^12) | KiB MiB GiB TiB (2^10 ... 2^40)

The change new - old is compared: in per cent of the old value with %, else as a number.
'any' holds when any layer or total differs."""

_SUFFIXES = {"": 1, "%": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
             "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
_OPS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


class ConditionError(ValueError):
    """A ``--fail-on`` condition that does not follow :data:`FAIL_ON_GRAMMAR`."""


@dataclass(frozen=True)
class Condition:
    """``params>5%``: holds when the metric's change compares so with the amount."""

    text: str
    metric: str
    op: str = ""
    amount: float = 0.0
    percent: bool = False

    @classmethod
    def parse(cls, text: str) -> Condition:
        raw = text.strip()
        if raw == "any":
            return cls(raw, "any")
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|!=|>|<|=)\s*"
                         r"([+-]?(?:\d[\d_,]*)(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([A-Za-z%]*)", raw)
        if m is None:
            hint = (" (quote it: an unquoted > is a shell redirect)"
                    if re.fullmatch(r"[A-Za-z_]\w*", raw) else "")
            raise ConditionError(f"cannot read condition {text!r}{hint}; expected METRIC OP "
                                 f"AMOUNT like 'params>5%' or 'macs>=1G', or 'any'")
        metric, op, number, suffix = m.groups()
        if suffix not in _SUFFIXES:
            raise ConditionError(f"unknown unit {suffix!r} in {text!r}; use %, k, M, G, T, KiB, "
                                 f"MiB, GiB or TiB")
        op = "==" if op == "=" else op
        amount = float(number.replace("_", "").replace(",", "")) * _SUFFIXES[suffix]
        return cls(raw, metric, op, amount, suffix == "%")

    def check(self, diff: ReportDiff) -> tuple[bool, str]:
        """Whether the condition holds for ``diff``, and a sentence saying what was measured.
        Raises :class:`ConditionError` for a metric the reports do not have."""
        if self.metric == "any":
            if diff.identical:
                return False, "no layer or total differs"
            changed = len(diff.entries) - diff.count(UNCHANGED)
            return True, f"{changed} layer{'s' if changed != 1 else ''} differ"
        total = diff.total(self.metric)
        if total is None or total.delta is None:
            known = ", ".join(total_names(diff))
            raise ConditionError(f"unknown metric {self.metric!r} in {self.text!r}; these "
                                 f"reports have: {known}, any")
        assert total.old is not None and total.new is not None
        if self.percent:
            if total.old:
                measured = 100.0 * total.delta / total.old
            else:
                measured = 0.0 if total.delta == 0 else float("inf") * (1 if total.delta > 0
                                                                         else -1)
            shown = f"{measured:+.2f}%"
        else:
            measured = float(total.delta)
            shown = f"{total.delta:+,}"
        holds = bool(_OPS[self.op](measured, self.amount))
        return holds, (f"{self.metric} changed by {shown} ({total.old:,} → {total.new:,})")
