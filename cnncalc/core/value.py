"""Frozen value classes that cost almost nothing to define.

``@dataclass(frozen=True)`` compiles an ``__init__``, a ``__setattr__`` and a ``__delattr__``
(and ``__eq__``, ``__repr__``) for every class, with ``exec``, every time the module is imported:
about 0.4 ms a class on Python 3.11. cnncalc declares some seventy value classes (every layer
kind, every attribute type, the report and its columns) on the path of ``cnncalc summary``, so
that alone would cost more than the start-up budget (docs/performance.md).

A class declared ``@value`` and derived from :class:`Value` is a real dataclass — fields from
its annotations, ``dataclasses.fields``, ``dataclasses.replace`` and ``field(...)`` metadata
all work — but its ``__init__``, immutability, ``==``, ``hash`` and ``repr`` come from
:class:`Value`, written once. It behaves like ``@dataclass(frozen=True)``; its constructor is
about twice as slow, so the few classes built once per layer in the walk (Shape, LayerReport,
the receptive-field maps) stay ordinary frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, fields

__all__ = ["SET", "Value", "value"]

SET = object.__setattr__
"""For the hand-written ``__init__`` of the few ``@value`` classes built once per layer in the
walk, which are faster than the generic one: ``SET(self, "name", value)``."""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass as value  # type checkers see a plain dataclass
    from typing import Any
else:
    def value(cls: type) -> type:
        """Class decorator: a frozen dataclass whose methods come from :class:`Value`."""
        if not issubclass(cls, Value):
            raise TypeError(f"@value class {cls.__name__} must derive from Value")
        return dataclass(init=False, eq=False, repr=False)(cls)




class Value:
    """Base of ``@value`` classes: one generic constructor, immutability, ``==``, ``hash`` and
    ``repr`` over the dataclass fields, in declaration order (the same results as the methods
    ``@dataclass(frozen=True)`` would write)."""

    __slots__ = ()

    @classmethod
    def _plan(cls) -> tuple[tuple[str, Any, Any], ...]:
        """``(name, default, default_factory)`` per field, built on first use, with the names
        that ``==`` and ``repr`` use (``field(compare=False)``, ``field(repr=False)`` respected,
        as by the dataclass machinery)."""
        plan: tuple[tuple[str, Any, Any], ...] | None = cls.__dict__.get("_value_plan")
        if plan is None:
            declared = fields(cls)  # type: ignore[arg-type]
            plan = tuple((f.name, f.default, f.default_factory) for f in declared)
            type.__setattr__(cls, "_value_plan", plan)
            type.__setattr__(cls, "_value_compared",
                             tuple(f.name for f in declared if f.compare))
            type.__setattr__(cls, "_value_shown", tuple(f.name for f in declared if f.repr))
        return plan

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        plan = self._plan()
        if len(args) > len(plan):
            raise TypeError(f"{type(self).__name__}() takes {len(plan)} arguments, "
                            f"got {len(args)}")
        setter = object.__setattr__
        for index, (name, default, factory) in enumerate(plan):
            if index < len(args):
                if name in kwargs:
                    raise TypeError(f"{type(self).__name__}() got {name!r} twice")
                item = args[index]
            elif name in kwargs:
                item = kwargs.pop(name)
            elif default is not MISSING:
                item = default
            elif factory is not MISSING:
                item = factory()
            else:
                raise TypeError(f"{type(self).__name__}() missing argument {name!r}")
            setter(self, name, item)
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected {', '.join(kwargs)}")
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def __setattr__(self, name: str, item: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        self._plan()
        names: tuple[str, ...] = type(self).__dict__["_value_compared"]
        return tuple([getattr(self, name) for name in names])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        self._plan()
        names: tuple[str, ...] = type(self).__dict__["_value_shown"]
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"
