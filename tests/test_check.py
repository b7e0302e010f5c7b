"""``cnncalc check``: the broken-spec corpus, budgets, suppression, output formats, paths.

tests/broken/NAME.yaml is one mistake per file; tests/broken/NAME.expected is exactly what
``cnncalc check tests/broken/NAME.yaml`` prints, run from the repository root (black-style test
data; ``pytest --update-golden`` rewrites them). A ``# args: ...`` line in the spec adds
command-line options; the exit status is 1 exactly when the expected output has an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from cnncalc.core.codes import CODES, LINT_CODES

from .conftest import ROOT, Result

BROKEN = ROOT / "tests" / "broken"
CASES = sorted(p.stem for p in BROKEN.glob("*.yaml"))


def header(name: str, key: str) -> str | None:
    """The value of a ``# key: value`` line at the top of a broken spec."""
    for line in (BROKEN / f"{name}.yaml").read_bytes().decode("latin-1").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    return None


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.mark.parametrize("name", CASES)
def test_broken_spec(cli: Callable[..., Result], at_root: Path, request: pytest.FixtureRequest,
                     name: str) -> None:
    args = (header(name, "args") or "").split()
    result = cli("check", f"tests/broken/{name}.yaml", *args)
    expected_path = BROKEN / f"{name}.expected"
    if request.config.getoption("--update-golden"):
        expected_path.write_text(result.out, encoding="utf-8")
    expected = expected_path.read_text(encoding="utf-8")
    assert result.out == expected
    assert result.err == ""
    has_error = any(": error: [" in line for line in expected.splitlines())
    assert result.code == (1 if has_error else 0)
    findings = expected.splitlines()[:-1]
    assert all(re.match(rf"tests/broken/{re.escape(name)}\.yaml:\d+:\d+: (error|warning): "
                        r"\[[a-z-]+\] ", line) for line in findings), findings
    assert re.fullmatch(r"1 file checked(, 1 failed)?: .+", expected.splitlines()[-1])


def test_corpus_covers_every_code_reachable_from_a_file() -> None:
    """Every code has a broken spec named after it, except those no file can produce here."""
    not_from_a_file = {"io", "cycle", "no-memory-model"}
    covered = {c for c in CODES if c in CASES}
    assert covered == set(CODES) - not_from_a_file
    for name in CASES:
        text = (BROKEN / f"{name}.expected").read_text(encoding="utf-8")
        if name in CODES and name != "strict":
            assert f"[{name}]" in text, name


def test_every_code_is_documented_with_an_example() -> None:
    doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    for code in CODES:
        assert f"`{code}`" in doc, code
        assert f"[{code}]" in doc, f"docs/ci.md shows no example of [{code}]"


def test_every_code_in_the_source_is_registered() -> None:
    used = set()
    for path in (ROOT / "cnncalc").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'code="([a-z-]+)"', text))
        used |= set(re.findall(r'"(?:error|warning)",\s*"([a-z-]+)"', text))
    assert used <= set(CODES), used - set(CODES)
