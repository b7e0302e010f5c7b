"""The one-layer calculators (cnncalc.conv / deconv / pool) and chain: published vectors
(../shared/reference.md), cross-checks against the layer kinds and the receptive-field walk, and
brute-force properties of the dropped-pixel count."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.layers.base import lookup
from cnncalc.model import arith
from cnncalc.model.errors import ShapeError
from cnncalc.model.shape import Shape
from cnncalc.quick import calc as calc_mod
from cnncalc.quick import chain as chain_mod
from cnncalc.quick import solve as solve_mod
from cnncalc.quick.calc import Answer, conv, conv_transpose, pool
from cnncalc.quick.chain import StepSyntaxError, chain, parse_step

# size, kernel, stride, padding, dilation → output; Dumoulin & Visin (D&V), CS231n, the seeds.
CONV_VECTORS = [
    ((5, 4, 1, 2, 1), 6, "D&V relationship 2"),
    ((5, 3, 2, 1, 1), 3, "D&V relationship 5"),
    ((6, 3, 2, 1, 1), 3, "D&V relationship 6"),
    ((7, 3, 1, 0, 2), 3, "D&V relationship 15 (dilated)"),
    ((227, 11, 4, 0, 1), 55, "CS231n / AlexNet conv1"),
    ((32, 5, 1, 2, 1), 32, "CS231n: ten 5×5 filters, S=1, P=2"),
    ((10, 3, 2, 0, 1), 4, "CS231n W=10, F=3, S=2: 4.5 floored"),
    ((224, 7, 2, 3, 1), 112, "ResNet / GoogLeNet stem"),
]


@pytest.mark.parametrize(("args", "expected", "source"), CONV_VECTORS)
def test_conv_vectors(args: tuple[int, ...], expected: int, source: str) -> None:
    i, k, s, p, d = args
    answer = cnncalc.conv(i, k, s, p, d)
    assert answer.output_size == (expected, expected), source
    assert cnncalc.conv(i, k, s, p, d, rank=1).output == expected
    assert answer.axes[0].formula.endswith(f"= {expected}")


def test_conv_counts_published() -> None:
    alexnet = cnncalc.conv(227, 11, stride=4, in_channels=3, out_channels=96)
    assert (alexnet.weights, alexnet.bias, alexnet.params) == (34_848, 96, 34_944)
    assert alexnet.macs == 105_415_200 and alexnet.flops == 210_830_400
    assert cnncalc.conv(32, 5, 1, 2, in_channels=3, out_channels=10).params == 760  # CS231n
    stem = cnncalc.conv(224, 7, 2, 3, in_channels=3, out_channels=64)
    assert stem.params == 9_472 and stem.macs == 118_013_952
    grouped = cnncalc.conv(27, 5, padding=2, in_channels=96, out_channels=256, groups=2)
    assert grouped.params == 307_456 and grouped.macs == 223_948_800  # AlexNet conv2 (Caffe)


def test_conv_formula_is_the_issue_example() -> None:
    answer = cnncalc.conv(224, 7, stride=2, padding=3)
    assert answer.lines()[0] == "out H, W: ⌊(224 + 2·3 − 1·(7−1) − 1)/2⌋ + 1 = 112"
    assert answer.headline() == "conv 224×224 → 112×112 (kernel 7, stride 2, padding 3)"


def test_per_axis_values_and_rank() -> None:
    answer = cnncalc.conv((32, 64), (3, 5), padding=(1, 2), dilation=2)
    assert answer.output_size == (30, 60)
    assert [a.axis for a in answer.axes] == ["H", "W"]
    assert cnncalc.conv(16, 3, padding=1, rank=3).output_size == (16, 16, 16)
    assert cnncalc.conv((100,), 3).output == 98  # a one-value tuple is one axis
    with pytest.raises(ShapeError, match="size has 2 values for 3 spatial axes"):
        cnncalc.conv((32, 64), (3, 3, 3))
    with pytest.raises(ShapeError, match="rank must be"):
        cnncalc.conv(32, 3, rank=4)


def test_padding_words() -> None:
    tf = cnncalc.conv(224, 7, stride=2, padding="same_tf")  # reference.md: pads 2 and 3 → 112
    assert tf.output_size == (112, 112) and tf.axes[0].padding == (2, 3)
    assert cnncalc.conv(10, 4, padding="same").output_size == (10, 10)
    assert cnncalc.conv(10, 3, padding="full").output_size == (12, 12)
    assert cnncalc.conv(10, 3, padding="valid").output_size == (8, 8)
    with pytest.raises(ShapeError, match="only allowed with stride 1"):
        cnncalc.conv(10, 3, stride=2, padding="same")
    with pytest.raises(ShapeError, match="not supported"):
        cnncalc.deconv(10, 3, padding="same")


def test_refusals_are_pytorchs() -> None:
    with pytest.raises(ShapeError, match="larger than the padded input"):
        cnncalc.conv(5, 7)
    with pytest.raises(ShapeError, match="output_padding 2 must be smaller"):
        cnncalc.deconv(7, 3, stride=2, output_padding=2)
    with pytest.raises(ShapeError, match="more than half the kernel"):
        cnncalc.pool(10, 3, padding=2)
    with pytest.raises(ShapeError, match="not divisible by groups"):
        cnncalc.conv(10, 3, in_channels=6, out_channels=4, groups=4)
    with pytest.raises(ShapeError, match="whole numbers"):
        cnncalc.conv(10, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ShapeError, match="in_channels"):
        cnncalc.conv(10, 3, in_channels=0, out_channels=4)


TRANSPOSE_VECTORS = [
    ((3, 3, 2, 1, 0, 1), 5, "D&V: back from (6, k3, s2, p1) without output_padding"),
    ((3, 3, 2, 1, 1, 1), 6, "D&V: output_padding 1 recovers 6"),
    ((7, 4, 2, 1, 0, 1), 14, "DCGAN 4×4/2 p1 doubles"),
    ((3, 3, 1, 0, 0, 2), 7, "dilated transposed"),
]


@pytest.mark.parametrize(("args", "expected", "source"), TRANSPOSE_VECTORS)
def test_deconv_vectors(args: tuple[int, ...], expected: int, source: str) -> None:
    i, k, s, p, op, d = args
    assert cnncalc.deconv(i, k, s, p, op, d, rank=1).output == expected, source


def test_deconv_notes_name_the_other_sizes_and_the_inverse() -> None:
    answer = cnncalc.deconv(3, 3, stride=2, padding=1, rank=1)
    assert answer.output == 5
    assert "L: output_padding 1 gives 6 (allowed below the stride 2)" in answer.lines()
    assert "L: a conv with kernel 3, stride 2, padding 1 maps 5 and 6 back to 3" in answer.lines()
    unet = cnncalc.deconv(28, 2, stride=2, in_channels=128, out_channels=64)
    assert unet.params == 128 * 64 * 4 + 64
    assert unet.macs == 128 * 28 * 28 * 64 * 4  # input-based (docs/conventions.md)


POOL_VECTORS = [
    (((8, 10), 3, 4, 0, True), (2, 3), "PyTorch MaxPool2d(3, 4, ceil_mode=True) on 8×10"),
    (((5, 6), 1, 2, 0, True), (3, 3), "PyTorch MaxPool2d(1, 2, ceil_mode=True) on 5×6"),
    (((17, 17), 2, 2, 1, True), (9, 9), "PyTorch AvgPool2d(2, 2, 1, ceil_mode=True) on 17×17"),
    ((112, 3, 2, 0, True), (56, 56), "GoogLeNet pool1, ceil"),
    ((112, 3, 2, 0, False), (55, 55), "GoogLeNet pool1 with floor"),
    ((55, 3, 2, 0, False), (27, 27), "AlexNet pool1"),
]


@pytest.mark.parametrize(("args", "expected", "source"), POOL_VECTORS)
def test_pool_vectors(args: tuple, expected: tuple[int, ...], source: str) -> None:
    size, k, s, p, ceil = args
    assert cnncalc.pool(size, k, s, p, ceil_mode=ceil).output_size == expected, source


def test_pool_names_the_other_rounding() -> None:
    floor = cnncalc.pool(112, 3, 2)
    assert floor.axes[0].other == 56
    assert "H, W: rounding up (ceil_mode) gives 56" in floor.lines()
    assert floor.dropped == (1, 1)
    ceil = cnncalc.pool(112, 3, 2, ceil_mode=True)
    assert "H, W: rounding down gives 55" in ceil.lines() and ceil.dropped == (0, 0)
    assert cnncalc.pool(8, 3, 4, ceil_mode=True).lines()[0].endswith("(3−1)·4 ≥ 8 + 0)")
    # Caffe skips the last-window correction without padding: 8, k3, s4 → 3 (PyTorch: 2).
    caffe = cnncalc.pool(8, 3, 4, ceil_mode="caffe", rank=1)
    assert caffe.output == 3 and "L: PyTorch's ceil_mode gives 2" in caffe.lines()
    assert cnncalc.pool(8, 3, 4, padding=1, ceil_mode="caffe", rank=1).output == 3
    with pytest.raises(ShapeError, match="ceil_mode"):
        cnncalc.pool(12, 3, ceil_mode="up")  # type: ignore[arg-type]


def test_stride_default_is_the_kernel() -> None:
    assert cnncalc.pool(224, 2).output_size == (112, 112)


def uncovered_tail(i: int, k: int, s: int, pb: int, pa: int, d: int) -> int:
    """Input pixels after the last one any window touches, by walking the windows."""
    k_eff = d * (k - 1) + 1
    last = -1
    start = 0
    while start + k_eff <= i + pb + pa:
        last = max(last, start + k_eff - 1 - pb)  # input coordinate of the window's last tap
        start += s
    return max(0, i - 1 - last)


@settings(max_examples=300)
@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 5), st.integers(0, 3),
       st.integers(0, 3), st.integers(1, 3))
def test_dropped_pixels_match_the_windows(i: int, k: int, s: int, pb: int, pa: int,
                                          d: int) -> None:
    assume(d * (k - 1) + 1 <= i + pb + pa)
    assume(d * (k - 1) + 1 >= s)  # with gaps between windows only the tail is "dropped"
    answer = conv(i, k, s, ((pb, pa),), d)
    assert answer.axes[0].dropped == uncovered_tail(i, k, s, pb, pa, d)


@settings(max_examples=200)
@given(st.integers(2, 60), st.integers(1, 7), st.integers(2, 5), st.integers(0, 3))
def test_clean_sizes_are_the_nearest_clean_ones(i: int, k: int, s: int, p: int) -> None:
    assume(k <= i + 2 * p)
    axis = conv(i, k, s, p, rank=1).axes[0]
    if not axis.dropped:
        assert axis.clean_sizes == ()
        return

    def clean(j: int) -> bool:
        return j + 2 * p >= k and arith.dropped_inputs(j, k, s, p, p) == 0

    below = [j for j in range(1, i) if clean(j)]
    above = [j for j in range(i + 1, i + s + 1) if clean(j)]
    expected = ([below[-1]] if below and below[-1] >= i - s else []) + above[:1]
    assert list(axis.clean_sizes) == expected


@settings(max_examples=150)
@given(st.integers(1, 30), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2),
       st.integers(1, 2), st.integers(1, 4), st.integers(1, 3), st.booleans())
def test_counts_match_the_layer_kinds(i: int, k: int, s: int, p: int, d: int, cin: int,
                                      groups: int, bias: bool) -> None:
    """The calculators and the spec's layer kinds are separate code; they must agree."""
    cout = groups * 2
    cin *= groups
    assume(d * (k - 1) + 1 <= i + 2 * p)
    x = Shape(cin, (i, i))
    layer = lookup("conv").from_attrs({"out": cout, "kernel": k, "stride": s, "padding": p,
                                       "dilation": d, "groups": groups, "bias": bias})
    out = layer.infer((x,))
    answer = conv(i, k, s, p, d, in_channels=cin, out_channels=cout, groups=groups, bias=bias)
    counts = layer.counts((x,), out)
    assert answer.output_size == out.spatial
    assert (answer.weights, answer.bias) == (counts.weights, counts.bias)
    assert answer.macs == layer.macs((x,), out)
    assert layer.explain((x,), out) == answer.lines()  # summary --explain says the same


def test_pool_and_deconv_explain_like_the_calculators() -> None:
    x = Shape(64, (112, 112))
    layer = lookup("maxpool").from_attrs({"kernel": 3, "stride": 2})
    assert layer.explain((x,), layer.infer((x,)))[:-1] == pool(112, 3, 2).lines()
    y = Shape(128, (28, 28))
    deconv = lookup("conv_transpose").from_attrs({"out": 64, "kernel": 2, "stride": 2})
    assert deconv.explain((y,), deconv.infer((y,))) == conv_transpose(
        28, 2, 2, in_channels=128, out_channels=64).lines()


def test_answers_are_immutable_values() -> None:
    a, b = cnncalc.conv(10, 3), cnncalc.conv(10, 3)
    assert a == b and hash(a) == hash(b) and a != cnncalc.conv(10, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.kind = "x"  # type: ignore[misc]
    assert dataclasses.is_dataclass(a) and repr(a).startswith("WindowAnswer(")
    data = a.to_dict()
    assert data["output_size"] == [8, 8] and data["axes"][0]["padding"] == [0, 0]
    assert str(a).splitlines()[0] == a.headline()


# --- chain ---------------------------------------------------------------------------------

def test_chain_issue_example() -> None:
    answer = chain(224, "conv k7 s2 p3; maxpool k3 s2 p1; conv k3 p1")
    assert [r.size for r in answer.rows] == [(224, 224), (112, 112), (56, 56), (56, 56)]
    assert [r.rf[0] for r in answer.rows] == [1, 7, 11, 19]
    assert [r.jump[0] for r in answer.rows] == [1, 2, 4, 4]


RF_VECTORS = [
    # Distill (Araujo et al. 2019) and reference.md: RF and effective stride at the end point.
    ("conv k3 p1 x2; maxpool k2; conv k3 p1 x2; maxpool k2; conv k3 p1 x3; maxpool k2; "
     "conv k3 p1 x3; maxpool k2; conv k3 p1 x3; maxpool k2", 224, 212, 32, "VGG-16 pool5"),
    ("conv k11 s4; maxpool k3 s2; conv k5 p2; maxpool k3 s2; conv k3 p1 x3; maxpool k3 s2",
     224, 195, 32, "alexnet_v2 pool5"),
    ("conv k5; avgpool k2; conv k5; avgpool k2; conv k5", 32, 32, 4, "LeNet-5 C5"),
    ("conv k3 x3", 32, 7, 1, "three stacked 3×3 convolutions"),
]


@pytest.mark.parametrize(("steps", "size", "rf", "jump", "source"), RF_VECTORS)
def test_chain_receptive_fields(steps: str, size: int, rf: int, jump: int, source: str) -> None:
    last = chain(size, steps).output
    assert (last.rf, last.jump) == ((rf, rf), (jump, jump)), source


SPEC_KINDS = {"conv": "conv", "conv_transpose": "conv_transpose", "maxpool": "maxpool",
              "avgpool": "avgpool"}


@pytest.mark.parametrize("steps", [
    "conv k7 s2 p3; maxpool k3 s2 p1; conv k3 p1 d2",
    "conv k3 s2 p1; deconv k4 s2 p1; deconv k3 s2 op1",
    "conv k1x7 p0x3; avgpool k2 s1; conv k3 s2x1",
])
def test_chain_agrees_with_the_receptive_field_walk(steps: str) -> None:
    """Chain's recurrences and the spec walk (cnncalc.model.rf) are separate code."""
    answer = chain(40, steps, in_channels=4)
    layers = []
    for row in answer.rows[1:]:
        st_ = row.step
        assert st_ is not None
        def spec(values: tuple[int, ...]) -> object:
            return values[0] if len(values) == 1 else list(values)

        attrs: dict[str, object] = {"kernel": spec(st_.kernel)}
        if st_.stride is not None:
            attrs["stride"] = spec(st_.stride)
        attrs["padding"] = spec(st_.padding) if not isinstance(st_.padding, str) else st_.padding
        if st_.kind != "avgpool":
            attrs["dilation"] = spec(st_.dilation)
        if st_.kind == "conv_transpose":
            attrs["output_padding"] = spec(st_.output_padding)
        if not st_.is_pool:
            attrs["out"] = 4
        layers.append({SPEC_KINDS[st_.kind]: attrs})
    report = cnncalc.load({"name": "t", "input": [4, 40, 40], "layers": layers}).summary()
    for row, layer in zip(answer.rows[1:], report.layers):
        assert layer.output_shape.spatial == row.size
        assert layer.rf is not None
        assert layer.rf.size == row.rf and layer.rf.jump == row.jump


def test_chain_counts_and_repeats() -> None:
    answer = chain(224, "conv k3 p1 c64 x2; maxpool k2", in_channels=3)
    assert [r.label for r in answer.rows[1:]] == ["conv k3 p1 c64 [1/2]", "conv k3 p1 c64 [2/2]",
                                                  "maxpool k2"]
    assert [r.params for r in answer.rows[1:]] == [1_792, 36_928, 0]  # VGG-16 block 1
    assert answer.rows[1].macs == 86_704_128
    assert answer.params == 38_720 and answer.output.channels == 64
    unknown = chain(224, "conv k3 p1; conv k3 c8", in_channels=3)
    assert unknown.params is None and unknown.output.channels == 8


@pytest.mark.parametrize(("text", "message"), [
    ("conv", "give the kernel size"),
    ("conv k", "cannot read 'k'"),
    ("cnv k3", "did you mean 'conv'"),
    ("conv k3 q4", "cannot read 'q4'"),
    ("conv k3 k5", "given twice"),
    ("conv k0", "at least 1"),
    ("conv k3 op1", "output_padding is for deconv"),
    ("maxpool k2 c64", "keeps its channels"),
    ("conv k3 ceil", "ceil is for pooling"),
    ("deconv k3 p=same", "padding is a number"),
    ("conv k3 x0", "at least 1"),
])
def test_step_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(StepSyntaxError, match=message):
        parse_step(text)


def test_step_spellings() -> None:
    long = parse_step("conv kernel=3x5 stride=2 padding=same_tf dilation=2 out=8 groups=2 nobias")
    short = parse_step("conv k3x5 s2 same_tf d2 c8 g2 nobias")
    assert (long.kernel, long.stride, long.padding, long.out, long.groups, long.bias) == (
        (3, 5), (2,), "same_tf", 8, 2, False)
    assert long.kind == short.kind and long.kernel == short.kernel
    assert parse_step("pool k3 s2 ceil").kind == "maxpool"
    assert parse_step("avg k2").kind == "avgpool"


def test_chain_shape_errors_name_the_step() -> None:
    with pytest.raises(ShapeError, match=r"step 2 \(conv k7\) on 3×3"):
        chain(7, "conv k3 s2; conv k7")


def agree(torch_call: Callable[[], Any], ours: Callable[[], Any]) -> None:
    """PyTorch's output size or refusal, and ours, must be the same."""
    try:
        expected = tuple(torch_call().shape[2:])
    except (RuntimeError, ValueError):
        expected = None
    if expected is None or min(expected) < 1:
        with pytest.raises(ShapeError):
            ours()
    else:
        assert ours().output_size == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 24), st.integers(1, 24), st.integers(1, 5), st.integers(1, 5),
       st.integers(1, 3), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),
       st.integers(0, 2), st.booleans())
def test_calculators_match_pytorch(h: int, w: int, kh: int, kw: int, sh: int, sw: int, p: int,
                                   d: int, op: int, ceil: bool) -> None:
    """PyTorch as the oracle for conv, conv_transpose and max pooling: sizes and refusals."""
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 2, h, w)
    k, s_ = (kh, kw), (sh, sw)
    with torch.no_grad():
        agree(lambda: torch.nn.Conv2d(2, 4, k, s_, p, d)(x), lambda: conv((h, w), k, s_, p, d))
        agree(lambda: torch.nn.ConvTranspose2d(2, 4, k, s_, p, op, dilation=d)(x),
              lambda: conv_transpose((h, w), k, s_, p, op, d))
        agree(lambda: torch.nn.MaxPool2d(k, s_, p, d, ceil_mode=ceil)(x),
              lambda: pool((h, w), k, s_, p, d, ceil_mode=ceil))


def test_answers_are_frozen_slotted_dataclasses() -> None:
    """Every answer is a frozen dataclass with slots; to_dict() lists its fields in reading
    order, as repr and the JSON show them."""
    classes = [c for m in (calc_mod, chain_mod, solve_mod) for c in vars(m).values()
               if isinstance(c, type) and issubclass(c, Answer) and c is not Answer]
    assert len(classes) >= 10
    for cls in classes:
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls  # type: ignore[attr-defined]
        names = tuple(f.name for f in dataclasses.fields(cls))
        assert set(names) == set(cls.__slots__), cls
    axis = cnncalc.conv(5, 3).axes[0]
    assert tuple(axis.to_dict())[:3] == ("axis", "size", "kernel")
    assert tuple(axis.to_dict()) == tuple(f.name for f in dataclasses.fields(axis))
