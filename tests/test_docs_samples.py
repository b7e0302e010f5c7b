"""Every complete spec in docs/spec-format.md (a YAML block with `input:`/`inputs:` and
`layers:`) loads and analyses, as if it were a file in specs/ (so its includes resolve), and the
examples of `cnncalc kinds` run."""

from __future__ import annotations

import re

import pytest

import cnncalc

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
