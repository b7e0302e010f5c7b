"""The parsed spec document: plain values that remember where they were written.

The YAML loader produces :class:`Item` trees; :func:`Item.wrap` turns a plain Python value (a
dict built in a notebook) into one without positions. The builder only ever sees Items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnncalc.core.errors import Mark


@dataclass(eq=False)
class Item:
    """A value from the spec: a scalar (None, bool, int, float, str), a list of Items, or a dict
    of str → Item. ``mark`` is where the value starts; ``key_marks`` where each key is written.
    ``size`` counts the values below it (aliases counted every time they are used)."""

    value: Any
    mark: Mark | None = None
    key_marks: dict[str, Mark] = field(default_factory=dict)
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
        return self.key_marks.get(key, self.mark)

    @classmethod
    def wrap(cls, value: Any, mark: Mark | None = None) -> Item:
        """An Item tree for a plain Python value (dicts, lists, scalars), without positions."""
        if isinstance(value, Item):
            return value
        if isinstance(value, dict):
            children = {str(k): cls.wrap(v, mark) for k, v in value.items()}
            return cls(children, mark, {}, 1 + sum(c.size for c in children.values()))
        if isinstance(value, (list, tuple)):
            items = [cls.wrap(v, mark) for v in value]
            return cls(items, mark, {}, 1 + sum(c.size for c in items))
        return cls(value, mark)

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
    return f"the string {v!r}"
