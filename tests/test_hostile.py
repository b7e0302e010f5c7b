"""Hostile input: every file a user can paste or a pull request can carry gets one located error
and exit 1 — never a traceback, a hang or a memory blow-up (docs/limits.md). Each case here is a
finding of the adversarial review or of the fuzzer (benchmarks/fuzz.py), kept as a regression
test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cnncalc.model.limits import DEFAULT_LIMITS, INT64_MAX, Limits

from .conftest import Result

HEAD = "input: [3, 8, 8]\nlayers:\n"


def _chain(depth: int, body: str) -> str:
    """Blocks b1 … b<depth>, each using the previous one ten times (b0 is ``body``)."""
    lines = ["input: [3, 8, 8]", "blocks:", f"  b0: {body}"]
    for i in range(1, depth + 1):
        lines.append(f"  b{i}: [{', '.join([f'b{i - 1}'] * 10)}]")
    return "\n".join(lines) + f"\nlayers:\n  - b{depth}\n  - relu\n"


def _squaring(depth: int, start: int) -> str:
    """Blocks whose parameter squares through ``depth`` nested uses: 2^depth evaluations unless
    parameter values are cached, and a 2^depth-bit number unless values are bounded."""
    lines = ["input: [3, 8, 8]", "blocks:",
             "  a0: {params: [p], layers: [conv: {out: $p, kernel: 1}]}"]
    for i in range(1, depth + 1):
        lines.append(f"  a{i}: {{params: [p], layers: [a{i - 1}: {{p: $p * $p}}]}}")
    return "\n".join(lines) + f"\nlayers:\n  - a{depth}: {{p: {start}}}\n"


def _nested_blocks(depth: int) -> str:
    """Each block nests the previous one inside a branch: shallow YAML, deep expansion."""
    lines = ["input: [3, 8, 8]", "blocks:", "  c0: [relu]"]
    for i in range(1, depth + 1):
        lines.append(f"  c{i}: [concat: [[c{i - 1}], [relu]]]")
    return "\n".join(lines) + f"\nlayers:\n  - c{depth}\n"


def _long_prefixes() -> str:
    """Blocks nested twenty deep, each named with 90 characters: every layer name would carry
    1,800 characters of prefixes."""
    lines = ["input: [3, 8, 8]", "blocks:", "  c0: [relu]"]
    for i in range(1, 21):
        lines.append(f"  c{i}: [c{i - 1}: {{name: {'x' * 90}}}]")
    return "\n".join(lines) + "\nlayers:\n  - c20\n"


# (case, spec text, "line:col" of the error, message fragment)
CASES = [
    ("shape-1e12", "input: [3, 1000000000000, 1000000000000]\nlayers: [relu]\n", "1:12",
     "input size 1,000,000,000,000 exceeds the limit of 4,294,967,296 (max_dim; raise it with "
     "--limit max_dim=N)"),
    ("channels-1e12", HEAD + "  - conv: {out: 1000000000000, kernel: 3}\n", "3:5",
     "gives 1000000000000×6×6, whose size 1,000,000,000,000 exceeds the limit of 4,294,967,296 "
     "(max_dim"),
    ("adaptive-1e12", HEAD + "  - adaptive_avgpool: {output: 1000000000000}\n", "3:5",
     "exceeds the limit of 4,294,967,296 (max_dim"),
    ("upsample-overflow", HEAD + "  - upsample: {scale: 1.0e+308}\n", "3:5",
     "output size 8 × scale 1e+308 is far too large"),
    ("int-beyond-64-bits", HEAD + "  - conv: {out: 100000000000000000000, kernel: 3}\n", "3:17",
     "the integer '100000000000000000000' is too large (at most 9,223,372,036,854,775,807"),
    ("binary-int-20000-digits", HEAD + "  - conv: {out: 1, kernel: 0b" + "1" * 20000 + "}\n",
     "3:28", "is too large"),
    ("batch-over-max-dim", "input: [3, 8, 8]\nbatch: 10000000000\nlayers: [relu]\n", "2:8",
     "batch 10,000,000,000 exceeds the limit of 4,294,967,296 (max_dim"),
    ("negative-kernel", HEAD + "  - conv: {out: 8, kernel: -3}\n", "3:28",
     "conv kernel: must be at least 1, got -3"),
    ("float-channels", HEAD + "  - conv: {out: 8.0, kernel: 3}\n", "3:17",
     "conv out: expected an integer, got a number (8.0)"),
    ("bool-stride", HEAD + "  - conv: {out: 8, kernel: 3, stride: true}\n", "3:39",
     "conv stride: expected an integer or a list of integers, got a boolean (true)"),
    ("bool-padding", HEAD + "  - conv: {out: 8, kernel: 3, padding: false}\n", "3:40",
     "conv padding: expected an integer, a list or a word like 'same', got a boolean"),
    ("nan", HEAD + "  - dropout: {p: .nan}\n", "3:18", "expected a finite number, got nan"),
    ("negative-input", "input: [3, -8, 8]\nlayers: [relu]\n", "1:12",
     "input sizes must be positive integers, got -8"),
    ("float-input", "input: [3, 8.5, 8]\nlayers: [relu]\n", "1:12",
     "input sizes must be positive integers, got 8.5"),
    ("duplicate-key-top", "input: [3, 8, 8]\ninput: [3, 9, 9]\nlayers: [relu]\n", "2:1",
     "duplicate key 'input' (first at line 1)"),
    ("duplicate-key-nested", HEAD + "  - conv:\n      out: 8\n      kernel: 3\n      out: 9\n",
     "6:7", "duplicate key 'out' (first at line 4)"),
    ("duplicate-name-in-branch", HEAD + "  - concat:\n      - [conv: {out: 4, kernel: 1, name: x}]"
     "\n      - [conv: {out: 4, kernel: 1, name: x}]\n", "5:42", "layer name 'x' is already used"),
    ("duplicate-name-block-uses", "input: [3, 8, 8]\nblocks:\n  b: [relu]\nlayers:\n"
     "  - b: {name: u}\n  - b: {name: u}\n", "6:15", "layer name 'u' is already used"),
    ("name-input-reserved", HEAD + "  - relu: {name: input}\n", "3:18",
     "reserved for the network input"),
    ("empty-block-bomb", _chain(7, "[]"), "4:", "limit max_expansions"),
    ("empty-repeat-bomb", HEAD + "  - repeat: 1000000\n    layers:\n      - repeat: 1000000\n"
     "        layers: []\n", "5:17",
     "repeat 1,000,000 × 1 steps per pass (layers, block uses, branches and inputs) would take "
     "1,000,003 steps, over the limit of 1,000,000 (max_expansions"),
    ("repeat-1e9", HEAD + "  - repeat: 1000000000\n    layers: [relu]\n", "3:13",
     "repeat 1,000,000,000 exceeds the limit of 1,000,000 (max_repeat; raise it with --limit "
     "max_repeat=N)"),
    ("repeat-times-layers", HEAD + "  - repeat: 600000\n    layers: [relu, relu]\n", "3:13",
     "repeat 600,000 × 2 layers would make 1,200,000 layers, over the limit of 250,000 "
     "(max_layers"),
    ("squaring-parameters", _squaring(30, 3), "28:40", "gives a number beyond 64 bits"),
    ("deep-yaml-lists", "input: [3, 8, 8]\nlayers: " + "[" * 5000 + "]" * 5000 + "\n", "2:",
     "nested more than 100 levels deep (limit max_depth)"),
    ("deep-yaml-maps", "input: [3, 8, 8]\nlayers: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
     "2:", "nested more than 100 levels deep (limit max_depth)"),
    ("deep-branches", _nested_blocks(60), "14:19", "layers are nested more than 100 deep"),
    ("deep-expression", "input: [3, 8, 8]\nblocks:\n  b: {params: [c], layers: [conv: {out: "
     "'$" + "(" * 40 + "c" + ")" * 40 + "', kernel: 1}]}\nlayers:\n  - b: {c: 4}\n", "3:",
     "parentheses nested more than 32 deep"),
    ("huge-aliased-attribute", HEAD + "  - conv: {out: 8, kernel: &big [" +
     ", ".join(["1"] * 100) + "]}\n  - repeat: 1000\n    layers: [conv: {out: 8, kernel: *big}]\n",
     "3:28", "this attribute value holds 101 values; an attribute is a number"),
    ("self-alias", "a: &a [*a]\ninput: [3, 8, 8]\nlayers: [relu]\n", "1:8",
     "alias *a refers to a node that contains it"),
    ("unknown-alias", HEAD + "  - *nothing\n", "3:5", "unknown alias *nothing"),
    ("two-documents", HEAD + "  - relu\n---\n" + HEAD + "  - relu\n", "4:1",
     "more than one YAML document"),
    ("python-object-tag", HEAD + "  - !!python/object/new:os.system [echo]\n", "3:5",
     "unsupported YAML tag"),
    ("custom-tag", HEAD + "  - !conv {out: 8}\n", "3:5", "unsupported YAML tag"),
    ("binary-in-yaml", "input: [3, 8, 8]\nlayers: !!binary aGVsbG8=\n", "2:9",
     "unsupported YAML tag"),
    ("set-tag", "input: !!set {3, 8}\nlayers: [relu]\n", "1:8", "unsupported YAML tag"),
    ("mapping-key-list", "? [a, b]\n: 1\ninput: [3, 8, 8]\nlayers: [relu]\n", "1:3",
     "a mapping key must be a plain name"),
    ("merge-key-scalar", "d: &d 1\ninput: [3, 8, 8]\nlayers:\n  - conv: {<<: *d, out: 8, "
     "kernel: 3}\n", "4:16", "a merge key '<<' needs a mapping"),
    ("long-repeat-name", HEAD + "  - repeat: 200000\n    name: " + "n" * 5000 + "\n"
     "    layers: [relu]\n", "4:11", "is not a usable layer name (start with a letter, digit or _, "
     "then letters, digits, _ . or -; at most 100 characters)"),
    ("long-block-name", "input: [3, 8, 8]\nblocks:\n  " + "b" * 101 + ": [relu]\nlayers: [relu]\n",
     "3:3", "is not a usable block name"),
    ("long-scoped-names", _long_prefixes(), "13:20", "characters long with the names of the blocks "
     "and repeats around it (at most 1,000)"),
    ("terminal-escapes", HEAD + '  - "\\e]0;pwned\\a\\e[2J"\n', "3:5",
     "unknown layer kind '\\x1b]0;pwned\\x07\\x1b[2J'"),
    ("tab-indent", "input: [3, 8, 8]\nlayers:\n\t- relu\n", "3:1",
     "a tab character indents this line; YAML indents with spaces only"),
    ("only-comment", "# nothing here\n", "1:1", "the file is empty"),
    ("scalar-document", "hello\n", "1:1", "a spec is a mapping with 'input' and 'layers', got "
     "the string 'hello'"),
    ("null-layers", "input: [3, 8, 8]\nlayers:\n", "2:8", "'layers' must be a non-empty list"),
]


@pytest.mark.parametrize(("case", "text", "where", "message"), CASES, ids=[c[0] for c in CASES])
def test_hostile_spec_gives_one_located_error(cli: Callable[..., Result],
                                              write_spec: Callable[..., Path], case: str,
                                              text: str, where: str, message: str) -> None:
    path = write_spec(text, f"{case}.yaml")
    result = cli("summary", str(path))
    assert result.code == 1, result.err
    assert result.out == ""
    first = result.err.splitlines()[0]
    assert first.startswith(f"{path}:{where}"), first
    assert ": error: " in first
    assert message in first, first
    assert "Traceback" not in result.err


def test_binary_garbage_and_odd_paths(cli: Callable[..., Result], tmp_path: Path) -> None:
    for name, content in (("zeros.yaml", b"\x00" * 1000), ("png.yaml", b"\x89PNG\r\n\x1a\n"),
                          ("utf16.yaml", "input: [3]\n".encode("utf-16")),
                          ("latin1.yaml", "name: caf\xe9\n".encode("latin-1"))):
        path = tmp_path / name
        path.write_bytes(content)
        result = cli("summary", str(path))
        assert result.code == 1, (name, result.err)
        assert result.err.startswith(f"{path}:1:"), (name, result.err)
    for odd in ("a" * 5000, "nul\x00byte", str(tmp_path / ("b" * 300) / "x.yaml")):
        result = cli("summary", odd)
        assert result.code == 1, result.err
        assert ":1:1: error: [io]" in result.err
        assert "Traceback" not in result.err


def test_file_over_max_file_bytes_is_refused_unread(cli: Callable[..., Result],
                                                    tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:  # a sparse file: reading it would take seconds
        fh.truncate(64 * 1024 * 1024 + 10)
    result = cli("summary", str(path))
    assert result.code == 1
    assert result.err == (f"{path}:1:1: error: [limit] {path} is 67,108,874 bytes, over the limit "
                          f"of 131,072 (max_file_bytes; raise it with --limit "
                          f"max_file_bytes=N); spec files are a few kilobytes\n")


def test_limits_can_be_raised_and_sizes_of_1e12_then_work(cli: Callable[..., Result],
                                                          write_spec: Callable[..., Path]) -> None:
    """With max_dim raised, 10^12-wide axes are computed exactly, in constant time per layer
    (nothing is allocated or looped over in proportion to a size)."""
    path = write_spec("input: [3, 1000000000000]\nlayers:\n"
                      "  - conv: {out: 4, kernel: 7, stride: 2, padding: 3}\n"
                      "  - adaptive_avgpool: {output: 999999999999}\n"
                      "  - upsample: {scale: 2.5}\n  - maxpool: {kernel: 3, ceil_mode: true}\n"
                      "  - conv_transpose: {out: 2, kernel: 4, stride: 2}\n")
    assert cli("summary", str(path)).code == 1
    result = cli("summary", str(path), "--limit", "max_dim=10000000000000", "--format", "json",
                 "--explain")
    assert result.code == 0, result.err
    assert '"output_shape": [\n    2,\n    1666666666668\n  ]' in result.out


def test_limit_option_misuse_exits_2(cli: Callable[..., Result]) -> None:
    for value in ("max_layers", "nope=3", "max_dim=abc", "max_dim=0", "max_dim=-5"):
        result = cli("summary", "lenet5", "--limit", value)
        assert result.code == 2, (value, result.err)
        assert "--limit" in result.err


def test_every_limit_is_documented_and_named_in_its_message() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "limits.md").read_text()
    for name in Limits.names():
        assert f"`{name}`" in doc, f"docs/limits.md does not describe {name}"
        message = DEFAULT_LIMITS.exceeded(name, "x", getattr(DEFAULT_LIMITS, name) + 1)
        assert f"({name}; raise it with --limit {name}=N)" in message


def test_rf_fractions_that_never_cancel_stay_linear(cli: Callable[..., Result],
                                                    write_spec: Callable[..., Path]) -> None:
    """upsample to 7, conv to 6, upsample to 7 … makes the jump (6/7)^n: exact arithmetic on it
    was quadratic in time and memory. Past RF_MAX_BITS the field is reported unknown."""
    path = write_spec("input: [1, 6]\nlayers:\n  - repeat: 2000\n"
                      "    layers: [upsample: {size: 7}, conv: {out: 1, kernel: 2}]\n")
    result = cli("summary", str(path), "--format", "json")
    assert result.code == 0, result.err
    assert '"rf-untracked"' in result.out
    assert result.out.count('"rf": null') > 3900
    assert len(result.out) < 5_000_000  # no huge fractions printed


def test_api_refuses_hostile_python_data() -> None:
    import cnncalc

    shared: list[object] = ["relu"]
    for _ in range(12):
        shared = [shared] * 10  # a "billion laughs" of Python lists
    with pytest.raises(cnncalc.SpecError, match=r"max_values|max_depth"):
        cnncalc.load({"input": [3, 8, 8], "layers": shared})
    nested: list[object] = []
    for _ in range(500):
        nested = [nested]
    with pytest.raises(cnncalc.SpecError, match="max_depth"):
        cnncalc.load({"input": [3, 8, 8], "layers": nested})
    with pytest.raises(cnncalc.SpecError, match="at most 9,223,372,036,854,775,807"):
        cnncalc.load({"input": [3, 8, 8], "layers": [{"conv": {"out": 8, "kernel": 10**5000}}]})


def test_int64_bound_is_pytorchs() -> None:
    assert INT64_MAX == 9_223_372_036_854_775_807


def test_command_line_sizes_over_max_dim_are_misuse(cli: Callable[..., Result]) -> None:
    for args in (("--batch", "99999999999999"), ("--input", "3x99999999999x8")):
        result = cli("summary", "lenet5", *args)
        assert result.code == 2, result.err
        assert "exceeds the limit of 4,294,967,296 (max_dim" in result.err
    raised = cli("summary", "lenet5", "--batch", "99999999999999", "--limit",
                 "max_dim=100000000000000", "--format", "json")
    assert raised.code == 0, raised.err
    assert '"batch": 99999999999999' in raised.out


def test_huge_keys_are_quoted_short(cli: Callable[..., Result],
                                    write_spec: Callable[..., Path]) -> None:
    path = write_spec(HEAD + "  - " + "k" * 100_000 + "\n")
    result = cli("summary", str(path))
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert first.startswith(f"{path}:3:5: error: [unknown-kind] unknown layer kind 'kkk")
    assert len(first) < len(str(path)) + 1100


@pytest.mark.parametrize(("args", "code", "message"), [
    (("conv", "1000000000000", "-k", "3", "-s", "1000000000000000000000"), 0,
     "3 and 1000000000000000000003 use every pixel"),
    (("deconv", "5", "-k", "3", "-s", "1000000000000000000000", "-d", "100000000000000000"), 0,
     "maps each of 4000200000000000000001…5000200000000000000000 back to 5"),
    (("pool", "1000000000000", "-k", "3", "-s", "1000000000000000000000"), 0, "use every pixel"),
    (("solve", "--in", "1000000000000", "--out", "5", "-k", "3"), 1,
     "more than 10,000 settings give this size"),
    (("solve", "--in", "7", "--out", "1000000000000", "--transpose", "-k", "4"), 1,
     "more than 10,000 settings give this size"),
    (("solve", "--in", "100", "--out", "5", "-k", "1:100000000"), 1,
     "more than 10,000 settings give this size"),
    (("pad", "-k", "5", "-s", "1000000000000"), 1, "give the size (--in)"),
    (("chain", "224", "conv k3 p1 x1000000000"), 2, "at most 10,000"),
])
def test_quick_calculators_answer_huge_numbers_at_once(cli: Callable[..., Result],
                                                      args: tuple[str, ...], code: int,
                                                      message: str) -> None:
    """Each of these once searched or listed in proportion to a size or stride (hours)."""
    result = cli(*args)
    assert result.code == code, (result.out, result.err)
    assert message in result.out + result.err
    assert "Traceback" not in result.err


def test_validate_refuses_arrays_over_max_tensor_elements(cli: Callable[..., Result]) -> None:
    pytest.importorskip("numpy")
    # --max-memory raised: the element limit holds even where memory is plentiful
    result = cli("validate", "lenet5", "--batch", "300000", "--no-progress", "--max-memory",
                 "1000TiB")
    assert result.code == 1
    assert ("needs an array of 1,411,200,000 elements (the output of 'c1' for batch 300000), more "
            "than the limit of 268,435,456 (max_tensor_elements; raise it with --limit "
            "max_tensor_elements=N)") in result.err
    small = cli("validate", "lenet5", "--batch", "2", "--no-progress", "--limit",
                "max_tensor_elements=20000")
    assert small.code == 1 and "48,000 elements (the weights of 'c5')" in small.err


def test_check_reports_named_pipes_in_folders_without_waiting(cli: Callable[..., Result],
                                                               tmp_path: Path) -> None:
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    (tmp_path / "net.yaml").write_text("input: [3, 8, 8]\nlayers: [relu]\n")
    os.mkfifo(tmp_path / "pipe.yaml")  # reading it would wait for a writer forever
    result = cli("check", str(tmp_path))
    assert result.code == 1, result.err
    assert f"pipe.yaml:1:1: error: [io] {tmp_path}/pipe.yaml is a named pipe (FIFO)" in result.out
    assert result.out.endswith("2 files checked, 1 failed: 1 error, 0 warnings\n")


def test_receptive_fields_stop_before_the_walk_stops_being_linear(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import cnncalc
    from cnncalc.analysis import walk

    # a stride on a one-unit axis doubles the jump at every layer: 128 bits, then unknown
    doubling = cnncalc.load("input: [1, 1]\nlayers:\n  - repeat: 300\n"
                            "    layers: [conv: {out: 1, kernel: 1, stride: 2}]\n").summary()
    assert doubling.layers[100].rf is not None and doubling.layers[200].rf is None
    assert [w.code for w in doubling.warnings] == ["rf-untracked"]
    assert "beyond 128 bits" in doubling.warnings[0].message
    # behind an irregular upsampling every layer costs its period: a work budget
    irregular = "input: [1, 64]\nlayers:\n  - upsample: {size: 4095}\n  - repeat: 40\n" \
                "    layers: [conv: {out: 1, kernel: 3, padding: 1}]\n"
    assert cnncalc.load(irregular).summary().layers[-1].rf is not None
    monkeypatch.setattr(walk, "RF_BUDGET", 50_000)
    report = cnncalc.load(irregular).summary()
    assert report.layers[5].rf is not None and report.layers[-1].rf is None
    assert "more than 50,000 steps" in report.warnings[0].message
    assert report.output_shape.spatial == (4095,)  # shapes and counts are unaffected
