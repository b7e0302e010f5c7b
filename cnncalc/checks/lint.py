"""Lint: warnings about specs that are valid but probably not what their author meant.

Each rule reads the finished :class:`Report` and the :class:`Graph` and yields warnings with a
stable code (:mod:`cnncalc.checks.codes`). Rules can be turned off for a whole file
(``lint: {disable: [...]}`` at the top of the spec, ``Graph.options[LINT_DISABLE]``), for one
layer or every layer of a block use or repeat (the same key on it, ``Node.options[LINT_DISABLE]``)
and from the command line (``cnncalc check --disable CODE``). ``all`` turns every rule off.

The rules, with why each matters, are documented in docs/ci.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction

from cnncalc.analysis.report import LayerReport, Report
from cnncalc.model.axes import axis_names, format_axes
from cnncalc.model.errors import Diagnostic
from cnncalc.model.geometry import Window
from cnncalc.model.graph import ALL, LINT_DISABLE, Graph, Node
from cnncalc.model.rf import Exact, format_fraction, half

RF_COVER_SHARE = Fraction(1, 3)
"""rf-covers-input fires when at least this share of the layers that grow the receptive field
(and at least :data:`RF_COVER_MIN_LAYERS` of them) come after every unit already sees the whole
input. Canonical networks at their intended input stay below it (GoogLeNet at 224: 7 of 34)."""
RF_COVER_MIN_LAYERS = 2

Pair = tuple[Node, LayerReport]
Rule = Callable[[Graph, Report, list[Pair]], Iterable[Diagnostic]]

_AXIS_UNITS = {"L": ("position", "positions"), "D": ("slice", "slices"), "H": ("row", "rows"),
               "W": ("column", "columns")}


def lint(graph: Graph, report: Report, disabled: Iterable[str] = ()) -> list[Diagnostic]:
    """Every lint warning for the network, in layer order, less the disabled ones."""
    off = frozenset(disabled) | frozenset(graph.options.get(LINT_DISABLE, frozenset()))
    if ALL in off:
        return []
    pairs = list(zip(graph.nodes, report.layers))
    nodes = {node.name: node for node in graph.nodes}
    found: list[Diagnostic] = [w for w in report.warnings if w.code in RULE_CODES]
    for code, rule in RULES.items():
        if code in off:
            continue
        found.extend(rule(graph, report, pairs))
    position = {node.name: i for i, node in enumerate(graph.nodes)}
    kept = [d for d in found if d.code not in off and not _disabled_on_layer(d, nodes)]
    kept.sort(key=lambda d: position.get(d.layer or "", len(position)))
    return kept


def _disabled_on_layer(d: Diagnostic, nodes: dict[str, Node]) -> bool:
    node = nodes.get(d.layer or "")
    if node is None:
        return False
    off = node.options.get(LINT_DISABLE, frozenset())
    return ALL in off or d.code in off


def exact_axes(values: tuple[Exact, ...]) -> str:
    """Per-axis exact numbers: ``(60, 60)`` → ``60``, ``(3, 5)`` → ``3×5``, fractions as ``1/2``."""
    return format_axes([format_fraction(v) for v in values])


# --- dropped-pixels ----------------------------------------------------------------------------


def dropped_pixels(graph: Graph, report: Report, pairs: list[Pair]) -> Iterator[Diagnostic]:
    """A stride that does not divide ``i + p_before + p_after − k_eff``: the last input pixels
    are never read (CS231n: W=10, F=3, S=2, P=0 gives (10 − 3)/2 + 1 = 4.5, "invalid")."""
    for node, r in pairs:
        if not any(r.dropped):
            continue
        x = r.input_shapes[0]
        ws = node.layer.windows(x)
        dropped = r.dropped  # axes whose windows skip pixels by design count 0 (Window.tiles)
        names = axis_names(x.rank)
        lost = " and ".join(_count(d, names[a]) for a, d in enumerate(dropped) if d)
        reasons = []
        if ws is not None:
            for a, (i, w) in enumerate(zip(x.spatial, ws)):
                if dropped[a]:
                    reasons.append(f"{_fit_formula(i, w)} on {names[a]}")
        why = f": {'; '.join(_merge_axes(reasons))} is not a whole number" if reasons else ""
        yield Diagnostic(f"{r.kind} '{r.name}' never reads the last {lost} of its {x} "
                         f"input{why} (the stride does not divide; pad, or use ceil_mode or a "
                         f"kernel and stride that fit)", r.mark, "warning", "dropped-pixels",
                         r.name)


def _count(n: int, axis: str) -> str:
    one, many = _AXIS_UNITS.get(axis, ("pixel", "pixels"))
    return f"{n} {one if n == 1 else many}"


def _fit_formula(i: int, w: Window) -> str:
    """CS231n's ``(W − F + 2P)/S + 1`` with the numbers, and its value."""
    pad = f"2·{w.pb}" if w.pb == w.pa else f"{w.pb} + {w.pa}"
    value = Fraction(i - w.k_eff + w.pb + w.pa, w.s) + 1
    shown = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return f"({i} − {w.k_eff} + {pad})/{w.s} + 1 = {shown}"


def _merge_axes(reasons: list[str]) -> list[str]:
    """``X on H``, ``X on W`` → ``X on H and W``."""
    merged: dict[str, list[str]] = {}
    for reason in reasons:
        formula, _, axis = reason.rpartition(" on ")
        merged.setdefault(formula, []).append(axis)
    return [f"{formula} on {' and '.join(axes)}" for formula, axes in merged.items()]


# --- padding-not-same --------------------------------------------------------------------------


def padding_not_same(graph: Graph, report: Report, pairs: list[Pair]) -> Iterator[Diagnostic]:
    """Stride-1 padding that almost keeps the size: ``kernel 5, padding 1`` shrinks by 2,
    ``kernel 3, dilation 2, padding 1`` too (its kernel spans 5). Also a size kept on some axes
    but not on others of a window that spans them all."""
    for node, r in pairs:
        x = r.input_shapes[0]
        written = node.layer.set_attributes().get("padding", 0)
        if isinstance(written, str) or not x.spatial:
            continue  # 'same', 'same_tf', 'valid' and 'full' say what they mean
        ws = node.layer.windows(x)
        if ws is None:
            continue
        off: list[int] = []
        kept: list[int] = []
        for a, w in enumerate(ws):
            if w.s != 1:
                continue
            total = w.pb + w.pa
            if total == w.k_eff - 1:
                if total:
                    kept.append(a)
            elif total > 0:
                off.append(a)
        if not off and kept:
            off = [a for a, w in enumerate(ws) if w.s == 1 and w.k_eff > 1 and w.pb + w.pa == 0]
        if not off:
            continue
        names = axis_names(x.rank)
        axes = " and ".join(names[a] for a in off)
        spans = [f"kernel {w.k} with dilation {w.d} spans {w.k_eff}" for w in ws if w.d > 1]
        span = f" ({spans[0]})" if spans else ""
        suggestion = _same_padding(ws)
        yield Diagnostic(
            f"{r.kind} '{r.name}' at stride 1 turns {_spatial(x.spatial)} into "
            f"{_spatial(r.output_shape.spatial)} with padding {_padding(written)}{span}: "
            f"not 'same' on {axes}; {suggestion} keeps the size", r.mark, "warning",
            "padding-not-same", r.name)


def _spatial(sizes: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in sizes)


def _padding(value: object) -> str:
    if isinstance(value, tuple):
        return str([list(v) if isinstance(v, tuple) else v for v in value]).replace("'", "")
    return str(value)


def _same_padding(ws: tuple[Window, ...]) -> str:
    if any(w.s == 1 and w.k_eff % 2 == 0 for w in ws):
        return "padding: same (asymmetric for an even kernel)"
    per_axis = [(w.k_eff - 1) // 2 if w.s == 1 else (w.pb if w.pb == w.pa else 0) for w in ws]
    if all(p == per_axis[0] for p in per_axis):
        return f"padding {per_axis[0]} (or 'same')"
    return f"padding {per_axis} (or 'same')"


# --- unaligned-merge ---------------------------------------------------------------------------


def unaligned_merge(graph: Graph, report: Report, pairs: list[Pair]) -> Iterator[Diagnostic]:
    """The walker finds these (it computes the receptive fields); lint only passes them on."""
    return iter(())


def rf_untracked(graph: Graph, report: Report, pairs: list[Pair]) -> Iterator[Diagnostic]:
    """Also found by the walker: fields too irregular to follow (docs/receptive-field.md)."""
    return iter(())


# --- rf-covers-input ---------------------------------------------------------------------------


def rf_covers_input(graph: Graph, report: Report, pairs: list[Pair]) -> Iterator[Diagnostic]:
    """The first layer where *every* output unit sees the whole input, when many of the layers
    that grow the receptive field still come after it: the input is probably too small for the
    architecture (a 224-pixel design at 32×32), and those layers add depth without context."""
    input_size = report.input_shape.spatial
    if not input_size:
        return
    fields = {r.name: r.rf for _, r in pairs}
    for name, _ in report.sources:
        fields[name] = None
    growing: list[int] = []
    first: int | None = None
    gates = _gate_branches(pairs)
    for index, (node, r) in enumerate(pairs):
        if r.rf is None or not r.output_shape.spatial or node.name in gates:
            continue
        if not type(node.layer).merges():
            before = fields.get(node.inputs[0])
            size_before = before.size if before is not None else (1,) * len(input_size)
            if r.rf.size != size_before:
                growing.append(index)
        if first is None and _every_unit_covers(r, input_size):
            first = index
    if first is None:
        return
    after = [i for i in growing if i > first]
    if len(after) < RF_COVER_MIN_LAYERS or len(after) < RF_COVER_SHARE * len(growing):
        return
    r = pairs[first][1]
    macs_after = sum(pairs[i][1].macs for i in range(first + 1, len(pairs))
                     if pairs[i][1].output_shape.spatial)
    share = (f", {100 * macs_after / report.totals.macs:.0f} % of the MACs"
             if report.totals.macs else "")
    size = exact_axes(r.rf.size) if r.rf else "?"
    yield Diagnostic(
        f"{r.kind} '{r.name}': every unit of its {r.output_shape} output already sees the whole "
        f"{_spatial(input_size)} input (receptive field {size}), yet {len(after)} of the "
        f"{len(growing)} layers that widen the receptive field come after it{share}; is the "
        f"input too small for this architecture?", r.mark, "warning", "rf-covers-input", r.name)


def _gate_branches(pairs: list[Pair]) -> set[str]:
    """Layers that only feed a size-1 input broadcast into a larger merge: a
    squeeze-excitation gate sees the whole input by design, which does not mean that the input
    is too small."""
    readers: dict[str, list[tuple[Node, LayerReport, int]]] = {}
    for node, r in pairs:
        for i, src in enumerate(node.inputs):
            readers.setdefault(src, []).append((node, r, i))
    gates: set[str] = set()
    for node, _ in reversed(pairs):
        uses = readers.get(node.name, [])
        if uses and all(user.name in gates or (
                type(user.layer).merges() and ur.input_shapes[i].spatial != ur.output_shape.spatial)
                for user, ur, i in uses):
            gates.add(node.name)
    return gates


def _every_unit_covers(r: LayerReport, input_size: tuple[int, ...]) -> bool:
    """Whether every unit's field spans the input on every axis: the last unit reaches back to
    pixel 0 and the first reaches pixel n − 1 (centres at ``start + u·jump``)."""
    rf = r.rf
    if rf is None or len(rf.size) != len(input_size):
        return False
    for size, jump, start, out, n in zip(rf.size, rf.jump, rf.start, r.output_shape.spatial,
                                         input_size):
        radius: Exact = half(size - 1)
        if start + (out - 1) * jump - radius > 0 or start + radius < n - 1:
            return False
    return True


# --- dead-layer --------------------------------------------------------------------------------


def dead_layers(graph: Graph, report: Report, pairs: list[Pair]) -> Iterator[Diagnostic]:
    """Layers whose output never reaches the network output (the last layer), reported once per
    unread layer, with the unused layers that feed it and what they cost. Each unused layer is
    counted with the first unread layer it feeds, so the walk stays linear."""
    live = {graph.output}
    by_name = {node.name: node for node in graph.nodes}
    for node in reversed(graph.nodes):
        if node.name in live:
            live.update(node.inputs)
    users = graph.consumers()
    reports = {r.name: r for _, r in pairs}
    claimed: set[str] = set()
    for node in graph.nodes:
        if node.name in live or users.get(node.name):
            continue
        feeders: list[str] = []
        stack = [s for s in node.inputs if s not in live and s in by_name]
        while stack:
            name = stack.pop()
            if name in claimed:
                continue
            claimed.add(name)
            feeders.append(name)
            stack.extend(s for s in by_name[name].inputs if s not in live and s in by_name)
        group = [reports[n] for n in (*feeders, node.name)]
        params = sum(g.params for g in group)
        macs = sum(g.macs for g in group)
        cost = ", ".join(part for part in (f"{params:,} params" if params else "",
                                           f"{macs:,} MACs" if macs else "") if part)
        feed = "unused layer that feeds" if len(feeders) == 1 else "unused layers that feed"
        more = f" (with the {len(feeders)} {feed} it" if feeders else ""
        if more:
            more += f": {cost})" if cost else ")"
        elif cost:
            more = f" ({cost})"
        r = reports[node.name]
        yield Diagnostic(
            f"{r.kind} '{r.name}' is never used: nothing reads its output and it is not the "
            f"network output '{graph.output}'{more}", r.mark, "warning", "dead-layer", r.name)


def training_refused(graph: Graph, report: Report, pairs: list[Pair]) -> Iterator[Diagnostic]:
    """Layers PyTorch refuses to run in training for this input and batch: batch norm with one
    value per channel (batch 1 on a 1×1 map: DeepLabV3's pooling branch), instance norm with one
    position. Inference is fine; the memory figures for training describe a step that fails."""
    for node, r in pairs:
        reason = node.layer.training_refusal(r.input_shapes, report.batch)
        if reason:
            yield Diagnostic(f"{r.kind} '{r.name}' cannot be trained at batch {report.batch}: "
                             f"{reason}", r.mark, "warning", "training-refused", r.name)


RULES: dict[str, Rule] = {
    "dropped-pixels": dropped_pixels,
    "padding-not-same": padding_not_same,
    "unaligned-merge": unaligned_merge,
    "rf-untracked": rf_untracked,
    "rf-covers-input": rf_covers_input,
    "dead-layer": dead_layers,
    "training-refused": training_refused,
}
RULE_CODES = frozenset(RULES)
