"""One exit-code rule for every command (docs/ci.md, "Exit status"), and the broken-spec corpus's
special files: the ones git cannot hold (a folder named like a spec, loops of links, links to
nowhere, named pipes, sockets, sparse files of many megabytes, a file fed to standard input), made
by the test in a temporary folder. Each has its exact expected ``cnncalc check`` output in
tests/broken/special/NAME.expected (``pytest --update-golden`` rewrites them); every other
command that reads a spec says the same words on stderr, and every one exits 1."""

from __future__ import annotations

import io
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOT, Result

SPECIAL = ROOT / "tests" / "broken" / "special"
BROKEN_SPEC = "input: [3, 32, 32]\nlayers:\n  - conv: {out: 8, kernal: 3}\n"


def _directory(here: Path) -> str:
    (here / "dir.yaml").mkdir()
    return "dir.yaml"


def _link_loop(here: Path) -> str:
    os.symlink("loop-b.yaml", here / "loop-a.yaml")
    os.symlink("loop-a.yaml", here / "loop-b.yaml")
    return "loop-a.yaml"


def _dangling_link(here: Path) -> str:
    os.symlink("gone.yaml", here / "dangling.yaml")
    return "dangling.yaml"


def _link_to_broken(here: Path) -> str:
    (here / "real.yaml").write_text(BROKEN_SPEC, encoding="utf-8")
    os.symlink("real.yaml", here / "link.yaml")
    return "link.yaml"


def _fifo(here: Path) -> str:
    os.mkfifo(here / "pipe.yaml")  # nothing writes to it: reading must not wait
    return "pipe.yaml"


def _socket(here: Path) -> str:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(here / "sock.yaml"))
    server.close()
    return "sock.yaml"


def _sparse(here: Path) -> str:
    with open(here / "huge.yaml", "wb") as fh:  # 64 MiB that costs no disk: refused unread
        fh.truncate(64 * 2**20)
    return "huge.yaml"


def _just_over(here: Path) -> str:
    text = "input: [3, 32, 32]\nlayers:\n" + "  - relu\n" * 14564  # 131,103 bytes
    (here / "over.yaml").write_text(text, encoding="utf-8")
    return "over.yaml"


def _deep(here: Path) -> str:
    depth = 20_000  # far past max_depth, and past libyaml's own nesting limit
    (here / "deep.yaml").write_text("input: [3, 32, 32]\nlayers: " + "[" * depth + "]" * depth
                                    + "\n", encoding="utf-8")
    return "deep.yaml"


def _empty_folder(here: Path) -> str:
    (here / "specs").mkdir()
    return "specs"


def _no_match(here: Path) -> str:
    return "models/*.yaml"


def _device(here: Path) -> str:
    return os.devnull


CASES: dict[str, Callable[[Path], str]] = {
    "directory": _directory, "link-loop": _link_loop, "dangling-link": _dangling_link,
    "link-to-broken": _link_to_broken, "fifo": _fifo, "socket": _socket, "sparse": _sparse,
    "just-over-the-limit": _just_over, "deep": _deep, "empty-folder": _empty_folder,
    "glob-matching-nothing": _no_match, "device": _device,
}
NOT_CHECK_ONLY = ("link-loop", "dangling-link", "link-to-broken", "fifo", "socket", "sparse",
                  "just-over-the-limit", "deep", "device")
"""Cases every command reads alike (``check`` walks folders and expands globs itself)."""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")
@pytest.mark.parametrize("name", sorted(CASES))
def test_special_file(cli: Callable[..., Result], here: Path, request: pytest.FixtureRequest,
                      name: str) -> None:
    spec = CASES[name](here)
    result = cli("check", spec)
    expected_path = SPECIAL / f"{name}.expected"
    if request.config.getoption("--update-golden"):
        expected_path.write_text(result.out, encoding="utf-8")
    assert result.out == expected_path.read_text(encoding="utf-8")
    assert result.code == 1 and result.err == ""
    assert "Traceback" not in result.out


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")
@pytest.mark.parametrize("name", NOT_CHECK_ONLY)
@pytest.mark.parametrize("command", ["summary", "rf", "graph", "export", "report", "validate",
                                     "diff"])
def test_every_command_reads_specs_alike(cli: Callable[..., Result], here: Path, name: str,
                                         command: str) -> None:
    """The same file gives the same located error and exit status 1 in every command."""
    spec = CASES[name](here)
    args = (command, spec, "lenet5") if command == "diff" else (command, spec)
    result = cli(*args)
    finding = (SPECIAL / f"{name}.expected").read_text(encoding="utf-8").splitlines()[0]
    assert result.code == 1, result.err
    assert result.err.splitlines()[0] == finding
    assert result.out == ""


def test_missing_file_and_folder_exit_1_in_every_command(cli: Callable[..., Result],
                                                         here: Path) -> None:
    (here / "folder").mkdir()
    for command in ("summary", "rf", "graph", "export", "report", "validate", "check"):
        missing = cli(command, "nope.yaml")
        assert missing.code == 1, (command, missing.err)
        assert "nope.yaml:1:1: error: [io] no such file: nope.yaml" in missing.out + missing.err
        if command != "check":  # check walks a folder for its specs
            folder = cli(command, "folder")
            assert folder.code == 1
            assert folder.err.startswith("folder:1:1: error: [io] folder is a directory, not a "
                                         "spec file")


def test_misuse_exits_2_in_every_command(cli: Callable[..., Result]) -> None:
    for args in (("summary", "lenet5", "--bogus"), ("check", "lenet5", "--max-params", "lots"),
                 ("summary", "lenet5", "--input", "3x"), ("rf", "lenet5", "--width", "10"),
                 ("list", "--width", "10"), ("diff", "lenet5"), ("check",),
                 ("summary", "lenet5", "--limit", "max_nothing=3"), ("kinds", "convv"),
                 ("nosuchcommand",), ("summary", "lenet5", "--depth", "2", "--by", "block")):
        result = cli(*args)
        assert result.code == 2, (args, result.err)


def test_one_width_minimum_and_one_optimizer_default(cli: Callable[..., Result]) -> None:
    """--width takes at least 40 everywhere; --optimizer is SGD by default everywhere."""
    for command in ("summary", "rf", "diff", "list", "validate", "kinds"):
        result = cli(command, "--help")
        assert "--width" in result.out
        assert "at least 40" in " ".join(result.out.split()), command
    assert cli("list", "--width", "40").code == 0
    for command in ("summary", "check", "report"):
        text = " ".join(cli(command, "--help").out.split())
        assert "[default: sgd]" in text, command


def test_stdin_is_a_spec(cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BROKEN_SPEC.encode())))
    result = cli("summary", "-")
    assert result.code == 1
    assert result.err.startswith("<stdin>:3:20: error: [unknown-attribute] conv has no "
                                 "attribute 'kernal'; did you mean 'kernel'?")
    assert "    3 |   - conv: {out: 8, kernal: 3}" in result.err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(
        "input: [3, 8, 8]\nlayers: [relu]\n".encode("utf-16"))))
    result = cli("check", "-")
    assert (result.code, result.out) == (0, "1 file checked: no problems\n")


def test_stdin_over_the_size_limit(cli: Callable[..., Result],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"#" * 150_000)))
    result = cli("summary", "-")
    assert result.code == 1
    assert result.err == ("<stdin>:1:1: error: [limit] <stdin> holds more than 131,072 bytes "
                          "(max_file_bytes; raise it with --limit max_file_bytes=N)\n")


def test_progress_bar_only_on_a_terminal_and_only_after_a_second(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from cnncalc.cli import loading

    piped = loading.ProgressBar("walking")
    piped.update(1, 10, "conv1")
    assert piped.bar is None  # the tests' stderr is not a terminal: never a bar
    monkeypatch.setattr(loading, "Console",
                        lambda stderr: Console(file=io.StringIO(), force_terminal=True))
    with loading.ProgressBar("walking") as quick:
        quick.update(1, 10, "conv1")
        assert quick.bar is None  # under a second: nothing drawn yet
        monkeypatch.setattr(loading, "DELAY", 0.0)
        quick.update(2, 10, "[/] a name rich must not read as markup")
        assert quick.bar is not None
    with loading.ProgressBar("walking", enabled=False) as off:  # --no-progress
        off.update(5, 10, "x")
        assert off.bar is None


def test_a_saved_report_is_not_held_to_a_specs_size_limit(cli: Callable[..., Result],
                                                          tmp_path: Path) -> None:
    """A report is about a kilobyte a layer: ResNet-50's is larger than max_file_bytes."""
    saved = tmp_path / "resnet50.json"
    saved.write_text(cli("summary", "resnet50", "--format", "json").out, encoding="utf-8")
    assert saved.stat().st_size > 131_072
    result = cli("diff", str(saved), "resnet50")
    assert result.code == 0, result.err
    assert "No differences" in result.out
