"""Small immutable values for the quick calculators, without :mod:`dataclasses`.

Elsewhere cnncalc's values are frozen dataclasses. The quick calculators (``cnncalc conv ...``)
must answer within a few milliseconds of the interpreter's own start-up, and importing
:mod:`dataclasses` alone costs more than that (it pulls in :mod:`inspect`). A :class:`Record`
gives what the calculators need from a frozen dataclass — immutability, equality, hashing, a
readable ``repr`` and :meth:`Record.to_dict` — for classes that list their fields in
``__slots__`` and assign them once in ``__init__`` through :meth:`Record._set`.
"""

from __future__ import annotations


class Record:
    """Base class of an immutable value whose fields are its ``__slots__``."""

    __slots__ = ()

    def _set(self, **fields: object) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            names += [n for n in getattr(klass, "__slots__", ()) if n not in names]
        return tuple(names)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.fields())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.fields())
        return f"{type(self).__name__}({inner})"

    def to_dict(self) -> dict[str, object]:
        """The fields as JSON-ready data (records become objects, tuples lists)."""
        return {name: jsonable(getattr(self, name)) for name in self.fields()}


def jsonable(value: object) -> object:
    """Records, tuples and exact fractions as JSON-ready values (a fraction as ``"1/3"``)."""
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if hasattr(value, "denominator") and not isinstance(value, (int, bool)):
        num, den = value.numerator, value.denominator  # type: ignore[attr-defined]
        return num if den == 1 else f"{num}/{den}"
    return value
