"""``cnncalc kinds``: every example is a spec that runs, defaults read as YAML, lines fit."""

from __future__ import annotations

import re

import pytest

import cnncalc
from cnncalc.layers.base import kinds, lookup
from cnncalc.render.kinds import kind_text, kinds_list, yaml_text

KINDS = sorted(kinds())


@pytest.mark.parametrize("kind", KINDS)
def test_every_example_is_a_spec_that_runs(kind: str) -> None:
    cls = lookup(kind)
    assert cls is not None
    spec = cls.example_spec()
    report = cnncalc.load(spec).summary()
    assert report.layers[-1].kind == cls.kind
    assert spec in "\n".join(line[2:] for line in kind_text(cls).splitlines()) + "\n"


@pytest.mark.parametrize("kind", KINDS)
def test_kind_text_reads_like_a_spec(kind: str) -> None:
    cls = lookup(kind)
    assert cls is not None
    text = kind_text(cls, 100)
    assert all(len(line) <= 100 for line in text.splitlines()), text
    assert " or  (" not in text and " or (required)" not in text and "or (default" not in text
    for default in re.findall(r"\(default ([^)]*)\)", text):
        assert default not in ("None", "True", "False") and "'" not in default, (default, text)


def test_the_list_wraps_to_the_width() -> None:
    text = kinds_list(kinds(), 80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "\n                     deconv, convtranspose" in kinds_list(kinds(), 100)


@pytest.mark.parametrize(("value", "text"), [
    (None, "null"), (True, "true"), (False, "false"), (0.0, "0.0"), ("nearest", "nearest"),
    ((1, 2), "[1, 2]"), (((0, 1), (2, 3)), "[[0, 1], [2, 3]]"), (3, "3")])
def test_defaults_are_written_as_yaml(value: object, text: str) -> None:
    assert yaml_text(value) == text
