"""Block parameters in attribute values: ``$planes``, ``$planes * 4``, ``$c * $expand``,
``${(c + 1) // 2}``, ``$make_divisible(c * 1.1, 8)``, ``$in.channels // 4`` (inside an
expression the ``$`` before further names is optional).

A tiny evaluator of exact rational arithmetic: ``+ - * / // %``, one comparison (``== != < <= >
>=``, giving 1 or 0), parentheses, integer and decimal
literals (``1.1`` is exactly 11/10, never a binary float), parameter names, ``NAME.attribute``
(the shape of a block's input: ``in.channels``) and the functions in :data:`FUNCTIONS`. Nothing
is ever passed to Python's ``eval``. ``/`` is exact division: ``$c / 2`` is 7/2 for c = 7, and a
result that is not a whole number is refused where an integer is needed (by the attribute that
receives it). A string that is a single ``$name`` stands for the parameter's value whatever its
type (a list, a word like ``same``).

Hostile input is bounded: an expression is at most ``MAX_LENGTH`` characters and ``MAX_NESTING``
parentheses or signs deep, and every intermediate value's numerator and denominator must fit a
64-bit integer, so no expression (or chain of block parameters squaring each other) can make a
number too large to compute or print.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, Union

from cnncalc.model.errors import AttributeValueError, suggest
from cnncalc.model.limits import INT64_MAX
from cnncalc.model.shape import Shape

MAX_LENGTH = 200
MAX_NESTING = 32
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|\$?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_]"
                    r"[A-Za-z0-9_]*)?)|(//|==|!=|<=|>=|[-+*/%(),<>]))")
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Number = Union[int, Fraction]


class ExprError(AttributeValueError):
    """A malformed expression or an unknown parameter name."""


def is_expression(value: Any) -> bool:
    """A string with a ``$`` in it (no layer name or keyword contains one)."""
    return isinstance(value, str) and "$" in value


def make_divisible(value: Number, divisor: Number, min_value: Number | None = None) -> int:
    """torchvision's ``_make_divisible`` (from the TensorFlow MobileNet code), in exact
    arithmetic: ``value`` rounded to the nearest multiple of ``divisor`` (halves up), at least
    ``min_value`` (default ``divisor``), and one ``divisor`` more if that fell more than 10 %
    below ``value``. MobileNetV2/V3 and EfficientNet widths: ``make_divisible(c × width, 8)``."""
    if divisor <= 0:
        raise ExprError(f"make_divisible needs a positive divisor, got {_shown(divisor)}")
    low = divisor if min_value is None else min_value
    new = max(low, math.trunc(value + Fraction(divisor) / 2) // divisor * divisor)
    if new < Fraction(9, 10) * value:
        new += divisor
    return _normal(Fraction(new))  # type: ignore[return-value]


def _round(value: Number) -> int:
    """Python's ``round``: to the nearest integer, halves to the even one (round(2.5) = 2),
    as torchvision's ``int(round(x))`` computes RegNet's widths."""
    return round(value)


FUNCTIONS: dict[str, tuple[Callable[..., Number], int, int | None]] = {
    "round": (_round, 1, 1),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
    "min": (min, 1, None),
    "max": (max, 1, None),
    "make_divisible": (make_divisible, 2, 3),
}
"""Name → (function, least and most arguments)."""


AXES_BY_RANK = {0: (), 1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
"""The names of the spatial axes of a block input, by rank, for ``in.height`` and the like."""


class ShapeValue:
    """A tensor's shape as expressions read it: ``in.channels``, ``in.height``, ``in.width``
    (``in.depth`` in 3-D, ``in.length`` in 1-D) and ``in.rank`` (the number of spatial
    axes)."""

    __slots__ = ("shape",)

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def expression_attribute(self, name: str) -> int:
        axes = AXES_BY_RANK.get(self.shape.rank, ())
        if name == "channels":
            return self.shape.channels
        if name == "rank":
            return self.shape.rank
        if name in axes:
            return self.shape.spatial[axes.index(name)]
        known = ("channels", *axes, "rank")
        close = suggest(name, list(known))
        hint = f"; did you mean '{close}'?" if close else ""
        raise ExprError(f"the input {self.shape} has no '{name}'{hint} (it has: "
                        f"{', '.join(known)})")

    def __repr__(self) -> str:
        return f"the shape {self.shape}"


def evaluate(text: str, env: Mapping[str, Any]) -> Any:
    """Evaluate ``$...`` against ``env`` (parameter name → value). A whole number comes back as
    an ``int``, any other number as an exact ``Fraction``."""
    body = text.strip()
    body = body[1:].strip() if body.startswith("$") else body
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1].strip()
    if len(body) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    if _NAME.fullmatch(body) and body not in FUNCTIONS:
        if body not in env:
            raise ExprError(_unknown(body, env))
        return env[body]
    tokens = _tokenize(body)
    parser = _Parser(tokens, env, text)
    value = parser.comparison()
    if parser.pos != len(tokens):
        raise ExprError(f"unexpected {tokens[parser.pos]!r} in {text!r}")
    return _normal(value)


def _normal(value: Number) -> Number:
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def _shown(value: Any) -> str:
    return str(value) if isinstance(value, (int, Fraction)) else repr(value)


def _unknown(name: str, env: Mapping[str, Any]) -> str:
    close = suggest(name, [*env, *FUNCTIONS])
    hint = f"; did you mean '{close}'?" if close else ""
    known = ", ".join(n for n in env if n != "in") or "none here"
    return f"unknown parameter '{name}'{hint} (parameters: {known})"


def _tokenize(body: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if not m or m.end() == pos:
            if body[pos:].strip() == "":
                break
            raise ExprError(f"cannot read {body[pos:]!r} in an expression (allowed: numbers, "
                            f"parameter names, + - * / // % , parentheses and the functions "
                            f"{', '.join(FUNCTIONS)})")
        tokens.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    if not tokens:
        raise ExprError("empty expression after '$'")
    return tokens


class _Parser:
    def __init__(self, tokens: list[str], env: Mapping[str, Any], text: str) -> None:
        self.tokens = tokens
        self.env = env
        self.text = text
        self.pos = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ExprError(f"incomplete expression {self.text!r}")
        self.pos += 1
        return tok

    def bounded(self, value: Number) -> Number:
        big = (abs(value) > INT64_MAX if isinstance(value, int)
               else abs(value.numerator) > INT64_MAX or value.denominator > INT64_MAX)
        if big:
            raise ExprError(f"{self.text!r} gives a number beyond 64 bits (at most "
                            f"{INT64_MAX:,})")
        return value

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExprError(f"parentheses nested more than {MAX_NESTING} deep in "
                            f"{self.text!r}")

    def comparison(self) -> Number:
        """``a == b``, ``a != b``, ``a < b``... give 1 or 0 (so ``repeat: $s == 1`` makes
        layers optional); one comparison, not a chain."""
        value = self.expr()
        if self.peek() in _COMPARISONS:
            op = self.take()
            rhs = self.expr()
            value = int({"==": value == rhs, "!=": value != rhs, "<": value < rhs,
                         "<=": value <= rhs, ">": value > rhs, ">=": value >= rhs}[op])
            if self.peek() in _COMPARISONS:
                raise ExprError(f"one comparison at a time in {self.text!r} (use parentheses "
                                f"and * for 'and')")
        return value

    def expr(self) -> Number:
        value = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            rhs = self.term()
            value = self.bounded(value + rhs if op == "+" else value - rhs)
        return value

    def term(self) -> Number:
        value = self.unary()
        while self.peek() in ("*", "/", "//", "%"):
            op = self.take()
            rhs = self.unary()
            if op == "*":
                value = self.bounded(value * rhs)
                continue
            if rhs == 0:
                raise ExprError(f"division by zero in {self.text!r}")
            if op == "/":
                value = self.bounded(_normal(Fraction(value) / rhs))
            elif op == "//":
                value = self.bounded(value // rhs)
            else:
                value = self.bounded(_normal(Fraction(value) % rhs))
        return value

    def unary(self) -> Number:
        sign = 1
        signs = 0
        while self.peek() in ("-", "+"):
            if self.take() == "-":
                sign = -sign
            signs += 1
            if signs > MAX_NESTING:
                raise ExprError(f"too many signs in a row in {self.text!r}")
        return sign * self.atom()

    def atom(self) -> Number:
        tok = self.take()
        if tok == "(":
            self.nested()
            value = self.comparison()
            if self.take() != ")":
                raise ExprError(f"missing ')' in {self.text!r}")
            self.depth -= 1
            return value
        if tok[0].isdigit() or tok[0] == ".":
            if len(tok) > 40:
                return self.bounded(INT64_MAX + 1)
            return self.bounded(_normal(Fraction(tok)))
        if tok in FUNCTIONS and self.peek() == "(":
            return self.call(tok)
        if _NAME.fullmatch(tok) or "." in tok:
            return self.bounded(self.name(tok))
        raise ExprError(f"unexpected {tok!r} in {self.text!r}")

    def call(self, name: str) -> Number:
        function, low, high = FUNCTIONS[name]
        self.take()  # "("
        self.nested()
        args = [self.comparison()]
        while self.peek() == ",":
            self.take()
            args.append(self.comparison())
        if self.take() != ")":
            raise ExprError(f"missing ')' after the arguments of {name} in {self.text!r}")
        self.depth -= 1
        if len(args) < low or (high is not None and len(args) > high):
            want = str(low) if low == high else f"{low} or more" if high is None \
                else f"{low} to {high}"
            raise ExprError(f"{name} takes {want} argument{'s' if want != '1' else ''}, got "
                            f"{len(args)} in {self.text!r}")
        return self.bounded(_normal(Fraction(function(*args))))

    def name(self, tok: str) -> Number:
        base, _, field = tok.partition(".")
        if base not in self.env:
            raise ExprError(_unknown(base, self.env))
        value = self.env[base]
        if field:
            attribute = getattr(value, "expression_attribute", None)
            if attribute is None:
                raise ExprError(f"'{base}' has no attributes ('{tok}' in {self.text!r})")
            value = attribute(field)
        if isinstance(value, float) and math.isfinite(value):
            value = Fraction(repr(value))  # a YAML number: the decimal it was written as
        if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
            shown = repr(value) if len(repr(value)) < 60 else f"a {type(value).__name__}"
            raise ExprError(f"parameter '{tok}' is {shown}, not a number, so it cannot be used "
                            f"in arithmetic")
        return value
