"""The layer graph: named nodes, each a layer applied to the outputs of earlier nodes."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.shape import Shape

if TYPE_CHECKING:  # the graph holds layers, but only their kinds know what a layer is
    from cnncalc.layers.base import Layer

INPUT = "input"
"""The name by which nodes refer to the network's input tensor."""

LINT_DISABLE = "lint_disable"
"""``Graph.options`` / ``Node.options`` key: a frozenset of disabled warning codes."""
ALL = "all"
"""In a LINT_DISABLE set: every warning code."""


def silenced(graph: Graph, node: Node, code: str) -> bool:
    """Whether the spec turned warning ``code`` off for the file or for this layer."""
    for options in (graph.options, node.options):
        off = options.get(LINT_DISABLE, ())
        if ALL in off or code in off:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Node:
    """One layer in the graph.

    ``inputs`` names the producers of its input tensors (``"input"`` for the network input);
    ``scope`` lists the enclosing block instances and named repeats, outermost first, as
    ``(name, what)`` pairs (``what`` is the block name or ``"repeat"``); ``options`` carries the
    spec's per-layer extras (``expect``, ``lint``) for the tools that read them; ``shares``
    names the layer whose parameters this one uses (shared weights: a siamese tower).
    """

    name: str
    layer: Layer
    inputs: tuple[str, ...]
    mark: Mark | None = None
    scope: tuple[tuple[str, str], ...] = ()
    trainable: bool = True
    options: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    shares: str | None = None

    @property
    def kind(self) -> str:
        return self.layer.kind


@dataclass(frozen=True, slots=True)
class Graph:
    """A network: its input shape and its nodes in an order where producers come first.

    The last node's output is the network's output. Build one with :meth:`Graph.create`, which
    checks names and orders the nodes (refusing cycles).
    """

    name: str
    input_shape: Shape
    nodes: tuple[Node, ...]
    batch: int = 1
    source: str | None = None
    description: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    input_dependent: bool = False
    """Whether the spec's expressions read a layer's input shape (``$in.channels``): then the
    graph holds for ``input_shape`` only, and is built again for another input
    (:meth:`cnncalc.Network.at`)."""
    inputs: tuple[tuple[str, Shape], ...] = ()
    """The network's named inputs, in order, when it has several (``inputs: {image: ...,
    depth: ...}``; the first is ``input_shape``); empty for the one input named ``input``."""

    @classmethod
    def create(cls, name: str, input_shape: Shape, nodes: Iterable[Node], *, batch: int = 1,
               source: str | None = None, description: str | None = None,
               options: Mapping[str, Any] | None = None, input_dependent: bool = False,
               inputs: tuple[tuple[str, Shape], ...] = ()) -> Graph:
        """Check the nodes (unique names, known inputs, arity) and order them topologically."""
        sources = frozenset(n for n, _ in inputs) if inputs else frozenset((INPUT,))
        ordered = topological_order(list(nodes), sources)
        return cls(name, input_shape, tuple(ordered), batch, source, description,
                   dict(options or {}), input_dependent, inputs)

    @property
    def sources(self) -> dict[str, Shape]:
        """Every network input by name: ``{"input": shape}``, or the named inputs."""
        return dict(self.inputs) if self.inputs else {INPUT: self.input_shape}

    @property
    def output(self) -> str:
        return self.nodes[-1].name if self.nodes else INPUT

    def consumers(self) -> dict[str, list[str]]:
        """Producer name → names of the nodes that read it (``"input"`` included)."""
        users: dict[str, list[str]] = {name: [] for name in self.sources}
        for node in self.nodes:
            users.setdefault(node.name, [])
            for src in node.inputs:
                users.setdefault(src, []).append(node.name)
        return users


def topological_order(nodes: list[Node],
                      sources: frozenset[str] = frozenset((INPUT,))) -> list[Node]:
    """Nodes ordered so that every producer precedes its consumers, keeping the given order
    where it already is one (Kahn's algorithm, linear time). Raises SpecError on unknown names,
    duplicates, wrong arity or a cycle."""
    by_name: dict[str, Node] = {}
    for node in nodes:
        if node.name == INPUT or node.name in sources:
            raise SpecError(f"'{node.name}' is the name of a network input; rename this layer",
                            node.mark, layer=node.name, code="duplicate-name")
        if node.name in by_name:
            first = by_name[node.name].mark
            where = f" (first used at line {first.line})" if first else ""
            raise SpecError(f"duplicate layer name '{node.name}'{where}", node.mark,
                            layer=node.name, code="duplicate-name")
        by_name[node.name] = node
    for node in nodes:
        low, high = node.layer.arity()
        count = len(node.inputs)
        if count < low or (high is not None and count > high):
            want = (f"at least {low}" if high is None else str(low) if low == high
                    else f"{low} to {high}")
            raise SpecError(f"{node.kind} '{node.name}' takes {want} input"
                            f"{'' if want == '1' else 's'}, got {count}", node.mark,
                            layer=node.name, code="arity")
        for src in node.inputs:
            if src not in sources and src not in by_name:
                raise SpecError(f"layer '{node.name}' reads '{src}', which is not a layer name",
                                node.mark, layer=node.name, code="unknown-input")
    # Specs list producers first (inputs must name layers above), so check that in one pass.
    done: set[str] = set(sources)
    for node in nodes:
        if not all(src in done for src in node.inputs):
            break
        done.add(node.name)
    else:
        return list(nodes)
    # Kahn's algorithm, taking ready nodes in their original order.
    position = {node.name: i for i, node in enumerate(nodes)}
    pending = {node.name: sum(1 for s in set(node.inputs) if s not in sources) for node in nodes}
    users: dict[str, list[str]] = {}
    for node in nodes:
        for src in set(node.inputs):
            if src not in sources:
                users.setdefault(src, []).append(node.name)
    ready = [position[name] for name, count in pending.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[Node] = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        ordered.append(node)
        for user in users.get(node.name, ()):
            pending[user] -= 1
            if pending[user] == 0:
                heapq.heappush(ready, position[user])
    if len(ordered) != len(nodes):
        stuck = [n for n in nodes if pending[n.name] > 0]
        cycle = _find_cycle(stuck, by_name)
        raise SpecError(f"the layers form a cycle: {' → '.join(cycle)}", by_name[cycle[0]].mark,
                        layer=cycle[0], code="cycle")
    return ordered


def _find_cycle(stuck: list[Node], by_name: dict[str, Node]) -> list[str]:
    """One cycle among nodes that could not be ordered (each has an unordered producer)."""
    stuck_names = {n.name for n in stuck}
    current = stuck[0].name
    path: list[str] = []
    seen: dict[str, int] = {}
    while current not in seen:
        seen[current] = len(path)
        path.append(current)
        current = next(s for s in by_name[current].inputs if s in stuck_names)
    cycle = path[seen[current]:]
    return [*reversed(cycle), cycle[-1]]
