"""Every sample in README.md and docs/ is what the current code prints, so none can go stale.

* A shell sample is a fenced block of ``$ command`` lines, each followed by what it prints
  (stdout, then stderr). Each command is run — ``cnncalc ...`` in this process, ``python X.py``
  as a subprocess, ``echo $?`` as the exit status of the command before — in a scratch folder
  holding ``specs/``, ``tests/`` and ``docs/`` and every file a page declares, and its output must
  be the sample's lines exactly, in order; a line ``...`` stands for any lines left out, and
  ``⋯`` within a line for text that differs from run to run (a kernel's time, this machine's
  memory).
* A page declares a file with a ```yaml block whose first line is a comment naming it
  (``# net.yaml``); the block is written to that file before the page's commands run.
* A line quoting the broken-spec corpus (``tests/broken/NAME.yaml:...``) must be a line of that
  file's expected output (tests/broken/NAME.expected), which tests/test_check.py keeps true.
* A ```json block right after a comment ``<!-- $ cnncalc ... -->`` is an abridged sample of that
  command's JSON: every field it shows must be in the output with the value shown; a key ``...``
  stands for the fields left out, a value ``"⋯"`` for one that differs from run to run, a string
  ending in ``...`` for its start, and a list's items must appear in the output's list in order.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ROOT, Result

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```", flags=re.S | re.M)
DECLARED = re.compile(r"# ([\w.-]+\.(?:yaml|yml|json))\n")
ANY = "⋯"
"""In a sample line: any text (what differs from run to run)."""
JSON_SAMPLE = re.compile(r"^<!-- \$ (cnncalc [^\n]*?) -->\n```json\n(.*?)^```", flags=re.S | re.M)
CORPUS_LINE = re.compile(r"^tests/broken/([\w-]+)\.yaml:\d+:\d+: ")


@dataclass(frozen=True)
class Sample:
    page: str
    command: str
    shown: tuple[str, ...]


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def samples() -> list[Sample]:
    out: list[Sample] = []
    for page in PAGES:
        for lang, body in FENCE.findall(page.read_text(encoding="utf-8")):
            if lang not in ("", "console", "text"):
                continue
            command: str | None = None
            shown: list[str] = []
            for line in body.splitlines():
                if line.startswith("$ "):
                    if command is not None:
                        out.append(Sample(_relative(page), command, tuple(shown)))
                    command, shown = line[2:], []
                elif command is not None:
                    shown.append(line)
            if command is not None:
                out.append(Sample(_relative(page), command, tuple(shown)))
    return out


def declared_files(page: Path) -> dict[str, str]:
    files = {}
    for lang, body in FENCE.findall(page.read_text(encoding="utf-8")):
        match = DECLARED.match(body)
        if lang == "yaml" and match:
            files[match.group(1)] = body
    return files


SAMPLES = samples()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("specs", "tests", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def matches(shown: tuple[str, ...], actual: list[str]) -> bool:
    """``actual`` is ``shown`` with any lines where ``...`` stands (a line of its own); blank
    lines at the end (before the next command, or the fence) do not count."""
    shown, actual = _trimmed(list(shown)), _trimmed(actual)
    pattern = "".join(r"(?:.*\n)*?" if line.strip() == "..." else
                      re.escape(line).replace(re.escape(ANY), ".*?") + r"\n" for line in shown)
    return re.fullmatch(pattern, "".join(f"{line}\n" for line in actual)) is not None


def _trimmed(lines: list[str]) -> tuple[str, ...]:
    while lines and not lines[-1].strip():
        lines.pop()
    return tuple(lines)


def test_the_pages_have_samples() -> None:
    assert len(SAMPLES) >= 35
    assert {s.page for s in SAMPLES} >= {"README.md", "docs/ci.md", "docs/quick-answers.md",
                                         "docs/memory.md", "docs/visualising.md"}


@pytest.mark.parametrize("page", sorted({s.page for s in SAMPLES}))
def test_shell_samples_print_what_the_page_shows(cli: Callable[..., Result], workspace: Path,
                                                 page: str) -> None:
    for name, text in declared_files(ROOT / page).items():
        (workspace / name).write_text(text, encoding="utf-8")
    last_code = 0
    failures = []
    for sample in (s for s in SAMPLES if s.page == page):
        words = shlex.split(sample.command, comments=True)
        if words == ["echo", "$?"]:
            actual = [str(last_code)]
        elif words[0] == "cnncalc":
            result = cli(*words[1:])
            last_code = result.code
            text = (result.out + result.err).replace(str(ROOT) + os.sep, "")
            actual = [line.rstrip() for line in text.replace(str(workspace) + os.sep,
                                                             "").splitlines()]
        elif words[0] == "python" and len(words) == 2:
            run = subprocess.run([sys.executable, words[1]], capture_output=True, text=True,
                                 cwd=workspace, timeout=600, check=False)
            last_code = run.returncode
            actual = [line.rstrip() for line in (run.stdout + run.stderr).splitlines()]
        else:
            pytest.fail(f"{page}: the doc test cannot run {sample.command!r}")
        if not matches(tuple(line.rstrip() for line in sample.shown), actual):
            failures.append(f"$ {sample.command}\n--- the page shows:\n" + "\n".join(sample.shown)
                            + "\n--- it prints:\n" + "\n".join(actual))
    assert not failures, f"{page}: stale samples\n\n" + "\n\n".join(failures)


@pytest.mark.parametrize("page", PAGES, ids=_relative)
def test_corpus_lines_quoted_in_the_pages_are_current(page: Path) -> None:
    for _lang, body in FENCE.findall(page.read_text(encoding="utf-8")):
        for line in body.splitlines():
            match = CORPUS_LINE.match(line)
            if match is None:
                continue
            expected = ROOT / "tests" / "broken" / f"{match.group(1)}.expected"
            assert expected.exists(), f"{_relative(page)} quotes a file not in the corpus: {line}"
            assert line in expected.read_text(encoding="utf-8").splitlines(), \
                f"{_relative(page)}: stale corpus line:\n{line}"


def json_matches(shown: object, actual: object) -> bool:
    """Whether ``actual`` has every field ``shown`` shows (the rules in the module docstring)."""
    if shown == ANY:
        return True
    if isinstance(shown, str) and shown.endswith("...") and isinstance(actual, str):
        return actual.startswith(shown[:-3])
    if isinstance(shown, dict):
        return isinstance(actual, dict) and all(
            key == "..." or (key in actual and json_matches(value, actual[key]))
            for key, value in shown.items())
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return False
        rest = iter(actual)
        return all(any(json_matches(item, other) for other in rest) for item in shown)
    return type(shown) is type(actual) and shown == actual


JSON_SAMPLES = [(_relative(page), command, body) for page in PAGES
                for command, body in JSON_SAMPLE.findall(page.read_text(encoding="utf-8"))]


@pytest.mark.parametrize(("page", "command", "body"), JSON_SAMPLES,
                         ids=[f"{p}: {c}" for p, c, _ in JSON_SAMPLES])
def test_json_samples_are_in_the_output(cli: Callable[..., Result], workspace: Path, page: str,
                                        command: str, body: str) -> None:
    for name, text in declared_files(ROOT / page).items():
        (workspace / name).write_text(text, encoding="utf-8")
    result = cli(*shlex.split(command)[1:])
    actual = json.loads(result.out.replace(str(ROOT) + os.sep, ""))
    assert json_matches(json.loads(body), actual), f"{page}: stale JSON sample of {command}"


def test_the_json_samples_are_found() -> None:
    assert len(JSON_SAMPLES) >= 5


def test_matching_rule() -> None:
    assert json_matches({"a": [1, {"b": 2}], "...": ""}, {"a": [0, 1, {"b": 2, "c": 3}], "d": 4})
    assert not json_matches({"a": [{"b": 2}, 1]}, {"a": [1, {"b": 2}]})
    assert json_matches({"t": "⋯", "m": "params changed by..."},
                        {"t": 0.3, "m": "params changed by 5%"})
    assert not json_matches({"a": 1}, {"a": 1.0}) and not json_matches({"a": 1}, {"b": 1})
    assert matches(("a", "...", "d"), ["a", "b", "c", "d"])
    assert matches(("a", "...", "d"), ["a", "d"])
    assert not matches(("a", "d"), ["a", "b", "d"])
    assert not matches(("a", "...", "d"), ["a", "b", "c"])
    assert matches(("a", ""), ["a"]) and matches(("a",), ["a", "", ""])
    assert matches(("time ⋯ ms · limit ⋯",), ["time 0.31 ms · limit 11.7 GiB"])
    assert not matches(("time ⋯ ms",), ["time 0.31 s"])


def test_memory_accuracy_table_shows_the_current_cnncalc_figures() -> None:
    """docs/memory.md's accuracy table (benchmarks/memory_accuracy.py's output): its cnncalc
    column is what cnncalc computes now (the PyTorch column is checked against PyTorch itself
    by tests/test_memory_accuracy.py)."""
    import cnncalc
    from cnncalc.analysis.memory import MemoryConfig

    text = (ROOT / "docs" / "memory.md").read_text(encoding="utf-8")
    table = text.split("network                        input batch  cnncalc MiB", 1)[1]
    rows = [line.split() for line in table.split("```", 1)[0].splitlines()[2:]
            if line and not line.startswith(("-", "largest"))]
    assert len(rows) >= 8
    for name, _, batch, shown, *_ in rows:
        report = cnncalc.load(name).summary(batch=int(batch),
                                            memory=MemoryConfig(device="cpu"))
        assert report.totals.memory is not None
        assert f"{report.totals.memory.activations_training_bytes / 2**20:.2f}" == shown, name
