"""Every bundled spec against its published totals (../shared/reference.md), and per-layer numbers
from CS231n and the seeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cnncalc
from cnncalc.analysis.memory import MemoryConfig
from cnncalc.model.shape import Shape

from .conftest import SPECS

# spec → (params, MACs, output shape); source: ../shared/reference.md "Whole networks"
PUBLISHED = {
    "lenet5": (61_706, 416_520, [10]),
    "alexnet": (60_965_224, 724_406_816, [1000]),
    "alexnet_torchvision": (61_100_840, 714_188_480, [1000]),
    "vgg16": (138_357_544, 15_470_264_320, [1000]),
    "vgg16_conv": (138_357_544, 15_470_264_320, [1000, 1, 1]),
    "googlenet": (6_998_552, 1_582_671_872, [1000]),
    "googlenet_torchvision": (6_624_904, 1_498_376_192, [1000]),
    "vgg11": (132_863_336, 7_609_090_048, [1000]),
    "vgg19": (143_667_240, 19_632_062_464, [1000]),
    "resnet18": (11_689_512, 1_814_073_344, [1000]),
    "resnet34": (21_797_672, 3_663_761_408, [1000]),
    "resnet50": (25_557_032, 4_089_184_256, [1000]),
    "mobilenet_v2": (3_504_872, 300_774_272, [1000]),
    # "Today's CNNs"
    "efficientnet_b0": (5_288_548, 385_814_752, [1000]),
    "mobilenet_v3_large": (5_483_032, 216_589_760, [1000]),
    "convnext_tiny": (28_589_128, 4_455_531_264, [1000]),
    "shufflenet_v2_x1_0": (2_278_604, 144_907_992, [1000]),
    "regnet_y_400mf": (4_344_144, 401_842_848, [1000]),
    "densenet121": (7_978_856, 2_834_161_664, [1000]),
    "inception_v3": (23_834_568, 5_713_216_096, [1000]),
}

# spec → training saved bytes at batch 1 and 8 with --device cpu (reference.md, "Today's CNNs":
# PyTorch 2.13 CPU, saved_tensors_hooks, each storage once, parameters and buffers left out).
# Inception-v3 has no published figure; tests/parity/test_modern.py checks it against PyTorch.
SAVED_BYTES = {
    "efficientnet_b0": (88_362_116, 705_720_480),
    "mobilenet_v3_large": (44_211_552, 353_009_216),
    "convnext_tiny": (109_155_876, 873_247_008),
    "shufflenet_v2_x1_0": (20_449_680, 163_144_400),
    "regnet_y_400mf": (33_739_456, 269_155_392),
    "densenet121": (130_695_936, 1_043_225_344),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_totals(name: str) -> None:
    params, macs, output = PUBLISHED[name]
    report = cnncalc.load(SPECS / f"{name}.yaml").summary()
    assert report.totals.params == params
    assert report.totals.trainable_params == params
    assert report.totals.macs == macs
    assert report.totals.flops == 2 * macs
    assert report.output_shape.to_list() == output


@pytest.mark.parametrize("name", sorted(SAVED_BYTES))
def test_training_saved_bytes_of_todays_cnns(name: str) -> None:
    network = cnncalc.load(SPECS / f"{name}.yaml")
    for batch, expected in zip((1, 8), SAVED_BYTES[name]):
        report = network.summary(batch=batch, memory=MemoryConfig(device="cpu"))
        assert report.totals.memory is not None
        assert report.totals.memory.activations_training_bytes == expected, batch


def test_every_bundled_spec_has_a_source_comment() -> None:
    for path in SPECS.glob("*.yaml"):
        head = path.read_text(encoding="utf-8").splitlines()[:12]
        assert head[0].startswith("#"), path
        assert any("Source" in line for line in head), f"{path.name} names no source"
        assert any("Expected" in line or "Input" in line for line in head), path


def header_totals(path: Path) -> tuple[int, int]:
    """The params and MACs a spec's header comment promises ("Expected totals ...")."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# "))
    text = " ".join(lines)
    params = re.search(r"([\d,]{4,}) params", text)
    macs = re.search(r"([\d,]{4,}) MACs", text)
    assert params and macs, f"{path.name}: the header gives no 'N params' and 'N MACs'"
    return int(params.group(1).replace(",", "")), int(macs.group(1).replace(",", ""))


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_header_comment_totals_are_true(path: Path) -> None:
    # derived totals (ZFNet, U-Net, TCN, C3D) are also checked against PyTorch in tests/parity
    report = cnncalc.load(path).summary()
    assert header_totals(path) == (report.totals.params, report.totals.macs)


def test_bundled_specs_are_all_tested() -> None:
    bundled = {p.stem for p in SPECS.glob("*.yaml")}
    assert set(PUBLISHED) <= bundled


def test_googlenet_module_channels_and_ceil_mode_spatial_sizes() -> None:
    report = cnncalc.load(SPECS / "googlenet.yaml").summary()
    modules = [r for r in report.layers if r.name.endswith(".output")]
    assert [r.output_shape.channels for r in modules] == [256, 480, 512, 512, 512, 528, 832, 832,
                                                          1024]
    pools = [report.layer(n).output_shape.spatial[0] for n in ("pool1", "pool2", "pool3", "pool4")]
    assert pools == [56, 28, 14, 7]


def test_googlenet_floor_pools_would_lose_pixels() -> None:
    text = (SPECS / "googlenet.yaml").read_text().replace("ceil_mode: true", "ceil_mode: false")
    with pytest.raises(cnncalc.SpecError, match=r"avgpool 'pool5' .*1024×6×6"):
        cnncalc.parse(text).summary()  # the 7×7 average pool no longer fits
    text = text.replace("avgpool: {kernel: 7, stride: 1,", "adaptive_avgpool: {output: 1,")
    report = cnncalc.parse(text).summary()
    pools = [report.layer(n).output_shape.spatial[0] for n in ("pool1", "pool2", "pool3", "pool4")]
    assert pools == [55, 27, 13, 6]


def test_googlenet_torchvision_modules() -> None:
    report = cnncalc.load(SPECS / "googlenet_torchvision.yaml").summary()
    modules = [r.output_shape.channels for r in report.layers if r.name.endswith(".output")]
    assert modules == [256, 480, 512, 512, 512, 528, 832, 832, 1024]
    bn = [r for r in report.layers if r.kind == "batchnorm"]
    assert report.totals.buffers == sum(r.buffers for r in bn) == 2 * sum(
        r.output_shape.channels for r in bn)


def test_vgg16_per_layer_cs231n() -> None:
    report = cnncalc.load(SPECS / "vgg16.yaml").summary()
    convs = [r for r in report.layers if r.kind == "conv"]
    assert convs[0].weights == 1_728  # conv1_1: 3·3·3·64
    assert convs[1].weights == 36_864  # conv1_2: 3·3·64·64
    assert report.layer("fc6").weights == 102_760_448  # 7·7·512·4096
    # CS231n lists the activations of the input and every conv, pool and FC output
    listed = [r for r in report.layers if r.kind in ("conv", "maxpool", "linear")]
    assert report.input_shape.numel + sum(r.output_shape.numel for r in listed) == 15_237_608


def test_vgg16_batchnorm_variant_params() -> None:
    text = (SPECS / "vgg16.yaml").read_text().replace(
        "          - relu: {inplace: true}\n      - maxpool",
        "          - batchnorm\n          - relu: {inplace: true}\n      - maxpool")
    report = cnncalc.parse(text).summary()
    assert report.totals.params == 138_365_992  # reference.md: VGG-16 with batch norm
    assert report.totals.macs == 15_470_264_320


def test_alexnet_conv1_cs231n() -> None:
    report = cnncalc.load(SPECS / "alexnet.yaml").summary()
    conv1 = report.layer("conv1")
    assert conv1.output_shape == Shape(96, (55, 55))
    assert conv1.output_shape.numel == 290_400
    assert conv1.params == 34_944


def test_locally_connected_has_no_weight_sharing() -> None:
    # seeds / CS231n: without parameter sharing AlexNet's conv1 needs 290,400 × 364 parameters
    spec = ("input: [3, 227, 227]\nlayers:\n"
            "  - locally_connected: {out: 96, kernel: 11, stride: 4}\n")
    report = cnncalc.parse(spec).summary()
    assert report.totals.params == 105_705_600


def test_cs231n_ten_5x5_filters() -> None:
    spec = "input: [3, 32, 32]\nlayers:\n  - conv: {out: 10, kernel: 5, stride: 1, padding: 2}\n"
    report = cnncalc.parse(spec).summary()
    assert report.output_shape == Shape(10, (32, 32))
    assert report.totals.params == 760


def test_seeds_fc_as_conv_on_384() -> None:
    # seeds / CS231n: VGG with its FC layers as convolutions on 384×384 gives 6×6×1000
    net = cnncalc.load(SPECS / "vgg16_conv.yaml")
    assert net.summary("3x384x384").output_shape == Shape(1000, (6, 6))
    assert net.summary().output_shape == Shape(1000, (1, 1))


def test_torchvision_alexnet_rejects_other_sizes_only_by_rule() -> None:
    # adaptive pooling makes the classifier input 256·6·6 at any size that survives the convs
    net = cnncalc.load(SPECS / "alexnet_torchvision.yaml")
    assert net.summary("3x256x256").output_shape == Shape(1000)
    assert net.summary("3x256x256").totals.params == 61_100_840


def test_zfnet_sizes_of_figure_3() -> None:
    # Zeiler & Fergus 2014, figure 3: 110 → 55 → 26 → 13 → 13 → 13 → 6
    report = cnncalc.load(SPECS / "zfnet.yaml").summary()
    names = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv5", "pool5")
    sizes = [report.layer(n).output_shape.spatial for n in names]
    assert sizes == [(110, 110), (55, 55), (26, 26), (13, 13), (13, 13), (13, 13), (6, 6)]
    assert report.layer("pool5").output_shape.numel == 9_216


def test_unet_valid_padding_sizes_of_figure_1() -> None:
    # Ronneberger et al. 2015, figure 1: 572 → 568 ... 28 at the bottom, up to 388
    report = cnncalc.load(SPECS / "unet.yaml").summary()
    enc = [report.layer(f"enc{i}.relu2").output_shape.spatial[0] for i in range(1, 5)]
    assert enc == [568, 280, 136, 64]
    assert report.layer("bottom.relu2").output_shape == Shape(1024, (28, 28))
    crops = [report.layer(f"dec{i}.crop").output_shape.spatial[0] for i in (4, 3, 2, 1)]
    assert crops == [56, 104, 200, 392]
    assert [report.layer(f"dec{i}.concat").output_shape.channels for i in (4, 3, 2, 1)] == [
        1024, 512, 256, 128]
    assert report.output_shape == Shape(2, (388, 388))


def test_tcn_receptive_field_covers_the_sequence() -> None:
    # two causal convolutions of kernel 7 per level, dilations 1 … 128: 1 + 2·6·(2⁸ − 1) = 3,061
    report = cnncalc.load(SPECS / "tcn1d.yaml").summary()
    last = report.layer("level7.relu3")
    assert last.output_shape == Shape(25, (784,))
    assert last.rf is not None and last.rf.size == (3_061,)
    assert report.output_shape == Shape(10)


def test_c3d_feature_sizes() -> None:
    # Tran et al. 2015: pool1 keeps the 16 frames; pool5 gives 512×1×4×4 = 8,192 features
    report = cnncalc.load(SPECS / "c3d.yaml").summary()
    assert report.layer("pool1").output_shape == Shape(64, (16, 56, 56))
    assert report.layer("pool5").output_shape == Shape(512, (1, 4, 4))
    assert report.layer("fc6").input_shapes[0] == Shape(8_192)


def test_resnet50_is_v15_with_the_stride_in_the_3x3() -> None:
    report = cnncalc.load(SPECS / "resnet50.yaml").summary()
    assert report.layer("layer2.0.conv1").output_shape == Shape(128, (56, 56))
    assert report.layer("layer2.0.conv2").output_shape == Shape(128, (28, 28))
    assert report.layer("layer2.0.downsample.0").output_shape == Shape(512, (28, 28))


def test_todays_cnns_follow_torchvision_names() -> None:
    names = {name: {r.name for r in cnncalc.load(name).summary().layers}
             for name in ("efficientnet_b0", "mobilenet_v3_large", "convnext_tiny",
                          "shufflenet_v2_x1_0", "regnet_y_400mf", "densenet121",
                          "inception_v3")}
    assert {"features.1.0.block.0.0", "features.2.1.block.3.0",
            "features.2.1.stochastic_depth", "classifier.1"} <= names["efficientnet_b0"]
    assert {"features.1.block.0.0", "features.4.block.2.fc1", "features.4.block.3.0",
            "classifier.3"} <= names["mobilenet_v3_large"]
    assert {"features.5.3.block.3", "features.5.3.layer_scale", "features.6.1",
            "classifier.0"} <= names["convnext_tiny"]
    assert {"stage3.4.branch2.3", "stage2.0.branch1.2", "conv5.0"} <= names["shufflenet_v2_x1_0"]
    assert {"trunk_output.block2.block2-0.proj.0", "trunk_output.block3.block3-5.f.se.fc2",
            "trunk_output.block4.block4-0.activation"} <= names["regnet_y_400mf"]
    assert {"features.denseblock3.denselayer24.conv2", "features.transition3.pool",
            "features.norm5", "classifier"} <= names["densenet121"]
    assert {"Mixed_6b.branch7x7dbl_3.conv", "Mixed_7c.branch3x3dbl_3b.bn",
            "Mixed_5b.branch_pool.conv", "fc"} <= names["inception_v3"]


def test_efficientnet_widths_and_stochastic_depth() -> None:
    report = cnncalc.load("efficientnet_b0").summary()
    # stage 1 (t = 1) has no expansion: its depthwise convolution is block.0
    assert report.layer("features.1.0.block.0.0").description.startswith("conv 3×3")
    assert report.layer("features.6.3.block.0.0").output_shape == Shape(1152, (7, 7))
    assert report.layer("features.6.3.block.2.fc1").output_shape.channels == 48   # 192 // 4
    graph = cnncalc.load("efficientnet_b0").graph
    drops = {n.name: n.layer.p for n in graph.nodes if n.kind == "stochastic_depth"}
    assert len(drops) == 9  # the blocks that keep their shape (16 blocks, 7 stages)
    assert drops["features.6.3.stochastic_depth"] == pytest.approx(0.2 * 14 / 16)


def test_mobilenet_v2_depthwise_and_residuals() -> None:
    report = cnncalc.load(SPECS / "mobilenet_v2.yaml").summary()
    dw = report.layer("features.2.depthwise")
    assert dw.input_shapes[0].channels == 96 and dw.weights == 96 * 9  # groups = channels
    adds = [r.name for r in report.layers if r.kind == "add"]
    assert len(adds) == 10  # stride 1 and same channels: features 3, 5, 6, 8-10, 12, 13, 15, 16
