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
from operator import attrgetter

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
        dataclass(init=False, eq=False, repr=False)(cls)
        declared = fields(cls)
        compared = tuple(f.name for f in declared if f.compare)
        cls._value_plan = tuple((f.name, f.default, f.default_factory) for f in declared)
        cls._value_shown = tuple(f.name for f in declared if f.repr)
        # What == and hash compare, read by one C call (attrgetter gives a tuple for 2+ names).
        cls._value_key = (attrgetter(*compared) if len(compared) > 1
                          else _single(compared[0]) if compared else _nothing)
        return cls

    def _single(name: str) -> Any:
        get = attrgetter(name)
        return lambda obj: (get(obj),)

    def _nothing(obj: object) -> tuple[()]:
        return ()




class Value:
    """Base of ``@value`` classes: one generic constructor, immutability, ``==``, ``hash`` and
    ``repr`` over the dataclass fields, in declaration order (the same results as the methods
    ``@dataclass(frozen=True)`` would write)."""

    __slots__ = ()

    _value_plan: tuple[tuple[str, Any, Any], ...] = ()
    """``(name, default, default_factory)`` per field (set by ``@value``)."""
    _value_shown: tuple[str, ...] = ()
    """The fields ``repr`` shows (``field(repr=False)`` respected)."""
    _value_key: Any = None
    """The fields ``==`` and ``hash`` compare, as one getter (``field(compare=False)``
    respected)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        plan = self._value_plan
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

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = self._value_key
        return bool(key(self) == key(other))

    def __hash__(self) -> int:
        return hash(self._value_key(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._value_shown)
        return f"{type(self).__qualname__}({shown})"
