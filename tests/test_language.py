"""The spec language of today's networks (issue 13, docs/spec-format.md "Writing today's
networks"): the block's input shape, exact arithmetic, optional layers, PyTorch's numbering,
kinds as parameters, includes, freezing, several inputs, shared weights, resizing like a layer."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import cnncalc
from cnncalc.analysis.memory import MemoryConfig
from cnncalc.model.shape import Shape
from cnncalc.spec.expr import evaluate, make_divisible


def names(text: str) -> list[str]:
    return [r.name for r in cnncalc.parse(text).summary().layers]


def error(text: str, path: str = "<string>") -> str:
    with pytest.raises(cnncalc.SpecError) as info:
        cnncalc.parse(text, path).summary()
    return str(info.value)


# --- exact arithmetic ---------------------------------------------------------------------------

# torchvision's _make_divisible(v, 8) for the widths of MobileNetV2/V3 and EfficientNet-B0…B7
@pytest.mark.parametrize(("value", "divisor", "expected"), [
    (32, 8, 32), (Fraction(32 * 11, 10), 8, 32), (Fraction(16 * 14, 10), 8, 24),
    (Fraction(96, 4), 8, 24), (120 // 4, 8, 32), (960 // 4, 8, 240), (Fraction(1120, 10), 8, 112),
    (3, 8, 8), (Fraction(27, 2), 8, 16), (10, 8, 16), (Fraction(1312, 10), 8, 128),
])
def test_make_divisible_is_torchvisions_rule(value: Fraction | int, divisor: int,
                                             expected: int) -> None:
    def torchvision(v: float, d: int) -> int:
        new_v = max(d, int(v + d / 2) // d * d)
        return new_v + d if new_v < 0.9 * v else new_v

    assert make_divisible(value, divisor) == expected == torchvision(float(value), divisor)


@pytest.mark.parametrize(("text", "expected"), [
    ("$1.1 * 10", 11),                       # exact: 11/10 · 10, not 11.000000000000002
    ("$7 / 2", Fraction(7, 2)),
    ("$round(2.5) + round(3.5)", 6),          # halves to even, as Python (2 + 4)
    ("$round(0.25 * 104)", 26),               # RegNetY-400MF's SE width
    ("$floor(7 / 2) + ceil(7 / 2)", 7),
    ("$min(3, 1, 2) + max(4, 5)", 6),
    ("$ceil(3 * 1.2)", 4),                    # EfficientNet-B2's depth of a 3-block stage
    ("$(2 == 2) + (2 != 2) + (1 < 2) + (3 <= 2)", 2),
    ("$make_divisible(3, 8, 4)", 4),
])
def test_expressions(text: str, expected: int | Fraction) -> None:
    assert evaluate(text, {}) == expected


def test_a_non_integer_where_an_integer_is_needed_is_a_located_error() -> None:
    message = error("input: [3, 8, 8]\nblocks:\n  b:\n    params: [c]\n    layers:\n"
                    "      - conv: {out: $c / 2, kernel: 1}\nlayers:\n  - b: {c: 7}\n")
    assert message.startswith("<string>:6:21: error: [attribute] conv out: expected an integer, "
                              "got 7/2 (an expression whose result is not a whole number")


def test_yaml_numbers_passed_to_a_block_are_exact_decimals() -> None:
    text = ("input: [3, 8, 8]\nblocks:\n  b:\n    params: [w]\n    layers:\n"
            "      - conv: {out: $16 * w, kernel: 1}\nlayers:\n  - b: {w: 1.1}\n")
    message = error(text)
    assert "got 88/5" in message   # 16 × 11/10, not 17.6000000002
    assert names(text.replace("1.1", "1.25")) == ["b1.conv1"]


# --- the block's input ---------------------------------------------------------------------------

TRANSITION = """
input: [256, 56, 56]
blocks:
  transition:
    layers:
      - conv: {out: $in.channels // 2, kernel: 1}
      - avgpool: {kernel: $in.height // 28}
layers:
  - transition
"""


def test_a_block_reads_its_input_shape() -> None:
    net = cnncalc.parse(TRANSITION)
    assert net.summary().output_shape == Shape(128, (28, 28))
    assert net.graph.input_dependent


def test_a_graph_that_reads_shapes_is_built_again_for_another_input() -> None:
    net = cnncalc.parse(TRANSITION)
    assert net.summary("64x112x112").output_shape == Shape(32, (28, 28))  # kernel 4 now
    assert net.at("64x112x112").graph.nodes[1].layer.kernel == 4
    with pytest.raises(cnncalc.SpecError, match=r"holds for input 256×56×56 only"):
        from cnncalc.analysis.walk import analyze

        analyze(net.graph, Shape(64, (112, 112)))


def test_in_names_an_unknown_axis_with_a_suggestion() -> None:
    assert "has no 'chanels'; did you mean 'channels'?" in error(
        "input: [3, 8, 8]\nlayers:\n  - conv: {out: $in.chanels, kernel: 1}\n")


def test_in_as_an_input_name_and_defaults_that_use_other_params() -> None:
    text = """
input: [8, 4, 4]
blocks:
  expand:
    params: {t: 2, e: $in.channels * t}
    layers:
      - conv: {out: $e, kernel: 1}
      - concat: {inputs: [$in, conv1]}
layers:
  - expand: {t: 3}
"""
    assert cnncalc.parse(text).summary().output_shape == Shape(8 + 24, (4, 4))
    looping = text.replace("e: $in.channels * t", "e: $f").replace("t: 2,", "t: 2, f: $e,")
    assert "defined in terms of itself" in error(looping)


# --- optional layers, numbering, kinds as parameters --------------------------------------------

def test_repeat_zero_and_optional_layers() -> None:
    text = """
input: [4, 8, 8]
blocks:
  unit:
    params: {se: 0}
    layers:
      - conv: {out: 4, kernel: 1}
      - repeat: $se
        layers: [sigmoid]
layers:
  - repeat: 0
    name: nothing
    layers: [relu]
  - unit: {name: a}
  - unit: {se: 1, name: b}
  - conv: {out: 2, kernel: 1, inputs: nothing}      # a repeat of nothing stands for its input
"""
    assert names(text) == ["a.conv1", "b.conv1", "b.sigmoid1", "conv1"]
    assert cnncalc.parse(text).summary().layer("conv1").inputs == ("input",)


def test_numbering_like_pytorch() -> None:
    text = """
input: [4, 8, 8]
blocks:
  basic:
    layers: [conv: {out: 4, kernel: 3, padding: 1, name: 0}, relu: {name: 1}]
layers:
  - repeat: 2
    name: layer1
    start: 0
    layers: [basic]
  - repeat: 2
    index: i
    layers: [conv: {out: 4, kernel: 1, name: "denselayer${i + 1}"}]
  - conv: {out: 4, kernel: 1, name: 0}
"""
    assert names(text) == ["layer1.0.0", "layer1.0.1", "layer1.1.0", "layer1.1.1",
                           "denselayer2", "denselayer3", "0"]


def test_a_kind_chosen_by_a_parameter() -> None:
    text = """
input: [4, 8, 8]
blocks:
  act_block:
    params: {act: relu}
    layers: [$act: {inplace: true, name: act}]
layers:
  - act_block: {act: hardswish, name: a}
  - act_block: {name: b}
"""
    report = cnncalc.parse(text).summary()
    assert [r.kind for r in report.layers] == ["hardswish", "relu"]
    assert "unknown layer kind 'swoosh'" in error(text.replace("hardswish", "swoosh"))


# --- includes ------------------------------------------------------------------------------------

def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_include_blocks_with_their_files_defaults(tmp_path: Path) -> None:
    write(tmp_path, "lib/blocks.yaml", "input: [1, 4, 4]\ndefaults:\n  conv: {bias: false}\n"
          "blocks:\n  unit: [conv: {out: 4, kernel: 1}, batchnorm]\nlayers: [unit]\n")
    spec = write(tmp_path, "net.yaml", "input: [4, 4, 4]\ninclude: lib/blocks.yaml\n"
                 "defaults:\n  batchnorm: {affine: false}\nlayers:\n  - unit\n"
                 "  - conv: {out: 2, kernel: 1}\n")
    report = cnncalc.load(spec).summary()
    # the library's conv default applies inside its block; the spec's batchnorm default too
    assert [r.params for r in report.layers] == [16, 0, 10]


@pytest.mark.parametrize(("files", "message"), [
    ({"lib/a.yaml": "include: b.yaml\n", "lib/b.yaml": "include: a.yaml\n"},
     "include cycle: "),
    ({}, "included file "),
    ({"../outside.yaml": "blocks: {}\n"}, "leads outside the spec's folder"),
])
def test_include_errors_are_located(tmp_path: Path, files: dict[str, str], message: str) -> None:
    root = tmp_path / "spec"
    for name, text in files.items():
        write(root, name, text)
    target = "../outside.yaml" if "../outside.yaml" in files else "lib/a.yaml"
    spec = write(root, "net.yaml", f"input: [3, 8, 8]\ninclude: [{target}]\nlayers: [relu]\n")
    with pytest.raises(cnncalc.SpecError) as info:
        cnncalc.load(spec)
    assert message in str(info.value)
    assert info.value.diagnostics[0].mark is not None


def test_include_needs_a_file() -> None:
    assert "include needs a spec read from a file" in error(
        "input: [3, 8, 8]\ninclude: lib.yaml\nlayers: [relu]\n")


# --- freezing, several inputs, shared weights, resizing -----------------------------------------

def test_trainable_false_on_a_block_use_and_a_repeat() -> None:
    text = """
input: [3, 8, 8]
blocks:
  stem: [conv: {out: 4, kernel: 3}, batchnorm]
layers:
  - stem: {trainable: false}
  - repeat: 2
    trainable: false
    layers: [conv: {out: 4, kernel: 1}]
  - conv: {out: 2, kernel: 1}
"""
    report = cnncalc.parse(text).summary()
    assert [r.trainable for r in report.layers] == [False, False, False, False, True]
    assert report.totals.trainable_params == 10


def test_several_named_inputs() -> None:
    text = """
inputs: {image: [3, 16, 16], depth: [1, 16, 16]}
layers:
  - conv: {out: 4, kernel: 3, padding: 1, name: rgb}
  - conv: {out: 4, kernel: 3, padding: 1, inputs: depth, name: d}
  - concat: {inputs: [rgb, d, input]}
"""
    report = cnncalc.parse(text).summary()
    assert report.layer("rgb").inputs == ("image",)
    assert report.layer("concat1").inputs == ("rgb", "d", "image")  # input: the first one
    assert report.to_dict()["inputs"] == {"image": [3, 16, 16], "depth": [1, 16, 16]}
    assert report.totals.memory is not None
    assert report.totals.memory.activations_inference_peak_bytes >= 4 * 16 * 16 * 4
    assert "either 'input'" in error("input: [3, 8, 8]\n" + text)
    assert "layer name 'depth' is already used" in error(text.replace("name: d}", "name: depth}"))


def test_shared_weights_count_once() -> None:
    text = """
inputs: {left: [1, 16, 16], right: [1, 16, 16]}
blocks:
  tower: [conv: {out: 8, kernel: 3}, batchnorm, relu, global_avgpool, flatten]
layers:
  - tower: {name: a}
  - tower: {name: b, inputs: right, shares: a}
  - add: {inputs: [a, b]}
  - linear: {out: 2, name: head}
"""
    net = cnncalc.parse(text)
    report = net.summary(batch=2, memory=MemoryConfig(optimizer="adam"))
    one_tower = 8 * 9 + 8 + 16
    assert report.totals.params == one_tower + 18
    assert report.layer("b.conv1").params == 0 and "(shares a.conv1)" in \
        report.layer("b.conv1").description
    assert report.layer("b.conv1").macs == report.layer("a.conv1").macs   # MACs per use
    assert report.totals.memory is not None
    assert report.totals.memory.optimizer_bytes == 2 * 4 * (one_tower + 18)
    assert "would need other ones" in error(text.replace("right: [1, 16, 16]",
                                                         "right: [2, 16, 16]"))
    assert "cannot share the weights" in error(
        "input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3, name: a}\n"
        "  - conv: {out: 4, kernel: 1, inputs: input, shares: a}\n")


def test_upsample_like_the_input_follows_any_size() -> None:
    # FCN's final resize: at 520×520 the output is 21×520×520 (it was hard-coded to 224)
    text = """
input: [3, 224, 224]
layers:
  - conv: {out: 21, kernel: 8, stride: 8}
  - upsample: {like: input, mode: bilinear}
"""
    net = cnncalc.parse(text)
    assert net.summary().output_shape == Shape(21, (224, 224))
    assert net.summary("3x520x520").output_shape == Shape(21, (520, 520))
