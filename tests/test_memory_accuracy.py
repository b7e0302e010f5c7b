"""The training-memory estimate against what PyTorch eager really saves for backward
(``torch.autograd.graph.saved_tensors_hooks``, each storage once, parameters and buffers left
out) on modules built from the specs by cnncalc's PyTorch export. Runs where torch is installed.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

import cnncalc
from cnncalc.analysis.memory import MemoryConfig

from .conftest import ROOT

torch = pytest.importorskip("torch")


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "memory_accuracy", ROOT / "benchmarks" / "memory_accuracy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("memory_accuracy", module)
    spec.loader.exec_module(module)
    return module


bench = _benchmark()
MIRRORS = bench.torchvision_mirrors()


def test_the_bundled_torchvision_mirrors_are_found() -> None:
    assert {"alexnet_torchvision", "vgg16", "googlenet_torchvision"} <= set(MIRRORS)
    assert not {"alexnet", "googlenet", "lenet5", "vgg16_conv"} & set(MIRRORS)


@pytest.mark.parametrize("name", MIRRORS)
def test_training_activations_within_ten_percent(name: str) -> None:
    # 64×64 keeps the test fast and still runs every layer (the adaptive pools adapt); Inception-v3
    # needs 75×75
    side = 75 if name == "inception_v3" else 64
    row = bench.compare(name, batch=2, input_shape=(3, side, side))
    assert abs(row.error) <= bench.BOUND, bench.table([row])


def test_mixed_precision_within_ten_percent() -> None:
    row = bench.compare("alexnet_torchvision", batch=2, input_shape=(3, 64, 64),
                        mixed="bfloat16")
    assert abs(row.error) <= bench.BOUND, bench.table([row])


# One or two layers of each kind after a trainable conv (so that gradients flow), small enough to
# run in milliseconds; cnncalc's figure must equal PyTorch's exactly (CPU, float32).
HEAD = "input: [4, 8, 8]\nlayers:\n  - conv: {out: 6, kernel: 3, padding: 1}\n"
KINDS = {
    "relu": "  - relu\n  - conv: {out: 2, kernel: 1}\n",
    "relu_inplace": "  - relu: {inplace: true}\n  - conv: {out: 2, kernel: 1}\n",
    "relu6": "  - relu6\n",
    # in place, relu6 (hardtanh_) saves a copy of its input: no saving over the plain one
    "relu6_inplace": "  - batchnorm\n  - relu6: {inplace: true}\n  - conv: {out: 2, kernel: 1}\n",
    "leaky_relu_inplace": "  - leaky_relu: {inplace: true}\n  - conv: {out: 2, kernel: 1}\n",
    "elu": "  - elu\n",
    "gelu": "  - gelu\n",
    "silu": "  - silu\n",
    "hardswish": "  - hardswish\n",
    "sigmoid": "  - sigmoid\n",
    "tanh": "  - tanh\n",
    "softmax": "  - softmax\n",
    "prelu": "  - prelu: {per_channel: true}\n",
    "maxpool": "  - maxpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}\n",
    "avgpool": "  - avgpool: {kernel: 2}\n",
    "lppool": "  - lppool: {kernel: 2}\n",
    "global_avgpool": "  - global_avgpool\n  - flatten\n  - linear: {out: 3}\n",
    "global_maxpool": "  - global_maxpool\n",
    "adaptive_avgpool": "  - adaptive_avgpool: {output: 3}\n",
    "adaptive_maxpool": "  - adaptive_maxpool: {output: 3}\n",
    "batchnorm": "  - batchnorm\n  - relu: {inplace: true}\n",
    "lrn": "  - lrn: {size: 3}\n",
    "dropout": "  - dropout: {p: 0.3}\n  - conv: {out: 2, kernel: 1}\n",
    "upsample_nearest": "  - upsample: {scale: 2}\n  - conv: {out: 2, kernel: 3}\n",
    "upsample_bilinear": "  - upsample: {scale: 2, mode: bilinear}\n",
    "conv_transpose": "  - conv_transpose: {out: 3, kernel: 4, stride: 2, padding: 1}\n",
    "pad_reflect": "  - pad: {padding: 1, mode: reflect}\n  - conv: {out: 2, kernel: 3}\n",
    "pad_constant": "  - pad: {padding: [[0, 1], [1, 0]]}\n  - conv: {out: 2, kernel: 2}\n",
    "crop": "  - crop: {border: 1}\n  - conv: {out: 2, kernel: 3}\n",
    "concat": ("  - concat:\n      - [conv: {out: 2, kernel: 1}]\n"
               "      - [maxpool: {kernel: 3, stride: 1, padding: 1}]\n"),
    "add": ("  - add:\n      - [conv: {out: 6, kernel: 3, padding: 1}, batchnorm]\n      - []\n"
            "  - relu: {inplace: true}\n"),
    "linear": "  - flatten\n  - linear: {out: 5}\n  - relu: {inplace: true}\n  - dropout\n"
              "  - linear: {out: 2}\n",
    "frozen_head": "  - flatten\n  - linear: {out: 5, trainable: false}\n",
    "depthwise": ("  - conv: {out: 6, kernel: 3, groups: 6, padding: 1}\n"
                  "  - relu6: {inplace: true}\n"),
    "dilated": "  - conv: {out: 2, kernel: 3, dilation: 2}\n",
    "locally_connected": "  - locally_connected: {out: 3, kernel: 3}\n",
    "upsample_bicubic": "  - upsample: {size: 13, mode: bicubic}\n",
    "upsample_size": "  - upsample: {size: [12, 20]}\n  - conv: {out: 2, kernel: 1}\n",
    "elu_inplace": "  - elu: {inplace: true}\n",
    "identity": "  - identity\n  - relu: {inplace: true}\n",
    "pad_replicate": "  - pad: {padding: 1, mode: replicate}\n",
    "pad_circular": "  - pad: {padding: 1, mode: circular}\n  - conv: {out: 2, kernel: 1}\n",
    "hardsigmoid": "  - hardsigmoid\n",
    "hardsigmoid_inplace": "  - batchnorm\n  - hardsigmoid: {inplace: true}\n",
    "mish": "  - mish\n  - conv: {out: 2, kernel: 1}\n",
    "silu_inplace": "  - batchnorm\n  - silu: {inplace: true}\n  - conv: {out: 2, kernel: 1}\n",
    "hardswish_inplace": "  - batchnorm\n  - hardswish: {inplace: true}\n",
    # squeeze-excitation: both factors kept (EfficientNet, MobileNetV3, RegNetY)
    "mul_se": ("  - mul: [[], [global_avgpool, conv: {out: 2, kernel: 1}, relu, "
               "conv: {out: 6, kernel: 1}, sigmoid]]\n"),
    # a factor that needs no gradient keeps the other one out (the network input here)
    "mul_input": "  - conv: {out: 4, kernel: 1}\n  - mul: {inputs: [input, conv2]}\n",
    "add_broadcast": "  - add: [[], [global_avgpool]]\n  - relu\n",
    "concat_one": "  - concat: [[]]\n  - batchnorm\n",
    "layernorm": "  - layernorm: {eps: 1.0e-6}\n  - conv: {out: 2, kernel: 1}\n",
    "layernorm_flat": "  - flatten\n  - layernorm: {affine: false}\n  - linear: {out: 2}\n",
    "groupnorm": "  - groupnorm: {groups: 3}\n",
    "instancenorm": "  - instancenorm\n",
    "instancenorm_affine": "  - instancenorm: {affine: true, track_running_stats: true}\n",
    "channel_shuffle": "  - channel_shuffle: {groups: 2}\n  - conv: {out: 2, kernel: 1}\n",
    # the conv keeps the split's whole source buffer (a channel slice is a view)
    "split": ("  - split: {parts: 2, take: 1}\n  - conv: {out: 2, kernel: 1}\n"),
    "pixel_shuffle": "  - conv: {out: 8, kernel: 1}\n  - pixel_shuffle: {factor: 2}\n  - relu\n",
    "pixel_unshuffle": "  - pixel_unshuffle: {factor: 2}\n  - conv: {out: 2, kernel: 1}\n",
    "layer_scale": "  - layer_scale\n",
    "layer_scale_frozen": "  - layer_scale: {trainable: false}\n  - relu\n",
    "stochastic_depth": ("  - add: [[], [conv: {out: 6, kernel: 3, padding: 1}, "
                         "stochastic_depth: {p: 0.2}]]\n"),
    "stochastic_depth_batch": "  - stochastic_depth: {p: 0.2, mode: batch}\n",
    "stochastic_depth_zero": "  - stochastic_depth: {p: 0.0}\n  - relu\n",
    "upsample_like": ("  - maxpool: {kernel: 2}\n  - upsample: {like: input, mode: bilinear}\n"
                      "  - conv: {out: 2, kernel: 1}\n"),
    "dropout_inplace": ("  - relu\n  - dropout: {p: 0.3, inplace: true}\n"
                        "  - conv: {out: 2, kernel: 1}\n"),
}


def test_every_registered_kind_has_a_case() -> None:
    from cnncalc.layers.base import kinds

    used = {node.kind for spec in KINDS.values()
            for node in cnncalc.parse(HEAD + spec).graph.nodes}
    assert set(kinds()) - used == set(), "add a case to KINDS for each new layer kind"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_saves_what_pytorch_saves(kind: str) -> None:
    from cnncalc.export.pytorch import build_module

    network = cnncalc.parse(HEAD + KINDS[kind])
    report = network.summary(batch=3, memory=MemoryConfig(device="cpu"))
    assert report.totals.memory is not None
    module = build_module(network)
    measured = bench.measure_saved_bytes(module, torch.randn(3, 4, 8, 8))
    assert report.totals.memory.activations_training_bytes == measured
