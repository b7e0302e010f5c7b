"""docs/quick-answers.md stays true: every `$ cnncalc ...` example prints what the page shows
(lines written `...` stand for omitted ones), and the Python examples run."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

import pytest

from .conftest import ROOT, Result

DOC = ROOT / "docs" / "quick-answers.md"


def console_examples() -> list[tuple[str, list[str]]]:
    text = DOC.read_text(encoding="utf-8")
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```\n(.*?)```", text, flags=re.S):
        command: str | None = None
        lines: list[str] = []
        for line in block.splitlines():
            if line.startswith("$ cnncalc "):
                if command is not None:
                    examples.append((command, lines))
                command, lines = line[len("$ cnncalc "):], []
            elif command is not None and line.strip():
                lines.append(line)
        if command is not None:
            examples.append((command, lines))
    return examples


EXAMPLES = console_examples()


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_console_examples(cli: Callable[..., Result], command: str, shown: list[str]) -> None:
    result = cli(*shlex.split(command))
    assert result.code == 0, result.err
    actual = [line.rstrip() for line in result.out.replace(str(ROOT) + "/", "").splitlines()]
    position = 0
    for line in shown:
        if line.strip() == "...":
            continue
        assert line.rstrip() in actual[position:], f"{command!r}: {line!r} not in the output"
        position = actual.index(line.rstrip(), position) + 1


def test_python_examples_run() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    a = namespace["a"]
    assert (a.output_size, a.params, a.macs) == ((112, 112), 9472, 118013952)  # type: ignore[attr-defined]
