"""From a flat list of imported layers back to a spec a person would have written.

Three passes over plain spec data (dicts and lists, as YAML would give them):

1. **Branches** (:func:`nested_layers`): every merge (``add``, ``concat``) whose inputs all start
   from one earlier layer — its immediate dominator — becomes a merge with branches, recursively;
   a residual shortcut becomes the empty branch ``[]``. A graph that is not built of such nested
   forks (U-Net-like skips that cross, a crop that reads another layer) is written flat, with
   ``inputs:`` by name (:func:`flat_layers`).
2. **Defaults** (:func:`extract_defaults`): an attribute that every layer of a kind sets to the
   same value moves to ``defaults:`` (``conv: {bias: false}``).
3. **Blocks** (:func:`recover_blocks`): top-level units — a merge and the activations after it —
   that have the same structure become uses of one parametrised block. Values that differ
   between uses become parameters (equal ones shared, integer multiples written ``$out * 4``,
   the most common value the default); a branch that is empty in some uses and not in others
   becomes a parameter that carries layers (ResNet's downsampling shortcut).

Every pass works on values only; the caller builds both the compact and the flat spec and keeps
the compact one only when the two analyse to the same network (:mod:`cnncalc.importers`).
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.importers.ir import INPUT, Op, spec_name
from cnncalc.layers.base import Layer, lookup

MERGES = ("add", "concat", "mul")
QUIET_CATEGORIES = ("activation", "regularization")
"""Kinds whose layers are written without their source names in a compact spec."""
QUIET_KINDS = ("flatten", "identity")
RESERVED_KEYS = ("name", "inputs", "trainable", "expect", "lint", "branches")
MAX_GROUPS = 64
"""Distinct unit structures compared pairwise when merging blocks with an optional branch."""


def _kind_class(kind: str) -> type[Layer] | None:
    return lookup(kind)


def is_quiet(kind: str) -> bool:
    cls = _kind_class(kind)
    return kind in QUIET_KINDS or (cls is not None and cls.category in QUIET_CATEGORIES)


def leaf(op: Op, name: bool = True, inputs: Sequence[str] | None = None) -> Any:
    """One layer as spec data: ``relu``, ``{"conv": {"out": 64, ..., "name": "conv1"}}``."""
    attrs = dict(op.attrs)
    if name:
        attrs["name"] = op.name
    if inputs is not None:
        attrs["inputs"] = list(inputs) if len(inputs) != 1 else inputs[0]
    if not op.trainable:
        attrs["trainable"] = False
    return {op.kind: attrs} if attrs else op.kind


def flat_layers(ops: Sequence[Op]) -> list[Any]:
    """Every layer in order, named, with ``inputs`` wherever it does not read the layer above."""
    out: list[Any] = []
    prev = INPUT
    for op in ops:
        out.append(leaf(op, True, None if op.inputs == (prev,) else op.inputs))
        prev = op.name
    return out


class _NotNested(Exception):
    """The graph is not made of nested forks and merges."""


def nested_layers(ops: Sequence[Op], quiet_names: bool = True) -> list[Any] | None:
    """The layers with merges written as branches, or None when the graph is not nested."""
    if not ops:
        return []
    by_name = {op.name: op for op in ops}
    index = {INPUT: -1, **{op.name: i for i, op in enumerate(ops)}}
    idom: dict[str, str] = {}
    for op in ops:  # immediate dominators in one pass over a topological order
        srcs = list(op.inputs)
        dom = srcs[0]
        for other in srcs[1:]:
            a, b = dom, other
            while a != b:
                while index[a] > index[b]:
                    a = idom[a]
                while index[b] > index[a]:
                    b = idom[b]
            dom = a
        idom[op.name] = dom
    emitted: set[str] = set()

    def sequence(end: str, start: str) -> list[Any]:
        """The items from just after ``start`` up to ``end``, walking back along inputs."""
        out: list[Any] = []
        cur = end
        while cur != start:
            if cur == INPUT or cur in emitted or index[cur] <= index[start]:
                raise _NotNested
            emitted.add(cur)
            op = by_name[cur]
            if len(op.inputs) == 1:
                out.append(leaf(op, not (quiet_names and is_quiet(op.kind))))
                cur = op.inputs[0]
                continue
            if op.kind not in MERGES:
                raise _NotNested
            fork = idom[cur]
            branches = [sequence(src, fork) for src in op.inputs]
            merge: dict[str, Any] = {op.kind: branches, "name": op.name}
            out.append(merge)
            cur = fork
        out.reverse()
        return out

    try:
        layers = sequence(ops[-1].name, INPUT)
    except _NotNested:
        return None
    if len(emitted) != len(ops):
        return None
    return layers


# --- defaults ---------------------------------------------------------------------------------

def _walk_leaves(layers: Sequence[Any]) -> list[dict[str, Any]]:
    """The attribute mappings of every leaf layer, branches included (mutable, in place)."""
    found: list[dict[str, Any]] = []
    stack = [list(layers)]
    while stack:
        for item in stack.pop():
            if isinstance(item, dict):
                (kind, value), = list(item.items())[:1]
                if kind in MERGES and isinstance(value, list):
                    stack.extend(b for b in value if isinstance(b, list))
                elif isinstance(value, dict):
                    found.append(item)
    return found


def extract_defaults(layers: list[Any]) -> dict[str, dict[str, Any]]:
    """Move attributes that every layer of a kind sets alike (at least twice) to ``defaults``.
    Changes ``layers`` in place and returns the defaults."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    counts: Counter[str] = Counter()
    stack = [list(layers)]
    while stack:
        for item in stack.pop():
            if isinstance(item, str):
                counts[item] += 1
                continue
            (kind, value), = list(item.items())[:1]
            if kind in MERGES and isinstance(value, list):
                stack.extend(b for b in value if isinstance(b, list))
                continue
            counts[kind] += 1
            if isinstance(value, dict):
                by_kind.setdefault(kind, []).append(value)
    defaults: dict[str, dict[str, Any]] = {}
    for kind, attr_maps in by_kind.items():
        if len(attr_maps) < 2 or len(attr_maps) != counts[kind]:
            continue
        for key in attr_maps[0]:
            if key in RESERVED_KEYS or _required(kind, key):
                continue
            first = attr_maps[0][key]
            if all(key in m and m[key] == first for m in attr_maps):
                defaults.setdefault(kind, {})[key] = first
    for kind, attrs in defaults.items():
        for m in by_kind[kind]:
            for key in attrs:
                del m[key]
    _bare_empty(layers)
    return defaults


def _bare_empty(layers: list[Any]) -> None:
    """``{"relu": {}}`` → ``"relu"`` everywhere."""
    for i, item in enumerate(layers):
        if isinstance(item, dict):
            (kind, value), = list(item.items())[:1]
            if isinstance(value, dict) and not value and len(item) == 1:
                layers[i] = kind
            elif kind in MERGES and isinstance(value, list):
                for branch in value:
                    if isinstance(branch, list):
                        _bare_empty(branch)


# --- blocks -----------------------------------------------------------------------------------

HOLE = "$hole"


@dataclass
class _Unit:
    """A run of top-level items that may become one use of a block."""

    start: int
    stop: int
    items: list[Any]
    use_name: str | None = None


def _required(kind: str, key: str) -> bool:
    """Required attributes (``out``, ``kernel``) stay on each layer: they are what it is."""
    cls = _kind_class(kind)
    return cls is not None and any(i.name == key and i.required for i in cls.attributes())


def _default_of(kind: str, key: str) -> Any:
    cls = _kind_class(kind)
    if cls is None:
        return None
    for info in cls.attributes():
        if info.name == key:
            return None if info.required else info.default
    return None


def _kind_and_value(item: Any) -> tuple[str, Any]:
    if isinstance(item, str):
        return item, None
    (kind, value), = list(item.items())[:1]
    return kind, value


def _signature(items: Sequence[Any], hole: tuple[int, ...] | None = None,
               path: tuple[int, ...] = ()) -> Any:
    """The structure of a run of items without its values: kinds, branches, and which
    attributes are set where a kind has no fixed default."""
    out = []
    for i, item in enumerate(items):
        kind, value = _kind_and_value(item)
        if kind in MERGES and isinstance(value, list):
            branches = []
            for j, branch in enumerate(value):
                here = (*path, i, j)
                if hole == here:
                    branches.append(HOLE)
                else:
                    branches.append(_signature(branch if isinstance(branch, list) else [branch],
                                               hole, here))
            out.append((kind, tuple(branches)))
        else:
            attrs = value if isinstance(value, dict) else {}
            fixed = tuple(sorted(k for k in attrs if k not in ("name",)
                                 and _default_of(kind, k) is None))
            out.append((kind, fixed))
    return tuple(out)


def _branch_sites(items: Sequence[Any], path: tuple[int, ...] = ()) -> list[tuple[tuple[int, ...],
                                                                                  bool]]:
    """Every branch of every merge: its path and whether it is empty."""
    sites = []
    for i, item in enumerate(items):
        kind, value = _kind_and_value(item)
        if kind in MERGES and isinstance(value, list):
            for j, branch in enumerate(value):
                here = (*path, i, j)
                sites.append((here, branch == []))
                if isinstance(branch, list):
                    sites.extend(_branch_sites(branch, here))
    return sites


def _leaves(items: Sequence[Any], hole: tuple[int, ...] | None,
            path: tuple[int, ...] = ()) -> list[tuple[str, dict[str, Any] | None]]:
    """Each leaf layer's kind and attribute mapping, in order, skipping the hole."""
    out: list[tuple[str, dict[str, Any] | None]] = []
    for i, item in enumerate(items):
        kind, value = _kind_and_value(item)
        if kind in MERGES and isinstance(value, list):
            out.append((kind, item))  # the merge itself (its name)
            for j, branch in enumerate(value):
                here = (*path, i, j)
                if here != hole:
                    out.extend(_leaves(branch if isinstance(branch, list) else [branch], hole,
                                       here))
        else:
            out.append((kind, value if isinstance(value, dict) else None))
    return out


def _get_branch(items: list[Any], path: tuple[int, ...]) -> Any:
    cur: Any = items
    for k in range(0, len(path), 2):
        item = cur[path[k]]
        _, value = _kind_and_value(item)
        cur = value[path[k + 1]]
    return cur


def _set_branch(items: list[Any], path: tuple[int, ...], new: Any) -> None:
    cur: Any = items
    for k in range(0, len(path) - 2, 2):
        _, value = _kind_and_value(cur[path[k]])
        cur = value[path[k + 1]]
    _, value = _kind_and_value(cur[path[-2]])
    value[path[-1]] = new


def _units(layers: Sequence[Any]) -> list[_Unit]:
    """Top-level runs: a merge and the quiet activations after it."""
    units: list[_Unit] = []
    i = 0
    while i < len(layers):
        kind, value = _kind_and_value(layers[i])
        if kind in MERGES and isinstance(value, list):
            j = i + 1
            while j < len(layers) and _kind_and_value(layers[j])[0] not in MERGES and \
                    _is_activation(_kind_and_value(layers[j])[0]):
                j += 1
            units.append(_Unit(i, j, list(layers[i:j])))
            i = j
        else:
            i += 1
    return units


def _is_activation(kind: str) -> bool:
    cls = _kind_class(kind)
    return cls is not None and cls.category == "activation"


def _names(items: Sequence[Any], merges: bool = True) -> list[str]:
    found: list[str] = []
    stack: list[Any] = list(items)
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        kind, value = _kind_and_value(item)
        if kind in MERGES and isinstance(value, list):
            if merges and isinstance(item.get("name"), str):
                found.append(item["name"])
            stack.extend(value)
        elif isinstance(value, dict) and isinstance(value.get("name"), str):
            found.append(value["name"])
    return found


def _common_prefix(names: list[str], sep: str = ".") -> str | None:
    """The prefix every name continues (``layer1.0`` of ``layer1.0.conv1``; a name equal to
    it is the use itself). None when there is none."""
    if not names:
        return None
    parts = [n.split(sep) for n in names]
    common: list[str] = []
    for tokens in zip(*parts):
        if len(set(tokens)) != 1:
            break
        common.append(tokens[0])
    if not common or all(len(p) <= len(common) for p in parts):
        return None
    return sep.join(common)


def _localise(items: Any, prefix: str | None) -> Any:
    """A copy of ``items`` with names relative to the use (``prefix.``) or without names."""
    if isinstance(items, list):
        return [_localise(x, prefix) for x in items]
    if not isinstance(items, dict):
        return items
    out: dict[str, Any] = {}
    for key, value in items.items():
        if key == "name":
            if prefix is not None and isinstance(value, str) and value.startswith(prefix + "."):
                out[key] = value[len(prefix) + 1:]
            continue
        out[key] = _localise(value, prefix) if isinstance(value, (list, dict)) else value
    if len(out) == 1:
        (kind, value), = out.items()
        if isinstance(value, dict) and not value:
            return kind
    return out


def _valid_local(name: str) -> bool:
    return bool(name) and spec_name(name) == name and (name[0].isalpha() or name[0] == "_")


def recover_blocks(layers: list[Any], taken: set[str]) -> tuple[dict[str, Any], list[Any]]:
    """Blocks for repeated top-level units, and the layers rewritten to use them. ``taken``
    holds names a block may not have (kinds, other blocks)."""
    units = _units(layers)
    for unit in units:
        names = _names(unit.items)
        prefix = _common_prefix(names)
        if prefix is not None and all(n == prefix or _valid_local(n[len(prefix) + 1:])
                                      for n in names):
            unit.use_name = prefix
            unit.items = _localise(unit.items, prefix)
        else:  # inception_3a.1x1 (not a name alone); layer1_0_conv1: the use named, its layers not
            leaf_names = _names(unit.items, merges=False)
            unit.use_name = prefix or (None if any("." in n for n in leaf_names)
                                       else _common_prefix(leaf_names, "_"))
            unit.items = _localise(unit.items, None)
    seen: Counter[str | None] = Counter(u.use_name for u in units)
    for unit in units:
        if unit.use_name is not None and (seen[unit.use_name] > 1 or unit.use_name in taken):
            unit.use_name = None
    groups: dict[Any, list[_Unit]] = {}
    for unit in units:
        groups.setdefault(_signature(unit.items), []).append(unit)
    plans: list[tuple[list[_Unit], tuple[int, ...] | None]] = []
    singles = [g for g in groups.values()]
    used: set[int] = set()
    keys = list(groups)[:MAX_GROUPS]
    for a_i, a in enumerate(keys):
        if a_i in used:
            continue
        merged = False
        for b_i in range(a_i + 1, len(keys)):
            if b_i in used:
                continue
            hole = _hole_between(groups[a][0].items, groups[keys[b_i]][0].items)
            if hole is not None:
                plans.append((groups[a] + groups[keys[b_i]], hole))
                used |= {a_i, b_i}
                merged = True
                break
        if not merged:
            plans.append((groups[a], None))
            used.add(a_i)
    del singles
    blocks: dict[str, Any] = {}
    replaced: dict[int, tuple[int, Any]] = {}
    for members, hole in plans:
        if len(members) < 2:
            continue
        members.sort(key=lambda u: u.start)
        block_name = _block_name(members, taken | set(blocks))
        template, uses = _template(members, hole)
        blocks[block_name] = template
        for unit, use in zip(members, uses):
            if unit.use_name is not None:  # after the numbers, before the layer lists
                use = {**{k: v for k, v in use.items() if not isinstance(v, list)},
                       "name": unit.use_name,
                       **{k: v for k, v in use.items() if isinstance(v, list)}}
            replaced[unit.start] = (unit.stop, {block_name: use} if use else block_name)
    if not blocks:
        return {}, layers
    out: list[Any] = []
    i = 0
    while i < len(layers):
        if i in replaced:
            stop, use = replaced[i]
            out.append(use)
            i = stop
        else:
            out.append(layers[i])
            i += 1
    return blocks, out


def _hole_between(a: list[Any], b: list[Any]) -> tuple[int, ...] | None:
    """The one branch, empty on one side, that keeps two units from having one structure."""
    empty_a = {p for p, e in _branch_sites(a) if e}
    empty_b = {p for p, e in _branch_sites(b) if e}
    for path in sorted(empty_a ^ empty_b):
        try:
            if _signature(a, path) == _signature(b, path):
                return path
        except (IndexError, TypeError, ValueError):
            continue
    return None


def _block_name(members: list[_Unit], taken: set[str]) -> str:
    kind, _ = _kind_and_value(members[0].items[0])
    base = "res_block" if kind == "add" else "branches"
    names = [u.use_name for u in members if u.use_name]
    if len(names) == len(members):
        stem = names[0]
        for other in names[1:]:
            while not other.startswith(stem):
                stem = stem[:-1]
        stem = stem.rstrip("0123456789._-")
        if len(stem) >= 4 and _valid_local(stem) and "." not in stem and \
                lookup(stem) is None and stem not in taken:
            base = stem
    name, n = base, 1
    while name in taken or lookup(name) is not None:
        n += 1
        name = f"{base}{n}"
    return name


def _template(members: list[_Unit], hole: tuple[int, ...] | None
              ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The block (params and layers) and each member's use mapping."""
    template = copy.deepcopy(members[0].items)
    hole_values: list[Any] = []
    if hole is not None:
        hole_values = [_get_branch(u.items, hole) for u in members]
    leaves = [_leaves(u.items, hole) for u in members]
    tleaves = _leaves(template, hole)
    params: dict[str, Any] = {}
    per_use: list[dict[str, Any]] = [{} for _ in members]
    wanted: list[tuple[int, str, str | None, list[Any]]] = []
    for pos, (kind, attrs) in enumerate(tleaves):
        if kind in MERGES and attrs is not None and isinstance(attrs.get(kind), list):
            continue  # a merge: only its name, which _localise handled
        keys: list[str] = []
        for u in leaves:
            value = u[pos][1] or {}
            keys.extend(k for k in value if k not in keys and k != "name")
        for key in keys:
            vector = [(u[pos][1] or {}).get(key, _default_of(kind, key)) for u in leaves]
            if all(v == vector[0] for v in vector):
                continue
            local = (attrs or {}).get("name")
            wanted.append((pos, key, local if isinstance(local, str) else None, vector))
    # one parameter per distinct vector; equal vectors share it, multiples scale it
    bases: list[tuple[list[Any], str, str | None]] = []   # vector, attribute, local name
    uses: list[tuple[int, str, int, int]] = []            # leaf, attribute, base, factor
    for pos, key, local, vector in wanted:
        for b, (base, _, _) in enumerate(bases):
            factor = 1 if base == vector else _factor(base, vector)
            if factor is not None:
                uses.append((pos, key, b, factor))
                break
        else:
            bases.append((vector, key, local))
            uses.append((pos, key, len(bases) - 1, 1))
    by_attr = Counter(key for _, key, _ in bases)
    names_used: set[str] = set()
    pnames: list[str] = []
    for vector, key, local in bases:
        pname = _param_name(key, local, by_attr[key], names_used)
        names_used.add(pname)
        pnames.append(pname)
        common, count = Counter(map(_hashable, vector)).most_common(1)[0]
        default = None
        if max(2, len(vector) / 2) <= count < len(vector):
            default = next(v for v in vector if _hashable(v) == common)
        params[pname] = default
        for i, v in enumerate(vector):
            if default is None or v != default:
                per_use[i][pname] = v
    for pos, key, b, factor in uses:
        kind, attrs = tleaves[pos]
        if attrs is None:
            attrs = {}
            _replace_leaf(template, pos, hole, kind, attrs)
            tleaves[pos] = (kind, attrs)
        attrs[key] = f"${pnames[b]}" if factor == 1 else f"${pnames[b]} * {factor}"
    if hole is not None:
        pname = "shortcut" if _kind_and_value(_get_parent(template, hole))[0] == "add" \
            else "branch"
        while pname in names_used:
            pname += "_"
        params[pname] = []
        _set_branch(template, hole, f"${pname}")
        for i, value in enumerate(hole_values):
            if value != []:
                per_use[i][pname] = value
    _drop_auto_names(template)
    if params and all(v is None for v in params.values()):
        block: dict[str, Any] = {"params": list(params), "layers": template}
    else:
        block = {"params": params, "layers": template} if params else {"layers": template}
    return block, per_use


def _drop_auto_names(template: list[Any]) -> None:
    """Leave out local names the spec builder would give anyway (``conv1``, ``relu2``): it
    counts per kind in order, a merge before its branches."""
    counters: Counter[str] = Counter()

    def visit(items: list[Any]) -> None:
        for i, item in enumerate(items):
            kind, value = _kind_and_value(item)
            counters[kind] += 1
            auto = f"{kind}{counters[kind]}"
            if kind in MERGES and isinstance(value, list):
                if item.get("name") == auto:
                    del item["name"]
                for branch in value:
                    if isinstance(branch, list):
                        visit(branch)
            elif isinstance(value, dict) and value.get("name") == auto:
                del value["name"]
                if not value:
                    items[i] = kind

    visit(template)


def _get_parent(items: list[Any], path: tuple[int, ...]) -> Any:
    cur: Any = items
    for k in range(0, len(path) - 2, 2):
        _, value = _kind_and_value(cur[path[k]])
        cur = value[path[k + 1]]
    return cur[path[-2]]


def _replace_leaf(template: list[Any], pos: int, hole: tuple[int, ...] | None, kind: str,
                  attrs: dict[str, Any]) -> None:
    """Turn the bare ``relu`` at leaf position ``pos`` into ``{relu: attrs}``."""
    counter = [0]

    def visit(items: list[Any], path: tuple[int, ...]) -> bool:
        for i, item in enumerate(items):
            k, value = _kind_and_value(item)
            if k in MERGES and isinstance(value, list):
                counter[0] += 1
                for j, branch in enumerate(value):
                    here = (*path, i, j)
                    if here != hole and isinstance(branch, list) and visit(branch, here):
                        return True
                continue
            if counter[0] == pos:
                items[i] = {kind: attrs}
                return True
            counter[0] += 1
        return False

    visit(template, ())


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _factor(base: list[Any], vector: list[Any]) -> int | None:
    """``k`` when ``vector`` is ``k ×`` ``base`` for an integer k ≥ 2, else None."""
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
               for v in (*base, *vector)):
        return None
    if vector[0] % base[0]:
        return None
    k: int = vector[0] // base[0]
    if k < 2 or any(v != b * k for b, v in zip(base, vector)):
        return None
    return k


def _param_name(key: str, local: str | None, same_attr: int, used: set[str]) -> str:
    """``out`` for the one parameter from an attribute, ``out1``, ``out2``, ... for several."""
    base = key if key not in RESERVED_KEYS else key + "_"
    if same_attr == 1 and base not in used:
        return base
    n = 1
    while f"{base}{n}" in used:
        n += 1
    return f"{base}{n}"
