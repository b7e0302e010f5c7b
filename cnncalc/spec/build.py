"""Spec document (an :class:`Item` tree) → :class:`~cnncalc.model.graph.Graph`.

This is where the spec format of docs/spec-format.md is interpreted: plain sequential lists,
``repeat``, parametrised ``blocks``, branches under ``concat``/``add``, DAG edges by name and
``defaults``. It is pure Python (no YAML): the loader hands it Items that carry their marks, and
every error it raises points at the offending key or value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from cnncalc.layers.base import Layer, all_names, lookup, unknown_attribute_message
from cnncalc.model.attrs import Ref
from cnncalc.model.errors import (
    AttributeValueError,
    Diagnostic,
    LimitError,
    Mark,
    ShapeError,
    SpecError,
    suggest,
)
from cnncalc.model.gcpause import paused_gc
from cnncalc.model.graph import INPUT, Graph, Node
from cnncalc.model.limits import DEFAULT_LIMITS, Limits
from cnncalc.model.quantity import QuantityError, parse_sizes
from cnncalc.model.shape import Shape
from cnncalc.spec.expr import ExprError, ShapeValue, evaluate, is_expression
from cnncalc.spec.options import (
    BUDGETS,
    EXPECT,
    LINT_DISABLE,
    read_budget,
    read_expect,
    read_lint,
)
from cnncalc.spec.tree import Item, describe_value

TOP_KEYS = ("name", "description", "input", "inputs", "batch", "include", "defaults", "blocks",
            "layers", "lint", "budget")
COMMON_KEYS = ("name", "inputs", "trainable", "shares", "expect", "lint")
"""Keys any layer accepts besides its kind's attributes."""
REPEAT_KEYS = ("repeat", "layers", "name", "start", "index", "trainable", "expect", "lint")
BLOCK_KEYS = ("params", "layers", "description")
INPUT_PARAM = "in"
"""Inside a block, the expression name of the block's input (``$in.channels``); at the top level,
the network input's."""
_NAME_RE = re.compile(r"\w[\w.\-]*")
"""A usable layer name: a letter (of any script), a digit or ``_``, then letters, digits, ``_``,
``.``, ``-`` (digits first, as PyTorch's ``features.0``)."""
NAME_RULE = "start with a letter, digit or _, then letters, digits, _ . or -"
_BLOCK_NAME_RE = re.compile(r"[^\W\d][\w.\-]*")
"""A usable block or parameter name: as a layer name, but not starting with a digit."""
BLOCK_NAME_RULE = "start with a letter or _, then letters, digits, _ . or -"
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_TEMPLATE = re.compile(r"\$\{([^{}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
MAX_INCLUDES = 100
"""Most spec files one spec may include, directly or through the files it includes."""
MAX_ATTRIBUTE_VALUES = 64
"""An attribute is a number, a word or a short per-axis list; a bigger value (an alias of a huge
list, say) is refused before it is copied for every layer that uses it."""
MAX_NAME_LENGTH = 100
"""Longest name a spec may give a layer, block, repeat or parameter."""
MAX_FULL_NAME_LENGTH = 1000
"""Longest name once block and repeat prefixes are added (``layer4.2.conv1``): names are stored
for every layer, so their length is bounded like everything else a file can make us keep."""
MAX_SUGGESTIONS = 5000
"""How many layer names a "did you mean" for an unknown name looks through (the latest ones)."""
_UNSET: Any = object()
_EVALUATING: Any = object()

Loader = Callable[[str], Item]
"""Reads an included spec file (a path) into its Item tree; raises SpecError."""
Defaults = tuple[Mapping[str, Item], ...]
"""The ``defaults`` in force, first wins: those of the file defining the block being expanded,
then those of the files whose blocks use it, out to the spec's own."""


@dataclass(eq=False, slots=True)
class Arg:
    """A block argument: the Item as written, the parameters and the defaults in force where it
    was given, or (``source``) the layer whose output shape it stands for (``$in``).
    ``value`` caches its evaluation, so that parameters that refer to each other through many
    nested blocks (``$p * $p``) are evaluated once each, not exponentially often."""

    item: Item
    env: Mapping[str, Arg]
    value: Any = _UNSET
    defaults: Defaults = ()
    source: str | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Block:
    """A reusable block: its parameters (with defaults) and its layers, as written, and the
    ``defaults`` of the file that defines it (they apply to its layers wherever it is used)."""

    name: str
    params: dict[str, Item | None]  # parameter → default (None: required)
    body: Item
    mark: Mark | None
    defaults: dict[str, Item]

@dataclass(eq=False, slots=True)
class Scope:
    """Where layers are being created: name prefix, per-kind counters, visible local names,
    block parameters, the defaults in force, the chain of enclosing blocks (to refuse
    recursion), and for a block use sharing another's weights, the two uses' prefixes. Mutable:
    the builder fills in counters and local names as it goes."""

    prefix: str = ""
    suffix: str = ""
    counters: dict[str, int] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    parent: Scope | None = None
    env: Mapping[str, Arg] = field(default_factory=dict)
    path: tuple[tuple[str, str], ...] = ()
    blocks: tuple[str, ...] = ()
    uses: tuple[tuple[str, Mark], ...] = ()
    """The block uses being expanded, innermost first (see Mark.uses)."""
    defaults: Defaults = ()
    shares: tuple[str, str] | None = None

    def child(self, prefix: str, label: tuple[str, str] | None, env: Mapping[str, Arg] | None,
              block: str | None = None, use: Mark | None = None,
              defaults: Defaults | None = None) -> Scope:
        uses = ((block, use), *self.uses) if block is not None and use is not None else self.uses
        return Scope(prefix=prefix, parent=self, env=self.env if env is None else env,
                     path=self.path + ((label,) if label else ()),
                     blocks=self.blocks + ((block,) if block else ()), uses=uses,
                     defaults=self.defaults if defaults is None else defaults,
                     shares=self.shares)

    def iteration(self, suffix: str, env: Mapping[str, Arg] | None = None) -> Scope:
        """An unnamed repeat's iteration: same prefix and counters, its own local names."""
        return Scope(prefix=self.prefix, suffix=suffix, counters=self.counters, parent=self,
                     env=self.env if env is None else env, path=self.path, blocks=self.blocks,
                     uses=self.uses, defaults=self.defaults, shares=self.shares)


def build_graph(doc: Item, path: str | None = None, limits: Limits = DEFAULT_LIMITS,
                default_name: str | None = None, loader: Loader | None = None,
                input_shape: Shape | None = None) -> Graph:
    """Interpret a spec document; raise SpecError (with marks) on any mistake. ``loader``
    reads the files it includes (none can be included without one); ``input_shape`` replaces
    the spec's input (the graph is built again for another input only when its expressions
    read the shape of a layer's input, ``Graph.input_dependent``)."""
    builder = _Builder(doc, path, limits, loader, input_shape)
    try:
        with paused_gc():
            return builder.build(default_name)
    except SpecError as exc:
        if builder.uses:  # raised while a block use was being expanded: name the use(s) too
            exc.diagnostics = tuple(_within(d, builder.uses) for d in exc.diagnostics)
        raise
    except RecursionError:
        # Only reachable with max_depth raised far above its default: say where, not a traceback.
        raise LimitError(f"layers are nested too deeply here for cnncalc to expand them (with "
                         f"max_depth at {limits.max_depth:,}; lower nesting, or run with a "
                         f"smaller --limit max_depth to find where)", builder.where,
                         code="limit") from None


class _Builder:
    def __init__(self, doc: Item, path: str | None, limits: Limits, loader: Loader | None = None,
                 input_shape: Shape | None = None) -> None:
        self.doc = doc
        self.path = path
        self.limits = limits
        self.loader = loader
        self.input_override = input_shape
        self.shapes: dict[str, Shape] = {}  # output shapes, worked out only when read (``$in``)
        self.shaped = 0  # nodes whose shape is in ``shapes``
        self.input_dependent = False
        self.included: dict[str, str] = {}  # real path of every file read → the path shown
        self.forced_name: str | None = None  # the name of the next block use (a repeat's pass)
        self.first_input = INPUT  # what 'input' stands for: the first of several named inputs
        self.layer_nodes: dict[str, Node] = {}  # the layers made so far, by name
        self.nodes: list[Node] = []
        self.names: dict[str, Mark | None] = {}
        self.scope_outputs: dict[str, str] = {}  # block instance / named repeat → last layer
        self.blocks: dict[str, Block] = {}
        self.layers: dict[tuple[Any, ...], Layer] = {}  # interned: equal layers built once
        self.steps = 0  # work done so far, bounded by limits.max_expansions
        self.depth = 0  # entries being expanded inside each other, bounded by limits.max_depth
        self.where: Mark | None = None  # the entry being expanded (for errors without a mark)
        self.uses: tuple[tuple[str, Mark], ...] = ()  # ... and the block uses around it
        # check options given on a block use or repeat, for the layers it made (docs/ci.md)
        self.scope_lint: dict[str, frozenset[str]] = {}
        self.scope_expect: dict[str, tuple[Any, ...]] = {}

    # --- top level -------------------------------------------------------------------------

    def build(self, default_name: str | None) -> Graph:
        doc = self.doc
        if not doc.is_map:
            raise SpecError(f"a spec is a mapping with 'input' and 'layers', got "
                            f"{describe_value(doc)}", doc.mark, code="spec")
        top = doc.value
        for key in top:
            if key not in TOP_KEYS:
                raise SpecError(_unknown_key(key, TOP_KEYS, "top-level key"), doc.key_mark(key),
                                code="unknown-key")
        if "input" in top and "inputs" in top:
            raise SpecError("give either 'input' (one input) or 'inputs' (several, by name), not "
                            "both", doc.key_mark("inputs"), code="spec")
        for key in ("input", "layers"):
            if key not in top and not (key == "input" and "inputs" in top):
                raise SpecError(f"the spec has no '{key}' (see docs/spec-format.md)", doc.mark,
                                code="spec")
        name = self._string(top["name"], "name") if "name" in top else (default_name or "network")
        description = (self._string(top["description"], "description")
                       if "description" in top else None)
        named: tuple[tuple[str, Shape], ...] = ()
        first = INPUT
        if "inputs" in top:
            named = self._named_inputs(top["inputs"])
            first = named[0][0]
            self.first_input = first
            spec_input = named[0][1]
            self.shapes.update(named)
        else:
            spec_input = self._input_shape(top["input"])
        input_shape = self.input_override or spec_input
        self.shapes[first] = input_shape
        batch = self._int(top["batch"], "batch", 1) if "batch" in top else 1
        if batch > self.limits.max_dim:
            raise LimitError(self.limits.exceeded("max_dim", "batch", batch), top["batch"].mark,
                             code="limit")
        defaults = self._library(doc, self.path, ())
        layers = top["layers"]
        if not layers.is_list or not layers.value:
            got = "" if layers.is_list else f", got {describe_value(layers)}"
            raise SpecError(f"'layers' must be a non-empty list of layers{got}", layers.mark,
                            code="spec")
        options: dict[str, Any] = {}
        if "lint" in top:
            options[LINT_DISABLE] = read_lint(top["lint"])
        if "budget" in top:
            options[BUDGETS] = read_budget(top["budget"])
        root = Scope(env={INPUT_PARAM: Arg(Item(None), {}, source=first, name=INPUT_PARAM)},
                     defaults=(defaults,))
        self._sequence(layers, root, first)
        return Graph.create(name, input_shape, self._nodes_with_scope_options(), batch=batch,
                            source=self.path, description=description, options=options,
                            input_dependent=self.input_dependent, inputs=named)

    def _named_inputs(self, item: Item) -> tuple[tuple[str, Shape], ...]:
        """``inputs: {image: [3, 224, 224], depth: [1, 224, 224]}``: several inputs by name."""
        if not item.is_map or not item.value:
            raise SpecError("inputs names the network's inputs and their shapes, e.g. "
                            "{image: [3, 224, 224], depth: [1, 224, 224]}", item.mark,
                            code="input-shape")
        out = []
        for name, shape in item.value.items():
            mark = item.key_mark(name)
            self._check_name(name, mark)
            if name in self.names:
                raise SpecError(f"input '{name}' is named twice", mark, code="duplicate-name")
            self.names[name] = mark
            out.append((name, self._input_shape(shape)))
        return tuple(out)

    # --- included files ----------------------------------------------------------------------

    def _library(self, doc: Item, path: str | None, chain: tuple[str, ...]) -> dict[str, Item]:
        """Read the ``include``, ``defaults`` and ``blocks`` of a spec file (the spec itself or
        one it includes, ``chain`` being the real paths of the files including it); return
        its defaults, which apply to the layers written in it."""
        top = doc.value
        if "include" in top:
            self._include(top["include"], path, chain)
        defaults = self._read_defaults(top["defaults"]) if "defaults" in top else {}
        if "blocks" in top:
            self._read_blocks(top["blocks"], defaults)
        return defaults

    def _include(self, item: Item, path: str | None, chain: tuple[str, ...]) -> None:
        entries = [item] if isinstance(item.value, str) else item.value if item.is_list else None
        if entries is None:
            raise SpecError(f"include takes a file path or a list of them, got "
                            f"{describe_value(item)}", item.mark, code="spec")
        for entry in entries:
            if not isinstance(entry.value, str) or not entry.value:
                raise SpecError(f"include takes file paths, got {describe_value(entry)}",
                                entry.mark, code="spec")
            self._include_file(entry.value, entry.mark, path, chain)

    def _include_file(self, rel: str, mark: Mark | None, path: str | None,
                      chain: tuple[str, ...]) -> None:
        if self.loader is None or path is None or path.startswith("<"):
            raise SpecError("include needs a spec read from a file (its paths are relative to "
                            "that file's folder)", mark, code="include")
        if os.path.isabs(rel) or rel.startswith("~"):
            raise SpecError(f"include path '{_clip(rel)}' must be relative to this file's folder",
                            mark, code="include")
        root = os.path.dirname(os.path.realpath(self.path or path))
        shown = os.path.normpath(os.path.join(os.path.dirname(path), rel))
        real = os.path.realpath(shown)
        if os.path.commonpath([root, real]) != root:
            raise SpecError(f"include path '{_clip(rel)}' leads outside the spec's folder "
                            f"({root}); included files must be in it or below it", mark,
                            code="include")
        here = os.path.realpath(path)
        if real == here or real in chain:
            seq = (*chain, here)
            cycle = " → ".join([self.included.get(p, self.path or p) for p in
                                seq[seq.index(real):]] + [shown])
            raise SpecError(f"include cycle: {cycle}", mark, code="include")
        if real in self.included:
            return  # already read through another file: its blocks are known
        if len(self.included) >= MAX_INCLUDES:
            raise LimitError(f"more than {MAX_INCLUDES} included files", mark, code="limit")
        if not os.path.isfile(real):
            raise SpecError(f"included file '{shown}' does not exist", mark, code="include")
        self.included[real] = shown
        doc = self.loader(shown)
        if not doc.is_map:
            raise SpecError(f"an included file is a mapping with 'blocks', got "
                            f"{describe_value(doc)}", doc.mark, code="spec")
        for key in doc.value:
            if key not in TOP_KEYS:
                raise SpecError(_unknown_key(key, TOP_KEYS, "top-level key"), doc.key_mark(key),
                                code="unknown-key")
        self._library(doc, shown, (*chain, here))

    def _input_shape(self, item: Item) -> Shape:
        value = item.value
        if isinstance(value, str):
            try:
                dims: tuple[Any, ...] = parse_sizes(value)
            except QuantityError as exc:
                raise SpecError(f"input: {exc}", item.mark, code="input-shape") from None
        elif item.is_list:
            dims = tuple(v.value for v in value)
        else:
            raise SpecError(f"input must be a list like [3, 224, 224] (channels first), got "
                            f"{describe_value(item)}", item.mark, code="input-shape")
        if not 1 <= len(dims) <= 4:
            raise SpecError(f"input has {len(dims)} sizes; write channels then 0 to 3 spatial "
                            f"sizes, e.g. [3, 224, 224]", item.mark, code="input-shape")
        for i, d in enumerate(dims):
            if isinstance(d, bool) or not isinstance(d, int) or d < 1:
                at = value[i].mark if item.is_list else item.mark
                comma = (" (a ',' missing between the sizes?)"
                         if isinstance(d, str) and len(d.split()) > 1 else "")
                raise SpecError(f"input sizes must be positive integers, got {d!r}{comma}", at,
                                code="input-shape")
            if d > self.limits.max_dim:
                at = value[i].mark if item.is_list else item.mark
                raise LimitError(self.limits.exceeded("max_dim", "input size", d), at,
                                 code="limit")
        return Shape.of(dims)

    def _read_defaults(self, item: Item) -> dict[str, Item]:
        if not item.is_map:
            raise SpecError("defaults must map layer kinds to attributes, e.g. "
                            "{conv: {bias: false}}", item.mark, code="spec")
        defaults: dict[str, Item] = {}
        for kind, attrs in item.value.items():
            cls = lookup(kind)
            if cls is None:
                raise SpecError(_unknown_kind(kind, []), item.key_mark(kind), code="unknown-kind")
            if not attrs.is_map:
                raise SpecError(f"defaults for {kind} must be a mapping of attributes", attrs.mark,
                                code="spec")
            names = cls.attribute_names()
            for key in attrs.value:
                if key not in names:
                    raise SpecError(unknown_attribute_message(cls, key, attrs.value[key].value),
                                    attrs.key_mark(key),
                                    code="unknown-attribute")
            defaults[cls.kind] = attrs
        return defaults

    def _read_blocks(self, item: Item, defaults: dict[str, Item]) -> None:
        if not item.is_map:
            raise SpecError("blocks must map block names to definitions", item.mark, code="spec")
        for name, body in item.value.items():
            mark = item.key_mark(name)
            if name in self.blocks:
                first = self.blocks[name].mark
                where = f" (first at {first.path}:{first.line})" if first else ""
                raise SpecError(f"block '{name}' is defined twice{where}", mark,
                                code="duplicate-name")
            if len(name) > MAX_NAME_LENGTH or not _BLOCK_NAME_RE.fullmatch(name):
                raise SpecError(f"'{_clip(name)}' is not a usable block name ({BLOCK_NAME_RULE}; "
                                f"at most {MAX_NAME_LENGTH} characters)", mark, code="invalid-name")
            if lookup(name) is not None or name in ("repeat", *COMMON_KEYS):
                raise SpecError(f"block name '{name}' is already a layer kind or keyword", mark,
                                code="invalid-name")
            params: dict[str, Item | None] = {}
            if body.is_list:
                layers = body
            elif body.is_map:
                for key in body.value:
                    if key not in BLOCK_KEYS:
                        raise SpecError(_unknown_key(key, BLOCK_KEYS, "block key"),
                                        body.key_mark(key), code="unknown-key")
                if "layers" not in body.value:
                    raise SpecError(f"block '{name}' has no 'layers'", body.mark, code="spec")
                layers = body.value["layers"]
                params = self._block_params(body.value.get("params"))
            else:
                raise SpecError(f"block '{name}' must be a list of layers or a mapping with "
                                f"'params' and 'layers'", body.mark, code="spec")
            if not layers.is_list:
                raise SpecError(f"block '{name}': 'layers' must be a list", layers.mark,
                                code="spec")
            self.blocks[name] = Block(name, params, layers, mark, defaults)

    def _block_params(self, item: Item | None) -> dict[str, Item | None]:
        if item is None:
            return {}
        out: dict[str, Item | None] = {}
        if item.is_list:
            for p in item.value:
                if (not isinstance(p.value, str) or len(p.value) > MAX_NAME_LENGTH
                        or not _BLOCK_NAME_RE.fullmatch(p.value)):
                    raise SpecError(f"block params are names ({BLOCK_NAME_RULE})", p.mark,
                                    code="invalid-name")
                self._param_name(p.value, p.mark)
                out[p.value] = None
            return out
        if item.is_map:
            for k, v in item.value.items():
                self._param_name(k, item.key_mark(k))
                out[k] = None if v.value is None else v
            return out
        raise SpecError("params must be a list of names or a mapping of name → default "
                        "(null for required)", item.mark, code="spec")

    def _param_name(self, name: str, mark: Mark | None) -> None:
        if name == INPUT_PARAM or name in COMMON_KEYS:
            what = ("the block's input in expressions ($in.channels)" if name == INPUT_PARAM
                    else "a key every layer and block use accepts")
            raise SpecError(f"'{name}' cannot be a block parameter: it is {what}", mark,
                            code="invalid-name")

    # --- layer lists -----------------------------------------------------------------------

    def _sequence(self, items: Item, scope: Scope, prev: str) -> str:
        for entry in items.value:
            prev = self._entry(entry, scope, prev)
        return prev

    def _step(self, count: int, mark: Mark | None) -> None:
        self.steps += count
        if self.steps > self.limits.max_expansions:
            raise LimitError(f"expanding the spec takes more than "
                             f"{self.limits.max_expansions:,} steps (layers, block uses, branches "
                             f"and inputs; limit max_expansions, raise it with --limit "
                             f"max_expansions=N): do blocks or repeats expand many times over?",
                             mark, code="limit")

    def _entry(self, item: Item, scope: Scope, prev: str) -> str:
        """One list entry, expanded; counts against max_expansions and max_depth."""
        self.where = item.mark
        self.uses = scope.uses
        self._step(1, item.mark)
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise LimitError(f"layers are nested more than {self.limits.max_depth} deep "
                             f"(branches, repeats and blocks inside each other; limit max_depth)",
                             item.mark, code="limit")
        out = self._interpret(item, scope, prev)
        self.depth -= 1
        return out

    def _interpret(self, item: Item, scope: Scope, prev: str) -> str:
        value = item.value
        if isinstance(value, str):
            if is_expression(value):
                arg = self._param(value, scope.env, item.mark)
                return self._substituted(arg, scope, prev)
            return self._layer(value, item.mark, None, {}, scope, prev)
        if item.is_map:
            if "repeat" in value:
                return self._repeat(item, scope, prev)
            kinds = [k for k in value if k not in COMMON_KEYS]
            if not kinds:
                raise SpecError("this layer has no kind; write e.g. '- conv: {out: 64, kernel: 3}'",
                                item.mark, code="spec")
            if len(kinds) > 1:
                unknown = [k for k in kinds if lookup(k) is None and k not in self.blocks]
                if unknown and unknown != kinds[1:]:  # a misspelt kind or 'repeat'
                    raise SpecError(_unknown_kind(unknown[0], list(self.blocks)),
                                    item.key_mark(unknown[0]), code="unknown-kind")
                raise SpecError(self._two_kinds(item, kinds), item.key_mark(kinds[1]),
                                code="spec")
            key = kinds[0]
            siblings = {k: v for k, v in value.items() if k != key}
            kind = key
            if is_expression(key):  # a kind chosen by a parameter: {$act: {inplace: true}}
                kind = self._value(Item(key, item.key_mark(key)), scope.env)
                if not isinstance(kind, str) or is_expression(kind):
                    raise SpecError(f"{key} must name a layer kind or a block, got "
                                    f"{describe_value(Item(kind))}", item.key_mark(key),
                                    code="spec")
            return self._layer(kind, item.key_mark(key), value[key], siblings, scope, prev,
                               sibling_marks=item)
        if item.is_list:
            raise SpecError("a nested list is not a layer; for parallel branches write "
                            "'- concat: [[...], [...]]' or '- add: [[], [...]]'", item.mark,
                            code="spec")
        raise SpecError(f"expected a layer (a kind like relu, or a mapping like conv: {{...}}), "
                        f"got {describe_value(item)}", item.mark, code="spec")

    def _two_kinds(self, item: Item, kinds: list[str]) -> str:
        """Why one list item names two kinds. Most often the second "kind" is an attribute of
        the first written at the first's indentation (``- conv:`` then ``out: 8`` under it,
        not indented further), which YAML reads as keys of the item itself."""
        first, rest = kinds[0], kinds[1:]
        cls = lookup(first)
        block = self.blocks.get(first)
        takes = (set(cls.attribute_names()) if cls is not None
                 else set(block.params) if block is not None else set())
        if takes and all(k in takes for k in rest):
            named = " and ".join(f"'{k}'" for k in rest[:3]) + (" ..." if len(rest) > 3 else "")
            what = "attribute" if cls is not None else "param"
            several = len(rest) > 1
            are = f"are {what}s" if several else f"is an {what}" if what[0] == "a" else \
                f"is a {what}"
            them = "them" if several else "it"
            if item.value[first].value is None:
                return (f"{named} {are} of {first}, but written level with it: indent {them} "
                        f"under '{first}:' (further than '{first}')")
            return f"{named} {are} of {first}: put {them} inside {first}'s mapping"
        return (f"one list item is one layer, but this one names '{first}' and '{rest[0]}'; "
                f"put each on its own '- ' line")

    def _substituted(self, arg: Arg, scope: Scope, prev: str) -> str:
        """A ``$param`` standing for layers: process them where they were written."""
        inner = scope.child(scope.prefix, None, arg.env, defaults=arg.defaults)
        inner.counters = scope.counters
        inner.aliases = scope.aliases
        if arg.item.is_list:
            return self._sequence(arg.item, inner, prev)
        return self._entry(arg.item, inner, prev)

    def _repeat(self, item: Item, scope: Scope, prev: str) -> str:
        value = item.value
        for key in value:
            if key not in REPEAT_KEYS:
                raise SpecError(_unknown_key(key, REPEAT_KEYS, "repeat key"), item.key_mark(key),
                                code="unknown-key")
        times = self._int(value["repeat"], "repeat", 0, scope)
        if times > self.limits.max_repeat:
            raise LimitError(self.limits.exceeded("max_repeat", "repeat", times),
                             value["repeat"].mark, code="limit")
        start = self._int(value["start"], "start", 0, scope) if "start" in value else 1
        if start > self.limits.max_repeat:
            raise LimitError(self.limits.exceeded("max_repeat", "start", start),
                             value["start"].mark, code="limit")
        index = None
        if "index" in value:
            index = self._string(value["index"], "index")
            if not _IDENTIFIER_RE.fullmatch(index) or len(index) > MAX_NAME_LENGTH:
                raise SpecError(f"index names the pass number in expressions: a name like i, "
                                f"got {_clip(index)!r}", value["index"].mark, code="invalid-name")
            self._param_name(index, value["index"].mark)
        body = value.get("layers")
        if body is None or not body.is_list:
            raise SpecError("repeat needs 'layers', a list of layers to repeat", item.mark,
                            code="spec")
        label = self._name_text(value["name"], scope.env)[0] if "name" in value else None
        first_node = len(self.nodes)
        if label is not None:
            self._check_name(label, value["name"].mark)
            label_full = f"{scope.prefix}{label}"
            if label_full in self.names:
                raise SpecError(f"name '{label_full}' is already used", value["name"].mark,
                                code="duplicate-name")
            self.names[label_full] = value["name"].mark
        # a named repeat of one unnamed block use: each pass *is* the block use (layer3.5.conv1)
        single_use = label is not None and len(body.value) == 1 and self._unnamed_block_use(
            body.value[0])
        for i in range(start, start + times):
            before = len(self.nodes)
            steps_before = self.steps
            self._step(1, item.mark)
            env = scope.env if index is None else {
                **scope.env, index: Arg(Item(i, value["index"].mark), {}, i, name=index)}
            if single_use:
                self.forced_name = f"{scope.prefix}{label}.{i}"
                prev = self._entry(body.value[0], scope.iteration("", env), prev)
            elif label is not None:
                full = f"{scope.prefix}{label}.{i}"
                inner = scope.child(full + ".", (full, "repeat"), env)
                prev = self._sequence(body, inner, prev)
            else:
                inner = scope.iteration(f"_{i}" if times > 1 else "", env)
                prev = self._sequence(body, inner, prev)
            if i == start:
                per = len(self.nodes) - before
                remaining = self.limits.max_layers - before
                if per * times > remaining:
                    raise LimitError(
                        f"repeat {times:,} × {per:,} layers would make {before + per * times:,} "
                        f"layers, over the limit of {self.limits.max_layers:,} (max_layers; raise "
                        f"it with --limit max_layers=N)", value["repeat"].mark, code="limit")
                per_steps = self.steps - steps_before
                if steps_before + per_steps * times > self.limits.max_expansions:
                    raise LimitError(
                        f"repeat {times:,} × {per_steps:,} steps per pass (layers, block uses, "
                        f"branches and inputs) would take {steps_before + per_steps * times:,} "
                        f"steps, over the limit of {self.limits.max_expansions:,} "
                        f"(max_expansions; raise it with --limit max_expansions=N)",
                        value["repeat"].mark, code="limit")
        if label is not None:
            self.scope_outputs[f"{scope.prefix}{label}"] = prev
            scope.aliases[label] = prev
        self._freeze(value, first_node)
        self._scope_options(value, scope, first_node, prev, item.mark)
        return prev

    def _unnamed_block_use(self, entry: Item) -> bool:
        """Whether a list entry uses a block without naming the use."""
        if isinstance(entry.value, str):
            return entry.value in self.blocks
        if not entry.is_map or "name" in entry.value:
            return False
        kinds = [k for k in entry.value if k not in COMMON_KEYS]
        if len(kinds) != 1 or kinds[0] not in self.blocks:
            return False
        args = entry.value[kinds[0]]
        return not (args.is_map and "name" in args.value)

    def _freeze(self, keys: Mapping[str, Item], first_node: int) -> None:
        """``trainable: false`` on a block use or a repeat freezes every layer it made."""
        if "trainable" not in keys:
            return
        t = keys["trainable"]
        if not isinstance(t.value, bool):
            raise SpecError(f"trainable must be true or false, got {describe_value(t)}",
                            t.mark, code="type")
        if not t.value:
            for i in range(first_node, len(self.nodes)):
                if self.nodes[i].trainable:
                    self.nodes[i] = replace(self.nodes[i], trainable=False)

    # --- one layer -------------------------------------------------------------------------

    def _layer(self, kind: str, kind_mark: Mark | None, value: Item | None,
               siblings: dict[str, Item], scope: Scope, prev: str,
               sibling_marks: Item | None = None) -> str:
        if kind in self.blocks:
            return self._block_use(kind, kind_mark, value, siblings, scope, prev, sibling_marks)
        cls = lookup(kind)
        if cls is None:
            raise SpecError(_unknown_kind(kind, list(self.blocks)), kind_mark,
                            code="unknown-kind")
        common: dict[str, Item] = dict(siblings)
        attrs: dict[str, Item] = {}
        attr_keys: dict[str, Mark | None] = {}
        branches: Item | None = None
        is_merge = cls.merges()
        if value is None or value.value is None:
            pass
        elif value.is_map:
            for key, v in value.value.items():
                if key in COMMON_KEYS:
                    if key in common:
                        raise SpecError(f"'{key}' is given twice for this layer",
                                        value.key_mark(key), code="spec")
                    common[key] = v
                elif key == "branches" and is_merge:
                    branches = v
                else:
                    attrs[key] = v
                    attr_keys[key] = value.key_mark(key)
        elif value.is_list and is_merge:
            branches = value
        else:
            hint = ("a list of branches or a mapping" if is_merge
                    else f"a mapping of attributes, e.g. {cls.example()[2:]}")
            raise SpecError(f"{kind} takes {hint}, got {describe_value(value)}", value.mark,
                            code="spec")
        layer = self._make_layer(cls, attrs, attr_keys, scope, kind_mark)
        name = self._node_name(cls.kind, common.get("name"), scope, sibling_marks)
        # inputs: branches, explicit names, or the previous layer
        if branches is not None and "inputs" in common:
            raise SpecError(f"{kind} takes either branches or inputs, not both",
                            common["inputs"].mark, code="spec")
        if branches is not None:
            inputs = self._branches(branches, scope, prev, cls)
        elif "inputs" in common:
            inputs = self._input_names(common["inputs"], scope)
        else:
            inputs = [prev]
        for info in cls.attributes():
            if isinstance(info.type, Ref) and getattr(layer, info.name) is not None:
                ref_item = attrs.get(info.name) or next(
                    (attrs[a] for a in info.aliases if a in attrs), None)
                inputs.append(self._resolve(getattr(layer, info.name), scope,
                                            ref_item.mark if ref_item else kind_mark))
        trainable = True
        if "trainable" in common:
            t = common["trainable"]
            if not isinstance(t.value, bool):
                raise SpecError(f"trainable must be true or false, got {describe_value(t)}",
                                t.mark, code="type")
            trainable = t.value
        if scope.uses and kind_mark is not None:  # inside a block: the mark names the use too
            kind_mark = Mark(kind_mark.path, kind_mark.line, kind_mark.column, scope.uses)
        shares = self._shared_layer(name, layer, common.get("shares"), scope, kind_mark)
        self._add(Node(name, layer, tuple(inputs), kind_mark, scope.path, trainable,
                       self._check_options(common, scope), shares), kind_mark)
        return name

    def _shared_layer(self, name: str, layer: Layer, given: Item | None, scope: Scope,
                      mark: Mark | None) -> str | None:
        """The layer whose parameters this one uses: ``shares: NAME`` on the layer, or the
        layer of the same place in the block use its own block use shares."""
        if given is not None:
            if not isinstance(given.value, str):
                raise SpecError(f"shares names a layer above, got {describe_value(given)}",
                                given.mark, code="type")
            target = self._resolve(given.value, scope, given.mark)
            mark = given.mark
        elif scope.shares is not None and name.startswith(scope.shares[0]):
            target = scope.shares[1] + name[len(scope.shares[0]):]
        else:
            return None
        node = self.layer_nodes.get(target)
        if node is None:
            raise SpecError(f"'{name}' shares the weights of '{target}', which is not a layer "
                            f"made above it", mark, code="unknown-input")
        if node.shares is not None:
            target, node = node.shares, self.layer_nodes[node.shares]
        if node.layer is not layer and (type(node.layer) is not type(layer) or
                                        node.layer.set_attributes() != layer.set_attributes()):
            raise SpecError(f"'{name}' ({layer.describe()}) cannot share the weights of "
                            f"'{target}' ({node.layer.describe()}): shared layers are of one kind "
                            f"with the same attributes", mark, code="attribute")
        return target

    def _make_layer(self, cls: type[Layer], attrs: dict[str, Item],
                    attr_keys: dict[str, Mark | None], scope: Scope,
                    kind_mark: Mark | None) -> Layer:
        values: dict[str, Any] = {}
        for key, item in attrs.items():
            values[key] = self._attribute_value(item, scope.env)
        spelled = cls.attribute_names()
        given = {spelled.get(k, k) for k in values}
        origin: dict[str, Item] = dict(attrs)
        for layer_defaults in scope.defaults:
            defaults = layer_defaults.get(cls.kind)
            if defaults is None:
                continue
            for key, item in defaults.value.items():
                if spelled[key] not in given:
                    values[key] = self._attribute_value(item, scope.env)
                    origin[key] = item
                    given.add(spelled[key])
        # Layers are immutable values: one object serves every layer written the same way (a
        # residual stack's hundred identical convolutions), which saves validating them again,
        # memory, and lets the walk reuse its results for the same layer on the same input.
        signature = (cls, *((k, _frozen(v)) for k, v in values.items()))
        known = self.layers.get(signature)
        if known is not None:
            return known
        try:
            layer = self.layers[signature] = cls.from_attrs(values)
            return layer
        except AttributeValueError as exc:
            bad = exc.key
            if bad is None:
                mark = kind_mark
            elif bad not in spelled:
                mark = attr_keys.get(bad, kind_mark)
            else:
                mark = origin[bad].mark if bad in origin else kind_mark
            raise SpecError(str(exc), mark, code="unknown-attribute" if bad is not None
                            and bad not in spelled else "attribute") from None

    def _attribute_value(self, item: Item, env: Mapping[str, Arg]) -> Any:
        if item.size > MAX_ATTRIBUTE_VALUES:
            raise SpecError(f"this attribute value holds {item.size:,} values; an attribute is a "
                            f"number, a word or a short per-axis list", item.mark,
                            code="attribute")
        return self._value(item, env)

    def _value(self, item: Item, env: Mapping[str, Arg]) -> Any:
        """A plain value with every ``$`` expression evaluated (in the scope that wrote it)."""
        v = item.value
        if isinstance(v, str) and is_expression(v):
            arg = self._param(v, env, item.mark)
            if arg.source is not None:
                raise SpecError(f"${INPUT_PARAM} is the shape of the block's input; use a number "
                                f"from it: ${INPUT_PARAM}.channels, ${INPUT_PARAM}.height, "
                                f"${INPUT_PARAM}.width", item.mark, code="expression")
            if arg.value is _UNSET or arg.value is _EVALUATING:
                if arg.item.size > MAX_ATTRIBUTE_VALUES:
                    raise SpecError(f"${v.lstrip('$').strip()[:40]} stands for "
                                    f"{describe_value(arg.item)} of {arg.item.size:,} values, too "
                                    f"big for an attribute", item.mark, code="attribute")
                self._evaluate_arg(arg, item.mark)
            return arg.value
        if isinstance(v, list):
            return [self._value(x, env) for x in v]
        if isinstance(v, dict):
            return {k: self._value(x, env) for k, x in v.items()}
        return v

    def _evaluate_arg(self, arg: Arg, mark: Mark | None) -> None:
        """Evaluate a parameter's value once, refusing a default that needs itself."""
        if arg.value is _EVALUATING:
            raise SpecError(f"parameter '{arg.name}' is defined in terms of itself", mark,
                            code="expression")
        arg.value = _EVALUATING
        try:
            arg.value = self._value(arg.item, arg.env)
        finally:
            if arg.value is _EVALUATING:
                arg.value = _UNSET

    def shape_of(self, name: str) -> Shape:
        """The output shape of a layer already made (or of the input), from the layers' shape
        rules, for expressions that read a block's input (``$in.channels``). Shapes are worked
        out once, in order, and only as far as they are read."""
        self.input_dependent = True
        while name not in self.shapes:
            node = self.nodes[self.shaped]
            in_shapes = tuple(self.shapes[src] for src in node.inputs)
            try:
                self.shapes[node.name] = node.layer.infer(in_shapes)
            except ShapeError as exc:
                shown = ", ".join(str(x) for x in in_shapes)
                raise SpecError(f"{node.kind} '{node.name}' (input {shown}): {exc}", node.mark,
                                layer=node.name, code="shape") from None
            self.shaped += 1
        return self.shapes[name]

    def _param(self, text: str, env: Mapping[str, Arg], mark: Mark | None) -> Arg:
        """``$name`` → the argument as written; ``$expr`` → a literal Item with its value."""
        body = text.strip()
        body = body[1:].strip() if body.startswith("$") else body
        if body.startswith("{") and body.endswith("}"):
            body = body[1:-1].strip()
        if body in env:
            return env[body]
        try:
            result = evaluate(text, _LazyEnv(self, env))
        except ExprError as exc:
            raise SpecError(str(exc), mark, code="expression") from None
        return Arg(Item(result, mark), {})

    def _branches(self, item: Item, scope: Scope, prev: str, cls: type[Layer]) -> list[str]:
        if not item.is_list:
            raise SpecError(f"branches must be a list of layer lists, got {describe_value(item)}",
                            item.mark, code="spec")
        outputs = []
        self._step(len(item.value), item.mark)
        for branch in item.value:
            if isinstance(branch.value, str) and is_expression(branch.value):
                arg = self._param(branch.value, scope.env, branch.mark)
                outputs.append(self._substituted(arg, scope, prev))
            elif branch.is_list:
                outputs.append(self._sequence(branch, scope, prev))
            else:
                outputs.append(self._entry(branch, scope, prev))
        low, high = cls.min_inputs, cls.max_inputs
        if len(outputs) < low or (high is not None and len(outputs) > high):
            want = (f"at least {low}" if high is None else str(low) if low == high
                    else f"{low} to {high}")
            raise SpecError(f"{cls.kind} takes {want} branch{'' if want == '1' else 'es'}, got "
                            f"{len(outputs)} (an empty branch [] is the identity)", item.mark,
                            code="spec")
        return outputs

    def _input_names(self, item: Item, scope: Scope) -> list[str]:
        if is_expression(item.value):
            # a block parameter naming the layers to read (U-Net's up block: inputs: $skip)
            arg = self._param(item.value, scope.env, item.mark)  # marked where it was passed
            if arg.source is not None:  # $in: the block's input
                return [arg.source]
            item = Item.wrap(self._value(arg.item, arg.env), arg.item.mark or item.mark)
        entries = [item] if isinstance(item.value, str) else item.value if item.is_list else None
        if entries is not None and not entries:
            raise SpecError("inputs is an empty list: name at least one layer (or leave 'inputs' "
                            "out to read the layer above)", item.mark, code="spec")
        if not entries:
            raise SpecError(f"inputs must be a layer name or a list of names, got "
                            f"{describe_value(item)}", item.mark, code="spec")
        out = []
        for e in entries:
            if is_expression(e.value):
                arg = self._param(e.value, scope.env, e.mark)
                if arg.source is not None:
                    out.append(arg.source)
                    continue
                e = Item.wrap(self._value(arg.item, arg.env), arg.item.mark or e.mark)
            if not isinstance(e.value, str):
                raise SpecError(f"inputs must be layer names, got {describe_value(e)}", e.mark,
                                code="spec")
            out.append(self._resolve(e.value, scope, e.mark))
        return out

    def _resolve(self, name: str, scope: Scope, mark: Mark | None) -> str:
        s: Scope | None = scope
        while s is not None:
            if name in s.aliases:
                return s.aliases[name]
            s = s.parent
        if name == INPUT:
            return self.first_input
        for candidate in (name, scope.prefix + name):
            if candidate in self.scope_outputs:
                return self.scope_outputs[candidate]
            if candidate in self.names:
                return candidate
        visible = list(self.names)[-MAX_SUGGESTIONS:]
        close = suggest(name, visible)
        hint = f"; did you mean '{close}'?" if close else ""
        raise SpecError(f"unknown layer '{name}'{hint} (inputs must name a layer defined above "
                        f"this one, or 'input')", mark, code="unknown-input")

    # --- blocks ----------------------------------------------------------------------------

    def _block_use(self, block_name: str, mark: Mark | None, value: Item | None,
                   siblings: dict[str, Item], scope: Scope, prev: str,
                   sibling_marks: Item | None) -> str:
        block = self.blocks[block_name]
        if block_name in scope.blocks:
            chain = " → ".join((*scope.blocks[scope.blocks.index(block_name):], block_name))
            raise SpecError(f"block '{block_name}' uses itself ({chain})", mark,
                            code="recursive-block")
        if len(scope.blocks) >= self.limits.max_depth:
            raise LimitError(f"blocks nested more than {self.limits.max_depth} deep (max_depth)",
                             mark, code="limit")
        common = dict(siblings)
        args: dict[str, Arg] = {}
        if value is not None and value.value is not None:
            if not value.is_map:
                raise SpecError(f"block '{block_name}' takes a mapping of its params, got "
                                f"{describe_value(value)}", value.mark, code="spec")
            for key, v in value.value.items():
                if key in COMMON_KEYS:
                    common[key] = v
                elif key in block.params:
                    args[key] = Arg(v, scope.env, defaults=scope.defaults, name=key)
                else:
                    raise SpecError(_unknown_param(block, key), value.key_mark(key),
                                    code="unknown-attribute")
        name = self._node_name(block_name, common.get("name"), scope, sibling_marks,
                               is_scope=True)
        start = prev
        if "inputs" in common:
            names = self._input_names(common["inputs"], scope)
            if len(names) != 1:
                raise SpecError("a block reads one input", common["inputs"].mark, code="spec")
            start = names[0]
        args[INPUT_PARAM] = Arg(Item(None, mark), {}, source=start, name=INPUT_PARAM)
        for pname, default in block.params.items():
            if pname not in args:
                if default is None:
                    raise SpecError(f"block '{block_name}' needs param '{pname}' (params: "
                                    f"{', '.join(block.params)})", mark, code="attribute")
                # a default is evaluated where the block is defined, with the use's parameters
                args[pname] = Arg(default, args, defaults=(block.defaults, *scope.defaults),
                                  name=pname)
        inner = scope.child(name + ".", (name, block_name), args, block_name, mark,
                            (block.defaults, *scope.defaults))
        if "shares" in common:  # a siamese tower: each layer shares its twin's weights
            inner.shares = (name + ".", self._block_use_name(common["shares"], scope) + ".")
        self.names.setdefault(name, mark)
        first_node = len(self.nodes)
        last = self._sequence(block.body, inner, start)
        self.uses = scope.uses
        self._freeze(common, first_node)
        self._scope_options(common, scope, first_node, last, mark)
        scope.aliases[_local(name, scope)] = last
        self.scope_outputs[name] = last
        return last

    def _block_use_name(self, item: Item, scope: Scope) -> str:
        if isinstance(item.value, str):
            for candidate in (scope.prefix + item.value, item.value):
                if candidate in self.scope_outputs and candidate not in self.layer_nodes:
                    return candidate
        raise SpecError(f"shares on a block use names another use of a block above it, got "
                        f"{describe_value(item)}", item.mark, code="unknown-input")

    # --- check options (expect, lint) ------------------------------------------------------

    def _check_options(self, common: Mapping[str, Item], scope: Scope) -> dict[str, Any]:
        if "expect" not in common and "lint" not in common:
            return {}

        def value_of(item: Item) -> Any:
            return self._value(item, scope.env)

        options: dict[str, Any] = {}
        if "expect" in common:
            options[EXPECT] = read_expect(common["expect"], value_of)
        if "lint" in common:
            options[LINT_DISABLE] = read_lint(common["lint"], value_of)
        return options

    def _scope_options(self, common: Mapping[str, Item], scope: Scope, first_node: int,
                       last: str, mark: Mark | None) -> None:
        """``lint`` on a block use or repeat covers every layer it made; ``expect`` is about
        its output (its last layer)."""
        options = self._check_options(common, scope)
        if not options:
            return
        made = self.nodes[first_node:]
        if EXPECT in options:
            if not made or last not in {node.name for node in made}:
                raise SpecError("expect needs a layer: this block use or repeat adds none of its "
                                "own", common["expect"].mark, code="spec")
            self.scope_expect[last] = self.scope_expect.get(last, ()) + options[EXPECT]
        for node in made:
            off = self.scope_lint.get(node.name, frozenset())
            self.scope_lint[node.name] = off | options.get(LINT_DISABLE, frozenset())

    def _nodes_with_scope_options(self) -> list[Node]:
        if not self.scope_lint and not self.scope_expect:
            return self.nodes
        out = []
        for node in self.nodes:
            lint_off = self.scope_lint.get(node.name)
            expects = self.scope_expect.get(node.name)
            if lint_off or expects:
                options = dict(node.options)
                if lint_off:
                    options[LINT_DISABLE] = options.get(LINT_DISABLE, frozenset()) | lint_off
                if expects:
                    options[EXPECT] = tuple(options.get(EXPECT, ())) + expects
                node = replace(node, options=options)
            out.append(node)
        return out

    # --- names -----------------------------------------------------------------------------

    def _node_name(self, kind: str, given: Item | None, scope: Scope,
                   sibling_marks: Item | None, is_scope: bool = False) -> str:
        if is_scope and self.forced_name is not None:  # a pass of a named repeat
            full, self.forced_name = self.forced_name, None
            self._check_full_name(full, sibling_marks.mark if sibling_marks else self.where)
            return full
        if given is not None:
            local, computed = self._name_text(given, scope.env)
            self._check_name(local, given.mark)
            # a name computed from a repeat's index is already one per pass
            full = f"{scope.prefix}{local}{'' if computed else scope.suffix}"
            self._check_full_name(full, given.mark)
            if full in self.names or full == INPUT:
                first = self.names.get(full)
                where = f" (first used at line {first.line})" if first else ""
                what = "reserved for the network input" if full == INPUT else f"already used{where}"
                raise SpecError(f"layer name '{full}' is {what}", given.mark,
                                code="duplicate-name")
            scope.aliases[local] = full
            if not is_scope:
                self.names[full] = given.mark
            return full
        count = scope.counters.get(kind, 0)
        while True:
            count += 1
            full = f"{scope.prefix}{kind}{count}"
            if full not in self.names:
                break
        scope.counters[kind] = count
        self._check_full_name(full, sibling_marks.mark if sibling_marks else self.where)
        return full

    def _check_name(self, name: str, mark: Mark | None) -> None:
        if len(name) > MAX_NAME_LENGTH or not _NAME_RE.fullmatch(name):
            raise SpecError(f"'{_clip(name)}' is not a usable layer name ({NAME_RULE}; at most "
                            f"{MAX_NAME_LENGTH} characters)", mark,
                            code="invalid-name")

    def _check_full_name(self, full: str, mark: Mark | None) -> None:
        if len(full) > MAX_FULL_NAME_LENGTH:
            raise SpecError(f"the name '{_clip(full)}' is {len(full):,} characters long with the "
                            f"names of the blocks and repeats around it (at most "
                            f"{MAX_FULL_NAME_LENGTH:,}): are blocks nested too deeply?", mark,
                            code="invalid-name")

    def _add(self, node: Node, mark: Mark | None) -> None:
        self._step(len(node.inputs), mark)
        if len(self.nodes) >= self.limits.max_layers:
            raise LimitError(f"the spec expands to more than {self.limits.max_layers:,} layers "
                             f"(max_layers; raise it with --limit max_layers=N)", mark,
                             code="limit")
        self.names[node.name] = node.mark
        self.nodes.append(node)
        self.layer_nodes[node.name] = node

    # --- scalars ---------------------------------------------------------------------------

    def _name_text(self, item: Item, env: Mapping[str, Arg]) -> tuple[str, bool]:
        """A layer or repeat name as written: a string, or a whole number (``name: 0``, as
        PyTorch names the modules of a Sequential); ``$name`` and ``${expression}`` in it are
        replaced by their values (``denselayer${i + 1}``). Also says whether it was."""
        v = item.value
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 10**9:
            return str(v), False
        text = self._string(item, "name")
        if "$" not in text:
            return text, False
        lazy = _LazyEnv(self, env)

        def value_of(expression: str) -> str:
            try:
                result = evaluate("$" + expression, lazy)
            except ExprError as exc:
                raise SpecError(str(exc), item.mark, code="expression") from None
            if isinstance(result, bool) or not isinstance(result, (int, str)):
                raise SpecError(f"'${_clip(expression)}' in a name must give a whole number or "
                                f"a word, got {describe_value(Item(result))}", item.mark,
                                code="expression")
            return str(result)

        if text.startswith("$") and not text.startswith("${"):
            return value_of(text[1:]), True  # the whole name is one expression: $1 + (e != c)
        return _NAME_TEMPLATE.sub(
            lambda m: value_of(m.group(1) if m.group(1) is not None else m.group(2)), text), True

    def _string(self, item: Item, what: str) -> str:
        if not isinstance(item.value, str) or not item.value:
            raise SpecError(f"{what} must be a non-empty string, got {describe_value(item)}",
                            item.mark, code="type")
        return item.value

    def _int(self, item: Item, what: str, minimum: int, scope: Scope | None = None) -> int:
        v = item.value
        source = ""
        if scope is not None and isinstance(v, str) and is_expression(v):
            source = f" (from {_clip(v.strip(), 40)})"
            v = self._value(item, scope.env)
        if isinstance(v, Fraction):
            raise SpecError(f"{what} must be an integer, got {v} (an expression whose result is "
                            f"not a whole number: round it with round(), floor() or ceil())",
                            item.mark, code="type")
        if isinstance(v, bool) or not isinstance(v, int):
            raise SpecError(f"{what} must be an integer, got {describe_value(Item(v))}{source}",
                            item.mark, code="type")
        if v < minimum:
            raise SpecError(f"{what} must be at least {minimum}, got {v}{source}", item.mark,
                            code="type")
        return v


class _LazyEnv(Mapping[str, Any]):
    """Parameter values for an expression, each evaluated only if the expression uses it (and
    the shape of a block's input worked out only if the expression reads it)."""

    def __init__(self, builder: _Builder, env: Mapping[str, Arg]) -> None:
        self.builder = builder
        self.env = env

    def __getitem__(self, key: str) -> Any:
        arg = self.env[key]
        if arg.source is not None:
            return ShapeValue(self.builder.shape_of(arg.source))
        if arg.value is _UNSET or arg.value is _EVALUATING:
            self.builder._evaluate_arg(arg, arg.item.mark)
        return arg.value

    def __iter__(self) -> Iterator[str]:
        return iter(self.env)

    def __len__(self) -> int:
        return len(self.env)


def _within(diag: Diagnostic, uses: tuple[tuple[str, Mark], ...]) -> Diagnostic:
    """A builder error raised inside block uses, its mark carrying them (unless it has them)."""
    mark = diag.mark
    if mark is None or mark.uses:
        return diag
    return replace(diag, mark=Mark(mark.path, mark.line, mark.column, uses))


def _frozen(value: Any) -> Any:
    """A hashable stand-in for an attribute value that tells apart what ``==`` does not
    (``true`` from ``1``, ``1.0`` from ``1``, a list from a scalar)."""
    if isinstance(value, list):
        return (list, *(_frozen(v) for v in value))
    if isinstance(value, dict):
        return (dict, *((k, _frozen(v)) for k, v in value.items()))
    return (type(value), value)


def _clip(text: str, keep: int = 60) -> str:
    return text if len(text) <= keep else f"{text[:keep - 1]}…"


def _local(name: str, scope: Scope) -> str:
    return name[len(scope.prefix):] if name.startswith(scope.prefix) else name


def _unknown_key(key: str, known: tuple[str, ...], what: str) -> str:
    close = suggest(key, known)
    hint = f"; did you mean '{close}'?" if close else ""
    return f"unknown {what} '{key}'{hint} (expected: {', '.join(known)})"


def _unknown_kind(kind: str, blocks: list[str]) -> str:
    if " - " in kind or kind.startswith("- "):  # `- relu` then `   - relu` indented further
        return (f"unknown layer kind '{_clip(kind)}': YAML read lines as one value; is a '- ' "
                f"item indented further than the one above it?")
    known = [*all_names(), *blocks, "repeat"]
    plain = re.sub(r"[123]d$", "", kind.lower())  # Conv2d, MaxPool2d: PyTorch's class names
    close = plain if plain in known and plain != kind else suggest(kind, known) or \
        suggest(plain, known)
    hint = f"; did you mean '{close}'?" if close else ""
    return f"unknown layer kind '{kind}'{hint} (see `cnncalc kinds` for the list)"


def _unknown_param(block: Block, key: str) -> str:
    known = [*block.params, *COMMON_KEYS]
    close = suggest(key, known)
    hint = f"; did you mean '{close}'?" if close else ""
    return (f"block '{block.name}' has no param '{key}'{hint} (params: "
            f"{', '.join(block.params) or 'none'})")
