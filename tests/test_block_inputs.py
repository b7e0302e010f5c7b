"""A block parameter can name the layer a layer reads (``inputs: $skip``), as U-Net's up block
needs; mistakes in it are located like any other unknown input."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.model.shape import Shape

SPEC = """input: [1, 16]
blocks:
  merge:
    params: [skip]
    layers:
      - conv: {out: 2, kernel: 3, name: conv}
      - crop: {like: conv, inputs: $skip, name: crop}
      - concat: {inputs: [crop, conv]}
layers:
  - conv: {out: 3, kernel: 1, name: a}
  - conv: {out: 4, kernel: 1, name: b}
  - merge: {skip: SKIP}
"""


@pytest.mark.parametrize(("skip", "channels"), [("a", 5), ("b", 6), ("input", 3)])
def test_inputs_from_a_block_parameter(skip: str, channels: int) -> None:
    report = cnncalc.parse(SPEC.replace("SKIP", skip)).summary()
    crop = report.layer("merge1.crop")
    assert crop.inputs[0] == skip
    assert report.output_shape == Shape(channels, (14,))


def test_list_of_inputs_from_parameters() -> None:
    spec = SPEC.replace("inputs: [crop, conv]", "inputs: [$skip, conv]").replace(
        "      - crop: {like: conv, inputs: $skip, name: crop}\n", "").replace(
        "kernel: 3, name: conv", "kernel: 1, name: conv")
    report = cnncalc.parse(spec.replace("SKIP", "a")).summary()
    assert report.output_shape == Shape(5, (16,))


def test_unknown_layer_named_by_a_parameter_points_where_it_was_passed() -> None:
    with pytest.raises(cnncalc.SpecError, match=r"net\.yaml:12:19: .*unknown layer 'nope'"):
        cnncalc.parse(SPEC.replace("SKIP", "nope"), "net.yaml")
