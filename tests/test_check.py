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

from cnncalc.checks.codes import CODES

from .conftest import ROOT, Result

BROKEN = ROOT / "tests" / "broken"
CASES = sorted(p.stem for p in BROKEN.glob("*.yaml"))
NOTE = "      note: "  # a finding's note line (the block uses that led to it) under its headline


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
    before = (BROKEN / f"{name}.yaml").read_bytes()
    result = cli("check", f"tests/broken/{name}.yaml", *args)
    assert (BROKEN / f"{name}.yaml").read_bytes() == before  # the input is never changed
    assert "Traceback" not in result.out + result.err
    expected_path = BROKEN / f"{name}.expected"
    if request.config.getoption("--update-golden"):
        expected_path.write_text(result.out, encoding="utf-8")
    expected = expected_path.read_text(encoding="utf-8")
    assert result.out == expected
    assert result.err == ""
    has_error = any(": error: [" in line for line in expected.splitlines())
    assert result.code == (1 if has_error else 0)
    findings = [line for line in expected.splitlines()[:-1] if not line.startswith(NOTE)]
    assert all(re.match(rf"tests/broken/{re.escape(name)}\.yaml:\d+:\d+: (error|warning): "
                        r"\[[a-z-]+\] ", line) for line in findings), findings
    assert re.fullmatch(r"1 file checked(, 1 failed)?: .+", expected.splitlines()[-1])


def test_corpus_is_large() -> None:
    """At least 120 broken files: YAML syntax, tabs, indentation, encodings, typos, wrong types,
    misleading suggestions, blocks, names, shapes and limits (the special files, which cannot be
    committed, are in test_special_files)."""
    assert len(CASES) >= 120
    for prefix in ("yaml-", "encoding-", "typo-", "type-", "foreign-", "block-", "name-",
                   "shape-", "limit-", "structure-"):
        assert sum(1 for c in CASES if c.startswith(prefix)) >= 4, prefix


def test_corpus_covers_every_code_reachable_from_a_file() -> None:
    """Every code has a broken spec named after it, except those no file can produce here."""
    not_from_a_file = {"io", "cycle", "json", "export", "input-changes-params",
                       # from model files, not specs: tests/test_import*.py
                       "import", "import-unsupported", "import-shape", "import-params",
                       "prototxt", "missing-extra"}
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
        if path.name == "codes.py":
            continue
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'code="([a-z-]+)"', text))
        used |= set(re.findall(r'"(?:error|warning)",\s*"([a-z-]+)"\s*[,)]', text))
    assert used <= set(CODES), used - set(CODES)


# --- the bundled specs pass --------------------------------------------------------------------


def test_bundled_specs_pass_without_findings(cli: Callable[..., Result], at_root: Path) -> None:
    result = cli("check", "specs/")
    count = len(list((ROOT / "specs").rglob("*.yaml")))  # with the block files they include
    assert result.code == 0, result.out
    assert result.out == f"{count} files checked: no problems\n"
    assert cli("check", "specs/", "--strict").code == 0


# --- budgets -----------------------------------------------------------------------------------

NET = ("input: [3, 32, 32]\n{extra}layers:\n"
       "  - conv: {{out: 8, kernel: 3, padding: 1}}\n"       # 224 params, 221,184 MACs
       "  - batchnorm\n"                                      # 16 params, 16 buffers
       "  - global_avgpool\n  - flatten\n  - linear: {{out: 10}}\n")  # 90 params, 80 MACs


@pytest.mark.parametrize(("budget", "ok"), [
    ("{params: 330}", True),
    ("{params: 329}", False),
    ("{params: 1k, macs: 221_264}", True),
    ("{macs: 221_263}", False),
    ("{flops: 442528}", True),
    ("{flops: 442.527k}", False),
    ("{trainable_params: 330}", True),
])
def test_spec_budget_pass_fail(cli: Callable[..., Result], write_spec: Callable[..., Path],
                               budget: str, ok: bool) -> None:
    path = write_spec(NET.format(extra=f"budget: {budget}\n"))
    result = cli("check", str(path))
    assert result.code == (0 if ok else 1), result.out
    assert ("[budget]" in result.out) == (not ok)


def test_failed_budget_says_by_how_much(cli: Callable[..., Result],
                                        write_spec: Callable[..., Path]) -> None:
    path = write_spec(NET.format(extra="budget: {params: 300, macs: 0.2M}\n"))
    lines = cli("check", str(path)).out.splitlines()
    assert lines[0] == (f"{path}:2:18: error: [budget] params: 330 exceeds the budget of 300 by 30 "
                        f"(+10.0 %)")
    assert lines[1] == (f"{path}:2:29: error: [budget] MACs: 221,264 (221 k) exceeds the budget "
                        f"of 0.2M (200,000) by 21,264 (+10.6 %)")


def test_command_line_budgets_and_batch(cli: Callable[..., Result],
                                        write_spec: Callable[..., Path]) -> None:
    path = str(write_spec(NET.format(extra="")))
    assert cli("check", path, "--max-params", "330", "--max-macs", "221264").code == 0
    result = cli("check", path, "--max-macs", "221264", "--batch", "2")
    assert result.code == 1
    assert "MACs at batch 2: 442,528 (443 k) exceeds the command-line budget of 221264" \
        in result.out
    assert cli("check", path, "--max-params", "329").code == 1


@pytest.mark.parametrize("option", ["--max-params", "--max-macs", "--max-memory"])
def test_bad_command_line_budget_is_misuse(cli: Callable[..., Result], option: str) -> None:
    result = cli("check", "lenet5", option, "25m")
    assert result.code == 2
    assert "did you mean M?" in result.err


class FakeMemory:
    """A stand-in memory model: bytes proportional to the batch, recording its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, str]] = []

    def __call__(self, graph: object, report: object, *, dtype: str,
                 optimizer: str) -> dict[str, int]:
        batch = report.batch  # type: ignore[attr-defined]
        self.calls.append((batch, dtype, optimizer))
        size = {"float32": 4, "float16": 2}.get(dtype, 4)
        return {"activations_training_bytes": 1000 * batch * size,
                "peak_inference_bytes": 100 * batch * size,
                "peak_training_step_bytes": 5000 * batch * size}


def test_memory_budget_against_the_memory_model(cli: Callable[..., Result],
                                                write_spec: Callable[..., Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMemory()
    monkeypatch.setattr("cnncalc.checks.expectations.memory_totals", fake)
    spec = NET.format(extra="budget:\n  memory: {max: 64000, batch: 16, dtype: float16}\n")
    path = str(write_spec(spec))
    assert cli("check", path).code == 0  # 1000 · 16 · 2 = 32,000 bytes
    assert fake.calls == [(16, "float16", "sgd")]  # the memory model's default, as everywhere
    result = cli("check", path, "--max-memory", "31.25KiB")  # 32,000 bytes
    assert result.code == 0
    result = cli("check", path, "--max-memory", "3KiB", "--memory-phase", "inference",
                 "--batch", "8")  # 100 · 8 · 4 = 3,200 bytes > 3 KiB = 3,072
    assert result.code == 1
    assert (f"{path}:1:1: error: [budget] peak memory of inference (above parameters and "
            f"input) at batch 8, float32: 3.12 KiB (3,200 bytes) exceeds the command-line "
            f"budget of 3KiB (3,072 bytes) by 128 bytes (+4.2 %)") in result.out
    result = cli("check", path, "--max-memory", "40000", "--memory-phase", "step",
                 "--optimizer", "adam")  # 5000 · 1 · 4 = 20,000 bytes
    assert result.code == 0
    assert fake.calls[-1] == (1, "float32", "adam")


@pytest.mark.parametrize(("budget", "message"), [
    ("{parms: 1M}", "unknown budget key 'parms'; did you mean 'params'?"),
    ("{params: 1.5}", "budget params: 1.5 is not a whole number"),
    ("{params: lots}", "budget params: expected a number"),
    ("{memory: 8GiB/2}", "budget memory: expected a number"),
    ("{memory: {batch: 2}}", "a memory budget needs 'max'"),
    ("{memory: {max: 1GiB, dtype: float8}}", "memory budget dtype must be one of float32"),
    ("{memory: {max: 1GiB, batch: 0}}", "memory budget batch must be a positive integer"),
    ("[params]", "budget takes a mapping"),
])
def test_bad_budget_is_a_located_error(cli: Callable[..., Result],
                                       write_spec: Callable[..., Path], budget: str,
                                       message: str) -> None:
    path = write_spec(NET.format(extra=f"budget: {budget}\n"))
    result = cli("check", str(path))
    assert result.code == 1
    assert result.out.startswith(f"{path}:2:"), result.out
    assert message in result.out, result.out


# --- output formats ----------------------------------------------------------------------------

TWO = ("input: [3, 32, 32]\nbudget: {params: 100}\nlayers:\n"
       "  - conv: {out: 8, kernel: 5, padding: 1}\n")
"""A spec with one warning (padding-not-same, 4:5) and one error (budget, 2:18)."""


@pytest.fixture
def two(write_spec: Callable[..., Path]) -> Path:
    return write_spec(TWO, "two.yaml")


def test_text_format(cli: Callable[..., Result], two: Path) -> None:
    result = cli("check", str(two))
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{two}:2:18: error: [budget] params: 608 exceeds the budget of 100")
    assert lines[1].startswith(f"{two}:4:5: warning: [padding-not-same] conv 'conv1' at stride 1")
    assert lines[2] == "1 file checked, 1 failed: 1 error, 1 warning"
    assert all(len(line) > 0 for line in lines)


def test_text_with_source(cli: Callable[..., Result], two: Path) -> None:
    lines = cli("check", str(two), "--show-source").out.splitlines()
    assert lines[1:3] == ["    2 | budget: {params: 100}", "      |                  ^"]


def test_strict_turns_warnings_into_errors(cli: Callable[..., Result],
                                           write_spec: Callable[..., Path]) -> None:
    path = str(write_spec("input: [3, 32, 32]\nlayers:\n"
                          "  - conv: {out: 8, kernel: 5, padding: 1}\n"))
    assert cli("check", path).code == 0
    strict = cli("check", path, "--strict")
    assert strict.code == 1
    assert ": error: [padding-not-same]" in strict.out
    assert strict.out.endswith("1 file checked, 1 failed: 1 error, 0 warnings\n")
    assert cli("check", path, "--strict", "--disable", "padding-not-same").code == 0


def test_json_format(cli: Callable[..., Result], two: Path) -> None:
    result = cli("check", str(two), "lenet5", "--format", "json")
    assert result.code == 1
    data = json.loads(result.out)
    assert data["schema_version"] == 1 and data["ok"] is False and data["strict"] is False
    assert data["totals"] == {"files": 2, "failed": 1, "errors": 1, "warnings": 1}
    first, second = data["files"]
    assert first["path"] == str(two) and first["ok"] is False
    assert (first["errors"], first["warnings"]) == (1, 1)
    assert first["totals"]["params"] == 608
    assert first["budgets"] == [{
        "budget": "params", "limit": 100, "written": "100", "actual": 608, "ok": False,
        "over_by": 508, "source": "spec", "line": 2, "column": 18, "unit": "count"}]
    assert [f["code"] for f in first["findings"]] == ["budget", "padding-not-same"]
    assert first["findings"][1] == {
        "path": str(two), "line": 4, "column": 5, "severity": "warning",
        "code": "padding-not-same", "layer": "conv1", "notes": [],
        "message": first["findings"][1]["message"]}
    assert second["ok"] is True and second["findings"] == [] and second["name"].startswith("LeNet")


def test_a_finding_inside_a_block_names_its_uses(cli: Callable[..., Result],
                                                 write_spec: Callable[..., Path]) -> None:
    """A warning in a block's definition is reached through a use (of a use): every output
    format names both places, like a compiler's "in instantiation of" note."""
    path = write_spec("input: [3, 33, 33]\nblocks:\n  down:\n"
                      "    - conv: {out: 8, kernel: 3, stride: 2}\n"
                      "  two:\n    - down\n    - down\nlayers:\n  - two\n")
    text = cli("check", str(path)).out.splitlines()
    assert text[0].startswith(f"{path}:4:7: warning: [dropped-pixels] conv 'two1.down2.conv1'")
    assert text[1:3] == [f"      note: in use of block 'down' at {path}:7:7",
                         f"      note: in use of block 'two' at {path}:9:5"]
    finding = json.loads(cli("check", str(path), "--format", "json").out)["files"][0]["findings"][0]
    assert finding["notes"] == [f"in use of block 'down' at {path}:7:7",
                                f"in use of block 'two' at {path}:9:5"]
    sarif = json.loads(cli("check", str(path), "--format", "sarif").out)
    related = sarif["runs"][0]["results"][0]["relatedLocations"]
    assert [(r["message"]["text"], r["physicalLocation"]["region"]) for r in related] == [
        ("in use of block 'down'", {"startLine": 7, "startColumn": 7}),
        ("in use of block 'two'", {"startLine": 9, "startColumn": 5})]
    github = cli("check", str(path), "--format", "github").out
    assert f"%0Anote: in use of block 'down' at {path}%3A7%3A7" not in github  # data, not property
    assert f"%0Anote: in use of block 'down' at {path}:7:7" in github


def test_json_for_a_file_that_does_not_load(cli: Callable[..., Result],
                                            write_spec: Callable[..., Path]) -> None:
    path = write_spec("input: [3, 8, 8]\nlayers: [covn]\n")
    data = json.loads(cli("check", str(path), "--format", "json").out)
    assert data["files"][0]["totals"] is None and data["files"][0]["name"] is None
    assert data["files"][0]["findings"][0]["code"] == "unknown-kind"


def test_github_format(cli: Callable[..., Result], two: Path) -> None:
    result = cli("check", str(two), "--format", "github")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith(f"::error file={two},line=2,col=18,title=cnncalc [budget]::params: ")
    assert lines[1].startswith(f"::warning file={two},line=4,col=5,title=cnncalc "
                               f"[padding-not-same]::conv 'conv1'")
    assert lines[2] == "1 file checked, 1 failed: 1 error, 1 warning"


def test_github_escaping(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "odd, name%.yaml"
    path.write_text("input: [3, 8, 8]\nlayers: [covn]\n", encoding="utf-8")
    line = cli("check", str(path), "--format", "github").out.splitlines()[0]
    assert "file=" + str(path).replace("%", "%25").replace(":", "%3A").replace(",", "%2C") in line
    assert "title=cnncalc [unknown-kind]::" in line


def test_sarif_format(cli: Callable[..., Result], two: Path) -> None:
    result = cli("check", str(two), "--format", "sarif")
    assert result.code == 1
    log = json.loads(result.out)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CODES)
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("budget", "error"),
                                                             ("padding-not-same", "warning")]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 4,
                                                                          "startColumn": 5}


def test_every_format_on_a_clean_run(cli: Callable[..., Result], at_root: Path) -> None:
    for fmt in ("text", "json", "github", "sarif"):
        result = cli("check", "specs/lenet5.yaml", "--format", fmt)
        assert result.code == 0, fmt
        assert result.err == ""
    assert json.loads(cli("check", "lenet5", "--format", "sarif").out)["runs"][0]["results"] == []


# --- paths and misuse --------------------------------------------------------------------------


def test_directories_globs_and_duplicates(cli: Callable[..., Result], tmp_path: Path) -> None:
    good = "input: [3, 8, 8]\nlayers: [relu]\n"
    (tmp_path / "a.yaml").write_text(good)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text(good)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.yaml").write_text("not: [a, spec")
    (tmp_path / "notes.txt").write_text("ignored")
    assert cli("check", str(tmp_path)).out == "2 files checked: no problems\n"
    assert cli("check", str(tmp_path / "**" / "*.y*ml")).out == "2 files checked: no problems\n"
    assert cli("check", str(tmp_path), str(tmp_path / "a.yaml")).out.startswith("2 files")
    assert cli("check", "lenet5", "vgg16").out == "2 files checked: no problems\n"


@pytest.mark.parametrize("args", [
    (), ("lenet5", "--format", "xml"), ("lenet5", "--disable", "dead-layr"),
    ("lenet5", "--batch", "0"), ("lenet5", "--dtype", "float8"),
])
def test_misuse_exits_2(cli: Callable[..., Result], args: tuple[str, ...]) -> None:
    result = cli("check", *args)
    assert result.code == 2, result
    assert result.out == ""
    assert "Traceback" not in result.err


@pytest.mark.parametrize(("arg", "message"), [
    ("nope.yaml", "no such file: nope.yaml (bundled specs:"),
    ("nope/*.yaml", "no files match nope/*.yaml"),
])
def test_a_path_that_names_no_spec_is_an_input_error(cli: Callable[..., Result], arg: str,
                                                     message: str) -> None:
    """As in every command: exit 1 and a located [io] error, the other files still checked."""
    result = cli("check", arg, "lenet5")
    assert result.code == 1
    assert result.out.startswith(f"{arg}:1:1: error: [io] {message}")
    assert result.out.endswith("2 files checked, 1 failed: 1 error, 0 warnings\n")


def test_a_folder_without_specs_is_an_input_error(cli: Callable[..., Result],
                                                  tmp_path: Path) -> None:
    result = cli("check", str(tmp_path))
    assert result.code == 1
    assert result.out.startswith(f"{tmp_path}:1:1: error: [io] no *.yaml or *.yml files in ")


def test_list_codes(cli: Callable[..., Result]) -> None:
    result = cli("check", "--list-codes")
    assert result.code == 0
    assert [line.split()[0] for line in result.out.splitlines()] == list(CODES)


def test_help_has_examples(cli: Callable[..., Result]) -> None:
    out = cli("check", "--help").out
    assert "cnncalc check specs/ --strict --max-params 25M" in out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "cnncalc schema > cnncalc.schema.json" in cli("schema", "--help").out
