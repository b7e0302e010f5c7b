"""Every class of user mistake gives one located message (file:line:col), a source excerpt with a
caret, and exit code 1 — never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Result

HEAD = "input: [3, 32, 32]\nlayers:\n"

# (spec text, expected "line:col", expected message fragment)
CASES = [
    ("yaml-syntax", HEAD + "  - conv: {out: 8, kernel: 3\n  - relu\n", "3:11",
     "this '{' is never closed: add '}' where its mapping ends"),
    ("unknown-kind", HEAD + "  - covn: {out: 8, kernel: 3}\n", "3:5",
     "unknown layer kind 'covn'; did you mean 'conv'?"),
    ("misspelt-attribute", HEAD + "  - conv: {out: 8, kernal: 3}\n", "3:20",
     "conv has no attribute 'kernal'; did you mean 'kernel'?"),
    ("wrong-type", HEAD + "  - conv: {out: 8, kernel: 3.5}\n", "3:28",
     "conv kernel: expected an integer or a list of integers, got a number (3.5)"),
    ("boolean-for-int", HEAD + "  - conv: {out: true, kernel: 3}\n", "3:17",
     "conv out: expected an integer, got a boolean (true)"),
    ("negative", HEAD + "  - conv: {out: 8, kernel: 3, stride: -1}\n", "3:39",
     "conv stride: must be at least 1, got -1"),
    ("missing-attribute", HEAD + "  - conv: {kernel: 3}\n", "3:5", "conv needs out"),
    ("non-positive-shape", HEAD + "  - conv: {out: 8, kernel: 33}\n", "3:5",
     "conv 'conv1' (input 3×32×32): kernel 33 is larger than the padded input 32"),
    ("pool-padding", HEAD + "  - maxpool: {kernel: 2, padding: 2}\n", "3:5",
     "pool padding 2 is more than half the kernel 2"),
    ("same-with-stride", HEAD + "  - conv: {out: 8, kernel: 3, stride: 2, padding: same}\n",
     "3:5", "padding 'same' is only allowed with stride 1"),
    ("output-padding", HEAD + "  - conv_transpose: {out: 8, kernel: 3, stride: 2, "
     "output_padding: 2}\n", "3:5", "output_padding 2 must be smaller than either stride 2"),
    ("concat-mismatch", HEAD + "  - concat:\n      - [conv: {out: 8, kernel: 3}]\n"
     "      - [conv: {out: 8, kernel: 1}]\n", "3:5",
     "concat 'concat1': inputs do not match: 'conv1' gives 8×30×30 but 'conv2' gives 8×32×32"),
    ("add-mismatch", HEAD + "  - add: [[], [conv: {out: 8, kernel: 3, padding: 1}]]\n", "3:5",
     "add 'add1': inputs do not match: 'input' gives 3×32×32 but 'conv1' gives 8×32×32"),
    ("unknown-input", HEAD + "  - conv: {out: 8, kernel: 3, name: enc1}\n"
     "  - concat: {inputs: [enc1, enc2]}\n", "4:29", "unknown layer 'enc2'"),
    ("later-input", HEAD + "  - conv: {out: 8, kernel: 3, inputs: [dec1]}\n"
     "  - conv: {out: 8, kernel: 3, name: dec1}\n", "3:40", "unknown layer 'dec1'"),
    ("duplicate-name", HEAD + "  - conv: {out: 8, kernel: 3, name: a}\n"
     "  - conv: {out: 8, kernel: 3, name: a}\n", "4:37", "layer name 'a' is already used"),
    ("duplicate-key", HEAD + "  - conv: {out: 8, kernel: 3, out: 4}\n", "3:31",
     "duplicate key 'out'"),
    ("runaway-repeat", HEAD + "  - repeat: 1000000000\n    layers: [relu]\n", "3:13",
     "repeat 1,000,000,000 exceeds the limit of 1,000,000"),
    ("recursive-block", "input: [3, 8, 8]\nblocks:\n  a: [b]\n  b: [a]\nlayers:\n  - a\n", "4:7",
     "block 'a' uses itself (a → b → a)"),
    ("unknown-top-key", "input: [3, 8, 8]\nlayer:\n  - relu\n", "2:1",
     "unknown top-level key 'layer'; did you mean 'layers'?"),
    ("linear-on-image", HEAD + "  - linear: {out: 10}\n", "3:5",
     "linear needs a flat input but gets 3×32×32; add '- flatten' before it"),
    ("python-tag", HEAD + "  - !!python/object/apply:os.system [echo hi]\n", "3:5",
     "unsupported YAML tag"),
    ("empty", "", "1:1", "the file is empty"),
    ("not-a-mapping", "- relu\n", "1:1", "a spec is a mapping"),
    ("bad-expression", "input: [3, 8, 8]\nblocks:\n  b:\n    params: [c]\n    layers:\n"
     "      - conv: {out: $cc, kernel: 1}\n" "layers:\n  - b: {c: 4}\n", "6:21",
     "unknown parameter 'cc'; did you mean 'c'?"),
    ("two-kinds", HEAD + "  - conv: {out: 8, kernel: 3}\n    relu: {}\n", "4:5",
     "one list item is one layer"),
    ("groups", "input: [6, 8, 8]\nlayers:\n  - conv: {out: 8, kernel: 1, groups: 4}\n", "3:5",
     "input channels 6 are not divisible by groups 4"),
    ("input-shape", "input: [3, 0, 8]\nlayers:\n  - relu\n", "1:12",
     "input sizes must be positive integers, got 0"),
]


@pytest.mark.parametrize(("case", "text", "where", "message"), CASES, ids=[c[0] for c in CASES])
def test_error_is_one_located_line(cli: Callable[..., Result], write_spec: Callable[..., Path],
                                   case: str, text: str, where: str, message: str) -> None:
    path = write_spec(text, f"{case}.yaml")
    result = cli("summary", str(path))
    assert result.code == 1, result.err
    assert result.out == ""
    first = result.err.splitlines()[0]
    assert first.startswith(f"{path}:{where}: error: "), first
    assert message in first, first
    assert "Traceback" not in result.err


def test_excerpt_has_caret_under_column(cli: Callable[..., Result],
                                        write_spec: Callable[..., Path]) -> None:
    path = write_spec(HEAD + "  - conv: {out: 8, kernal: 3}\n")
    lines = cli("summary", str(path)).err.splitlines()
    assert lines[1] == "    3 |   - conv: {out: 8, kernal: 3}"
    assert lines[2] == "      |                    ^"
    assert lines[2].index("^") == lines[1].index("kernal")


def test_spec_is_never_written(cli: Callable[..., Result], write_spec: Callable[..., Path]) -> None:
    path = write_spec(HEAD + "  - conv: {out: 8, kernel: 3}\n")
    before = path.read_bytes(), path.stat().st_mtime_ns
    assert cli("summary", str(path), "--format", "json").code == 0
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is it a binary file?"),
    (b"input: [3, 8, 8]\nlayers: [\x00]\n", "character YAML does not allow"),
    (b"\xff\xfe\x00\x00", "the file is empty"),  # a UTF-32 LE byte-order mark, no text
    (b"\xff\xfei\x00\xd8", "not valid UTF-16 LE at byte 4"),
])
def test_binary_files(cli: Callable[..., Result], tmp_path: Path, content: bytes,
                      message: str) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(content)
    result = cli("summary", str(path))
    assert result.code == 1
    assert message in result.err and str(path) + ":" in result.err


def test_missing_file_and_directory(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("summary", str(tmp_path / "nope.yaml"))
    assert result.code == 1
    assert "no such file" in result.err
    result = cli("summary", str(tmp_path))
    assert result.code == 1
    assert "is a directory" in result.err


def test_alias_bomb_is_refused(cli: Callable[..., Result], write_spec: Callable[..., Path]) -> None:
    lines = ["a0: &a0 [relu, relu, relu, relu, relu, relu, relu, relu, relu, relu]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    text = "\n".join(lines) + "\ninput: [3, 8, 8]\nlayers: *a8\n"
    result = cli("summary", str(write_spec(text)))
    assert result.code == 1
    assert "expands to more than" in result.err


def test_usage_errors_exit_2(cli: Callable[..., Result]) -> None:
    assert cli("summary").code == 2
    assert cli("summary", "lenet5", "--format", "xml").code == 2
    assert cli("summary", "lenet5", "--batch", "0").code == 2
    assert cli("summary", "lenet5", "--input", "3xabc").code == 2
    assert cli("sumary", "lenet5").code == 2
    assert "Did you mean 'summary'" in cli("sumary", "lenet5").err


def test_input_override_rank_mismatch(cli: Callable[..., Result]) -> None:
    result = cli("summary", "lenet5", "--input", "1x32")
    assert result.code == 1
    assert "spatial axes" in result.err
