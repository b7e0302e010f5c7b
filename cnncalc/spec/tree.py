"""The parsed spec document: plain values that remember where they were written.

The YAML loader produces :class:`Item` trees; :func:`Item.wrap` turns a plain Python value (a
dict built in a notebook) into one without positions. The builder only ever sees Items.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cnncalc.model.errors import LimitError, Mark
from cnncalc.model.limits import DEFAULT_LIMITS, Limits


@dataclass(eq=False, slots=True)
class Item:
    """A value from the spec: a scalar (None, bool, int, float, str), a list of Items, or a dict
    of str → Item. ``mark`` is where the value starts; ``key_marks`` where each key of a mapping
    is written (None for scalars and lists: a spec has millions of values at most, and each one
    is kept small). ``size`` counts the values below it (aliases counted every time they are
    used). Mutable while the loader builds the tree; compared by identity."""

    value: Any
    mark: Mark | None = None
    key_marks: dict[str, Mark] | None = None
    size: int = 1

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, (dict, list))

    def key_mark(self, key: str) -> Mark | None:
        marks = self.key_marks
        return marks.get(key, self.mark) if marks else self.mark

    @classmethod
    def wrap(cls, value: Any, mark: Mark | None = None,
             limits: Limits = DEFAULT_LIMITS) -> Item:
        """An Item tree for a plain Python value (dicts, lists, scalars), without positions.

        Python data is bounded like a YAML file, before anything is copied: at most
        ``max_depth`` deep and ``max_values`` values, a list or dict that appears several times
        counted each time (so data that shares itself, or contains itself, cannot make this
        hang)."""
        sizes: dict[int, int] = {}

        def size(v: Any, depth: int) -> int:
            # Memoised by identity, so shared sub-lists cost once here however often they repeat.
            if not isinstance(v, (dict, list, tuple)):
                return 1
            key = id(v)
            known = sizes.get(key)
            if known is not None:
                if known < 0:
                    raise LimitError("the spec contains itself (a list or dict inside itself)",
                                     mark, code="limit")
                return known
            if depth >= limits.max_depth:
                raise LimitError(f"the spec is nested more than {limits.max_depth} levels deep "
                                 f"(limit max_depth)", mark, code="limit")
            sizes[key] = -1
            children = v.values() if isinstance(v, dict) else v
            total = 1 + sum(size(x, depth + 1) for x in children)
            if total > limits.max_values:
                raise LimitError(f"the spec holds more than {limits.max_values:,} values once "
                                 f"shared lists are counted each time (limit max_values)", mark,
                                 code="limit")
            sizes[key] = total
            return total

        size(value, 0)

        def go(v: Any, depth: int) -> Item:
            if isinstance(v, Item):
                return v
            if isinstance(v, dict):
                children = {str(k): go(x, depth + 1) for k, x in v.items()}
                return cls(children, mark, {}, 1 + sum(c.size for c in children.values()))
            if isinstance(v, (list, tuple)):
                items = [go(x, depth + 1) for x in v]
                return cls(items, mark, {}, 1 + sum(c.size for c in items))
            return cls(v, mark)

        return go(value, 0)

    def plain(self) -> Any:
        """The value without positions (callers bound the size first: see ``size``)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def describe_value(item: Item) -> str:
    """``a mapping``, ``a list``, ``the string 'x'``... for error messages."""
    v = item.value
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    if isinstance(v, int):
        return f"the integer {v}"
    if isinstance(v, float):
        return f"the number {v!r}"
    if isinstance(v, Fraction):
        return f"the fraction {v}"
    return f"the string {v!r}"
