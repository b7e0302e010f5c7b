"""Receptive fields against Araujo, Norris & Sim (Distill 2019) and hand-computed chains."""

from __future__ import annotations

from fractions import Fraction

import cnncalc

from .conftest import SPECS


def rf_of(spec: str, layer: str | None = None) -> tuple:
    report = cnncalc.parse(spec).summary()
    r = report.layer(layer) if layer else report.layers[-1]
    assert r.rf is not None
    return r.rf.size, r.rf.jump, r.rf.effective_padding


def test_vgg16_pool5_distill() -> None:
    report = cnncalc.load(SPECS / "vgg16.yaml").summary()
    rf = report.layer("block5.pool").rf
    assert rf is not None
    assert (rf.size, rf.jump, rf.effective_padding) == ((212, 212), (32, 32), (90, 90))


def test_alexnet_pool5() -> None:
    report = cnncalc.load(SPECS / "alexnet.yaml").summary()
    rf = report.layer("pool5").rf
    assert rf is not None
    assert (rf.size, rf.jump) == ((195, 195), (32, 32))


def test_lenet5_c5_sees_the_whole_input() -> None:
    report = cnncalc.load(SPECS / "lenet5.yaml").summary()
    rf = report.layer("c5").rf
    assert rf is not None
    assert rf.size == (32, 32)
    assert rf.covers_input


def test_three_stacked_3x3_convs() -> None:
    spec = ("input: [8, 32, 32]\nlayers:\n"
            "  - repeat: 3\n    layers: [conv: {out: 8, kernel: 3, padding: 1, bias: false}]\n")
    report = cnncalc.parse(spec).summary()
    assert report.layers[-1].rf.size == (7, 7)  # type: ignore[union-attr]
    # 27·C² weights for three 3×3 vs 49·C² for one 7×7 (C = 8)
    assert report.totals.params == 27 * 8 * 8
    one = cnncalc.parse("input: [8, 32, 32]\nlayers:\n  - conv: {out: 8, kernel: 7, "
                        "padding: 3, bias: false}\n").summary()
    assert one.totals.params == 49 * 8 * 8
    assert one.layers[-1].rf.size == (7, 7)  # type: ignore[union-attr]


def test_dilation_grows_rf() -> None:
    size, jump, _ = rf_of("input: [1, 64]\nlayers:\n"
                          "  - conv: {out: 1, kernel: 3, dilation: 1}\n"
                          "  - conv: {out: 1, kernel: 3, dilation: 2}\n"
                          "  - conv: {out: 1, kernel: 3, dilation: 4}\n")
    assert size == (15,) and jump == (1,)


def test_transposed_conv_has_fractional_jump() -> None:
    spec = ("input: [1, 32, 32]\nlayers:\n"
            "  - conv: {out: 1, kernel: 3, stride: 2, padding: 1}\n"
            "  - conv_transpose: {out: 1, kernel: 2, stride: 2}\n")
    report = cnncalc.parse(spec).summary()
    rf = report.layers[-1].rf
    assert rf is not None
    assert rf.jump == (1, 1)
    assert report.layers[0].rf.jump == (2, 2)  # type: ignore[union-attr]
    up = cnncalc.parse("input: [1, 8]\nlayers:\n  - conv_transpose: {out: 1, kernel: 3, "
                       "stride: 2}\n").summary()
    assert up.layers[-1].rf.jump == (Fraction(1, 2),)  # type: ignore[union-attr]


def test_concat_of_aligned_paths_takes_largest() -> None:
    spec = ("input: [4, 32, 32]\nlayers:\n  - concat:\n"
            "    - [conv: {out: 4, kernel: 1}]\n"
            "    - [conv: {out: 4, kernel: 5, padding: 2}]\n")
    report = cnncalc.parse(spec).summary()
    assert report.layers[-1].rf.size == (5, 5)  # type: ignore[union-attr]
    assert not report.warnings


def test_unaligned_merge_warns() -> None:
    spec = ("input: [4, 32, 32]\nlayers:\n  - concat:\n"
            "    - [conv: {out: 4, kernel: 2, padding: [[0, 1], [0, 1]]}]\n"
            "    - [conv: {out: 4, kernel: 3, padding: 1}]\n")
    report = cnncalc.parse(spec).summary()
    assert [w.code for w in report.warnings] == ["unaligned-merge"]
