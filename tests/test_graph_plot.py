"""cnncalc graph (Mermaid and dot parsed back) and cnncalc plot (a valid picture is written)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import cnncalc
from cnncalc.analysis.report import Report
from cnncalc.analysis.rollup import by_block
from cnncalc.render.graph import mermaid_text, render_dot, render_mermaid

BUNDLED = ["lenet5", "alexnet", "alexnet_torchvision", "vgg16", "vgg16_conv", "googlenet",
           "googlenet_torchvision"]

TRICKY = """
name: 'A "quoted" <net> & #1'
input: [3, 16, 16]
blocks:
  res:
    params: {c: null}
    layers:
      - add:
          - [conv: {out: $c, kernel: 3, padding: 1}, relu, conv: {out: $c, kernel: 3, padding: 1}]
          - []
      - relu
layers:
  - conv: {out: 8, kernel: 3, padding: 1, name: end}
  - res: {c: 8, name: subgraph}
  - repeat: 2
    name: stage
    layers: [res: {c: 8}]
  - concat: [[conv: {out: 4, kernel: 1}], [maxpool: {kernel: 3, stride: 1, padding: 1}]]
  - global_avgpool
  - flatten
  - linear: {out: 10, name: class}
"""


@dataclass
class Parsed:
    nodes: dict[str, str] = field(default_factory=dict)     # id → label
    edges: list[tuple[str, str]] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)       # titles
    max_depth: int = 0


def parse_mermaid(text: str) -> Parsed:
    """A small reader for the Mermaid subset cnncalc writes; fails on anything else."""
    lines = text.splitlines()
    assert lines[0].startswith("%% ")
    assert re.fullmatch(r"flowchart (TB|LR|BT|RL)", lines[1])
    out, depth = Parsed(), 0
    node = re.compile(r'(n\d+)(\(\[|\{\{|\[)"([^"]*)"(\]\)|\}\}|\])')
    for line in lines[2:]:
        s = line.strip()
        if m := re.fullmatch(r'subgraph (s\d+)\["([^"]*)"\]', s):
            out.clusters.append(m.group(2))
            depth += 1
            out.max_depth = max(out.max_depth, depth)
        elif s == "end":
            depth -= 1
            assert depth >= 0
        elif m := node.fullmatch(s):
            assert m.group(1) not in out.nodes, f"node {m.group(1)} defined twice"
            out.nodes[m.group(1)] = m.group(3)
        elif m := re.fullmatch(r"(n\d+) --> (n\d+)", s):
            out.edges.append((m.group(1), m.group(2)))
        elif re.fullmatch(r"classDef \w+ fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6},color:#[0-9a-f]{6}",
                          s) or re.fullmatch(r"class (n\d+)(,n\d+)* \w+", s):
            continue
        else:
            pytest.fail(f"unexpected Mermaid line: {line!r}")
    assert depth == 0, "unbalanced subgraph/end"
    return out


def parse_dot(text: str) -> Parsed:
    """A small reader for the dot subset cnncalc writes; fails on anything else."""
    lines = text.splitlines()
    assert re.fullmatch(r'digraph "(?:[^"\\]|\\.)*" \{', lines[0])
    assert lines[-1] == "}"
    out, depth = Parsed(), 0
    quoted = r'"((?:[^"\\]|\\.)*)"'
    for line in lines[1:-1]:
        s = line.strip()
        if s.startswith(("graph [", "node [", "edge [")):
            continue
        if m := re.fullmatch(r"subgraph cluster_s\d+ \{", s):
            depth += 1
            out.max_depth = max(out.max_depth, depth)
        elif m := re.fullmatch(rf"label={quoted}; style=.*", s):
            out.clusters.append(m.group(1))
        elif s == "}":
            depth -= 1
            assert depth >= 0
        elif m := re.fullmatch(rf"(n\d+) \[label={quoted}, .*\];", s):
            assert m.group(1) not in out.nodes
            out.nodes[m.group(1)] = m.group(2)
        elif m := re.fullmatch(r"(n\d+) -> (n\d+);", s):
            out.edges.append((m.group(1), m.group(2)))
        else:
            pytest.fail(f"unexpected dot line: {line!r}")
    assert depth == 0
    return out


def expected_counts(report: Report) -> tuple[int, int, int, int]:
    """Nodes (layers + input), edges (one per input read), clusters (distinct scopes), depth."""
    scopes = {r.scope[:i] for r in report.layers for i in range(1, len(r.scope) + 1)}
    depth = max((len(r.scope) for r in report.layers), default=0)
    return len(report.layers) + 1, sum(len(r.inputs) for r in report.layers), len(scopes), depth


def check_graph(parsed: Parsed, report: Report) -> None:
    nodes, edges, clusters, depth = expected_counts(report)
    assert len(parsed.nodes) == nodes
    assert len(parsed.edges) == edges
    assert len(parsed.clusters) == clusters
    assert parsed.max_depth == depth
    assert set(a for a, _ in parsed.edges) | set(b for _, b in parsed.edges) <= set(parsed.nodes)
    # The edges are the report's: map ids back to layer names through the node order.
    names = ["input", *(r.name for r in report.layers)]
    got = sorted((names[int(a[1:])], names[int(b[1:])]) for a, b in parsed.edges)
    assert got == sorted((src, r.name) for r in report.layers for src in r.inputs)


def tricky_report() -> Report:
    return cnncalc.load(TRICKY).summary()


@pytest.mark.parametrize("name", BUNDLED)
def test_mermaid_parses_back_to_the_graph(name: str) -> None:
    report = cnncalc.load(name).summary()
    check_graph(parse_mermaid(render_mermaid(report)), report)


@pytest.mark.parametrize("name", BUNDLED)
def test_dot_parses_back_to_the_graph(name: str) -> None:
    report = cnncalc.load(name).summary()
    check_graph(parse_dot(render_dot(report)), report)


def test_branches_merges_blocks_and_awkward_characters() -> None:
    report = tricky_report()
    mermaid = parse_mermaid(render_mermaid(report, "LR"))
    check_graph(mermaid, report)
    check_graph(parse_dot(render_dot(report)), report)
    # input → end, end → the residual branch and the shortcut: a branch is several out-edges
    outs: dict[str, int] = {}
    for a, _ in mermaid.edges:
        outs[a] = outs.get(a, 0) + 1
    assert max(outs.values()) >= 2
    # a named repeat of one block use: each pass is the block use (PyTorch's layer3.0)
    assert mermaid.clusters == ["subgraph · res", "stage.1 · res", "stage.2 · res"]
    assert mermaid.max_depth == 1
    text = render_mermaid(report)
    assert "%% A \"quoted\" <net> & #1:" in text.splitlines()[0]   # a comment: as written
    assert mermaid_text('a "b" <c> & #d') == "a #quot;b#quot; #lt;c#gt; #amp; #35;d"
    assert 'n1["end<br>conv 3×3 p1<br>8×16×16 · 224 params"]' in text   # 'end' is only a label
    assert 'digraph "A \\"quoted\\" <net> & #1" {' in render_dot(report)


def test_merges_and_input_have_their_own_shapes() -> None:
    text = render_mermaid(tricky_report())
    assert 'n0(["input<br>3×16×16"])' in text
    assert re.search(r'n\d+\{\{"add1<br>8×16×16"\}\}', text)
    assert re.search(r'n\d+\{\{"concat1<br>12×16×16"\}\}', text)


def test_by_block_graph() -> None:
    report = by_block(cnncalc.load("googlenet").summary())
    parsed = parse_mermaid(render_mermaid(report))
    check_graph(parsed, report)
    assert sum("inception · 14 layers" in label for label in parsed.nodes.values()) == 9
    assert parsed.clusters == []


@pytest.mark.parametrize(("args", "start"), [
    ((), "%% "),
    (("--format", "markdown"), "```mermaid\n%% "),
    (("--format", "dot"), "digraph "),
])
def test_graph_cli_formats(cli: Callable[..., Any], args: tuple[str, ...], start: str) -> None:
    result = cli("graph", "lenet5", *args)
    assert result.code == 0 and result.out.startswith(start)
    if "markdown" in args:
        assert result.out.endswith("```\n")


def test_graph_format_from_the_output_suffix(cli: Callable[..., Any], tmp_path: Path) -> None:
    for suffix, start in ((".mmd", "%% "), (".md", "```mermaid"), (".dot", "digraph")):
        out = tmp_path / f"g{suffix}"
        assert cli("graph", "alexnet", "-o", str(out)).code == 0
        assert out.read_text(encoding="utf-8").startswith(start)


def test_svg_without_graphviz_says_so(cli: Callable[..., Any], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / "g.svg"
    result = cli("graph", "lenet5", "-o", str(out))
    assert result.code == 1
    assert "needs Graphviz's `dot` program" in result.err
    assert "apt-get install graphviz" in result.err
    assert not out.exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_reads_our_dot_with_the_same_counts(tmp_path: Path) -> None:
    report = tricky_report()
    done = subprocess.run(["dot", "-Tjson"], input=render_dot(report).encode("utf-8"),
                          capture_output=True, check=True)
    data = json.loads(done.stdout)
    objects = data.get("objects", [])
    clusters = [o for o in objects if "nodes" in o]
    nodes = [o for o in objects if "nodes" not in o]
    n_nodes, n_edges, n_clusters, _ = expected_counts(report)
    assert (len(nodes), len(data.get("edges", [])), len(clusters)) == (n_nodes, n_edges,
                                                                        n_clusters)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graph_svg_and_png_with_graphviz(cli: Callable[..., Any], tmp_path: Path) -> None:
    svg, png = tmp_path / "g.svg", tmp_path / "g.png"
    assert cli("graph", "googlenet", "-o", str(svg)).code == 0
    assert ET.parse(svg).getroot().tag.endswith("svg")
    assert cli("graph", "alexnet", "--format", "png", "-o", str(png)).code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- plot -----------------------------------------------------------------------------------------


def test_profile_series_without_matplotlib() -> None:
    from cnncalc.analysis.memory import MemoryConfig
    from cnncalc.render.plot import profile_series

    report = cnncalc.load("vgg16").summary(batch=2, memory=MemoryConfig(dtype="float16"))
    series = profile_series(report)
    assert series.activation_bytes[0] == 64 * 224 * 224 * 2 * 2      # numel × batch × 2 bytes
    assert series.activation_bytes == tuple(r.activation_bytes for r in report.layers)
    assert series.activation_label == "activation memory (batch 2, float16)"
    assert series.macs == tuple(r.macs for r in report.layers)
    pool5 = series.names.index("block5.pool")
    assert series.rf[pool5] == 212                                     # Distill: VGG-16 pool5
    assert series.input_extent == 224
    assert [b[0] for b in series.blocks] == ["block1", "block2", "block3", "block4", "block5"]
    assert series.blocks[0][1:] == (0, 4)


def test_plot_without_matplotlib_says_how_to_install(cli: Callable[..., Any], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # makes `import matplotlib` fail
    result = cli("plot", "lenet5", "-o", str(tmp_path / "p.png"))
    assert result.code == 1 and "pip install 'cnncalc[plot]'" in result.err


def test_plot_refuses_unknown_suffix(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("plot", "lenet5", "-o", str(tmp_path / "p.jpeg"))
    assert result.code == 2 and ".png, .svg, .pdf" in result.err


@pytest.mark.parametrize(("name", "suffix"), [("vgg16", ".png"), ("googlenet", ".svg"),
                                              ("lenet5", ".png")])
def test_plot_writes_a_valid_picture(cli: Callable[..., Any], tmp_path: Path, name: str,
                                     suffix: str) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / f"profile{suffix}"
    result = cli("plot", name, "-o", str(out), *(("--log",) if name == "googlenet" else ()))
    assert result.code == 0, result.err
    data = out.read_bytes()
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width >= 800 and height >= 800
    else:
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 100   # bars, text


# --- terminal (rich) renderings ---------------------------------------------------------------


def test_rich_renderings_of_bars_and_diff() -> None:
    from rich.console import Console

    from cnncalc.checks.diff import diff_reports
    from cnncalc.render.bars import with_bars
    from cnncalc.render.diff import render_rich
    from cnncalc.render.rich_table import render_summary
    from cnncalc.render.rows import View

    console = Console(width=100, record=True, color_system=None, file=io.StringIO())
    console.print(render_summary(cnncalc.load("alexnet").summary(), 100,
                                 View(columns=with_bars())))
    text = console.export_text()
    assert "█████" in text and "30.9%" in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 100
    console = Console(width=100, record=True, color_system=None, file=io.StringIO())
    d = diff_reports(cnncalc.load("alexnet").summary().to_dict(),
                     cnncalc.load("alexnet_torchvision").summary().to_dict())
    console.print(render_rich(d, 100))
    text = console.export_text()
    assert "96×55×55 ⇒ 64×55×55" in text and "+135,616" in text and "norm1" in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 100
