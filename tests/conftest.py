"""Shared fixtures: run the CLI in-process, golden files, paths."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No per-example deadline anywhere: a loaded CI machine must not turn a slow example into a
# failure. In CI (HYPOTHESIS_PROFILE=ci, set by .ci/run) examples are derandomised, so a run is
# reproducible and cannot go red on a case no earlier run saw; locally they stay random.
settings.register_profile("dev", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
ROUND_TRIP = tuple(sorted(p.stem for p in SPECS.glob("*.yaml")))
"""The bundled specs every import round trip must reproduce exactly: all of them."""
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (the CI variable set, as .ci/run sets it) a skipped test is a failure: whatever a
    test needs (torch, Graphviz, Chromium) the README's test command installs, so a skip there
    means a missing install step, never a pass."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        if reporter is not None:
            reporter.write_line(f"CI: {len(skipped)} test(s) skipped; every skip is a failure in "
                                f"CI (tests/conftest.py)", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/* from the current output instead of comparing")


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``cli("summary", "lenet5")`` runs cnncalc in-process and returns code, stdout, stderr."""
    from cnncalc.cli import run

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden("lenet5.txt", text)`` compares with tests/golden/lenet5.txt (or rewrites it)."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update or not path.exists():
            if not update:
                pytest.fail(f"missing golden file {path}; run pytest --update-golden")
            path.write_text(text, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"output differs from {path} (pytest --update-golden rewrites)"

    return check


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a spec text to a temporary file and return its path."""

    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
