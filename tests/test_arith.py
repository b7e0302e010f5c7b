"""Every formula against published test vectors (../shared/reference.md) and PyTorch's refusals."""

from __future__ import annotations

import pytest

from cnncalc import (
    ShapeError,
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
)
from cnncalc.model import arith

# (i, k, s, p, d) → o. Sources: Dumoulin & Visin, "A guide to convolution arithmetic" (D&V);
# CS231n / the seeds' worked examples; PyTorch docs.
CONV_CASES = [
    ((5, 4, 1, 2, 1), 6, "D&V relationship 2 (half padding, even kernel)"),
    ((5, 3, 2, 1, 1), 3, "D&V relationship 5"),
    ((6, 3, 2, 1, 1), 3, "D&V relationship 6 (odd leftover dropped)"),
    ((7, 3, 1, 0, 2), 3, "D&V relationship 15, dilated"),
    ((227, 11, 4, 0, 1), 55, "CS231n / AlexNet conv1: (227−11)/4+1"),
    ((32, 5, 1, 2, 1), 32, "CS231n: ten 5×5 filters, S=1, P=2 keep 32"),
    ((5, 3, 1, 1, 1), 5, "seeds: 5×5 input, 3×3 filter, zero pad 1 keeps 5"),
    ((7, 3, 2, 0, 1), 3, "seeds / CS231n: 7×7 input, 3×3, stride 2 → 3×3"),
    ((7, 3, 1, 0, 1), 5, "CS231n: 7×7 input, 3×3, stride 1 → 5×5"),
    ((224, 7, 2, 3, 1), 112, "ResNet/GoogLeNet stem"),
    ((10, 3, 2, 0, 1), 4, "CS231n W=10,F=3,S=2,P=0: 4.5 is floored by PyTorch"),
    ((12, 7, 1, 0, 1), 6, "seeds: VGG fc6 as a 7×7 conv on 12×12 → 6"),
]


@pytest.mark.parametrize(("args", "expected", "source"), CONV_CASES)
def test_conv_output_size_vectors(args: tuple[int, ...], expected: int, source: str) -> None:
    i, k, s, p, d = args
    assert conv_output_size(i, k, s, p, d) == expected, source
    assert arith.conv_out(i, k, s, p, p, d) == expected


def test_conv_output_size_per_axis() -> None:
    assert conv_output_size((224, 224), 7, stride=2, padding=3) == (112, 112)
    assert conv_output_size((32, 64), (3, 5), stride=(1, 2), padding=(1, 2)) == (32, 32)
    assert conv_output_size((16, 112, 112), 3, padding=1) == (16, 112, 112)


# Transposed convolution: (i, k, s, p, op, d) → o
TRANSPOSE_CASES = [
    ((3, 3, 2, 1, 0, 1), 5, "D&V: back from (i=6,k=3,s=2,p=1) gives 5 without output_padding"),
    ((3, 3, 2, 1, 1, 1), 6, "D&V: output_padding=1 recovers 6"),
    ((2, 3, 1, 0, 0, 1), 4, "D&V relationship 8 (transpose of no padding, unit stride)"),
    ((5, 4, 1, 2, 0, 1), 4, "D&V: transpose of half padding with even kernel"),
    ((7, 4, 2, 1, 0, 1), 14, "DCGAN-style 4×4/2 p1 doubles"),
    ((3, 3, 1, 0, 0, 2), 7, "dilated transposed: (3−1)·1 + 2·2 + 1"),
]


@pytest.mark.parametrize(("args", "expected", "source"), TRANSPOSE_CASES)
def test_conv_transpose_vectors(args: tuple[int, ...], expected: int, source: str) -> None:
    i, k, s, p, op, d = args
    assert conv_transpose_output_size(i, k, s, p, op, d) == expected, source


POOL_CASES = [
    # (size, kernel, stride, padding, dilation, ceil) → output; PyTorch values from reference.md
    (((8, 10), 3, 4, 0, 1, True), (2, 3), "PyTorch MaxPool2d(3, 4, ceil_mode=True) on 8×10"),
    (((5, 6), 1, 2, 0, 1, True), (3, 3), "PyTorch MaxPool2d(1, 2, ceil_mode=True) on 5×6"),
    (((17, 17), 2, 2, 1, 1, True), (9, 9), "PyTorch AvgPool2d(2, 2, 1, ceil_mode=True) on 17×17"),
    ((112, 3, 2, 0, 1, True), 56, "GoogLeNet pool1, ceil"),
    ((112, 3, 2, 0, 1, False), 55, "GoogLeNet pool1 with floor loses the 56"),
    ((56, 3, 2, 0, 1, True), 28, "GoogLeNet pool2"),
    ((28, 3, 2, 0, 1, True), 14, "GoogLeNet pool3"),
    ((14, 3, 2, 0, 1, True), 7, "GoogLeNet pool4"),
    ((55, 3, 2, 0, 1, False), 27, "AlexNet pool1"),
    ((224, 2, 2, 0, 1, False), 112, "VGG pool"),
    ((112, 3, 2, 1, 1, False), 56, "ResNet stem pool 3/2 p1"),
    ((10, 3, 1, 0, 2, False), 6, "dilated max pool"),
]


@pytest.mark.parametrize(("args", "expected", "source"), POOL_CASES)
def test_pool_output_size_vectors(args: tuple, expected: object, source: str) -> None:
    size, k, s, p, d, ceil = args
    assert pool_output_size(size, k, s, p, d, ceil) == expected, source


def test_pool_stride_defaults_to_kernel() -> None:
    assert pool_output_size(32, 2) == 16
    assert pool_output_size((28, 28), 2) == (14, 14)


def test_ceil_mode_last_window_rule() -> None:
    # ceil((6 + 2 − 2)/2) + 1 = 4, but the 4th window would start at 6 ≥ i + p = 6 + 1 − ... :
    # PyTorch drops a window that starts in the right padding.
    assert arith.pool_out(5, 2, 2, 1, 1, 1, ceil_mode=True) == 3
    assert arith.pool_out(6, 1, 4, 0, 0, 1, ceil_mode=True) == 2  # PyTorch drops the 3rd
    assert arith.pool_out(6, 1, 4, 0, 0, 1, ceil_mode=True, rounding="caffe") == 3  # Caffe: pad 0


REFUSALS = [
    (lambda: conv_output_size(5, 7), "larger than the padded input"),
    (lambda: conv_output_size(5, 3, dilation=3), "dilated kernel 7"),
    (lambda: conv_output_size(5, 0), "kernel must be at least 1"),
    (lambda: conv_output_size(5, 3, stride=0), "stride must be at least 1"),
    (lambda: conv_output_size(5, 3, padding=-1), "padding must not be negative"),
    (lambda: pool_output_size(5, 3, padding=2), "more than half the kernel"),
    (lambda: pool_output_size(2, 3), "not positive"),
    (lambda: conv_transpose_output_size(3, 3, stride=2, output_padding=2), "output_padding 2"),
    (lambda: conv_transpose_output_size(3, 3, stride=1, output_padding=1), "output_padding 1"),
    (lambda: conv_transpose_output_size(1, 1, stride=1, padding=1), "not positive"),
    (lambda: conv_output_size((5, 5), (3, 3, 3)), "has 3 values"),
]


@pytest.mark.parametrize(("call", "message"), REFUSALS)
def test_pytorch_refusals(call: object, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        call()  # type: ignore[operator]


def test_shape_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        conv_output_size(3, 5)


def test_output_padding_allowed_below_dilation() -> None:
    # op < s fails but op < d holds: PyTorch accepts it
    assert conv_transpose_output_size(3, 3, stride=1, output_padding=1, dilation=2) == 8


def test_tensorflow_same_and_valid() -> None:
    assert arith.tf_same_padding(224, 7, 2) == (2, 3)
    assert arith.conv_out(224, 7, 2, 2, 3) == 112
    assert arith.tf_same_padding(5, 3, 2) == (1, 1)
    assert arith.tf_same_padding(4, 1, 2) == (0, 0)
    assert arith.tf_valid_out(224, 7, 2) == 109 == arith.conv_out(224, 7, 2, 0, 0)


def test_pytorch_same_padding_puts_odd_pixel_after() -> None:
    assert arith.same_padding(3) == (1, 1)
    assert arith.same_padding(4) == (1, 2)
    assert arith.same_padding(3, 2) == (2, 2)
    assert arith.full_padding(3, 2) == (4, 4)


def test_effective_kernel() -> None:
    assert arith.effective_kernel(3, 1) == 3
    assert arith.effective_kernel(3, 2) == 5
    assert arith.effective_kernel(5, 4) == 17


def test_dropped_inputs() -> None:
    # CS231n: W=10, F=3, S=2, P=0 → (10−3)/2 = 3.5: the last input column is never read
    assert arith.dropped_inputs(10, 3, 2) == 1
    # seeds: 7×7, F=3, S=3 → (7−3)/3 + 1 = 2.333: one column dropped
    assert arith.dropped_inputs(7, 3, 3) == 1
    assert arith.dropped_inputs(227, 11, 4) == 0
    # the leftover lies in the padding: no real pixel lost
    assert arith.dropped_inputs(6, 3, 2, 1, 1) == 0


def test_upsample_matches_interpolate_rounding() -> None:
    assert arith.upsample_out(7, scale=2.0) == 14
    assert arith.upsample_out(7, scale=1.5) == 10
    assert arith.upsample_out(10, scale=0.3) == 3
    assert arith.upsample_out(5, size=9) == 9
    with pytest.raises(ShapeError):
        arith.upsample_out(1, scale=0.5)


def test_formula_text_substitutes_numbers() -> None:
    assert arith.conv_out_formula(224, 7, 2, 3, 3) == "⌊(224 + 2·3 − 1·(7−1) − 1)/2⌋ + 1 = 112"
    assert arith.conv_transpose_out_formula(3, 3, 2, 1, 1, 1) == (
        "(3−1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 6")
    text = arith.pool_out_formula(6, 1, 4, 0, 0, 1, ceil_mode=True)
    # ceil gives 3 windows; the third would start at (3−1)·4 = 8 ≥ 6 + 0, in the padding: 2.
    assert text == ("⌈(6 + 2·0 − 1·(1−1) − 1)/4⌉ + 1 − 1 = 2 (the last of 3 windows would start "
                    "in the padding: (3−1)·4 ≥ 6 + 0)")


# Found by tests/parity/test_random_layers.py: PyTorch's 3-D average pooling (and LPPool3d,
# built on it) refuses an unpadded input smaller than the kernel on any axis, even where the
# padding would make the window fit; max pooling and 1-D/2-D average pooling do not.
AVG_POOL_3D = [
    ("avgpool", {"kernel": 2, "padding": 1}, (1, 7, 3), None),            # PyTorch refuses
    ("avgpool", {"kernel": 2, "padding": 1}, (2, 7, 3), (2, 4, 2)),
    ("avgpool", {"kernel": 3, "stride": 3, "ceil_mode": True}, (6, 1, 1), None),
    ("avgpool", {"kernel": [3, 1, 1], "stride": 3, "ceil_mode": True}, (6, 1, 1), (2, 1, 1)),
    ("lppool", {"kernel": 2, "ceil_mode": True}, (1, 7, 2), None),
    ("maxpool", {"kernel": 2, "padding": 1}, (1, 7, 3), (1, 4, 2)),          # no such check
    ("avgpool", {"kernel": 2, "padding": 1}, (1, 7), (1, 4)),                # nor in 2-D
]


@pytest.mark.parametrize(("kind", "attrs", "spatial", "expected"), AVG_POOL_3D)
def test_avg_pool3d_needs_the_kernel_inside_the_unpadded_input(
        kind: str, attrs: dict[str, object], spatial: tuple[int, ...],
        expected: tuple[int, ...] | None) -> None:
    from cnncalc.layers.base import lookup
    from cnncalc.model.shape import Shape

    cls = lookup(kind)
    assert cls is not None
    layer = cls.from_attrs(attrs)
    if expected is None:
        with pytest.raises(ShapeError, match="3-D average pooling needs an input of at least"):
            layer.infer((Shape(2, spatial),))
    else:
        assert layer.infer((Shape(2, spatial),)).spatial == expected
