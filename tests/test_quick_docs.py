"""docs/quick-answers.md stays true: the Python examples run (its `$ cnncalc ...` examples are
run with every other page's by tests/test_doc_samples.py)."""

from __future__ import annotations

from .conftest import ROOT

DOC = ROOT / "docs" / "quick-answers.md"


def test_python_examples_run() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    a = namespace["a"]
    assert (a.output_size, a.params, a.macs) == ((112, 112), 9472, 118013952)  # type: ignore[attr-defined]
