"""The spec keys that configure ``cnncalc check``: ``lint:`` (top level and on any layer, block
use or repeat), ``expect:`` (on any layer, block use or repeat) and ``budget:`` (top level).

The builder hands each key's :class:`Item` here; the result is a frozen value from
:mod:`cnncalc.checks.expectations` / :mod:`cnncalc.checks.lint` stored on ``Node.options`` or
``Graph.options``. Every mistake is a located :class:`SpecError`. The format is documented in
docs/ci.md.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from cnncalc.analysis.memory import DTYPES, OPTIMIZERS
from cnncalc.checks.codes import LINT_CODES
from cnncalc.checks.expectations import (
    BUDGET_KEYS,
    BUDGETS,
    DEFAULT_OPTIMIZER,
    EXPECT,
    EXPECT_KEYS,
    MEMORY_KEYS,
    PHASES,
    Bound,
    Budget,
    Expectation,
)
from cnncalc.model.errors import SpecError, suggest
from cnncalc.model.graph import ALL, LINT_DISABLE
from cnncalc.model.quantity import QuantityError, parse_quantity, parse_sizes
from cnncalc.spec.tree import Item, describe_value

__all__ = ["BUDGETS", "EXPECT", "LINT_DISABLE", "read_budget", "read_expect", "read_lint"]

Evaluate = Callable[[Item], Any]
"""Turns an Item into its plain value, ``$`` expressions evaluated (inside blocks)."""

LINT_KEYS = ("disable",)


def _plain(item: Item) -> Any:
    return item.plain()


def read_lint(item: Item, value_of: Evaluate = _plain) -> frozenset[str]:
    """``lint: {disable: [dead-layer, ...]}`` or ``{disable: all}`` → the disabled codes."""
    disable = _mapping(item, LINT_KEYS, "lint", "{disable: [dead-layer]}").get("disable")
    if disable is None:
        return frozenset()
    entries = disable.value if disable.is_list else [disable]
    codes: set[str] = set()
    for entry in entries:
        code = value_of(entry)
        if not isinstance(code, str):
            raise SpecError(f"lint: disable takes lint codes, got {describe_value(entry)}",
                            entry.mark, code="type")
        if code != ALL and code not in LINT_CODES:
            close = suggest(code, [*LINT_CODES, ALL])
            hint = f"; did you mean '{close}'?" if close else ""
            raise SpecError(f"unknown lint code '{code}'{hint} (lint codes: "
                            f"{', '.join(LINT_CODES)}, or all)", entry.mark, code="unknown-code")
        codes.add(code)
    return frozenset(codes)


def read_expect(item: Item, value_of: Evaluate = _plain) -> tuple[Expectation, ...]:
    """``expect: {shape: [64, 56, 56], rf: 7, jump: 2, params: 36928, macs: {max: 1G}}``."""
    out = []
    for key, sub in _mapping(item, EXPECT_KEYS, "expect", "{shape: [64, 56, 56], rf: 7}").items():
        value = value_of(sub)
        if key == "shape":
            parsed: Any = _shape(value, sub)
        elif key in ("rf", "jump"):
            parsed = _per_axis_exact(value, sub, key)
        else:
            parsed = _bound(value, sub, key)
        out.append(Expectation(key, parsed, sub.mark))
    return tuple(out)


def read_budget(item: Item, value_of: Evaluate = _plain) -> tuple[Budget, ...]:
    """``budget: {params: 25M, macs: 4.2G, memory: {max: 8GiB, batch: 32, dtype: float16}}``."""
    out = []
    for key, sub in _mapping(item, BUDGET_KEYS, "budget", "{params: 25M, macs: 4.2G}").items():
        if key == "memory":
            out.append(_memory_budget(sub, value_of))
            continue
        value = value_of(sub)
        limit = _quantity(value, sub, f"budget {key}", bytes_unit=False)
        out.append(Budget(key, limit, _written(value), sub.mark))
    return tuple(out)


def _memory_budget(item: Item, value_of: Evaluate) -> Budget:
    if not item.is_map:
        value = value_of(item)
        limit = _quantity(value, item, "budget memory", bytes_unit=True)
        return Budget("memory", limit, _written(value), item.mark)
    _known_keys(item, MEMORY_KEYS, "memory budget key")
    fields = item.value
    if "max" not in fields:
        raise SpecError("a memory budget needs 'max', e.g. {max: 8GiB, batch: 32}", item.mark,
                        code="type")
    max_value = value_of(fields["max"])
    limit = _quantity(max_value, fields["max"], "budget memory max", bytes_unit=True)
    batch = None
    if "batch" in fields:
        b = value_of(fields["batch"])
        if isinstance(b, bool) or not isinstance(b, int) or b < 1:
            raise SpecError(f"memory budget batch must be a positive integer, got "
                            f"{describe_value(fields['batch'])}", fields["batch"].mark,
                            code="type")
        batch = b
    dtype = _choice(fields, "dtype", DTYPES, "float32", value_of)
    phase = _choice(fields, "phase", tuple(PHASES), "training", value_of)
    optimizer = _choice(fields, "optimizer", OPTIMIZERS, DEFAULT_OPTIMIZER, value_of)
    return Budget("memory", limit, _written(max_value), fields["max"].mark, batch=batch,
                  dtype=dtype, phase=phase, optimizer=optimizer)


def _choice(fields: dict[str, Item], key: str, choices: tuple[str, ...], default: str,
            value_of: Evaluate) -> str:
    if key not in fields:
        return default
    value = value_of(fields[key])
    if value not in choices:
        raise SpecError(f"memory budget {key} must be one of {', '.join(choices)}, got "
                        f"{describe_value(fields[key])}", fields[key].mark, code="type")
    return str(value)


def _mapping(item: Item, known: tuple[str, ...], what: str, example: str) -> dict[str, Item]:
    """The entries of ``what: {...}``, refusing anything but a mapping of ``known`` keys."""
    if not item.is_map:
        raise SpecError(f"{what} takes a mapping like {example}, got {describe_value(item)}",
                        item.mark, code="type")
    _known_keys(item, known, f"{what} key")
    return item.value  # type: ignore[no-any-return]


def _known_keys(item: Item, known: tuple[str, ...], what: str) -> None:
    for key in item.value:
        if key not in known:
            close = suggest(key, known)
            hint = f"; did you mean '{close}'?" if close else ""
            raise SpecError(f"unknown {what} '{key}'{hint} (expected: {', '.join(known)})",
                            item.key_mark(key), code="unknown-key")


def _quantity(value: Any, item: Item, what: str, *, bytes_unit: bool) -> int:
    try:
        return parse_quantity(value, bytes_unit=bytes_unit)
    except QuantityError as exc:
        raise SpecError(f"{what}: {exc}", item.mark, code="type") from None


def _written(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _shape(value: Any, item: Item) -> tuple[int | None, ...]:
    if isinstance(value, str):
        try:
            return parse_sizes(value)
        except QuantityError as exc:
            raise SpecError(f"expect shape: {exc}", item.mark, code="type") from None
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not 1 <= len(value) <= 4:
        raise SpecError(f"expect shape is channels then 0 to 3 sizes, like [64, 56, 56] (null "
                        f"matches any size), got {describe_value(item)}", item.mark, code="type")
    dims: list[int | None] = []
    for v in value:
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise SpecError(f"expect shape sizes are positive integers or null, got {v!r}",
                            item.mark, code="type")
        dims.append(v)
    return tuple(dims)


def _per_axis_exact(value: Any, item: Item, key: str) -> tuple[int | Fraction, ...]:
    values = value if isinstance(value, list) else [value]
    if not 1 <= len(values) <= 3:
        raise SpecError(f"expect {key} is a number or one per spatial axis, got "
                        f"{describe_value(item)}", item.mark, code="type")
    out: list[int | Fraction] = []
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            out.append(v)
            continue
        if isinstance(v, str):
            try:
                fraction = Fraction(v.strip())
            except (ValueError, ZeroDivisionError):
                fraction = Fraction(0)
            if fraction > 0:
                out.append(fraction.numerator if fraction.denominator == 1 else fraction)
                continue
        raise SpecError(f"expect {key} values are positive integers or fractions like '1/2', "
                        f"got {v!r}", item.mark, code="type")
    return tuple(out)


def _bound(value: Any, item: Item, key: str) -> Bound:
    if isinstance(value, dict):
        unknown = [k for k in value if k not in ("min", "max")]
        if unknown or not value:
            raise SpecError(f"expect {key} takes a count or {{min: ..., max: ...}}, got keys "
                            f"{', '.join(unknown) or 'none'}", item.mark, code="type")
        low = _quantity(value["min"], item, f"expect {key} min", bytes_unit=False) \
            if "min" in value else None
        high = _quantity(value["max"], item, f"expect {key} max", bytes_unit=False) \
            if "max" in value else None
        if low is not None and high is not None and low > high:
            raise SpecError(f"expect {key}: min {low:,} is above max {high:,}", item.mark,
                            code="type")
        return Bound(low, high)
    exact = _quantity(value, item, f"expect {key}", bytes_unit=False)
    return Bound(exact, exact)
