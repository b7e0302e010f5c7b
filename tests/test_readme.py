"""The README opens with the two commands that do everything on a fresh machine, and .ci/run runs
exactly those two commands."""

from __future__ import annotations

from .conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert "cnncalc summary specs/alexnet.yaml" in commands[0]
    assert "pytest" in commands[1]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.index("```bash") < 40  # the very top of the README


def test_ci_runs_the_readme_commands_verbatim() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line for line in script.splitlines() if line and not line.startswith(("#", "set ",
                                                                                   "cd "))]
    assert lines == readme_commands()
