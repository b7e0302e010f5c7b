"""The spec format of docs/spec-format.md: layers, names, repeat, blocks, branches, inputs by
name, defaults, per-axis attributes, ranks 1-D to 3-D."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.layers.base import lookup
from cnncalc.model.errors import SpecError
from cnncalc.model.graph import Graph, Node
from cnncalc.model.shape import Shape


def summary(text: str) -> cnncalc.Report:
    return cnncalc.parse(text).summary()


def names(text: str) -> list[str]:
    return [r.name for r in summary(text).layers]


def test_bare_kinds_and_attribute_mappings() -> None:
    text = """
input: [3, 8, 8]
layers:
  - relu
  - conv: {out: 4, kernel: 3}
  - conv:
      out: 4
      kernel: 1
  - relu: {}
"""
    assert names(text) == ["relu1", "conv1", "conv2", "relu2"]


def test_name_inside_or_beside_the_kind() -> None:
    text = """
input: [3, 8, 8]
layers:
  - conv: {out: 4, kernel: 3, name: a}
  - conv: {out: 4, kernel: 1}
    name: b
"""
    assert names(text) == ["a", "b"]


def test_unnamed_repeat_numbers_on_and_suffixes_explicit_names() -> None:
    text = """
input: [16]
layers:
  - repeat: 2
    layers: [linear: {out: 16, name: fc}, relu]
  - linear: {out: 4}
"""
    assert names(text) == ["fc_1", "relu1", "fc_2", "relu2", "linear1"]


def test_named_repeat_scopes_each_pass() -> None:
    text = """
input: [4, 8, 8]
layers:
  - repeat: 2
    name: stage
    layers: [conv: {out: 4, kernel: 3, padding: 1}, relu]
  - conv: {out: 2, kernel: 1, inputs: [stage]}
"""
    report = summary(text)
    assert [r.name for r in report.layers] == [
        "stage.1.conv1", "stage.1.relu1", "stage.2.conv1", "stage.2.relu1", "conv1"]
    assert report.layer("conv1").inputs == ("stage.2.relu1",)
    assert report.layer("stage.2.conv1").scope == (("stage.2", "repeat"),)


def test_blocks_with_params_defaults_and_expressions() -> None:
    text = """
input: [64, 56, 56]
blocks:
  unit:
    params: {c: null, k: 3, expand: 4}
    layers:
      - conv: {out: $c * $expand, kernel: $k, padding: ($k - 1) // 2}
      - relu
layers:
  - unit: {c: 16}
  - unit: {c: 8, k: 5, name: wide}
"""
    report = summary(text)
    assert [r.name for r in report.layers] == ["unit1.conv1", "unit1.relu1", "wide.conv1",
                                                "wide.relu1"]
    assert report.layer("unit1.conv1").output_shape == Shape(64, (56, 56))
    assert report.layer("wide.conv1").output_shape == Shape(32, (56, 56))
    assert report.layer("wide.conv1").params == 32 * 64 * 25 + 32


def test_block_param_carrying_layers_for_a_shortcut() -> None:
    text = """
input: [64, 56, 56]
blocks:
  basic:
    params: {c: null, stride: 1, shortcut: []}
    layers:
      - add:
          - $shortcut
          - [conv: {out: $c, kernel: 3, stride: $stride, padding: 1}, relu,
             conv: {out: $c, kernel: 3, padding: 1}]
      - relu
layers:
  - basic: {c: 64}
  - basic: {c: 128, stride: 2, shortcut: [conv: {out: 128, kernel: 1, stride: 2}]}
"""
    report = summary(text)
    assert report.output_shape == Shape(128, (28, 28))
    assert report.layer("basic1.add1").inputs == ("input", "basic1.conv2")
    assert report.layer("basic2.add1").inputs == ("basic2.conv1", "basic2.conv3")


def test_parameterless_block_as_a_list() -> None:
    text = """
input: [3, 32, 32]
blocks:
  stem: [conv: {out: 8, kernel: 3, padding: 1}, relu]
layers:
  - stem
  - stem
"""
    assert names(text) == ["stem1.conv1", "stem1.relu1", "stem2.conv1", "stem2.relu1"]


def test_concat_branches_and_identity_branch() -> None:
    text = """
input: [8, 16, 16]
layers:
  - concat:
      - [conv: {out: 4, kernel: 1}]
      - [conv: {out: 6, kernel: 3, padding: 1}]
      - []
"""
    report = summary(text)
    assert report.output_shape == Shape(18, (16, 16))
    assert report.layer("concat1").inputs == ("conv1", "conv2", "input")


def test_merge_mapping_form_with_name() -> None:
    text = """
input: [8, 16, 16]
layers:
  - add: {name: res, branches: [[], [conv: {out: 8, kernel: 3, padding: 1}]]}
"""
    assert names(text) == ["conv1", "res"]


def test_unet_style_skip_with_crop_like() -> None:
    text = """
input: [1, 572, 572]
layers:
  - conv: {out: 64, kernel: 3, name: enc1a}
  - conv: {out: 64, kernel: 3, name: enc1}           # 568
  - maxpool: {kernel: 2}                               # 284
  - conv: {out: 128, kernel: 3}                        # 282
  - conv: {out: 128, kernel: 3}                        # 280
  - conv_transpose: {out: 64, kernel: 2, stride: 2, name: up1}   # 560
  - crop: {like: up1, inputs: [enc1], name: skip1}
  - concat: {inputs: [skip1, up1]}
"""
    report = summary(text)
    assert report.layer("skip1").output_shape == Shape(64, (560, 560))
    assert report.layer("skip1").inputs == ("enc1", "up1")
    assert report.output_shape == Shape(128, (560, 560))


def test_defaults_apply_unless_overridden() -> None:
    text = """
input: [3, 8, 8]
defaults:
  conv: {bias: false, kernel: 3}
layers:
  - conv: {out: 4}
  - conv: {out: 4, bias: true, kernel: 1}
"""
    report = summary(text)
    assert report.layer("conv1").params == 4 * 3 * 9
    assert report.layer("conv2").params == 4 * 4 + 4


def test_per_axis_attributes_and_padding_forms() -> None:
    text = """
input: [1, 17, 20]
layers:
  - conv: {out: 1, kernel: [3, 5], stride: [1, 2], padding: [[0, 2], [1, 1]]}
  - conv: {out: 1, kernel: 3, padding: same}
  - conv: {out: 1, kernel: 3, padding: full}
  - conv: {out: 1, kernel: 3, padding: valid}
  - conv: {out: 1, kernel: 3, stride: 2, padding: same_tf}
"""
    report = summary(text)
    shapes = [r.output_shape.spatial for r in report.layers]
    assert shapes == [(17, 9), (17, 9), (19, 11), (17, 9), (9, 5)]


@pytest.mark.parametrize(("input_shape", "output"), [
    ("[1, 100]", [4, 49]),
    ("[1, 9, 100]", [4, 3, 49]),
    ("[1, 8, 9, 100]", [4, 3, 3, 49]),
])
def test_one_spec_any_rank(input_shape: str, output: list[int]) -> None:
    text = f"input: {input_shape}\nlayers:\n  - conv: {{out: 4, kernel: 3}}\n" \
           "  - maxpool: {kernel: 2}\n"
    assert summary(text).output_shape.to_list() == output


def test_flat_input_and_linear() -> None:
    report = summary("input: [784]\nlayers:\n  - fc: {out: 100}\n  - relu\n  - fc: {out: 10}\n")
    assert report.totals.params == 784 * 100 + 100 + 100 * 10 + 10
    assert report.layers[0].kind == "linear"


def test_batch_scales_macs_not_params() -> None:
    net = cnncalc.parse("input: [3, 8, 8]\nbatch: 4\nlayers:\n  - conv: {out: 2, kernel: 3}\n")
    assert net.summary().batch == 4
    assert net.summary().totals.macs == 4 * 2 * 36 * 27
    assert net.summary(batch=1).totals.macs == 2 * 36 * 27
    assert net.summary(batch=1).totals.params == net.summary().totals.params


def test_trainable_false_moves_params_to_non_trainable() -> None:
    report = summary("input: [3, 8, 8]\nlayers:\n  - conv: {out: 2, kernel: 3, "
                     "trainable: false}\n  - batchnorm\n")
    t = report.totals
    assert t.params == 2 * 27 + 2 + 4
    assert t.trainable_params == 4
    assert t.non_trainable == 2 * 27 + 2 + 4  # frozen conv + running statistics


def test_from_dict_api() -> None:
    net = cnncalc.load({"input": [3, 32, 32], "layers": [{"conv": {"out": 8, "kernel": 3}},
                                                          "relu"]})
    assert net.summary().output_shape == Shape(8, (30, 30))


def test_api_graph_cycle_is_refused() -> None:
    conv = lookup("conv")
    assert conv is not None
    layer = conv.from_attrs({"out": 3, "kernel": 1})
    nodes = [Node("a", layer, ("b",)), Node("b", layer, ("a",))]
    with pytest.raises(SpecError, match=r"cycle: (a → b → a|b → a → b)"):
        Graph.create("g", Shape(3, (4, 4)), nodes)


def test_api_graph_is_ordered_topologically() -> None:
    conv = lookup("conv")
    assert conv is not None
    layer = conv.from_attrs({"out": 3, "kernel": 1})
    nodes = [Node("b", layer, ("a",)), Node("a", layer, ("input",))]
    graph = Graph.create("g", Shape(3, (4, 4)), nodes)
    assert [n.name for n in graph.nodes] == ["a", "b"]


def test_aliases_of_kinds_and_attributes() -> None:
    report = summary("input: [3, 8, 8]\nlayers:\n  - deconv: {out_channels: 2, kernel_size: 2, "
                     "stride: 2}\n  - bn\n  - gap\n")
    assert [r.kind for r in report.layers] == ["conv_transpose", "batchnorm", "global_avgpool"]
    assert report.output_shape == Shape(2, (1, 1))


def test_yaml_merge_keys() -> None:
    text = """
input: [3, 8, 8]
common: &c {kernel: 3, padding: 1}
layers:
  - conv: {<<: *c, out: 4}
"""
    with pytest.raises(SpecError, match="unknown top-level key 'common'"):
        summary(text)
    text = text.replace("common: &c {kernel: 3, padding: 1}\n", "")
    text = text.replace("layers:\n  - conv: {<<: *c, out: 4}",
                        "layers:\n  - conv: &c {kernel: 3, padding: 1, out: 4}\n"
                        "  - conv: {<<: *c, out: 2}")
    report = summary(text)
    assert report.output_shape == Shape(2, (8, 8))


def test_exponent_floats_read_as_numbers() -> None:
    """YAML 1.1 (PyYAML) reads 1e-5 as a string; editors (YAML 1.2) and cnncalc read a number."""
    report = summary("input: [4, 8, 8]\nlayers:\n  - batchnorm: {eps: 1e-5}\n"
                     "  - leaky_relu: {negative_slope: 2E-1}\n  - lrn: {size: 3, alpha: 1e-4}\n")
    assert [r.kind for r in report.layers] == ["batchnorm", "leaky_relu", "lrn"]
    with pytest.raises(SpecError, match="expected a number, got a string"):
        summary('input: [4, 8, 8]\nlayers:\n  - batchnorm: {eps: "1e-5"}\n')
