"""The README opens with the two commands that do everything on a fresh machine, and .ci/run runs
exactly those two commands, verbatim."""

from __future__ import annotations

from .conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def ci_commands() -> list[str]:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = text.splitlines()
    return [lines[i + 1] for i, line in enumerate(lines) if line.startswith("# README command")]


def test_readme_opens_with_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("cnncalc summary specs/alexnet.yaml")
    assert commands[1].endswith("python -m pytest -q")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.index("```bash") < 40  # the very top of the README


def test_ci_runs_the_readme_commands_verbatim() -> None:
    assert ci_commands() == readme_commands()


def test_ci_installs_torch_for_the_parity_suite() -> None:
    assert 'pip install ".[test,torch]"' in ci_commands()[1]
    assert "export CI=true" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_test_command_installs_the_system_packages_tests_need() -> None:
    # tests/test_graph_plot.py renders with Graphviz's dot; in CI a skip is a failure.
    assert "apt-get install -y graphviz" in readme_commands()[1]
    assert (ROOT / "tests" / "parity").is_dir()
