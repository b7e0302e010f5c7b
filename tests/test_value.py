"""cnncalc's values are stdlib frozen dataclasses: equal fields make equal values with equal hashes,
a value of another class is never equal, nothing changes after construction, and the classes built
once per layer keep no ``__dict__`` (docs/architecture.md)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

import cnncalc
from cnncalc.analysis.memory import MemoryConfig
from cnncalc.checks.codes import CODES
from cnncalc.layers.base import Counts, Layer, kinds, register
from cnncalc.layers.conv import Conv
from cnncalc.model.errors import Diagnostic, Mark
from cnncalc.model.geometry import Window
from cnncalc.model.graph import Node
from cnncalc.model.limits import Limits
from cnncalc.model.rf import AxisField, AxisMap, ReceptiveField
from cnncalc.model.saved import Extra, Saved
from cnncalc.model.shape import Shape

REPORT = cnncalc.load("lenet5").summary()

# Pairs of makers: the first twice gives equal values, the second a value that differs in one field.
PAIRS: list[tuple[Callable[[], Any], Callable[[], Any]]] = [
    (lambda: Shape(3, (224, 224)), lambda: Shape(3, (224, 225))),
    (lambda: Mark("a.yaml", 3, 5), lambda: Mark("a.yaml", 3, 6)),
    (lambda: Diagnostic("bad", Mark("a.yaml", 1, 1)), lambda: Diagnostic("bad", None)),
    (lambda: Extra("mask", 4), lambda: Extra("mask", 5)),
    (lambda: Saved(inputs=(0,)), lambda: Saved(inputs=(0,), output=True)),
    (lambda: Limits(), lambda: Limits(max_layers=10)),
    (lambda: Window(3, 2, 1, 1), lambda: Window(3, 2, 1, 0)),
    (lambda: AxisMap.window(3, 2, 1), lambda: AxisMap.window(3, 1, 1)),
    (lambda: AxisField.pixel(), lambda: AxisField(1, 2, (0,), (0,))),
    (lambda: ReceptiveField.of_input(2), lambda: ReceptiveField.of_input(1)),
    (lambda: Counts(10, 2), lambda: Counts(10, 2, 4)),
    (lambda: Conv(out=8, kernel=3), lambda: Conv(out=8, kernel=5)),
    (lambda: MemoryConfig("float16"), lambda: MemoryConfig("float16", "adam")),
    (lambda: REPORT.layers[0], lambda: REPORT.layers[1]),
    (lambda: REPORT.totals, lambda: dataclasses.replace(REPORT.totals, macs=0)),
    (lambda: cnncalc.conv(10, 3), lambda: cnncalc.conv(10, 5)),
    (lambda: cnncalc.chain(32, "conv k3; maxpool k2"), lambda: cnncalc.chain(32, "conv k3")),
    (lambda: cnncalc.solve(32, 16, 3), lambda: cnncalc.solve(32, 16, 5)),
    (lambda: cnncalc.pad(3), lambda: cnncalc.pad(5)),
]


@pytest.mark.parametrize(("make", "other"), PAIRS)
def test_equal_fields_make_equal_values(make: Callable[[], Any],
                                        other: Callable[[], Any]) -> None:
    a, b = make(), make()
    assert a == b and hash(a) == hash(b)
    assert a != other() and hash(a) != hash(other())
    assert repr(a).startswith(f"{type(a).__name__}(")
    field = dataclasses.fields(a)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(a, field, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(a, field)


@pytest.mark.parametrize("make", [
    lambda: Shape(3, (8, 8)), lambda: Mark("a", 1, 1), lambda: Window(3, 1, 1, 1),
    lambda: AxisMap.window(3, 1, 1), lambda: AxisField.pixel(),
    lambda: ReceptiveField.of_input(2), lambda: Counts(), lambda: Saved(),
    lambda: REPORT.layers[0], lambda: cnncalc.conv(10, 3).axes[0]])
def test_values_made_once_per_layer_have_slots(make: Callable[[], Any]) -> None:
    assert not hasattr(make(), "__dict__")


def _value_classes() -> list[type]:
    found: list[type] = []
    for package in ("cnncalc.model", "cnncalc.quick", "cnncalc.layers", "cnncalc.analysis",
                    "cnncalc.checks"):
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            module = importlib.import_module(f"{package}.{info.name}")
            found += [c for c in vars(module).values() if inspect.isclass(c)
                      and c.__module__ == module.__name__ and dataclasses.is_dataclass(c)]
    return found


def test_every_value_class_is_a_frozen_dataclass() -> None:
    classes = _value_classes()
    assert len(classes) > 60
    thawed = [c.__qualname__ for c in classes
              if not c.__dataclass_params__.frozen]  # type: ignore[attr-defined]
    assert not thawed


def test_fields_left_out_of_comparison() -> None:
    conv = Conv(out=8, kernel=3)
    plain = Node("c", conv, ("input",))
    assert plain.options == {}
    assert Node("c", conv, ("input",), options={"x": 1}) == plain  # options: compare=False
    assert Node("c", conv, ("input",), trainable=False) != plain


def test_post_init_checks_and_replace() -> None:
    with pytest.raises(ValueError, match="unknown dtype 'float8'"):
        MemoryConfig("float8")
    with pytest.raises(ValueError, match="mixed precision"):
        dataclasses.replace(MemoryConfig(), mixed=True)
    limits = Limits().with_overrides(max_layers=5)
    assert limits.max_layers == 5 and Limits().max_layers == 250_000
    with pytest.raises(TypeError):
        Shape()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Limits(max_layer=5)  # type: ignore[call-arg]


EXAMPLE_ATTRIBUTES = {"out": 4, "kernel": 3, "size": 2, "output": 1, "padding": 1, "groups": 2,
                      "factor": 2, "parts": 2, "p": 0.25}


@pytest.mark.parametrize("kind", sorted(kinds()))
def test_every_layer_kind_is_a_value(kind: str) -> None:
    cls = kinds()[kind]
    names = cls.attribute_names()
    given = {k: v for k, v in EXAMPLE_ATTRIBUTES.items() if names.get(k) == k}
    a, b = cls.from_attrs(given), cls.from_attrs(given)
    assert a == b and hash(a) == hash(b) and a is not b
    assert {i.name for i in cls.attributes()} <= {f.name for f in dataclasses.fields(a)}
    assert repr(a).startswith(f"{cls.__name__}(")
    if cls.attributes():
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(a, cls.attributes()[0].name, None)


def test_kinds_without_attributes_differ_by_class() -> None:
    plain = [cls() for cls in kinds().values() if not cls.attributes()]
    assert len(plain) >= 6
    assert len(set(plain)) == len(plain)
    assert all(a != b for a in plain for b in plain if a is not b)


def test_layer_value_semantics() -> None:
    a, b = Conv(out=8, kernel=3), Conv(out=8, kernel=3)
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != Conv(out=8, kernel=5)
    assert repr(a) == ("Conv(out=8, kernel=3, stride=1, padding=0, dilation=1, groups=1, "
                       "bias=True)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.out = 9  # type: ignore[misc]
    sigmoid, tanh = cnncalc.load("input: [3]\nlayers: [sigmoid, tanh]\n").graph.nodes
    assert sigmoid.layer != tanh.layer and repr(sigmoid.layer) == "Sigmoid()"


def test_register_refuses_attributes_without_a_dataclass() -> None:
    with pytest.raises(TypeError, match=r"not decorated with @dataclass\(frozen=True\)"):
        @register
        class Broken(Layer):  # attributes declared, decorator forgotten
            kind = "broken_kind_for_test"
            size: int = 3


def test_codes_are_values() -> None:
    assert len(set(CODES.values())) == len(CODES)
