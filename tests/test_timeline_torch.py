"""The memory timeline against PyTorch eager on the CPU, where the live-tensor peak can be
measured exactly (benchmarks/memory_timeline.py: the profiler's allocation events, each
allocation that outlives the PyTorch call that made it). For every bundled spec and for one or
two small graphs per layer kind, in both modes, the peak of each phase — forward, backward, the
optimizer's step — must equal cnncalc's for ``--device cpu`` to the byte."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.layers.base import kinds
from cnncalc.spec import bundled

from .test_timeline import bench
from .test_validate import ZOO

torch = pytest.importorskip("torch")

INPUTS: dict[str, tuple[int, str | None]] = {
    "alexnet": (2, "3x99x99"),
    "alexnet_torchvision": (2, "3x64x64"),
    "c3d": (1, "3x16x64x64"),
    "googlenet": (1, "3x224x224"),   # the average pool needs 7×7 at the end
    "googlenet_torchvision": (2, "3x64x64"),
    "mobilenet_v2": (2, "3x64x64"),
    "resnet18": (2, "3x64x64"),
    "resnet34": (2, "3x64x64"),
    "resnet50": (2, "3x64x64"),
    "unet": (1, "1x188x188"),
    "vgg11": (2, "3x64x64"),
    "vgg16": (2, "3x64x64"),
    "vgg16_conv": (1, "3x224x224"),  # fc6 is a 7×7 convolution
    "vgg19": (2, "3x64x64"),
    "zfnet": (2, "3x99x99"),
    "convnext_tiny": (2, "3x64x64"),
    "densenet121": (2, "3x64x64"),
    "efficientnet_b0": (2, "3x64x64"),
    "inception_v3": (2, "3x75x75"),   # the smallest input it takes
    "mobilenet_v3_large": (2, "3x64x64"),
    "regnet_y_400mf": (2, "3x64x64"),
    "shufflenet_v2_x1_0": (2, "3x64x64"),
}
"""Batch and input per bundled spec, small enough to run in seconds (default: batch 2 at the
spec's own input)."""


def _check(network: object, batch: int, shape: str | None, training: bool,
           optimizer: str = "momentum", mixed: str | None = None) -> None:
    measured, predicted = bench.compare_cpu(network, batch, shape, training, optimizer, mixed)
    assert predicted == measured


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
@pytest.mark.parametrize("name", bundled.names())
def test_every_bundled_spec(name: str, training: bool) -> None:
    batch, shape = INPUTS.get(name, (2, None))
    _check(name, batch, shape, training)


HEAD = "input: [4, 9, 9]\nlayers:\n  - conv: {out: 6, kernel: 3, padding: 1}\n"
TAIL = "  - conv: {out: 2, kernel: 1}\n"
KINDS = {
    "relu": "  - relu\n",
    "relu_inplace": "  - relu: {inplace: true}\n",
    "relu6_inplace": "  - batchnorm\n  - relu6: {inplace: true}\n",
    "leaky_relu_inplace": "  - leaky_relu: {inplace: true}\n",
    "elu": "  - elu: {inplace: true}\n",
    "gelu": "  - gelu\n",
    "silu": "  - silu\n",
    "hardswish": "  - hardswish\n",
    "sigmoid": "  - sigmoid\n",
    "tanh": "  - tanh\n",
    "softmax": "  - softmax\n",
    "prelu": "  - prelu: {per_channel: true}\n",
    "prelu_shared": "  - prelu\n",
    "identity": "  - identity\n  - relu: {inplace: true}\n",
    "maxpool": "  - maxpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}\n",
    "maxpool_asymmetric": "  - maxpool: {kernel: 2, padding: [[1, 0], [0, 1]]}\n",
    "avgpool": "  - avgpool: {kernel: 2}\n",
    "lppool": "  - lppool: {kernel: 2}\n",
    "lppool_overlapping": "  - lppool: {kernel: 3, stride: 1, norm: 3}\n",
    "global_avgpool": "  - global_avgpool\n",
    "global_maxpool": "  - global_maxpool\n",
    "adaptive_avgpool": "  - adaptive_avgpool: {output: 3}\n",
    "adaptive_maxpool": "  - adaptive_maxpool: {output: [2, 3]}\n",
    "batchnorm": "  - batchnorm\n  - relu: {inplace: true}\n",
    "lrn": "  - lrn: {size: 3}\n",
    "lrn_wide": "  - relu: {inplace: true}\n  - lrn: {size: 5}\n",
    "dropout": "  - dropout: {p: 0.3}\n",
    "upsample_nearest": "  - upsample: {scale: 2}\n",
    "upsample_bilinear": "  - upsample: {scale: 2, mode: bilinear}\n",
    "upsample_bicubic": "  - upsample: {size: 13, mode: bicubic}\n",
    "conv_transpose": "  - conv_transpose: {out: 3, kernel: 4, stride: 2, padding: 1}\n",
    "conv_asymmetric": "  - conv: {out: 4, kernel: 3, stride: 2, padding: same_tf}\n",
    "conv_same_even": "  - conv: {out: 4, kernel: 4, padding: same}\n",
    "depthwise": "  - conv: {out: 6, kernel: 3, groups: 6, padding: 1}\n",
    "locally_connected": "  - locally_connected: {out: 3, kernel: 3}\n",
    "locally_connected_strided": "  - locally_connected: {out: 4, kernel: 3, stride: 2, "
                                 "padding: 1}\n",
    "pad_reflect": "  - pad: {padding: 1, mode: reflect}\n",
    "pad_replicate": "  - pad: {padding: 1, mode: replicate}\n",
    "pad_constant": "  - pad: {padding: [[0, 1], [1, 0]]}\n",
    "pad_circular": "  - pad: {padding: 1, mode: circular}\n",
    "crop": "  - crop: {border: 1}\n",
    "crop_one_axis": "  - crop: {border: [[1, 0], 0]}\n",
    "concat": ("  - concat:\n      - [conv: {out: 2, kernel: 1}]\n"
               "      - [maxpool: {kernel: 3, stride: 1, padding: 1}]\n"),
    "add": ("  - add:\n      - [conv: {out: 6, kernel: 3, padding: 1}, batchnorm]\n      - []\n"
            "  - relu: {inplace: true}\n"),
    "linear": "  - flatten\n  - linear: {out: 5}\n  - relu: {inplace: true}\n  - dropout\n"
              "  - linear: {out: 2}\n",
    "frozen": "  - conv: {out: 4, kernel: 3, trainable: false}\n  - relu\n",
    "mul_se": ("  - mul: [[], [global_avgpool, conv: {out: 2, kernel: 1}, relu,\n"
               "            conv: {out: 6, kernel: 1}, hardsigmoid]]\n"),
    "mul_same_shape": "  - mul: [[relu], [sigmoid]]\n",
    "add_broadcast": "  - add: [[], [global_avgpool]]\n",
    "hardsigmoid_inplace": "  - hardsigmoid: {inplace: true}\n",
    "mish": "  - mish\n",
    "mish_inplace": "  - batchnorm\n  - mish: {inplace: true}\n",
    "layernorm": "  - layernorm\n",
    "layernorm_flat": "  - flatten\n  - layernorm\n  - linear: {out: 2}\n",
    "groupnorm": "  - groupnorm: {groups: 3}\n  - relu: {inplace: true}\n",
    "instancenorm": "  - instancenorm\n",
    "instancenorm_affine": "  - instancenorm: {affine: true}\n",
    "channel_shuffle": "  - channel_shuffle: {groups: 2}\n",
    "split": ("  - concat: [[split: {parts: 2, take: 0}],\n"
              "             [split: {parts: 2, take: 1}, conv: {out: 3, kernel: 1}]]\n"),
    "split_sizes": "  - split: {parts: [2, 4], take: 1}\n",
    "pixel_shuffle": "  - conv: {out: 8, kernel: 1}\n  - pixel_shuffle: {factor: 2}\n",
    "pixel_unshuffle": "  - pad: {padding: [[0, 1], [0, 1]]}\n  - pixel_unshuffle: {factor: 2}\n",
    "layer_scale": "  - layer_scale\n",
    "stochastic_depth": ("  - add: [[conv: {out: 6, kernel: 3, padding: 1},\n"
                         "           stochastic_depth: {p: 0.2}], []]\n"),
    "convnext_block": ("  - add:\n"
                       "      - [conv: {out: 6, kernel: 7, padding: 3, groups: 6}, layernorm,\n"
                       "         conv: {out: 12, kernel: 1}, gelu, conv: {out: 6, kernel: 1},\n"
                       "         layer_scale, stochastic_depth: {p: 0.2}]\n"
                       "      - []\n"),
    "stochastic_depth_zero": ("  - add: [[conv: {out: 6, kernel: 3, padding: 1}, layer_scale,\n"
                              "           stochastic_depth: {p: 0}], []]\n"),
    "layernorm_head": ("  - layernorm\n  - conv: {out: 8, kernel: 2, stride: 2}\n"
                       "  - adaptive_avgpool: {output: 1}\n  - layernorm\n  - flatten\n"
                       "  - linear: {out: 3}\n"),
    "layernorm_conv": "  - layernorm\n  - conv: {out: 64, kernel: 3}\n",
    "shared_weights": ("  - conv: {out: 6, kernel: 3, padding: 1, name: shared}\n  - relu\n"
                       "  - conv: {out: 6, kernel: 3, padding: 1, shares: shared}\n"),
    "shared_frozen": ("  - conv: {out: 6, kernel: 3, padding: 1, name: shared, trainable: false}\n"
                      "  - relu\n  - conv: {out: 6, kernel: 3, padding: 1, shares: shared}\n"),
    "instancenorm_then_inplace": "  - instancenorm: {affine: true}\n  - silu: {inplace: true}\n",
    "instancenorm_inplace_in_concat": ("  - concat: [[instancenorm, relu: {inplace: true}], []]\n"),
    "mul_by_a_constant": ("  - split: {parts: [1, 3], take: 0, inputs: input, name: mask}\n"
                          "  - mul: {inputs: [conv1, mask]}\n"),
    "layer_scale_frozen": "  - layer_scale: {trainable: false}\n",
    "instancenorm_frozen": "  - instancenorm: {affine: true, trainable: false}\n",
    "stochastic_depth_batch": "  - stochastic_depth: {p: 0.2, mode: batch}\n",
    "dropout_inplace": ("  - avgpool: {kernel: 3, stride: 1, padding: 1}\n"
                        "  - dropout: {p: 0.3, inplace: true}\n"),
}
"""Each kind between two convolutions (so that gradients flow through it and come from a
tensor), in the settings that change what PyTorch allocates."""


def _graph(case: str) -> object:
    body = KINDS[case]
    tail = "" if "linear" in body else TAIL
    return cnncalc.parse(HEAD + body + tail)


def test_every_registered_kind_has_a_case() -> None:
    used = {node.kind for case in KINDS for node in _graph(case).graph.nodes}  # type: ignore
    assert set(kinds()) - used == set(), "add a case to KINDS for each new layer kind"


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
@pytest.mark.parametrize("case", sorted(KINDS))
def test_every_kind(case: str, training: bool) -> None:
    _check(_graph(case), 3, None, training)


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_a_spec_with_every_new_construct(training: bool) -> None:
    """Several named inputs, shared weights, blocks that read their input, every new kind."""
    _check(cnncalc.load(ZOO / "zoo_modern.yaml"), 2, None, training)


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
@pytest.mark.parametrize("name", ["mobilenet_v2", "googlenet_torchvision", "lenet5"])
def test_under_autocast(name: str, training: bool) -> None:
    batch, shape = INPUTS.get(name, (2, None))
    _check(name, batch, shape, training, mixed="bfloat16")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_other_optimizers(optimizer: str) -> None:
    _check("mobilenet_v2", 2, "3x64x64", True, optimizer)
