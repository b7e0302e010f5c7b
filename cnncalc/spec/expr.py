"""Block parameters in attribute values: ``$planes``, ``$planes * 4``, ``$c * $expand``,
``${(c + 1) // 2}`` (inside an expression the ``$`` before further names is optional).

A tiny integer-only evaluator (``+ - * / // %``, parentheses, integer literals, parameter names);
nothing is ever passed to Python's ``eval``. ``/`` must divide exactly. A string that is a single
``$name`` stands for the parameter's value whatever its type (a list, a word like ``same``).

Hostile input is bounded: an expression is at most ``MAX_LENGTH`` characters and ``MAX_NESTING``
parentheses or signs deep, and every intermediate value must fit a 64-bit integer, so no
expression (or chain of block parameters squaring each other) can make a number too large to
compute or print.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cnncalc.model.errors import AttributeValueError, suggest
from cnncalc.model.limits import INT64_MAX

MAX_LENGTH = 200
MAX_NESTING = 32
_TOKEN = re.compile(r"\s*(?:(\d+)|\$?([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*/%()]))")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ExprError(AttributeValueError):
    """A malformed expression or an unknown parameter name."""


def is_expression(value: Any) -> bool:
    """A string with a ``$`` in it (no layer name or keyword contains one)."""
    return isinstance(value, str) and "$" in value


def evaluate(text: str, env: Mapping[str, Any]) -> Any:
    """Evaluate ``$...`` against ``env`` (parameter name → value)."""
    body = text.strip()
    body = body[1:].strip() if body.startswith("$") else body
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1].strip()
    if len(body) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    if _NAME.fullmatch(body):
        if body not in env:
            raise ExprError(_unknown(body, env))
        return env[body]
    tokens = _tokenize(body)
    parser = _Parser(tokens, env, text)
    value = parser.expr()
    if parser.pos != len(tokens):
        raise ExprError(f"unexpected {tokens[parser.pos]!r} in {text!r}")
    return value


def _unknown(name: str, env: Mapping[str, Any]) -> str:
    close = suggest(name, list(env))
    hint = f"; did you mean '{close}'?" if close else ""
    known = ", ".join(env) or "none here"
    return f"unknown parameter '{name}'{hint} (parameters: {known})"


def _tokenize(body: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if not m or m.end() == pos:
            if body[pos:].strip() == "":
                break
            raise ExprError(f"cannot read {body[pos:]!r} in an expression (allowed: integers, "
                            f"parameter names, + - * / // % and parentheses)")
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

    def bounded(self, value: int) -> int:
        if abs(value) > INT64_MAX:
            raise ExprError(f"{self.text!r} gives a number beyond 64 bits (at most "
                            f"{INT64_MAX:,})")
        return value

    def expr(self) -> int:
        value = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            rhs = self.term()
            value = self.bounded(value + rhs if op == "+" else value - rhs)
        return value

    def term(self) -> int:
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
                if value % rhs:
                    raise ExprError(f"{value} / {rhs} is not a whole number in {self.text!r} "
                                    f"(use // to round down)")
                value //= rhs
            elif op == "//":
                value //= rhs
            else:
                value %= rhs
        return value

    def unary(self) -> int:
        sign = 1
        signs = 0
        while self.peek() in ("-", "+"):
            if self.take() == "-":
                sign = -sign
            signs += 1
            if signs > MAX_NESTING:
                raise ExprError(f"too many signs in a row in {self.text!r}")
        return sign * self.atom()

    def atom(self) -> int:
        tok = self.take()
        if tok == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise ExprError(f"parentheses nested more than {MAX_NESTING} deep in "
                                f"{self.text!r}")
            value = self.expr()
            if self.take() != ")":
                raise ExprError(f"missing ')' in {self.text!r}")
            self.depth -= 1
            return value
        if tok.isdigit():
            return self.bounded(int(tok)) if len(tok) < 30 else self.bounded(INT64_MAX + 1)
        if _NAME.fullmatch(tok):
            if tok not in self.env:
                raise ExprError(_unknown(tok, self.env))
            value = self.env[tok]
            if isinstance(value, bool) or not isinstance(value, int):
                shown = repr(value) if len(repr(value)) < 60 else f"a {type(value).__name__}"
                raise ExprError(f"parameter '{tok}' is {shown}, not an integer, so it cannot "
                                f"be used in arithmetic")
            return self.bounded(value)
        raise ExprError(f"unexpected {tok!r} in {self.text!r}")
