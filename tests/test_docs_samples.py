"""Every complete spec in docs/spec-format.md (a YAML block with `input:`/`inputs:` and
`layers:`) loads and analyses, as if it were a file in specs/ (so its includes resolve), and the
examples of `cnncalc kinds` run."""

from __future__ import annotations

import re

import pytest

import cnncalc
from cnncalc.layers.base import kinds

from .conftest import ROOT, SPECS

DOC = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC, re.DOTALL)
SAMPLES = [b for b in BLOCKS if re.search(r"^inputs?: ", b, re.M)
           and re.search(r"^layers:", b, re.M) and "..." not in b]


def test_the_new_constructs_have_samples() -> None:
    assert len(SAMPLES) >= 10


@pytest.mark.parametrize("text", SAMPLES, ids=lambda t: t.splitlines()[0][:40])
def test_documented_spec_runs(text: str) -> None:
    report = cnncalc.parse(text, str(SPECS / "doc-sample.yaml")).summary()
    assert report.layers


@pytest.mark.parametrize("name", sorted(kinds()))
def test_each_kinds_example_runs(name: str) -> None:
    """`cnncalc kinds KIND` shows an example; it runs after a 2-D layer or on a flat input."""
    example = kinds()[name].example()
    errors = []
    for head in ("input: [64, 8, 8]\n", "input: [64]\n"):
        try:
            cnncalc.parse(f"{head}layers:\n  {example}\n").summary()
            return
        except cnncalc.SpecError as exc:
            errors.append(str(exc))
    pytest.fail(f"{name}: {example!r} runs on neither input: {errors}")
