"""Attribute types: how a layer's attributes are validated, normalised, documented and described
in the JSON Schema.

A layer kind declares its attributes as dataclass fields whose metadata holds an :class:`Attr`
(see :func:`attr`). The same declaration drives the loader's validation, the docs and
``cnncalc schema``, so they cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cnncalc.model.arith import PADDING_WORDS
from cnncalc.model.errors import AttributeValueError
from cnncalc.model.limits import INT64_MAX

REQUIRED: Any = object()


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, Fraction):
        return "a fraction"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _shown(value: Any) -> str:
    """A value as the spec would write it: ``true``, ``3.5``, ``'same'``."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, Fraction):
        return str(value)
    return repr(value)


def _got(value: Any) -> str:
    return f"{_type_name(value)} ({_shown(value)})"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Attr:
    """Base attribute type. ``convert`` returns the normalised value or raises
    :class:`AttributeValueError` with a message that does not repeat the attribute name."""

    def convert(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Int(Attr):
    """An integer, optionally bounded."""

    minimum: int | None = None
    maximum: int | None = None

    def convert(self, value: Any) -> int:
        if isinstance(value, Fraction):
            raise AttributeValueError(f"expected an integer, got {value} (an expression whose "
                                      f"result is not a whole number: round it with round(), "
                                      f"floor() or ceil())")
        if not _is_int(value):
            raise AttributeValueError(f"expected an integer, got {_got(value)}")
        if abs(value) > INT64_MAX:
            raise AttributeValueError(f"must be at most {INT64_MAX:,} in size (the largest "
                                      f"PyTorch can hold), got a {value.bit_length()}-bit integer")
        if self.minimum is not None and value < self.minimum:
            raise AttributeValueError(f"must be at least {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise AttributeValueError(f"must be at most {self.maximum}, got {value}")
        return int(value)

    def json_schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            s["minimum"] = self.minimum
        if self.maximum is not None:
            s["maximum"] = self.maximum
        return s

    def describe(self) -> str:
        return f"integer ≥ {self.minimum}" if self.minimum is not None else "integer"


@dataclass(frozen=True)
class Float(Attr):
    """A finite number, optionally bounded."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False

    def convert(self, value: Any) -> float:
        if isinstance(value, Fraction):  # an expression's exact result
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise AttributeValueError(f"expected a number, got {_got(value)}")
        v = float(value)
        if math.isnan(v) or math.isinf(v):
            raise AttributeValueError(f"expected a finite number, got {_shown(value)}")
        if self.minimum is not None:
            if self.exclusive_minimum and v <= self.minimum:
                raise AttributeValueError(
                    f"must be greater than {self.minimum:g}, got {_shown(value)}")
            if not self.exclusive_minimum and v < self.minimum:
                raise AttributeValueError(
                    f"must be at least {self.minimum:g}, got {_shown(value)}")
        if self.maximum is not None and v > self.maximum:
            raise AttributeValueError(f"must be at most {self.maximum:g}, got {_shown(value)}")
        return v

    def json_schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "number"}
        if self.minimum is not None:
            s["exclusiveMinimum" if self.exclusive_minimum else "minimum"] = self.minimum
        if self.maximum is not None:
            s["maximum"] = self.maximum
        return s

    def describe(self) -> str:
        return "number"


@dataclass(frozen=True)
class Bool(Attr):
    """``true`` or ``false``."""

    def convert(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise AttributeValueError(f"expected true or false, got {_got(value)}")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def describe(self) -> str:
        return "true/false"


@dataclass(frozen=True)
class Choice(Attr):
    """One of a fixed set of values (words or booleans)."""

    choices: tuple[Any, ...] = ()

    def convert(self, value: Any) -> Any:
        for c in self.choices:
            if value == c and type(value) is type(c):
                return c
        shown = ", ".join(repr(c) if isinstance(c, str) else str(c).lower() for c in self.choices)
        raise AttributeValueError(f"expected one of {shown}, got {_shown(value)}")

    def json_schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}

    def describe(self) -> str:
        return " | ".join(str(c).lower() if isinstance(c, bool) else str(c) for c in self.choices)


@dataclass(frozen=True)
class PerAxis(Attr):
    """An integer for every spatial axis, or a list with one integer per axis."""

    minimum: int = 1

    def convert(self, value: Any) -> int | tuple[int, ...]:
        item = Int(self.minimum)
        if _is_int(value) or isinstance(value, Fraction):
            return item.convert(value)
        if isinstance(value, (list, tuple)):
            if not value:
                raise AttributeValueError("expected an integer or a list of integers, got []")
            if len(value) > 3:
                raise AttributeValueError(
                    f"a per-axis list has one value per spatial axis (at most 3), got {len(value)}")
            return tuple(item.convert(v) for v in value)
        raise AttributeValueError(
            f"expected an integer or a list of integers, got {_got(value)}")

    def json_schema(self) -> dict[str, Any]:
        i = {"type": "integer", "minimum": self.minimum}
        return {"oneOf": [i, {"type": "array", "items": i, "minItems": 1, "maxItems": 3}]}

    def describe(self) -> str:
        return f"int ≥ {self.minimum} or per-axis list"


@dataclass(frozen=True)
class OptionalPerAxis(PerAxis):
    """Like :class:`PerAxis`, but ``null`` is allowed (meaning "use the default rule")."""

    def convert(self, value: Any) -> int | tuple[int, ...] | None:  # type: ignore[override]
        if value is None:
            return None
        return super().convert(value)

    def json_schema(self) -> dict[str, Any]:
        s = super().json_schema()
        s["oneOf"] = [*s["oneOf"], {"type": "null"}]
        return s


@dataclass(frozen=True)
class Padding(Attr):
    """Padding: ``p`` on every side of every axis; ``[p_h, p_w]`` per axis;
    ``[[before, after], ...]`` per axis; or one of the words in ``words``."""

    words: tuple[str, ...] = PADDING_WORDS

    def convert(self, value: Any) -> Any:
        nonneg = Int(0)
        if _is_int(value) or isinstance(value, Fraction):
            return nonneg.convert(value)
        if isinstance(value, str):
            if value in self.words:
                return value
            raise AttributeValueError(
                f"expected an integer, a per-axis list or one of {', '.join(self.words)}; "
                f"got {_shown(value)}")
        if isinstance(value, (list, tuple)):
            if not value or len(value) > 3:
                raise AttributeValueError(
                    f"a per-axis list has one entry per spatial axis (1 to 3), got {len(value)}")
            out: list[Any] = []
            for v in value:
                if isinstance(v, (list, tuple)):
                    if len(v) != 2:
                        raise AttributeValueError(
                            f"a [before, after] pair has two integers, got {list(v)!r}")
                    out.append((nonneg.convert(v[0]), nonneg.convert(v[1])))
                else:
                    out.append(nonneg.convert(v))
            return tuple(out)
        raise AttributeValueError(
            f"expected an integer, a list or a word like 'same', got {_type_name(value)}")

    def json_schema(self) -> dict[str, Any]:
        i = {"type": "integer", "minimum": 0}
        pair = {"type": "array", "items": i, "minItems": 2, "maxItems": 2}
        return {"oneOf": [i, {"enum": list(self.words)},
                          {"type": "array", "items": {"oneOf": [i, pair]},
                           "minItems": 1, "maxItems": 3}]}

    def describe(self) -> str:
        forms = "int, per-axis list or [[before, after], ...]"
        return f"{forms}, or {' | '.join(self.words)}" if self.words else forms


@dataclass(frozen=True)
class Scale(Attr):
    """A positive number, or one per spatial axis."""

    def convert(self, value: Any) -> float | tuple[float, ...] | None:
        if value is None:
            return None
        num = Float(0.0, exclusive_minimum=True)
        if isinstance(value, (list, tuple)):
            if not value or len(value) > 3:
                raise AttributeValueError("expected one scale per spatial axis (1 to 3 values)")
            return tuple(num.convert(v) for v in value)
        return num.convert(value)

    def json_schema(self) -> dict[str, Any]:
        n = {"type": "number", "exclusiveMinimum": 0}
        return {"oneOf": [n, {"type": "array", "items": n, "minItems": 1, "maxItems": 3},
                          {"type": "null"}]}

    def describe(self) -> str:
        return "number > 0 or per-axis list"


@dataclass(frozen=True)
class Ref(Attr):
    """The name of an earlier layer (resolved by the spec builder into an extra input)."""

    def convert(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise AttributeValueError(f"expected a layer name, got {_type_name(value)}")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string"}

    def describe(self) -> str:
        return "layer name"


@dataclass(frozen=True)
class CeilMode(Attr):
    """``false`` (floor), ``true`` (PyTorch ceil_mode) or ``caffe`` (Caffe's ceil rule)."""

    def convert(self, value: Any) -> bool | str:
        if isinstance(value, bool):
            return value
        if value == "caffe":
            return "caffe"
        raise AttributeValueError(f"expected true, false or 'caffe', got {_shown(value)}")

    def json_schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "boolean"}, {"const": "caffe"}]}

    def describe(self) -> str:
        return "true/false/caffe"


def json_value(value: Any) -> Any:
    """A normalised attribute value as JSON holds it: per-axis tuples become lists."""
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    return value


def attr(kind: Attr, default: Any = REQUIRED, doc: str = "",
         aliases: tuple[str, ...] = ()) -> Any:
    """Declare a layer attribute as a dataclass field (see :mod:`cnncalc.layers`)."""
    meta = {"attr": kind, "doc": doc, "aliases": aliases, "required": default is REQUIRED}
    if default is REQUIRED:
        return field(default=None, metadata=meta)
    return field(default=default, metadata=meta)
