"""A finished :class:`Report` as the data of the interactive page (``cnncalc report``).

Everything the page shows is formatted here, by the renderers the terminal uses (the summary's
columns and footer, the memory and receptive-field columns, the graph's palette and labels), so
that a number reads the same on the page as in ``cnncalc summary``; the page's JavaScript only
lays out, draws and sorts. The raw integers travel beside the text for sorting and the profile
bars (a JavaScript number is exact up to 2**53; the text is always exact).

The data is plain JSON (docs/visualising.md describes it): ``nodes`` (the network input first,
then the layers in execution order, then in a diff the removed layers), each with the indices of
the nodes it reads in the order the spec wrote them; ``groups`` (block uses, named repeats and
the page's own segments, each with its parent), and the header, table, footer and profile
definitions.

**Segments.** dagre, the layout library, takes time that grows faster than linearly with the
nodes it places, and overflows its stack past a few thousand. The page therefore lays out each
group's contents on its own, and no group (nor the top level) may hold more than
:data:`MAX_ITEMS` items: a longer run is cut into consecutive *segments* (``layers 1–60``), which
the page shows as groups. Segments nest when needed, so every layout call has at most
:data:`MAX_ITEMS` boxes whatever the size of the network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnncalc.analysis.report import LayerReport, Report
from cnncalc.checks.diff import ADDED, REMOVED, UNCHANGED, LayerChange, ReportDiff
from cnncalc.model.graph import INPUT
from cnncalc.model.shape import Shape
from cnncalc.render import fmt, memory, receptive
from cnncalc.render.diff import ARROW, counts_line, rf_text, shape_text, total_rows
from cnncalc.render.graph import PALETTE, category_of, label_lines
from cnncalc.render.rows import (
    KIND,
    LAYER,
    MACS,
    OUTPUT,
    PARAMS,
    Column,
    View,
    convention_lines,
    footer_lines,
    warning_lines,
)

DATA_VERSION = 1
"""Version of the page's data layout (the JSON embedded in the page)."""

MAX_ITEMS = 60
"""Most boxes one layout call places (a group's direct children, or the top level's)."""

MAX_SOURCE_LINE = 300
"""Longest spec line quoted on the page (characters)."""

# The table: (column, the raw value it sorts by, or None to sort by its text).
TABLE: tuple[tuple[Column, str | None], ...] = (
    (LAYER, None), (KIND, None), (OUTPUT, "numel"), (PARAMS, "params"), (MACS, "macs"),
    (receptive.RF, "rf"), (memory.ACT, "act"), (memory.LIVE, "live"), (memory.SAVED, "saved"),
)

# The profiles along the depth, as ``cnncalc plot`` draws them: (raw value, title, the table
# column whose text shows a layer's value).
PROFILES: tuple[tuple[str, str, Column], ...] = (
    ("macs", "MACs per layer", MACS),
    ("params", "parameters per layer", PARAMS),
    ("live", "live activation memory while the layer runs (inference)", memory.LIVE),
    ("saved", "activation memory kept for backward (training)", memory.SAVED),
    ("rf", "receptive field (input pixels, largest axis; dashed: the input)", receptive.RF),
)


@dataclass
class _Group:
    """A block use, named repeat or segment while the data is built."""

    name: str
    title: str
    what: str
    parent: int
    items: list[tuple[str, int]] = field(default_factory=list)
    """Direct children in order: ("n", node index) or ("g", group index)."""


def page_data(report: Report, source_text: str | None = None,
              diff: ReportDiff | None = None, old: Report | None = None,
              version: str = "") -> dict[str, Any]:
    """The page's data for ``report``; with ``diff`` (and the ``old`` report it was computed
    from) every node carries its status, and the removed layers are added as ghost nodes."""
    status: dict[str, LayerChange] = {}
    removed: list[LayerReport] = []
    rename: dict[str, str] = {name: name for name, _ in report.sources}
    if diff is not None and old is not None:
        for entry in diff.entries:
            if entry.new is not None:
                status[entry.new.name] = entry
                if entry.old is not None:
                    rename[entry.old.name] = entry.new.name
        gone = {e.old.name for e in diff.entries if e.status == REMOVED and e.old is not None}
        removed = [r for r in old.layers if r.name in gone]

    index = {name: k for k, (name, _) in enumerate(report.sources)}
    for r in report.layers:
        index[r.name] = len(index)
    for r in removed:  # a removed layer's name is not in the new report (names match first)
        index[r.name] = len(index)

    groups: list[_Group] = []
    group_of: dict[tuple[tuple[str, str], ...], int] = {}
    top = _Group("", "", "top", -1)

    def container(scope: tuple[tuple[str, str], ...]) -> _Group:
        """The group of ``scope`` (created, with its parents, on first use)."""
        if not scope:
            return top
        key = group_of.get(scope)
        if key is None:
            parent = container(scope[:-1])
            name, what = scope[-1]
            prefix = scope[-2][0] + "." if len(scope) > 1 else ""
            short = name[len(prefix):] if prefix and name.startswith(prefix) else name
            key = group_of[scope] = len(groups)
            groups.append(_Group(name, short if what == "repeat" else f"{short} · {what}", what,
                                 group_of.get(scope[:-1], -1)))
            parent.items.append(("g", key))
        return groups[key]

    nodes: list[dict[str, Any]] = [_input_node(report, name, shape)
                                   for name, shape in report.sources]
    for r in report.layers:
        node = _layer_node(report, r, index)
        change = status.get(r.name)
        if change is not None:
            node.update(_diff_fields(change))
        group = container(r.scope)
        node["group"] = group_of.get(r.scope, -1)
        group.items.append(("n", len(nodes)))
        nodes.append(node)
    for r in removed:
        node = _layer_node(old or report, r, index, rename)
        node["status"] = REMOVED
        scope = r.scope if r.scope in group_of else ()
        node["group"] = group_of.get(scope, -1)
        container(scope).items.append(("n", len(nodes)))
        nodes.append(node)

    _segment(top, groups, -1, nodes, MAX_ITEMS - 1)
    for k in reversed(range(len(report.sources))):  # inputs stay at the top, never in a segment
        top.items.insert(0, ("n", k))
    for g in range(len(groups)):  # segments appended while looping are already short enough
        _segment(groups[g], groups, g, nodes)

    data: dict[str, Any] = {
        "data_version": DATA_VERSION,
        "cnncalc": version,
        "title": report.name,
        "source": report.source,
        "header": _header(report),
        "settings": _settings(report),
        "palette": {k: list(v) for k, v in PALETTE.items()},
        "columns": [{"header": c.header, "numeric": c.numeric, "key": key} for c, key in TABLE],
        "totals": [c.total(report) for c, _ in TABLE],
        "footer": footer_lines(report) + (memory.footer(report)
                                           if report.totals.memory is not None else []),
        "conventions": convention_lines(View(notes=(receptive.NOTE, *memory.NOTES))),
        "warnings": warning_lines(report),
        "profiles": [{"key": k, "title": t, "column": _column_index(c)} for k, t, c in PROFILES],
        "input_extent": max(report.input_shape.spatial, default=1),
        "nodes": nodes,
        "groups": _group_dicts(groups, nodes, report),
        "top": [list(item) for item in top.items],
        "source_lines": _source_lines(source_text, report, removed),
        "diff": _diff_summary(diff) if diff is not None else None,
    }
    return data


def _column_index(column: Column) -> int:
    return next(k for k, (c, _) in enumerate(TABLE) if c is column)


def _input_node(report: Report, name: str, shape: Shape) -> dict[str, Any]:
    return {"name": name, "kind": INPUT, "label": [name, str(shape)], "cat": "input",
            "inputs": [], "group": -1, "cells": [], "v": {}, "line": None,
            "details": [[INPUT, str(shape)], ["batch", str(report.batch)]]}


def _layer_node(report: Report, r: LayerReport, index: Mapping[str, int],
                rename: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One layer: its box label, table cells, raw values and detail lines."""
    # A removed layer (``rename`` given) reads the new counterparts of its old inputs, or other
    # removed layers; an input with neither is left out.
    names = [rename.get(s, s) for s in r.inputs] if rename is not None else list(r.inputs)
    inputs = [index[s] for s in names if s in index]
    cells = [c.cell(report, r) for c, _ in TABLE]
    size = r.rf.size if r.rf is not None else ()  # computed on each access: once here
    return {
        "name": r.name,
        "kind": r.kind,
        "label": list(label_lines(r)),
        "cat": category_of(r.kind),
        "inputs": inputs,
        "cells": cells,
        "v": {"params": r.params, "macs": r.macs, "act": r.activation_bytes,
              "live": r.live_bytes, "saved": r.saved_bytes,
              "rf": float(max(size)) if size else None, "numel": r.output_shape.numel},
        "details": _details(report, r, cells[_column_index(receptive.RF)]),
        "line": r.mark.line if r.mark is not None else None,
    }


def _details(report: Report, r: LayerReport, rf_cell: str) -> list[list[str]]:
    """What the side panel lists for a layer, as (label, text) pairs (``rf_cell``: its RF
    cell)."""
    rows = [["kind", f"{r.kind}: {r.description}" if r.description != r.kind else r.kind]]
    if r.attributes:
        rows.append(["attributes", ", ".join(f"{k}={_attr_text(v)}" for k, v in r.attributes)])
    for n, (src, shape) in enumerate(zip(r.inputs, r.input_shapes), start=1):
        label = f"input {n}" if len(r.inputs) > 1 else "input"
        rows.append([label, f"{src} · {shape}"])
    rows.append(["output", str(r.output_shape)])
    if r.params or r.buffers:
        rows.append(["parameters", f"{fmt.group(r.params)} = {fmt.group(r.weights)} weights + "
                                   f"{fmt.group(r.bias)} biases"
                                   + ("" if r.trainable else " (frozen)")])
        rows.append(["trainable", fmt.group(r.trainable_params)])
    if r.buffers:
        rows.append(["buffers", f"{fmt.group(r.buffers)} (non-trainable)"])
    rows.append(["MACs", f"{fmt.group(r.macs)} ({fmt.si(r.macs)}) for batch {report.batch}"
                 if r.macs else "0"])
    if r.rf is not None:
        rf = f"{rf_cell}, jump {receptive.JUMP.cell(report, r)}, start " \
             f"{receptive.START.cell(report, r)}"
        if r.rf.covers_input:
            rf += " (sees the whole input)"
        rows.append(["receptive field", rf])
    if any(r.dropped):
        rows.append(["dropped", f"the stride leaves out the last {_axes(r.dropped)} input "
                                f"pixels"])
    act = "shared with its input (in place or a view)" if r.reuses_input \
        else fmt.binary(r.activation_bytes)
    rows.append(["activation", act])
    rows.append(["live", f"{fmt.binary(r.live_bytes)} while it runs (inference)"])
    rows.append(["saved", f"{fmt.binary(r.saved_bytes)} kept for backward (training)"])
    if r.scope:
        rows.append(["group", " › ".join(name for name, _ in r.scope)])
    if r.mark is not None:
        rows.append(["spec", str(r.mark)])
    return rows


def _axes(values: Sequence[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else "×".join(str(v) for v in values)


def _attr_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_attr_text(v) for v in value) + "]"
    if value is None:
        return "null"
    return str(value)


def _diff_fields(entry: LayerChange) -> dict[str, Any]:
    """A new layer's status in a diff and, when changed, what it was."""
    out: dict[str, Any] = {"status": entry.status}
    o, n = entry.old, entry.new
    if o is None or n is None or entry.status == UNCHANGED:
        return out
    was: list[list[str]] = [["changes", ", ".join(entry.changes) or "renamed"]]
    if o.name != n.name:
        was.append(["was named", o.name])
    if o.description != n.description:
        was.append(["kind", f"{o.description}{ARROW}{n.description}"])
    if o.output_shape != n.output_shape:
        was.append(["output", f"{shape_text(o.output_shape)}{ARROW}"
                              f"{shape_text(n.output_shape)}"])
    for key, label, unit in (("params", "parameters", "count"), ("macs", "MACs", "count"),
                             ("activation_bytes", "activation", "bytes")):
        before, after = o.value(key), n.value(key)
        if before is not None and after is not None and before != after:
            shown = fmt.binary if unit == "bytes" else fmt.group
            was.append([label, f"{shown(before)}{ARROW}{shown(after)}"])
    if "rf" in entry.changes:
        was.append(["receptive field", f"{rf_text(o)}{ARROW}{rf_text(n)}"])
    if entry.moved:
        was.append(["order", "moved: same name, another place in the order"])
    out["was"] = was
    return out


def _group_dicts(groups: Sequence[_Group], nodes: Sequence[Mapping[str, Any]],
                 report: Report) -> list[dict[str, Any]]:
    """The groups, each with what its collapsed box shows: its number of layers, their
    parameters and MACs, and the output of its last layer in execution order (as ``summary --by
    block`` rolls a block up). Children come before parents only for segments, so the sums are
    taken depth first with a table of finished groups (linear)."""
    outputs = {r.name: str(r.output_shape) for r in report.layers}
    done: dict[int, tuple[int, int, int, int]] = {}  # layers, params, macs, last node

    def sums(g: int) -> tuple[int, int, int, int]:
        stack, order = [g], []
        while stack:  # children first, without recursion (groups nest deeply in big specs)
            k = stack.pop()
            order.append(k)
            stack += [i for kind, i in groups[k].items if kind == "g" and i not in done]
        for k in reversed(order):
            layers = params = macs = 0
            last = -1
            for kind, i in groups[k].items:
                if kind == "g":
                    n, p, m, end = done[i]
                else:
                    v = nodes[i]["v"]
                    n, p, m, end = 1, int(v.get("params", 0)), int(v.get("macs", 0)), i
                layers, params, macs = layers + n, params + p, macs + m
                if end > last and nodes[end].get("status") != REMOVED:
                    last = end
            done[k] = (layers, params, macs, last)
        return done[g]

    out = []
    for k, g in enumerate(groups):
        layers, params, macs, last = sums(k)
        shape = outputs.get(str(nodes[last]["name"]), "") if last >= 0 else ""
        size = f"{shape} · {fmt.group(params)} params" if params else shape
        out.append({"name": g.name, "title": g.title, "what": g.what, "parent": g.parent,
                    "items": [list(item) for item in g.items],
                    "label": [g.title, f"{fmt.group(layers)} layers", size],
                    "details": [["layers", fmt.group(layers)],
                                ["parameters", fmt.group(params)],
                                ["MACs", f"{fmt.group(macs)} ({fmt.si(macs)})"],
                                ["output", shape]]})
    return out


def _segment(group: _Group, groups: list[_Group], key: int,
             nodes: Sequence[Mapping[str, Any]], limit: int = MAX_ITEMS) -> None:
    """Cut a group's (or the top level's) children into segments of at most ``MAX_ITEMS``,
    nesting segments until the group itself has at most ``limit`` children."""
    while len(group.items) > limit:
        count = -(-len(group.items) // MAX_ITEMS)  # as few segments as will do, equally long
        size = -(-len(group.items) // count)
        chunks = [group.items[i:i + size] for i in range(0, len(group.items), size)]
        items: list[tuple[str, int]] = []
        for chunk in chunks:
            first, last = _first_last(chunk, groups, nodes)
            seg = len(groups)
            groups.append(_Group(f"{first} … {last}", f"{first} … {last}", "segment", key,
                                 chunk))
            for kind, i in chunk:
                if kind == "g":
                    groups[i].parent = seg
            items.append(("g", seg))
        group.items = items
    # Layers directly in this group point at it (segments re-parent theirs).
    for kind, i in group.items:
        if kind == "n":
            nodes[i]["group"] = key  # type: ignore[index]


def _first_last(chunk: Sequence[tuple[str, int]], groups: Sequence[_Group],
                nodes: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    def leaf(item: tuple[str, int], end: int) -> str:
        kind, i = item
        while kind == "g":
            kind, i = groups[i].items[end]
        return str(nodes[i]["name"])
    return leaf(chunk[0], 0), leaf(chunk[-1], -1)


def _header(report: Report) -> list[list[str]]:
    t = report.totals
    rows = [["input", str(report.input_shape)], ["batch", str(report.batch)],
            ["output", str(report.output_shape)], ["layers", fmt.group(len(report.layers))],
            ["parameters", f"{fmt.group(t.params)} ({fmt.si(t.params)})"],
            ["MACs", f"{fmt.group(t.macs)} ({fmt.si(t.macs)})"],
            ["FLOPs", f"{fmt.group(t.flops)} ({fmt.si(t.flops)})"]]
    m = t.memory
    if m is not None:
        rows += [["peak live", fmt.binary(m.activations_inference_peak_bytes)],
                 ["training step", fmt.binary(m.training_step_bytes)]]
        timeline = m.timeline
        if timeline is not None:  # the replayed peaks (docs/memory.md)
            for name, peak in (("peak, inference", timeline.inference),
                               ("peak, training step", timeline.training)):
                where = f" at {peak.layer} ({peak.phase})" if peak.layer else ""
                rows.append([name, fmt.binary(peak.likely) + where])
    return rows


def _settings(report: Report) -> list[list[str]]:
    m = report.totals.memory
    if m is None:
        return []
    c = m.config
    return [["dtype", c.dtype + (" (mixed precision)" if c.mixed else "")],
            ["optimizer", c.describe().split(", ", 1)[-1]], ["device", c.device]]


def _source_lines(text: str | None, report: Report,
                  removed: Sequence[LayerReport]) -> dict[str, str]:
    """The spec lines the layers were written on (only those), without their indentation and
    cut to a sane length."""
    if text is None:
        return {}
    lines = text.splitlines()
    wanted = {r.mark.line for r in report.layers if r.mark is not None}
    out: dict[str, str] = {}
    for n in sorted(wanted):
        if 1 <= n <= len(lines):
            line = lines[n - 1].strip()
            out[str(n)] = line if len(line) <= MAX_SOURCE_LINE else \
                line[:MAX_SOURCE_LINE - 1] + "…"
    return out


def _diff_summary(diff: ReportDiff) -> dict[str, Any]:
    return {"old": diff.old.name, "new": diff.new.name,
            "old_source": diff.old.source, "new_source": diff.new.source,
            "counts": {s: diff.count(s) for s in (ADDED, REMOVED, "changed", UNCHANGED)},
            "line": counts_line(diff, True),
            "totals": total_rows(diff)}


__all__ = ["DATA_VERSION", "MAX_ITEMS", "page_data"]
