"""The speed-ups (docs/performance.md) change no result: each is checked against the plain way of
computing the same thing (the standard library, brute force, or the walk without its caches)."""

from __future__ import annotations

import dataclasses
import gc
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.analysis.walk import analyze
from cnncalc.layers.pool import adaptive_bins, adaptive_window_sizes
from cnncalc.model.graph import Graph, topological_order
from cnncalc.render.structured import _json, iter_json, render_json

RESNET_STAGE = """
input: [16, 16, 16]
blocks:
  res: [add: [[], [conv: {out: 16, kernel: 3, padding: 1, bias: false}, batchnorm, relu,
                   conv: {out: 16, kernel: 3, padding: 1, bias: false}, batchnorm]], relu]
layers:
  - repeat: 20
    layers: [res]
  - conv: {out: 8, kernel: 3, stride: 2}
  - upsample: {size: 15}
  - global_avgpool
  - flatten
  - linear: {out: 10}
"""


def test_equal_layers_are_built_once_and_the_walk_is_unchanged() -> None:
    net = cnncalc.load(RESNET_STAGE)
    convs = [n.layer for n in net.graph.nodes if n.kind == "conv"]
    assert len(convs) == 41
    assert len({id(layer) for layer in convs}) == 2  # interned
    # The same graph with every layer a distinct object: no sharing, so no cache hits.
    nodes = tuple(dataclasses.replace(n, layer=dataclasses.replace(n.layer))
                  for n in net.graph.nodes)
    fresh = dataclasses.replace(net.graph, nodes=nodes)
    assert len({id(n.layer) for n in fresh.nodes if n.kind == "conv"}) == 41
    assert analyze(fresh).to_dict() == net.summary().to_dict()


def test_interning_tells_true_from_1() -> None:
    ok = "input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3, bias: true}\n"
    cnncalc.load(ok)
    with pytest.raises(cnncalc.SpecError, match="expected true or false, got an integer"):
        cnncalc.load(ok + "  - conv: {out: 4, kernel: 3, bias: 1}\n")
    with pytest.raises(cnncalc.SpecError, match="expected an integer, got a number"):
        cnncalc.load(ok + "  - conv: {out: 4.0, kernel: 3, bias: true}\n")


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 500), st.integers(1, 500))
def test_adaptive_window_sizes_match_the_windows(n_in: int, n_out: int) -> None:
    assert adaptive_window_sizes(n_in, n_out) == tuple(sorted(
        {end - start for start, end in adaptive_bins(n_in, n_out)}))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
              st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_json_encoder_is_the_standard_librarys(value: Any) -> None:
    assert _json(value, "") == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("spec", ["lenet5", "alexnet", "googlenet", "vgg16_conv", RESNET_STAGE])
def test_streamed_json_is_the_json(spec: str) -> None:
    net = cnncalc.load(spec)
    report = net.summary(batch=3)
    from cnncalc.analysis.walk import explain

    explanations = explain(net.graph, report)
    data = report.to_dict()
    for layer in data["layers"]:
        layer["explain"] = list(explanations[layer["name"]])
    data["extra"] = {"x": [1, 2.5]}
    expected = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert render_json(report, explanations, {"extra": {"x": [1, 2.5]}}) == expected
    chunks = list(iter_json(report, explanations, {"extra": {"x": [1, 2.5]}}, batch=7))
    assert "".join(chunks) == expected
    assert len(chunks) > len(report.layers) // 7


def test_topological_order_fast_path_and_fallback() -> None:
    graph = cnncalc.load(RESNET_STAGE).graph
    nodes = list(graph.nodes)
    assert topological_order(nodes) == nodes
    shuffled = nodes[::-1]
    ordered = topological_order(shuffled)
    seen = {"input"}
    for node in ordered:
        assert all(src in seen for src in node.inputs)
        seen.add(node.name)
    assert analyze(Graph.create(graph.name, graph.input_shape, shuffled)).totals == \
        analyze(graph).totals


def test_gc_is_paused_only_while_working_and_restored_after_errors() -> None:
    assert gc.isenabled()
    cnncalc.load(RESNET_STAGE).summary()
    assert gc.isenabled()
    with pytest.raises(cnncalc.SpecError):
        cnncalc.load("input: [3, 8, 8]\nlayers: [conv: {out: 4, kernel: 9}]\n").summary()
    assert gc.isenabled()
    gc.disable()
    try:
        cnncalc.load(RESNET_STAGE).summary()
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
