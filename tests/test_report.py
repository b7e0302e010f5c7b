"""cnncalc report without a browser: the page's embedded data against the report, escaping, the
Content-Security-Policy, the shipped layout library, segments and the diff's statuses.
tests/test_report_browser.py opens the same pages in Chromium."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnncalc
from cnncalc.analysis.report import Report
from cnncalc.checks.diff import diff_reports
from cnncalc.page import data as page_data_module
from cnncalc.page.data import MAX_ITEMS, page_data
from cnncalc.page.html import asset, render_page, script_json
from cnncalc.render import fmt
from cnncalc.spec import bundled

from .conftest import ROOT, SPECS

HOSTILE_SPEC = """
name: '</script><script>window.pwned = 1</script> & <!-- net'
input: [3, 16, 16]
blocks:
  evil:
    layers:
      - conv: {out: 4, kernel: 3, padding: 1, name: a}
      - relu: {name: b}
layers:
  - conv: {out: 4, kernel: 3, padding: 1, name: c}
  - evil: {name: d}
  - concat: {inputs: [c, d.b]}
"""

# A spec's layer names are plain (letters, digits, _ . -), but a model file (issue 14) may name
# a layer anything: the page must show any name as text.
HOSTILE_NAMES = {"c": "</script>", "d.a": "<img src=x onerror=window.pwned=2>",
                 "d.b": "a&amp;b \u2028 <!-- line"}


def hostile_report() -> Report:
    """A report whose title and layer names are markup (renamed after the analysis)."""
    report = cnncalc.load(HOSTILE_SPEC).summary()

    def rename(name: str) -> str:
        return HOSTILE_NAMES.get(name, name)
    layers = tuple(dataclasses.replace(r, name=rename(r.name),
                                       inputs=tuple(rename(s) for s in r.inputs))
                   for r in report.layers)
    return dataclasses.replace(report, layers=layers)


def hostile_page(folder: Path) -> Path:
    path = folder / "hostile.html"
    path.write_text(render_page(page_data(hostile_report(), HOSTILE_SPEC)), encoding="utf-8")
    return path


def embedded(page: str) -> dict[str, Any]:
    """The JSON the page carries (what its script reads)."""
    start = page.index('<script type="application/json" id="cnncalc-data">')
    start = page.index(">", start) + 1
    end = page.index("</script>", start)
    data: dict[str, Any] = json.loads(page[start:end])
    return data


def write(cli: Callable[..., Any], tmp_path: Path, *args: str) -> tuple[str, dict[str, Any]]:
    out = tmp_path / "page.html"
    result = cli("report", *args, "-o", str(out))
    assert result.code == 0, result.err
    page = out.read_text(encoding="utf-8")
    return page, embedded(page)


def edges(report: Report) -> int:
    return sum(len(r.inputs) for r in report.layers)


@pytest.mark.parametrize("name", bundled.names())
def test_every_bundled_spec_gives_a_page_whose_data_is_the_report(
        name: str, cli: Callable[..., Any], tmp_path: Path) -> None:
    page, data = write(cli, tmp_path, name)
    report = cnncalc.load(name).summary()
    nodes = data["nodes"]
    assert [n["name"] for n in nodes] == ["input", *(r.name for r in report.layers)]
    assert sum(len(n["inputs"]) for n in nodes) == edges(report)
    for node, r in zip(nodes[1:], report.layers):
        # every input, in the order the spec wrote them (a concat's branch order)
        assert [nodes[i]["name"] for i in node["inputs"]] == list(r.inputs)
        assert node["cells"][:5] == [r.name, r.description, str(r.output_shape),
                                     fmt.count(r.params), fmt.count(r.macs)]
        assert node["v"]["params"] == r.params and node["v"]["macs"] == r.macs
        assert node["v"]["live"] == r.live_bytes and node["v"]["saved"] == r.saved_bytes
        assert node["line"] == r.mark.line  # type: ignore[union-attr]
    assert data["totals"][3] == fmt.group(report.totals.params)
    assert data["totals"][4] == fmt.group(report.totals.macs)
    assert data["source"] == name
    assert "<script" not in json.dumps(data)  # the data never carries markup unescaped...
    assert page.lower().count("<script") == 3  # ...and the page has exactly its three scripts


def test_googlenet_page_is_under_a_megabyte_with_all_142_layers(
        cli: Callable[..., Any], tmp_path: Path) -> None:
    page, data = write(cli, tmp_path, "googlenet")
    assert len(page.encode("utf-8")) < 2**20
    assert len(data["nodes"]) == 1 + 142
    # all nine inception modules are groups, titled as `cnncalc graph` titles its clusters
    titles = [g["title"] for g in data["groups"]]
    assert len(titles) == 9 and titles[0] == "inception_3a · inception"
    assert all(g["what"] == "inception" for g in data["groups"])


def test_source_lines_are_the_spec_lines_the_layers_came_from(
        cli: Callable[..., Any], tmp_path: Path) -> None:
    _, data = write(cli, tmp_path, str(SPECS / "lenet5.yaml"))
    lines = (SPECS / "lenet5.yaml").read_text(encoding="utf-8").splitlines()
    for node in data["nodes"][1:]:
        assert data["source_lines"][str(node["line"])] == lines[node["line"] - 1].strip()
        assert f"lenet5.yaml:{node['line']}:" in dict(node["details"])["spec"]


def test_a_hostile_spec_never_becomes_markup(tmp_path: Path) -> None:
    page = hostile_page(tmp_path).read_text(encoding="utf-8")
    data = embedded(page)
    lowered = page.lower()
    assert lowered.count("<script") == 3 and lowered.count("</script") == 3
    assert "<!--" not in page and "<img" not in page and "\u2028" not in page
    names = [n["name"] for n in data["nodes"]]
    assert set(HOSTILE_NAMES.values()) <= set(names)  # the JSON escapes read back exactly
    concat = data["nodes"][-1]
    assert [names[i] for i in concat["inputs"]] == ["</script>", HOSTILE_NAMES["d.b"]]
    assert data["title"].startswith("</script><script>")
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None and "&lt;/script&gt;&lt;script&gt;" in title.group(1)


def test_script_json_escapes_what_could_end_a_script() -> None:
    text = script_json({"a": "</script><!-- & \u2028\u2029", "n": 2**70})
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == {"a": "</script><!-- & \u2028\u2029", "n": 2**70}


def test_the_content_security_policy_allows_exactly_the_page_s_own_scripts_and_style(
        cli: Callable[..., Any], tmp_path: Path) -> None:
    page, _ = write(cli, tmp_path, "lenet5")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = csp.group(1)
    assert policy.startswith("default-src 'none';")  # nothing may be fetched

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(scripts) == 2 and len(styles) == 1
    hashes = re.findall(r"'sha256-[^']+'", policy)
    assert sorted(hashes) == sorted([digest(s) for s in scripts] + [digest(styles[0])])
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        '"http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "sourceMappingURL" not in page


def test_the_shipped_layout_library_is_the_pinned_release_with_its_licence() -> None:
    record = json.loads(asset("dagre.json"))
    assert record["package"] == "@dagrejs/dagre" and record["license"] == "MIT"
    code = (ROOT / "cnncalc" / "page" / "assets" / "dagre.min.js").read_bytes()
    assert hashlib.sha256(code).hexdigest() == record["sha256"]
    assert "Permission is hereby granted" in asset("LICENSE.dagre")
    assert "Permission is hereby granted" in asset("LICENSE.graphlib")
    assert record["version"] in (ROOT / "scripts" / "update_dagre.py").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"cnncalc.page" = ["assets/*"]' in pyproject  # installed as package data


def walk_tree(data: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Every node and group reached from the top, each time it is reached."""
    found_nodes: list[int] = []
    found_groups: list[int] = []
    stack = [data["top"]]
    while stack:
        for kind, i in stack.pop():
            if kind == "n":
                found_nodes.append(i)
            else:
                found_groups.append(i)
                stack.append(data["groups"][i]["items"])
    return found_nodes, found_groups


@pytest.mark.parametrize("layers", [59, 61, 3601, 3700])
def test_no_layout_call_gets_more_than_max_items_boxes(layers: int) -> None:
    text = "name: chain\ninput: [4, 8, 8]\nlayers:\n" + "  - relu\n" * layers
    report = cnncalc.load(text).summary()
    data = page_data(report)
    assert len(data["top"]) <= MAX_ITEMS
    assert all(len(g["items"]) <= MAX_ITEMS for g in data["groups"])
    found_nodes, found_groups = walk_tree(data)
    assert sorted(found_nodes) == list(range(layers + 1))  # each node exactly once
    assert sorted(found_groups) == list(range(len(data["groups"])))
    for k, g in enumerate(data["groups"]):  # parents point back at the lists that hold them
        holder = data["top"] if g["parent"] < 0 else data["groups"][g["parent"]]["items"]
        assert ["g", k] in holder
    for i in found_nodes:
        group = data["nodes"][i]["group"]
        holder = data["top"] if group < 0 else data["groups"][group]["items"]
        assert ["n", i] in holder
    if layers > MAX_ITEMS:
        assert {g["what"] for g in data["groups"]} == {"segment"}
        first = data["groups"][0]
        assert first["title"] == f"relu1 … relu{len(first['items'])}"
        assert len(first["items"]) > MAX_ITEMS // 2  # segments equally long, none nearly empty


def test_a_collapsed_group_shows_its_layers_parameters_and_output() -> None:
    report = cnncalc.load("googlenet").summary()
    data = page_data(report)
    group = data["groups"][0]
    members = [r for r in report.layers if r.scope and r.scope[0][0] == "inception_3a"]
    assert group["label"] == ["inception_3a · inception", f"{len(members)} layers",
                              f"{members[-1].output_shape} · "
                              f"{fmt.group(sum(r.params for r in members))} params"]


def test_diff_page_colours_added_removed_and_changed_as_cnncalc_diff_matches(
        cli: Callable[..., Any], tmp_path: Path) -> None:
    _, data = write(cli, tmp_path, "alexnet", "alexnet_torchvision")
    old = cnncalc.load("alexnet").summary()
    new = cnncalc.load("alexnet_torchvision").summary()
    diff = diff_reports(old.to_dict(), new.to_dict())
    statuses = [n.get("status") for n in data["nodes"][1:]]
    for status in ("added", "removed", "changed", "unchanged"):
        assert statuses.count(status) == diff.count(status), status
    assert data["diff"]["counts"] == {s: diff.count(s)
                                      for s in ("added", "removed", "changed", "unchanged")}
    n_new = len(new.layers)
    assert [n["name"] for n in data["nodes"][1:n_new + 1]] == [r.name for r in new.layers]
    removed = data["nodes"][n_new + 1:]
    assert {n["name"] for n in removed} == {e.old.name for e in diff.entries
                                            if e.status == "removed" and e.old is not None}
    assert all(0 <= i < len(data["nodes"]) for n in removed for i in n["inputs"])
    conv1 = data["nodes"][1]
    assert conv1["status"] == "changed"
    assert ["output", "96×55×55 ⇒ 64×55×55"] in conv1["was"]
    assert data["title"] == new.name and data["diff"]["old"] == old.name


def test_counts_beyond_what_javascript_holds_exactly_stay_exact_in_text() -> None:
    report = cnncalc.load("vgg16").summary(batch=1_000_000)
    assert report.totals.macs > 2**53
    data = page_data(report)
    assert data["totals"][4] == fmt.group(report.totals.macs)  # the text the page shows
    assert json.loads(script_json(data))["nodes"][1]["v"]["macs"] == report.layers[0].macs


def test_report_writes_next_to_the_spec_name_by_default(
        cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("report", "lenet5").code == 0
    assert cli("report", str(SPECS / "alexnet.yaml"), "vgg11").code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lenet5.html", "vgg11.diff.html"]


def test_report_errors_are_located_and_options_checked(
        cli: Callable[..., Any], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 11}\n")
    result = cli("report", str(bad), "-o", str(tmp_path / "x.html"))
    assert result.code == 1 and f"{bad}:4:" in result.err
    assert not (tmp_path / "x.html").exists()
    assert cli("report", "lenet5", "--dtype", "float12").code == 2
    assert cli("report", "nosuchspec", "-o", str(tmp_path / "y.html")).code == 1
    result = cli("report", "lenet5", "-o", str(tmp_path / "missing" / "z.html"))
    assert result.code == 1 and "cannot write" in result.err
    help_text = cli("report", "--help").out
    assert "Examples:" in help_text and "cnncalc report alexnet alexnet_torchvision" in help_text


def test_memory_settings_and_version_reach_the_header(
        cli: Callable[..., Any], tmp_path: Path) -> None:
    _, data = write(cli, tmp_path, "lenet5", "--batch", "8", "--dtype", "float16", "--optimizer",
                    "adam", "--device", "cpu")
    assert dict(data["header"])["batch"] == "8"
    settings = dict(data["settings"])
    assert settings["dtype"] == "float16" and settings["device"] == "cpu"
    assert settings["optimizer"].startswith("Adam")
    assert data["cnncalc"] == cnncalc.__version__
    assert any(line.startswith("Memory (float16, Adam") for line in data["footer"])


def test_the_loader_is_the_one_place_that_reads_an_input() -> None:
    """A model file (issue 14) will plug in here; the command reads inputs only through it."""
    source = (ROOT / "cnncalc" / "cli" / "report.py").read_text(encoding="utf-8")
    assert source.count("load_network(") == 1 and source.count("load_input(") == 3


def test_page_data_is_the_module_s_only_public_entry() -> None:
    assert page_data_module.__all__ == ["DATA_VERSION", "MAX_ITEMS", "page_data"]
    assert render_page(page_data(cnncalc.load("lenet5").summary())).startswith("<!DOCTYPE html>")


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20))
def test_script_json_reads_back_exactly_and_never_holds_markup(value: Any) -> None:
    text = script_json(value)
    assert json.loads(text) == value
    assert not set("<>&\u2028\u2029") & set(text)
