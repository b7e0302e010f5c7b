"""The layer graph as Mermaid or Graphviz dot text (``cnncalc graph``).

One node per layer plus one for the network input; one edge per input a layer reads (so a
branch is a node with several consumers and a merge a node with several inputs); block uses and
named repeats become nested subgraphs (Mermaid) or clusters (dot), from the layers' ``scope``.
A node's label is its name (without the block prefix, which the cluster title shows), its kind
as the summary describes it, its output shape and its parameters.

Mermaid is written to render on GitHub as it is: node ids are ``n0, n1, ...`` (a layer name
such as ``end`` would be a keyword), every label is quoted, and characters that Mermaid reads
inside a quoted label (``" # < > &``) are written as its entity codes (``#quot;``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cnncalc.analysis.report import LayerReport, Report
from cnncalc.layers.base import lookup
from cnncalc.render import fmt

# Fill and border colours per layer category (Layer.category); light fills read in dark mode too
# because the text colour is set with them.
PALETTE: dict[str, tuple[str, str]] = {
    "input": ("#f1f5f9", "#475569"),
    "conv": ("#dbeafe", "#1d4ed8"),
    "pool": ("#dcfce7", "#15803d"),
    "linear": ("#ffedd5", "#c2410c"),
    "norm": ("#f3e8ff", "#7e22ce"),
    "activation": ("#f8fafc", "#94a3b8"),
    "merge": ("#fef9c3", "#a16207"),
    "reshape": ("#f1f5f9", "#64748b"),
    "regularization": ("#f8fafc", "#94a3b8"),
    "block": ("#e0f2fe", "#0369a1"),
    "other": ("#ffffff", "#64748b"),
}
TEXT_COLOUR = "#0f172a"


@dataclass(frozen=True)
class GraphNode:
    id: str
    name: str
    lines: tuple[str, ...]
    category: str
    scope: tuple[tuple[str, str], ...]


@dataclass
class Cluster:
    """A block use or named repeat: its nodes and nested clusters, in order of appearance."""

    key: tuple[str, str]
    id: str
    parent: str = ""
    """The enclosing cluster's name (its prefix is left out of the title)."""
    items: list[GraphNode | Cluster] = field(default_factory=list)

    @property
    def title(self) -> str:
        name, what = self.key
        prefix = self.parent + "."
        if self.parent and name.startswith(prefix):
            name = name[len(prefix):]
        return name if what == "repeat" else f"{name} · {what}"


@dataclass(frozen=True)
class LayerGraph:
    """What both writers draw: the nodes (input first), the edges and the cluster tree."""

    title: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]
    top: tuple[GraphNode | Cluster, ...]
    clusters: int


def category_of(kind: str) -> str:
    """The layer kind's category from the registry; ``block`` for a rolled-up block row."""
    cls = lookup(kind)
    return cls.category if cls is not None else "block"


def label_lines(r: LayerReport) -> tuple[str, ...]:
    """Name, description, output shape and parameters; the description is left out where the
    name already says it (``relu1`` is a ``relu``)."""
    prefix = r.scope[-1][0] + "." if r.scope else ""
    name = r.name[len(prefix):] if r.name.startswith(prefix) else r.name
    size = str(r.output_shape)
    if r.params:
        size += f" · {fmt.group(r.params)} params"
    if r.description == name or (r.description == r.kind
                                 and name.rstrip("0123456789_") == r.kind):
        return (name, size)
    return (name, r.description, size)


def layer_graph(report: Report) -> LayerGraph:
    """The nodes, edges and clusters of ``report`` (linear in its layers)."""
    ids = {name: "n0" if k == 0 else f"in{k}" for k, (name, _) in enumerate(report.sources)}
    nodes = [GraphNode(ids[name], name, (name, str(shape)), "input", ())
             for name, shape in report.sources]
    edges: list[tuple[str, str]] = []
    for i, r in enumerate(report.layers, start=1):
        ids[r.name] = f"n{i}"
        nodes.append(GraphNode(f"n{i}", r.name, label_lines(r), category_of(r.kind), r.scope))
        edges += [(ids[src], f"n{i}") for src in r.inputs]
    top: list[GraphNode | Cluster] = []
    open_clusters: dict[tuple[tuple[str, str], ...], Cluster] = {}
    for node in nodes:
        items = top
        for depth in range(len(node.scope)):
            path = node.scope[:depth + 1]
            cluster = open_clusters.get(path)
            if cluster is None:
                parent = path[-2][0] if depth else ""
                cluster = Cluster(path[-1], f"s{len(open_clusters)}", parent)
                open_clusters[path] = cluster
                items.append(cluster)
            items = cluster.items
        items.append(node)
    return LayerGraph(report.name, tuple(nodes), tuple(edges), tuple(top), len(open_clusters))


def _walk(items: list[GraphNode | Cluster] | tuple[GraphNode | Cluster, ...],
          depth: int) -> Iterator[tuple[int, GraphNode | Cluster | None]]:
    """Items depth-first; ``None`` closes a cluster."""
    for item in items:
        yield depth, item
        if isinstance(item, Cluster):
            yield from _walk(item.items, depth + 1)
            yield depth, None


def _nested_lines(items: tuple[GraphNode | Cluster, ...], close: str,
                  cluster: Callable[[Cluster], list[str]],
                  node: Callable[[GraphNode], str]) -> list[str]:
    """The lines of nodes and clusters, indented by depth: ``cluster`` opens a cluster,
    ``close`` ends it, ``node`` writes a node."""
    out: list[str] = []
    for depth, item in _walk(items, 1):
        pad = "  " * depth
        if item is None:
            out.append(pad + close)
        elif isinstance(item, Cluster):
            out += [pad + line for line in cluster(item)]
        else:
            out.append(pad + node(item))
    return out


# --- Mermaid ------------------------------------------------------------------------------------

_MERMAID_ENTITIES = {'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label."""
    return "".join(_MERMAID_ENTITIES.get(ch, ch) for ch in text)


def _mermaid_node(node: GraphNode) -> str:
    left, right = _mermaid_shape(node)
    return f"{node.id}{left}{'<br>'.join(mermaid_text(line) for line in node.lines)}{right}"


def _mermaid_shape(node: GraphNode) -> tuple[str, str]:
    if node.category == "input":
        return '(["', '"])'
    if node.category == "merge":
        return '{{"', '"}}'
    return '["', '"]'


def render_mermaid(report: Report, direction: str = "TB") -> str:
    g = layer_graph(report)
    title = " ".join(g.title.split())  # a comment runs to the end of its line
    out = [f"%% {title}: {len(g.nodes)} nodes, {len(g.edges)} edges (cnncalc graph)",
           f"flowchart {direction}"]
    out += _nested_lines(g.top, "end",
                         lambda c: [f'subgraph {c.id}["{mermaid_text(c.title)}"]'],
                         _mermaid_node)
    out += [f"  {a} --> {b}" for a, b in g.edges]
    by_category: dict[str, list[str]] = {}
    for node in g.nodes:
        by_category.setdefault(node.category, []).append(node.id)
    for category, members in by_category.items():
        fill, stroke = PALETTE.get(category, PALETTE["other"])
        out.append(f"  classDef {category} fill:{fill},stroke:{stroke},color:{TEXT_COLOUR}")
        out.append(f"  class {','.join(members)} {category}")
    return "\n".join(out) + "\n"


# --- Graphviz dot -------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """Text safe inside a double-quoted dot string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _dot_cluster(cluster: Cluster) -> list[str]:
    return [f"subgraph cluster_{cluster.id} {{",
            f'  label="{dot_text(cluster.title)}"; style="rounded,dashed"; color="#94a3b8"; '
            f"fontsize=11;"]


def _dot_node(node: GraphNode) -> str:
    fill, stroke = PALETTE.get(node.category, PALETTE["other"])
    shape = {"input": ", shape=oval", "merge": ", shape=hexagon"}.get(node.category, "")
    label = dot_text("\n".join(node.lines))
    return f'{node.id} [label="{label}", fillcolor="{fill}", color="{stroke}"{shape}];'


def render_dot(report: Report, direction: str = "TB") -> str:
    g = layer_graph(report)
    title = dot_text(g.title)
    out = [f'digraph "{title}" {{',
           f'  graph [rankdir={direction}, label="{title}", labelloc=t, fontname="Helvetica", '
           f'fontsize=14, nodesep=0.25, ranksep=0.3];',
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, '
           f'color="#64748b", fontcolor="{TEXT_COLOUR}", margin="0.12,0.04"];',
           '  edge [color="#64748b", arrowsize=0.6];']
    out += _nested_lines(g.top, "}", _dot_cluster, _dot_node)
    out += [f"  {a} -> {b};" for a, b in g.edges]
    out.append("}")
    return "\n".join(out) + "\n"
