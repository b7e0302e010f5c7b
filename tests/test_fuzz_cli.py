"""Property tests over the whole command line, run in-process (issue 8).

* Random garbage, YAML token soup, random (mostly broken) specs and random command lines: the exit
  code is 0, 1 or 2, nothing prints a traceback, and every error line is ``file:line:col: error:``.
* Random *valid* specs: the ``summary --format json`` report is internally consistent (column sums
  equal the totals; every layer's input shapes are its producers' output shapes) and agrees with
  the CSV rendering.

Example counts are bounded so CI stays fast; ``benchmarks/fuzz.py`` runs the same checks for as
long as you like.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cnncalc.model import arith

from .conftest import Result

SCALE = float(os.environ.get("CNNCALC_FUZZ_SCALE", "1"))
"""Multiplies every example count below (CNNCALC_FUZZ_SCALE=50 for a long local run)."""
FUZZ = settings(max_examples=int(60 * SCALE), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

KINDS = ["conv", "conv_transpose", "locally_connected", "maxpool", "avgpool", "lppool",
         "global_avgpool", "adaptive_avgpool", "linear", "flatten", "dropout", "batchnorm", "lrn",
         "upsample", "pad", "crop", "concat", "add", "identity", "relu", "leaky_relu", "softmax",
         "prelu", "gelu", "fc", "bn", "covn", "repeat", "blk", "input", ""]
ATTRS = ["out", "kernel", "stride", "padding", "dilation", "groups", "bias", "output_padding",
         "ceil_mode", "output", "p", "size", "scale", "mode", "like", "border", "name", "inputs",
         "trainable", "branches", "layers", "repeat", "c", "kernal", "eps"]
WORDS = ["same", "valid", "full", "same_tf", "caffe", "nearest", "linear", "reflect", "conv1",
         "relu1", "input", "$c", "$c * 2", "$(c + 1) // 2", "$nope", "$c / 0", "${c}", "x", ""]

small = st.integers(0, 6)
hostile_scalars = st.one_of(
    st.integers(-3, 300), st.integers(-2**70, 2**70), st.sampled_from([2**32, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.sampled_from(WORDS), st.text(max_size=8))
hostile = st.recursive(hostile_scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=8)
values = st.one_of(small, small, st.sampled_from(["same", "valid", "same_tf", True, False, "$c"]),
                   st.lists(small, min_size=1, max_size=3), hostile)
"""Mostly plausible attribute values (so specs get past the loader into the walk), some
hostile."""
NAMES = ["a", "b", "conv1", "relu1", "input", "stage.1.conv1", "nope"]
names = st.sampled_from(NAMES)
typical = st.one_of(
    st.sampled_from(["relu", "bn", "flatten", "identity", "gap", "softmax", "dropout"]),
    st.builds(lambda o, k, s, p, g: {"conv": {"out": o, "kernel": k, "stride": s, "padding": p,
                                              "groups": g}}, small, small, small, values, small),
    st.builds(lambda o, k, s, op: {"conv_transpose": {"out": o, "kernel": k, "stride": s,
                                                      "output_padding": op}},
              small, small, small, small),
    st.builds(lambda kind, k, s, p, c: {kind: {"kernel": k, "stride": s, "padding": p,
                                               "ceil_mode": c}},
              st.sampled_from(["maxpool", "avgpool"]), small, small, values,
              st.sampled_from([True, False, "caffe"])),
    st.builds(lambda o: {"linear": {"out": o}}, small),
    st.builds(lambda v: {"upsample": {"scale": v}}, values),
    st.builds(lambda v: {"adaptive_avgpool": {"output": v}}, values),
    st.builds(lambda v: {"crop": {"size": v}}, values),
    st.builds(lambda n: {"crop": {"like": n}}, names),
    st.builds(lambda v: {"pad": {"padding": v}}, values),
    st.builds(lambda k, ns: {k: {"inputs": ns}}, st.sampled_from(["concat", "add"]),
              st.lists(names, max_size=3)),
    st.builds(lambda n: {"identity": {"name": n}}, names))


def layer_entries(depth: int) -> st.SearchStrategy[Any]:
    attrs = st.dictionaries(st.sampled_from(ATTRS), values, max_size=5)
    simple = st.one_of(
        typical, typical, typical,
        st.sampled_from(KINDS),
        st.builds(lambda k, a: {k: a}, st.sampled_from(KINDS), attrs),
        st.builds(lambda k, a, n: {k: a, "name": n}, st.sampled_from(KINDS), attrs,
                  st.sampled_from(["a", "b", "input", "conv1", 3])),
        values)
    if depth <= 0:
        return simple
    inner = st.lists(layer_entries(depth - 1), max_size=4)
    return st.one_of(
        simple,
        st.builds(lambda n, body: {"repeat": n, "layers": body},
                  st.one_of(st.integers(-1, 4), st.sampled_from([10**9, "$c", "x"])), inner),
        st.builds(lambda k, branches: {k: branches}, st.sampled_from(["concat", "add"]),
                  st.lists(inner, max_size=3)),
        st.builds(lambda args: {"blk": args},
                  st.dictionaries(st.sampled_from(["c", "d", "name", "inputs"]), values,
                                  max_size=3)))


specs = st.fixed_dictionaries(
    {"input": st.one_of(st.lists(st.integers(1, 24), min_size=1, max_size=4),
                        st.lists(st.integers(1, 24), min_size=1, max_size=4),
                        st.lists(st.integers(-1, 40), min_size=0, max_size=5),
                        st.sampled_from(["3x32x32", "3x", [3, 2**40, 8]]), values),
     "layers": st.lists(layer_entries(2), max_size=8)},
    optional={
        "blocks": st.fixed_dictionaries({"blk": st.fixed_dictionaries(
            {"params": st.sampled_from([["c"], {"c": 4, "d": None}, {"c": 8}, "c"]),
             "layers": st.lists(layer_entries(1), max_size=4)})}),
        "defaults": st.dictionaries(st.sampled_from(KINDS[:6]),
                                    st.dictionaries(st.sampled_from(ATTRS), values, max_size=2),
                                    max_size=2),
        "batch": values, "name": values})

TOKENS = ["input:", "layers:", "blocks:", "- ", "conv:", "repeat:", "concat:", "add:", "{", "}",
          "[", "]", ",", ":", " ", "  ", "\n", "\n  ", "\n    - ", "&a ", "*a", "<<: ", "!!str ",
          "!!python/object:os.system", "!foo", "---\n", "...\n", "? ", "|\n", ">\n", "#", "'",
          '"', "3", "-1", "1.5", "1e9", ".inf", ".nan", "true", "null", "~", "0x1F", "0o7",
          "1_000", "9" * 30, "out", "kernel", "$c", "\t", "\ufeff", "é", "\x85", "\u2028"]
soup = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)

ERROR_LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): error: ")


def check_outcome(result: Result, path: Path | None) -> None:
    """Exit 0/1/2, no traceback, and each error names its file:line:col."""
    assert result.code in (0, 1, 2), (result.code, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert "internal error" not in result.err, result.err
    assert not any((ord(c) < 32 and c != "\n") or 127 <= ord(c) < 160 for c in result.err), \
        "control characters reached the terminal"
    if result.code == 1:
        errors = [line for line in result.err.splitlines() if "error:" in line]
        assert errors, result.err
        for line in errors:
            m = ERROR_LINE.match(line)
            assert m is not None, line
            if path is not None:
                assert m.group("path") == str(path), line


def run_file(cli: Callable[..., Result], path: Path, data: bytes) -> Result:
    path.write_bytes(data)
    result: Result = cli("summary", str(path))
    check_outcome(result, path)
    return result


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(cli: Callable[..., Result], tmp_path: Path, data: bytes) -> None:
    run_file(cli, tmp_path / "garbage.yaml", data)


@FUZZ
@given(st.text(max_size=200))
def test_random_text(cli: Callable[..., Result], tmp_path: Path, text: str) -> None:
    run_file(cli, tmp_path / "text.yaml", text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(soup)
def test_yaml_token_soup(cli: Callable[..., Result], tmp_path: Path, text: str) -> None:
    run_file(cli, tmp_path / "soup.yaml", text.encode("utf-8"))


@settings(FUZZ, max_examples=int(150 * SCALE))
@given(specs, st.sampled_from(["flow", "block"]))
def test_random_specs(cli: Callable[..., Result], tmp_path: Path, spec: dict[str, Any],
                      style: str) -> None:
    text = yaml.safe_dump(spec, default_flow_style=(style == "flow"), allow_unicode=True)
    result = run_file(cli, tmp_path / "spec.yaml", text.encode("utf-8"))
    assert result.code in (0, 1)


@FUZZ
@given(specs, st.integers(0, 10_000), st.sampled_from(["delete", "insert", "swap"]),
       st.sampled_from(TOKENS))
def test_mutated_specs(cli: Callable[..., Result], tmp_path: Path, spec: dict[str, Any],
                       where: int, how: str, token: str) -> None:
    """A spec with one edit (a dropped character, an inserted token, two swapped characters)."""
    text = yaml.safe_dump(spec, default_flow_style=None)
    i = where % (len(text) + 1)
    if how == "delete":
        text = text[:i] + text[i + 1:]
    elif how == "insert":
        text = text[:i] + token + text[i:]
    elif i + 1 < len(text):
        text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    run_file(cli, tmp_path / "mutated.yaml", text.encode("utf-8"))


ARGS = ["summary", "kinds", "conv", "sumary", "lenet5", "alexnet", "nope", "--input", "3x64x64",
        "1x32x32", "3x0", "3xabc", "99999999999999999999999", "--batch", "0", "2", "-1",
        "--format", "json", "csv", "markdown", "text", "xml", "--explain", "--no-color",
        "--width", "40", "5", "--limit", "max_layers=10", "max_dim=2", "bad=1", "--help", "-h",
        "--version", "--", "-", "",
        # the quick calculators, with sizes a hostile or careless user might type
        "deconv", "pool", "chain", "solve", "pad", "rf", "check", "list", "schema", "-k", "-s",
        "-p", "-d", "--in", "--out", "--transpose", "--ceil", "1000000000000",
        "1000000000000000000000", "224", "7", "3x5", "same", "conv k3 p1 x1000000000",
        "conv k7 s2 p3; maxpool k3 s2", "deconv k4 s1000000000000"]


@FUZZ
@given(st.lists(st.sampled_from(ARGS), max_size=7))
def test_random_command_lines(cli: Callable[..., Result], argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code in (0, 1, 2), (argv, result.code, result.err)
    assert "Traceback" not in result.err
    assert "internal error" not in result.err, (argv, result.err)


# --- valid specs: the report is consistent ------------------------------------------------------

@st.composite
def valid_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A spec that is valid by construction: the generator tracks the shape as it goes, using
    the formulas only to keep its choices legal (what is tested is the report's consistency)."""
    rank = draw(st.integers(0, 3))
    size = draw(st.integers(4, 12 if rank == 3 else 40))
    channels = draw(st.integers(1, 6))
    spatial = [size] * rank
    first = [channels, *spatial]
    layers: list[Any] = []
    named: list[tuple[str, int, tuple[int, ...]]] = []  # name, channels, spatial

    def conv_same(out: int) -> dict[str, Any]:
        return {"conv": {"out": out, "kernel": 3, "padding": 1, "bias": draw(st.booleans())}}

    for step in range(draw(st.integers(1, 10))):
        if not spatial:
            choice = draw(st.sampled_from(["linear", "relu", "dropout", "bn"]))
        else:
            choice = draw(st.sampled_from(["conv", "conv_same", "pool", "add", "concat", "repeat",
                                           "bn", "relu", "transpose", "skip", "upsample",
                                           "adaptive", "flatten", "frozen"]))
        if choice == "linear":
            channels = draw(st.integers(1, 20))
            layers.append({"linear": {"out": channels, "bias": draw(st.booleans())}})
        elif choice == "relu":
            layers.append("relu")
        elif choice == "dropout":
            layers.append({"dropout": {"p": 0.3}})
        elif choice == "bn":
            layers.append({"bn": {"affine": draw(st.booleans())}})
        elif choice == "frozen":
            layers.append({"conv": {"out": channels, "kernel": 1}, "trainable": False})
        elif choice == "conv":
            k = draw(st.integers(1, min(5, *spatial)))
            s = draw(st.integers(1, 2))
            groups = draw(st.sampled_from([1, channels]))
            out = groups * draw(st.integers(1, 4))
            layers.append({"conv": {"out": out, "kernel": k, "stride": s, "groups": groups}})
            spatial = [arith.conv_out(i, k, s) for i in spatial]
            channels = out
        elif choice == "conv_same":
            channels = draw(st.integers(1, 8))
            layers.append(conv_same(channels))
        elif choice == "pool" and min(spatial) >= 2:
            ceil = draw(st.booleans())
            kind = draw(st.sampled_from(["maxpool", "avgpool"]))
            layers.append({kind: {"kernel": 2, "ceil_mode": ceil}})
            spatial = [arith.pool_out(i, 2, 2, ceil_mode=ceil) for i in spatial]
        elif choice == "add":
            layers.append({"add": [[], [conv_same(channels), "relu", conv_same(channels)]]})
        elif choice == "concat":
            a, b = draw(st.integers(1, 4)), draw(st.integers(1, 4))
            layers.append({"concat": [[{"conv": {"out": a, "kernel": 1}}], [conv_same(b)],
                                      [{"maxpool": {"kernel": 3, "stride": 1, "padding": 1}}]]})
            channels = a + b + channels
        elif choice == "repeat":
            layers.append({"repeat": draw(st.integers(1, 3)), "name": f"stage{step}",
                           "layers": [conv_same(channels), "relu"]})
        elif choice == "transpose":
            channels = draw(st.integers(1, 4))
            layers.append({"conv_transpose": {"out": channels, "kernel": 2, "stride": 2}})
            spatial = [2 * i for i in spatial]
        elif choice == "upsample":
            layers.append({"upsample": {"scale": 2}})
            spatial = [2 * i for i in spatial]
        elif choice == "adaptive":
            out = draw(st.integers(1, 6))
            layers.append({"adaptive_avgpool": {"output": out}})
            spatial = [out] * len(spatial)
        elif choice == "flatten":
            layers.append("flatten")
            for i in spatial:
                channels *= i
            spatial = []
        elif choice == "skip":
            matching = [n for n in named if n[2] == tuple(spatial)]
            if matching:
                other = draw(st.sampled_from(matching))
                layers.append({"identity": {"name": f"here{step}"}})
                layers.append({"concat": {"inputs": [other[0], f"here{step}"]}})
                channels += other[1]
        if spatial and draw(st.booleans()):
            layers.append({"identity": {"name": f"n{step}"}})
            named.append((f"n{step}", channels, tuple(spatial)))
        numel = channels
        for i in spatial:
            numel *= i
        if numel > 10**6:
            break
    if not layers:
        layers.append("relu")
    return {"name": "random", "input": first, "batch": draw(st.integers(1, 4)), "layers": layers}


TOTALS = ("params", "trainable_params", "non_trainable", "weights", "bias", "buffers", "macs",
          "flops")


@settings(FUZZ, max_examples=int(100 * SCALE))
@given(valid_specs())
def test_valid_spec_report_is_consistent(cli: Callable[..., Result], tmp_path: Path,
                                         spec: dict[str, Any]) -> None:
    path = tmp_path / "valid.yaml"
    path.write_text(yaml.safe_dump(spec, default_flow_style=None), encoding="utf-8")
    result = cli("summary", str(path), "--format", "json")
    check_outcome(result, path)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    layers = report["layers"]
    # column sums equal the totals
    for key in TOTALS:
        assert report["totals"][key] == sum(layer[key] for layer in layers), key
    for layer in layers:
        assert layer["params"] == layer["weights"] + layer["bias"]
        assert layer["flops"] == 2 * layer["macs"]
        assert layer["non_trainable"] >= layer["buffers"]
    # each layer's input shapes are its producers' output shapes, and producers come first
    produced = {"input": report["input_shape"]}
    for layer in layers:
        assert layer["name"] not in produced, layer["name"]
        assert [produced[src] for src in layer["inputs"]] == layer["input_shapes"], layer["name"]
        produced[layer["name"]] = layer["output_shape"]
    assert report["output_shape"] == layers[-1]["output_shape"]
    assert report["input_shape"] == spec["input"] and report["batch"] == spec["batch"]
    # the CSV rendering carries the same numbers
    rendered = cli("summary", str(path), "--format", "csv")
    assert rendered.code == 0
    rows = list(csv.reader(io.StringIO(rendered.out)))
    header = rows[0]
    for key in ("params", "macs", "flops"):
        column = header.index(key)
        assert sum(int(row[column]) for row in rows[1:]) == report["totals"][key]


@settings(FUZZ, max_examples=int(40 * SCALE))
@given(st.text(min_size=1, max_size=30), valid_specs())
@example(name="[/] [bold red]x", spec={"input": [3, 8, 8], "layers": ["relu"]})
def test_terminal_table_prints_any_name(cli: Callable[..., Result], tmp_path: Path,
                                        monkeypatch: Any, name: str,
                                        spec: dict[str, Any]) -> None:
    """The rich table (stdout a terminal) reads no markup from a spec: a network named "[/]"
    prints as itself."""
    import cnncalc.cli.summary

    monkeypatch.setattr(cnncalc.cli.common, "stdout_is_terminal", lambda: True)
    path = tmp_path / "named.yaml"
    path.write_text(yaml.safe_dump({**spec, "name": name}), encoding="utf-8")
    result = cli("summary", str(path), "--no-color", "--width", "100")
    check_outcome(result, path)
    assert result.code == 0, result.err
    if name.strip() and name.isprintable():
        assert name.strip() in result.out
