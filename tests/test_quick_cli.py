"""The quick calculators on the command line: outputs (golden), exit codes, click's conventions,
help with worked examples."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.cli import quick

from .conftest import ROOT, Result

QUICK = ("conv", "deconv", "pool", "chain", "solve", "pad")

EXAMPLES = [
    "conv 224 -k 7 -s 2 -p 3",
    "conv 227 -k 11 -s 4 -c 3 -o 96",
    "conv 10 -k 3 -s 2",
    "conv 32x64 -k 3x5 -p 1x2 -d 2",
    "conv 224 -k 3 -s 2 -p same_tf -c 32 -o 32 -g 32 --no-bias",
    "conv 100 -k 5 -s 3 --rank 1",
    "deconv 7 -k 4 -s 2 -p 1",
    "deconv 28 -k 2 -s 2 -c 128 -o 64",
    "pool 112 -k 3 -s 2",
    "pool 112 -k 3 -s 2 --ceil -c 64",
    "pool 8x10 -k 3 -s 4 --ceil",
    "pool 8 -k 3 -s 4 --caffe",
    "chain 224 'conv k7 s2 p3; maxpool k3 s2 p1; conv k3 p1'",
    "chain 32 'conv k3 x3'",
    "chain 224 -c 3 'conv k3 p1 c64 x2; maxpool k2' --explain",
    "chain 16 'conv k3 s2 p1' 'deconv k4 s2 p1' 'deconv k3 s2'",
    "solve --in 227 --out 55 -k 11",
    "solve --in 224 --out 112 -k 3:7 -d 1:2",
    "solve --in 7 --out 14 --transpose -k 4",
    "solve --in 10 --out 1 -k 3",
    "pad -k 5 -d 2",
    "pad -k 4",
    "pad -k 3 -s 2",
    "pad -k 7 -s 2 --in 224",
    "pad -k 1x7",
]


def split(command: str) -> list[str]:
    import shlex

    return shlex.split(command)


def test_examples_golden(cli: Callable[..., Result], golden: Callable[[str, str], None]) -> None:
    chunks = []
    for command in EXAMPLES:
        result = cli(*split(command))
        assert result.code == 0, (command, result.err)
        assert result.err == ""
        assert all(len(line) <= 100 for line in result.out.splitlines()), command
        chunks.append(f"$ cnncalc {command}\n{result.out}")
    golden("quick-examples.txt", "\n".join(chunks))


def test_the_issue_example(cli: Callable[..., Result]) -> None:
    out = cli("conv", "224", "-k", "7", "-s", "2", "-p", "3").out
    assert "⌊(224 + 2·3 − 1·(7−1) − 1)/2⌋ + 1 = 112" in out
    assert out.startswith("conv 224×224 → 112×112")
    dropped = cli("conv", "10", "-k", "3", "-s", "2").out
    assert "dropped H, W: 1 input pixel at the end" in dropped


@pytest.mark.parametrize(("command", "code", "message"), [
    ("conv", 2, "Missing argument 'SIZE'."),
    ("conv 224", 2, "Missing option '-k' / '--kernel'."),
    ("conv 224 -k", 2, "Option '-k' requires an argument."),
    ("conv 224 -k 0", 2, "Invalid value for '-k' / '--kernel'"),
    ("conv 224 -k 3 --kernal 3", 2, "--kernal"),
    ("conv 224 -k 3 extra", 2, "Got unexpected extra argument (extra)"),
    ("conv 224 -k 3 --no-bias=1", 2, "does not take a value"),
    ("conv 224x224 -k 3x3x3", 2, "disagree on the number of axes"),
    ("conv 224 -k 3x3 --rank 3", 2, "--rank 3 but kernel has 2 values"),
    ("conv 224 -k 3 -p half", 2, "same_tf"),
    ("conv 224 -k 3 --format xml", 2, "'xml' is not one of"),
    ("chain 224 'conv k'", 2, "cannot read 'k'"),
    ("chain 224", 2, "Missing argument 'STEPS...'."),
    ("solve --in 227 --out 55 -k 3:1", 2, "is empty"),
    ("solve --in 5 --out 5 -k 3 --op 1", 2, "only for --transpose"),
    ("conv 5 -k 7", 1, "error: kernel 7 is larger than the padded input 5"),
    ("conv 224 -k 3 -s 2 -p same", 1, "only allowed with stride 1"),
    ("deconv 7 -k 3 -s 2 --op 2", 1, "output_padding 2 must be smaller"),
    ("pool 10 -k 3 -p 2", 1, "more than half the kernel"),
    ("chain 5 'conv k7'", 1, "step 1 (conv k7) on 5×5"),
    ("conv 224 -k 3 -c 6 -o 4 -g 4", 1, "not divisible by groups"),
])
def test_exit_codes_and_messages(cli: Callable[..., Result], command: str, code: int,
                                 message: str) -> None:
    result = cli(*split(command))
    assert result.code == code, result
    assert message in result.err
    assert "Traceback" not in result.err
    if "--kernal" in command:
        assert "Did you mean" in result.err and "--kernel" in result.err
    # click's parser reports a missing or unexpected option value without the usage line
    if code == 2 and message not in ("Option '-k' requires an argument.", "does not take a value"):
        name = command.split()[0]
        assert result.err.startswith(f"Usage: cnncalc {name} [OPTIONS]")
        assert re.search(rf"Try 'cnncalc {name} (-h|--help)' for help\.", result.err)


def test_no_solution_exits_1_with_a_reason(cli: Callable[..., Result]) -> None:
    result = cli("solve", "--in", "10", "--out", "100", "-k", "3")
    assert result.code == 1
    assert "no answer" in result.out and "try --transpose" in result.out


def test_click_conventions(cli: Callable[..., Result]) -> None:
    """Options glued (-k7) or with '=', before the arguments, repeated (the last one wins) or
    after '--' all read the same."""
    plain = cli("conv", "224", "-k", "7", "-s", "2")
    assert plain.code == 0
    assert cli("conv", "-k7", "--stride=2", "224").out == plain.out
    assert cli("conv", "224", "-k", "3", "-k", "7", "-s", "2").out == plain.out
    assert cli("conv", "-k", "7", "-s", "2", "--", "224").out == plain.out
    unknown = cli("conv", "224", "-k", "3", "-x")
    assert unknown.code == 2 and "No such option" in unknown.err and "-x" in unknown.err


@pytest.mark.parametrize("command", QUICK)
def test_help_has_worked_examples(cli: Callable[..., Result], command: str) -> None:
    result = cli(command, "--help")
    assert result.code == 0
    assert "Examples:" in result.out and f"cnncalc {command} " in result.out
    assert cli(command, "-h").out == result.out
    assert all(len(line) <= 100 for line in result.out.splitlines())
    short_help = getattr(quick, command).short_help
    assert short_help in cli("--help").out  # `cnncalc --help` lists each with its summary


def test_json_outputs(cli: Callable[..., Result]) -> None:
    conv = json.loads(cli("conv", "227", "-k", "11", "-s", "4", "-c", "3", "-o", "96",
                          "--format", "json").out)
    assert conv["command"] == "conv" and conv["output_size"] == [55, 55]
    assert (conv["params"], conv["macs"], conv["flops"]) == (34_944, 105_415_200, 210_830_400)
    assert conv["axes"][0]["formula"] == "⌊(227 + 2·0 − 1·(11−1) − 1)/4⌋ + 1 = 55"
    chain = json.loads(cli("chain", "8", "deconv k3 s2", "--format", "json").out)
    assert chain["rows"][1]["jump"] == ["1/2", "1/2"] and chain["rows"][1]["rf"] == [2, 2]
    solve = json.loads(cli("solve", "--in", "227", "--out", "55", "-k", "11", "--format",
                           "json").out)
    assert [(s["stride"], s["padding"]) for s in solve["solutions"]] == [(4, 0), (4, 1)]
    pad = json.loads(cli("pad", "-k", "7", "-s", "2", "--in", "224", "--format", "json").out)
    assert pad["axes"][0]["tf"][0]["before"] == 2 and pad["axes"][0]["tf"][0]["after"] == 3


def test_solve_prints_at_most_100_unless_all(cli: Callable[..., Result]) -> None:
    short = cli("solve", "--in", "200", "--out", "1", "-k", "1:150", "-p", "0").out
    assert "… and 50 more (--all prints every one)" in short
    full = cli("solve", "--in", "200", "--out", "1", "-k", "1:150", "-p", "0", "--all").out
    assert "more" not in full and len(full.splitlines()) > len(short.splitlines())


@pytest.mark.parametrize("args", [
    ["conv", "224", "-k", "7", "-s", "2", "-p", "3"],
    ["chain", "224", "conv k7 s2 p3; maxpool k3 s2 p1; conv k3 p1"],
    ["solve", "--in", "227", "--out", "55", "-k", "11"],
])
def test_no_quick_calculator_imports_numpy(args: list[str]) -> None:
    """numpy is loaded only when a forward kernel runs (cnncalc validate)."""
    code = ("import sys, io\nsys.stdout = io.StringIO()\n"
            "from cnncalc.cli import run\nrun(" + repr(args) + ")\n"
            "sys.__stdout__.write(' '.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert "numpy" not in out.split()


words = st.sampled_from(["224", "10", "3x5", "0", "-1", "-k", "-s", "-p", "-d", "-c", "-o", "-g",
                         "--ceil", "--caffe", "--rank", "2", "7", "same", "same_tf", "--",
                         "--format", "json", "1:4", "--in", "--out", "--transpose", "--op",
                         "conv k3 s2", "deconv k4 s2 p1", "maxpool k3 ceil", "x", "--all"])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(QUICK), st.lists(words, max_size=8))
def test_no_command_line_crashes(command: str, args: list[str]) -> None:
    import contextlib
    import io

    from cnncalc.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run([command, *args])
    assert code in (0, 1, 2), (command, args, err.getvalue())
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()


def test_python_dash_m() -> None:
    out = subprocess.run([sys.executable, "-m", "cnncalc", "conv", "227", "-k", "11", "-s", "4"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("conv 227×227 → 55×55")
    bad = subprocess.run([sys.executable, "-m", "cnncalc", "conv", "5", "-k", "7"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and bad.stderr.startswith("error: kernel 7 is larger")
