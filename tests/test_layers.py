"""Every layer kind: output shape, parameters, buffers and MACs on a hand-computed case, plus the
attribute validation every kind shares. tests/test_layers.py must cover every registered kind."""

from __future__ import annotations

from typing import Any

import pytest

from cnncalc.layers.base import Layer, kinds, lookup
from cnncalc.model.errors import AttributeValueError, ShapeError
from cnncalc.model.shape import Shape


def make(kind: str, **attrs: Any) -> Layer:
    cls = lookup(kind)
    assert cls is not None, kind
    return cls.from_attrs(attrs)


def S(*dims: int) -> Shape:
    return Shape.of(dims)


# kind, attributes, input shapes, expected output, (weights, bias, buffers), MACs per sample
CASES: list[tuple[str, dict[str, Any], tuple[Shape, ...], Shape, tuple[int, int, int], int]] = [
    ("conv", {"out": 96, "kernel": 11, "stride": 4}, (S(3, 227, 227),), S(96, 55, 55),
     (34_848, 96, 0), 105_415_200),
    ("conv", {"out": 256, "kernel": 5, "padding": 2, "groups": 2}, (S(96, 27, 27),),
     S(256, 27, 27), (307_200, 256, 0), 223_948_800),
    ("conv", {"out": 32, "kernel": 3, "padding": 1, "groups": 32, "bias": False},
     (S(32, 112, 112),), S(32, 112, 112), (288, 0, 0), 3_612_672),  # depthwise
    ("conv", {"out": 4, "kernel": 3, "dilation": 2}, (S(2, 10),), S(4, 6), (24, 4, 0), 144),
    ("conv", {"out": 64, "kernel": 3, "padding": 1}, (S(3, 16, 112, 112),), S(64, 16, 112, 112),
     (5_184, 64, 0), 64 * 16 * 112 * 112 * 81),  # C3D conv1
    ("conv_transpose", {"out": 64, "kernel": 2, "stride": 2}, (S(128, 28, 28),),
     S(64, 56, 56), (32_768, 64, 0), 128 * 28 * 28 * 64 * 4),
    ("conv_transpose", {"out": 8, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1,
                        "groups": 2}, (S(4, 3, 3),), S(8, 6, 6), (144, 8, 0), 4 * 9 * 4 * 9),
    ("locally_connected", {"out": 2, "kernel": 3}, (S(1, 5, 5),), S(2, 3, 3),
     (2 * 9 * 1 * 9, 2 * 9, 0), 2 * 9 * 9),
    ("maxpool", {"kernel": 3, "stride": 2}, (S(96, 55, 55),), S(96, 27, 27), (0, 0, 0), 0),
    ("maxpool", {"kernel": 3, "stride": 2, "ceil_mode": True}, (S(64, 112, 112),),
     S(64, 56, 56), (0, 0, 0), 0),
    ("avgpool", {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}, (S(1, 17, 17),),
     S(1, 9, 9), (0, 0, 0), 0),
    ("lppool", {"norm": 2, "kernel": 2}, (S(8, 9),), S(8, 4), (0, 0, 0), 0),
    ("global_avgpool", {}, (S(512, 7, 7),), S(512, 1, 1), (0, 0, 0), 0),
    ("global_maxpool", {}, (S(512, 3, 7, 7),), S(512, 1, 1, 1), (0, 0, 0), 0),
    ("adaptive_avgpool", {"output": 6}, (S(256, 13, 13),), S(256, 6, 6), (0, 0, 0), 0),
    ("adaptive_maxpool", {"output": [2, 3]}, (S(4, 5, 7),), S(4, 2, 3), (0, 0, 0), 0),
    ("linear", {"out": 4096}, (S(9216),), S(4096), (37_748_736, 4096, 0), 37_748_736),
    ("linear", {"out": 10, "bias": False}, (S(84),), S(10), (840, 0, 0), 840),
    ("flatten", {}, (S(256, 6, 6),), S(9216), (0, 0, 0), 0),
    ("dropout", {"p": 0.5}, (S(4096),), S(4096), (0, 0, 0), 0),
    ("batchnorm", {}, (S(64, 56, 56),), S(64, 56, 56), (64, 64, 128), 0),
    ("batchnorm", {"affine": False, "track_running_stats": False}, (S(64, 8),), S(64, 8),
     (0, 0, 0), 0),
    ("lrn", {"size": 5}, (S(96, 55, 55),), S(96, 55, 55), (0, 0, 0), 0),
    ("upsample", {"scale": 2}, (S(64, 28, 28),), S(64, 56, 56), (0, 0, 0), 0),
    ("upsample", {"size": [10, 20], "mode": "bilinear"}, (S(3, 5, 7),), S(3, 10, 20),
     (0, 0, 0), 0),
    # DeepLabV3 / FCN: the logits resized to the network input, whatever its size
    ("upsample", {"like": "input", "mode": "bilinear"}, (S(21, 65, 65), S(3, 520, 520)),
     S(21, 520, 520), (0, 0, 0), 0),
    ("pad", {"padding": [[1, 2], [0, 3]]}, (S(3, 5, 5),), S(3, 8, 8), (0, 0, 0), 0),
    ("crop", {"size": 4}, (S(3, 7, 9),), S(3, 4, 4), (0, 0, 0), 0),
    ("crop", {"like": "x"}, (S(64, 64, 64), S(128, 56, 56)), S(64, 56, 56), (0, 0, 0), 0),
    ("crop", {"border": [[1, 0], 2]}, (S(3, 7, 9),), S(3, 6, 5), (0, 0, 0), 0),
    ("concat", {}, (S(64, 28, 28), S(128, 28, 28), S(32, 28, 28)), S(224, 28, 28), (0, 0, 0),
     0),
    ("add", {}, (S(64, 56, 56), S(64, 56, 56)), S(64, 56, 56), (0, 0, 0), 0),
    ("identity", {}, (S(3, 4, 4),), S(3, 4, 4), (0, 0, 0), 0),
    ("relu", {}, (S(3, 4, 4),), S(3, 4, 4), (0, 0, 0), 0),
    ("relu6", {}, (S(3, 4),), S(3, 4), (0, 0, 0), 0),
    ("leaky_relu", {"negative_slope": 0.2}, (S(3, 4, 4),), S(3, 4, 4), (0, 0, 0), 0),
    ("elu", {}, (S(7),), S(7), (0, 0, 0), 0),
    ("prelu", {}, (S(16, 4, 4),), S(16, 4, 4), (1, 0, 0), 0),
    ("prelu", {"per_channel": True}, (S(16, 4, 4),), S(16, 4, 4), (16, 0, 0), 0),
    ("sigmoid", {}, (S(1),), S(1), (0, 0, 0), 0),
    ("tanh", {}, (S(6, 28, 28),), S(6, 28, 28), (0, 0, 0), 0),
    ("gelu", {"approximate": "tanh"}, (S(8),), S(8), (0, 0, 0), 0),
    ("silu", {}, (S(8),), S(8), (0, 0, 0), 0),
    ("hardswish", {}, (S(8),), S(8), (0, 0, 0), 0),
    ("softmax", {}, (S(1000),), S(1000), (0, 0, 0), 0),
    ("hardsigmoid", {}, (S(72, 1, 1),), S(72, 1, 1), (0, 0, 0), 0),
    ("mish", {}, (S(8, 4),), S(8, 4), (0, 0, 0), 0),
    # squeeze-excitation: the C×1×1 gate broadcast over C×H×W (MobileNetV3 features.4)
    ("mul", {}, (S(72, 28, 28), S(72, 1, 1)), S(72, 28, 28), (0, 0, 0), 0),
    ("mul", {}, (S(1, 7, 7), S(64, 7, 7)), S(64, 7, 7), (0, 0, 0), 0),  # spatial attention
    ("add", {}, (S(64, 7, 7), S(64, 1, 1)), S(64, 7, 7), (0, 0, 0), 0),
    ("concat", {}, (S(64, 56, 56),), S(64, 56, 56), (0, 0, 0), 0),        # torch.cat([x])
    # ConvNeXt-Tiny features.1.0.block.2 and its stem's LayerNorm2d: γ and β per channel
    ("layernorm", {"eps": 1e-6}, (S(96, 56, 56),), S(96, 56, 56), (96, 96, 0), 0),
    ("layernorm", {"affine": False}, (S(768),), S(768), (0, 0, 0), 0),
    ("layernorm", {"bias": False}, (S(32, 10),), S(32, 10), (32, 0, 0), 0),
    ("groupnorm", {"groups": 32}, (S(256, 56, 56),), S(256, 56, 56), (256, 256, 0), 0),
    ("instancenorm", {}, (S(64, 128, 128),), S(64, 128, 128), (0, 0, 0), 0),
    ("instancenorm", {"affine": True, "track_running_stats": True}, (S(8, 5),), S(8, 5),
     (8, 8, 16), 0),
    ("channel_shuffle", {"groups": 2}, (S(116, 28, 28),), S(116, 28, 28), (0, 0, 0), 0),
    ("split", {"parts": 2, "take": 1}, (S(116, 28, 28),), S(58, 28, 28), (0, 0, 0), 0),
    ("split", {"parts": 4, "take": 3}, (S(10, 3),), S(1, 3), (0, 0, 0), 0),  # chunk: 3, 3, 3, 1
    ("split", {"parts": [32, 96], "take": 1}, (S(128, 4, 4),), S(96, 4, 4), (0, 0, 0), 0),
    ("pixel_shuffle", {"factor": 3}, (S(27, 10, 12),), S(3, 30, 36), (0, 0, 0), 0),
    ("pixel_unshuffle", {"factor": 2}, (S(3, 10, 12),), S(12, 5, 6), (0, 0, 0), 0),
    ("layer_scale", {}, (S(96, 56, 56),), S(96, 56, 56), (96, 0, 0), 0),
    ("stochastic_depth", {"p": 0.1}, (S(96, 56, 56),), S(96, 56, 56), (0, 0, 0), 0),
]


@pytest.mark.parametrize(("kind", "attrs", "inputs", "output", "counts", "macs"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_kind(kind: str, attrs: dict[str, Any], inputs: tuple[Shape, ...], output: Shape,
                    counts: tuple[int, int, int], macs: int) -> None:
    layer = make(kind, **attrs)
    assert layer.infer(inputs) == output
    c = layer.counts(inputs, output)
    assert (c.weights, c.bias, c.buffers) == counts
    assert layer.macs(inputs, output) == macs
    assert layer.explain(inputs, output)  # every kind explains itself


def test_every_registered_kind_has_a_case() -> None:
    assert set(kinds()) == {c[0] for c in CASES}


def test_every_kind_is_documented() -> None:
    from .conftest import ROOT

    doc = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    for name, cls in kinds().items():
        assert cls.doc, name
        assert f"`{name}`" in doc, f"{name} missing from docs/spec-format.md"
        for info in cls.attributes():
            assert info.doc, f"{name}.{info.name} has no doc"


@pytest.mark.parametrize(("kind", "attrs", "message"), [
    ("conv", {"out": 8}, "conv needs kernel"),
    ("conv", {"out": 8, "kernel": 3, "kernal": 3}, "did you mean 'kernel'"),
    ("conv", {"out": 8, "kernel": 3, "kernel_size": 3}, "both set kernel"),
    ("conv", {"out": 6, "kernel": 1, "groups": 4}, "not divisible by groups"),
    ("conv", {"out": 8, "kernel": [3, 3, 3, 3]}, "at most 3"),
    ("conv", {"out": 8, "kernel": 3, "padding": "half"}, "got 'half'"),
    ("conv", {"out": 8, "kernel": 3, "padding": [[1, 2, 3]]}, "pair has two integers"),
    ("maxpool", {"kernel": 3, "ceil_mode": "yes"}, "true, false or 'caffe'"),
    ("upsample", {}, "exactly one of scale, size and like"),
    ("upsample", {"scale": 2, "size": 4}, "exactly one of scale, size and like"),
    ("upsample", {"size": 2, "like": "input"}, "exactly one of scale, size and like"),
    ("upsample", {"scale": 0}, "greater than 0"),
    ("crop", {}, "exactly one of size, like and border"),
    ("dropout", {"p": 1.5}, "at most 1"),
    ("linear", {"out": 0}, "at least 1"),
    ("batchnorm", {"eps": float("nan")}, "finite"),
    ("groupnorm", {}, "groupnorm needs groups"),
    ("split", {"parts": 0}, "at least 1"),
    ("split", {"parts": []}, "1 to 4096 part sizes"),
    ("stochastic_depth", {"p": 0.2, "mode": "column"}, "'row', 'batch'"),
    ("pixel_shuffle", {"factor": 0}, "at least 1"),
])
def test_attribute_validation(kind: str, attrs: dict[str, Any], message: str) -> None:
    with pytest.raises(AttributeValueError, match=message):
        make(kind, **attrs)


@pytest.mark.parametrize(("kind", "attrs", "inputs", "message"), [
    ("conv", {"out": 8, "kernel": 3}, (S(16),), "flat vector"),
    ("conv", {"out": 8, "kernel": [3, 3]}, (S(3, 8, 8, 8),),
     "kernel has 2 values for 3 spatial axes"),
    ("linear", {"out": 8}, (S(3, 4, 4),), "needs a flat input"),
    ("concat", {}, (S(4, 8, 8), S(4, 8, 7)), "spatial sizes differ"),
    ("add", {}, (S(4, 8, 8), S(5, 8, 8)), "shapes differ"),
    ("crop", {"size": 9}, (S(3, 8, 8),), "9 is larger than 8"),
    ("crop", {"border": 4}, (S(3, 8, 8),), "leaves nothing"),
    ("pad", {"padding": 8, "mode": "reflect"}, (S(3, 8, 8),), "smaller than the input size"),
    ("adaptive_avgpool", {"output": [1, 2, 3]}, (S(3, 8, 8),), "has 3 values"),
    ("global_avgpool", {}, (S(3),), "flat vector"),
    ("conv_transpose", {"out": 4, "kernel": 3, "padding": "same"}, (S(3, 8, 8),), "got 'same'"),
    ("add", {}, (S(4, 8, 8), S(4, 8, 2)), "equal sizes or 1 on every axis"),
    ("mul", {}, (S(4, 8, 8), S(4)), "different numbers of axes"),
    ("groupnorm", {"groups": 3}, (S(64, 8, 8),), "64 channels are not divisible by groups 3"),
    ("instancenorm", {}, (S(64),), "flat vector"),
    ("channel_shuffle", {"groups": 3}, (S(8, 4, 4),), "not divisible by groups 3"),
    ("split", {"parts": 4, "take": 3}, (S(5, 2),), "has no part 3"),  # chunk 5 by 2s: 2, 2, 1
    ("split", {"parts": [2, 2]}, (S(5, 2),), "add up to 4, not the 5 input channels"),
    ("pixel_shuffle", {"factor": 2}, (S(6, 4, 4),), "6 channels are not divisible by factor²"),
    ("pixel_shuffle", {"factor": 2}, (S(8, 4),), "2-D inputs"),
    ("pixel_unshuffle", {"factor": 2}, (S(3, 5, 4),), "5×4 is not divisible by factor 2"),
])
def test_shape_refusals(kind: str, attrs: dict[str, Any], inputs: tuple[Shape, ...],
                        message: str) -> None:
    with pytest.raises((ShapeError, AttributeValueError), match=message):
        make(kind, **attrs).infer(inputs)


def test_set_attributes_lists_only_non_defaults() -> None:
    assert make("conv", out=8, kernel=3, stride=1).set_attributes() == {"out": 8, "kernel": 3}
    assert make("maxpool", kernel=2, ceil_mode=True).set_attributes() == {"kernel": 2,
                                                                          "ceil_mode": True}


def test_describe_is_short() -> None:
    assert make("conv", out=8, kernel=3, stride=2, padding=1).describe() == "conv 3×3/2 p1"
    assert make("conv", out=8, kernel=[1, 7]).describe() == "conv 1×7"
    assert make("maxpool", kernel=3, stride=2, ceil_mode=True).describe() == "maxpool 3/2 ceil"
    assert make("linear", out=10).describe() == "linear → 10"
    assert make("conv", out=8, kernel=7, dilation=2).describe(1) == "conv 7 d2"
    assert make("conv", out=8, kernel=3, padding=1).describe(3) == "conv 3×3×3 p1"
