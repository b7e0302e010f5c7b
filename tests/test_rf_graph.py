"""Receptive fields on whole graphs: the Distill table, hand-computed chains (dilation,
asymmetric and TF padding, ceil_mode, transposed convolution, upsampling, adaptive pooling),
branches, coverage of the input, and two oracles — an explicit unit-by-unit composition and, where
torch is installed, the support of PyTorch's gradient."""

from __future__ import annotations

import json
from collections.abc import Callable
from fractions import Fraction
from functools import cache

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.analysis.report import Report
from cnncalc.model.errors import SpecError
from cnncalc.model.rf import MAX_PERIOD, AxisMap

from .conftest import Result

F = Fraction


def last_rf(spec: str, input_shape: str | None = None) -> tuple[object, ...]:
    rep = cnncalc.parse(spec).summary(input_shape)
    rf = rep.layers[-1].rf
    assert rf is not None
    return rf.size, rf.jump, rf.start, rf.effective_padding


# --- the Distill table (Araujo, Norris & Sim 2019) that bundled or small specs reproduce --------

@pytest.mark.parametrize("input_shape", [None, "3x224x224"])
def test_alexnet_pool5_distill(input_shape: str | None) -> None:
    # alexnet_v2 in the Distill table: RF 195, effective stride 32, effective padding 64
    rf = cnncalc.load("alexnet").summary(input_shape).layer("pool5").rf
    assert rf is not None
    assert (rf.size, rf.jump, rf.effective_padding) == ((195, 195), (32, 32), (64, 64))


def test_alexnet_torchvision_pool5() -> None:
    # hand-derived: torchvision pads conv1 by 2, so the effective padding is 2 more than Caffe's
    rf = cnncalc.load("alexnet_torchvision").summary().layer("pool5").rf
    assert rf is not None
    assert (rf.size, rf.jump, rf.effective_padding) == ((195, 195), (32, 32), (66, 66))


MOBILENET_V1 = """
name: mobilenet_v1 (TF-Slim, 'SAME' padding)
input: [3, 224, 224]
blocks:
  separable:
    params: {c: null, out: null, s: 1}
    layers:
      - conv: {out: $c, kernel: 3, stride: $s, padding: same_tf, groups: $c}
      - relu6
      - conv: {out: $out, kernel: 1}
      - relu6
layers:
  - conv: {out: 32, kernel: 3, stride: 2, padding: same_tf}
  - relu6
  - separable: {c: 32, out: 64}
  - separable: {c: 64, out: 128, s: 2}
  - separable: {c: 128, out: 128}
  - separable: {c: 128, out: 256, s: 2}
  - separable: {c: 256, out: 256}
  - separable: {c: 256, out: 512, s: 2}
  - repeat: 5
    layers: [separable: {c: 512, out: 512}]
  - separable: {c: 512, out: 1024, s: 2}
  - separable: {c: 1024, out: 1024, name: Conv2d_13}
"""


def test_mobilenet_v1_distill() -> None:
    # Conv2d_13_pointwise: 315, 32, 126. TF 'SAME' pads a stride-2 3×3 on an even input by 0
    # before and 1 after, so only the stride-1 layers add effective padding.
    size, jump, _, padding = last_rf(MOBILENET_V1)
    assert (size, jump, padding) == ((315, 315), (32, 32), (126, 126))


RESNET_V1_50 = """
name: resnet_v1_50 (TF-Slim bottlenecks, stride in the 3×3 of each block's last unit)
input: [3, 224, 224]
blocks:
  unit:
    params: {c: null, s: 1}
    layers:
      - add:
          - [conv: {out: $c, kernel: 1}, relu,
             conv: {out: $c, kernel: 3, stride: $s, padding: 1}, relu,
             conv: {out: $c, kernel: 1}]
          - [conv: {out: $c, kernel: 1, stride: $s}]
      - relu
  stage:
    params: {c: null, n: null, s: null}
    layers:
      - repeat: $n
        layers: [unit: {c: $c}]
      - unit: {c: $c, s: $s}
layers:
  - conv: {out: 8, kernel: 7, stride: 2, padding: 3}
  - maxpool: {kernel: 3, stride: 2, padding: same_tf}
  - stage: {c: 8, n: 2, s: 2}
  - stage: {c: 8, n: 3, s: 2}
  - stage: {c: 8, n: 5, s: 2}
  - stage: {c: 8, n: 2, s: 1, name: block4}
"""


def test_resnet_v1_50_distill() -> None:
    # block4: RF 483, effective stride 32, effective padding 239; every residual merge aligned
    rep = cnncalc.parse(RESNET_V1_50).summary()
    rf = rep.layers[-1].rf
    assert rf is not None
    assert (rf.size, rf.jump, rf.effective_padding) == ((483, 483), (32, 32), (239, 239))
    assert not rep.warnings


@pytest.mark.parametrize(("name", "layer", "size", "padding"), [
    # hand-derived: conv1 7/2 → 7; maxpool 3/2 → 11 (jump 4); layer1 3 × 8 → 35; layer2 (stride
    # in the first 3×3) 43, + 3 × 16 → 91; layer3 107, + 5 × 32 → 267; layer4 299, + 2 × 64 → 427
    ("resnet50", "layer4.2.relu3", 427, 213),
    # stem 3; features.1 7; then + 2·jump per depthwise 3×3: 11, 19, 27, 43, 59, 75, ..., 491
    ("mobilenet_v2", "features.18.relu", 491, 245),
])
def test_zoo_receptive_fields_by_hand(name: str, layer: str, size: int, padding: int) -> None:
    rep = cnncalc.load(name).summary()
    rf = rep.layer(layer).rf
    assert rf is not None
    assert (rf.size, rf.jump, rf.effective_padding) == ((size, size), (32, 32),
                                                        (padding, padding))
    assert not rep.warnings


# --- hand-computed chains (1-D: size, jump, start = centre of unit 0, effective padding) --------

CHAINS = [
    ("conv: {out: 1, kernel: 3}", (3,), (1,), (1,), (0,)),
    ("conv: {out: 1, kernel: 3, stride: 2, padding: 1}", (3,), (2,), (0,), (1,)),
    # r = 3 + 2·2 = 7, j = 4, P = 1 + 1·2 = 3, centre = −3 + 3 = 0
    ("conv: {out: 1, kernel: 3, stride: 2, padding: 1}\n"
     "  - conv: {out: 1, kernel: 3, stride: 2, padding: 1}", (7,), (4,), (0,), (3,)),
    # dilation: k_eff = 5, then 9: 1 + 4 + 8 = 13
    ("conv: {out: 1, kernel: 3, dilation: 2}\n  - conv: {out: 1, kernel: 3, dilation: 4}",
     (13,), (1,), (6,), (0,)),
    # asymmetric padding [[0, 1]]: unit 0 reads pixels 0 and 1
    ("conv: {out: 1, kernel: 2, padding: [[0, 1]]}", (2,), (1,), (F(1, 2),), (0,)),
    ("conv: {out: 1, kernel: 2, padding: [[1, 0]]}", (2,), (1,), (F(-1, 2),), (1,)),
    # TF 'SAME', stride 2 on 64 (even): padding 0 before, 1 after
    ("conv: {out: 1, kernel: 3, stride: 2, padding: same_tf}", (3,), (2,), (1,), (0,)),
    # ceil_mode changes the number of units, not the recurrences
    ("maxpool: {kernel: 3, stride: 2, ceil_mode: true}", (3,), (2,), (1,), (0,)),
    ("maxpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}", (3,), (2,), (0,), (1,)),
    # transposed conv k2/2 after a stride-2 conv: every output reads one input → RF stays 3
    ("conv: {out: 1, kernel: 3, stride: 2, padding: 1}\n"
     "  - conv_transpose: {out: 1, kernel: 2, stride: 2}", (3,), (1,), (0,), (1,)),
    # transposed conv k3/2: even outputs read two inputs, odd ones one → largest 2, jump 1/2
    ("conv_transpose: {out: 1, kernel: 3, stride: 2}", (2,), (F(1, 2),), (F(-1, 2),), (1,)),
    # kernel 1, stride 2: odd outputs read nothing
    ("conv_transpose: {out: 1, kernel: 1, stride: 2}", (1,), (F(1, 2),), (0,), (0,)),
    # the usual k4/2/p1 upsampling: each output reads two inputs
    ("conv_transpose: {out: 1, kernel: 4, stride: 2, padding: 1}", (2,), (F(1, 2),),
     (F(-1, 2),), (1,)),
    # nearest ×2 then max pool 2/2: back to one pixel per unit, jump 1
    ("upsample: {scale: 2}", (1,), (F(1, 2),), (0,), (0,)),
    ("upsample: {scale: 2}\n  - maxpool: {kernel: 2}", (1,), (1,), (0,), (0,)),
    # linear ×2: output o samples (o + ½)/2 − ½ and reads the two inputs around it
    ("upsample: {scale: 2, mode: linear}", (2,), (F(1, 2),), (F(-1, 2),), (1,)),
    ("upsample: {scale: 2, mode: linear, align_corners: true}", (2,), (F(63, 127),), (0,),
     (0,)),
    # adaptive 5 → 3: bins [0,2), [1,4), [3,5): sizes 2, 3, 2
    ("crop: {size: 5, anchor: start}\n  - adaptive_avgpool: {output: 3}", (3,), (F(5, 3),),
     (F(1, 2),), (0,)),
    # global pooling: the whole input
    ("global_avgpool", (64,), (64,), (F(63, 2),), (0,)),
    # explicit padding and cropping shift the field
    ("pad: {padding: [[2, 0]]}", (1,), (1,), (-2,), (2,)),
    ("crop: {border: 3}", (1,), (1,), (3,), (-3,)),
]


@pytest.mark.parametrize(("layers", "size", "jump", "start", "padding"), CHAINS)
def test_hand_computed_chain(layers: str, size: tuple[int, ...], jump: tuple[object, ...],
                             start: tuple[object, ...], padding: tuple[object, ...]) -> None:
    spec = f"input: [1, 64]\nlayers:\n  - {layers}\n"
    assert last_rf(spec) == (size, jump, start, padding)


def test_googlenet_ceil_mode_stem_by_hand() -> None:
    rep = cnncalc.load("googlenet").summary()
    got = {name: (rep.layer(name).rf.size[0], rep.layer(name).rf.jump[0],  # type: ignore[union-attr]
                  rep.layer(name).rf.effective_padding[0])  # type: ignore[union-attr]
           for name in ("conv1", "pool1", "conv2", "pool2")}
    # conv1 7/2 p3; pool1 3/2 ceil: 7 + 2·2; conv2 3×3 p1: 11 + 2·4, P 3 + 4; pool2: 19 + 2·4
    assert got == {"conv1": (7, 2, 3), "pool1": (11, 4, 3), "conv2": (19, 4, 7),
                   "pool2": (27, 8, 7)}


# --- branches ----------------------------------------------------------------------------------

def test_residual_with_strided_shortcut_is_aligned() -> None:
    rep = cnncalc.parse("""input: [4, 32, 32]
layers:
  - add:
      - [conv: {out: 4, kernel: 3, stride: 2, padding: 1}, conv: {out: 4, kernel: 3, padding: 1}]
      - [conv: {out: 4, kernel: 1, stride: 2}]
""").summary()
    rf = rep.layers[-1].rf
    assert rf is not None
    assert (rf.size, rf.jump, rf.start) == ((7, 7), (2, 2), (0, 0))
    assert not rep.warnings


def test_upsampled_path_is_aligned_on_average() -> None:
    # pooled then upsampled: units 2m and 2m + 1 both see pixels 2m..2m+1, half a pixel either
    # side of where a regular field would put them; on average they sit where the conv's do
    rep = cnncalc.parse("""input: [1, 64]
layers:
  - concat:
      - [maxpool: {kernel: 2}, upsample: {scale: 2}]
      - [conv: {out: 1, kernel: 3, padding: 1}]
""").summary()
    assert not rep.warnings
    rf = rep.layers[-1].rf
    assert rf is not None
    assert (rf.size, rf.jump, rf.start) == ((3,), (1,), (0,))


def test_half_pixel_offset_warns() -> None:
    rep = cnncalc.parse("""input: [1, 64]
layers:
  - concat:
      - [maxpool: {kernel: 2}, upsample: {scale: 2}]
      - [conv: {out: 1, kernel: 2, padding: [[0, 1]]}]
""").summary()
    assert [w.code for w in rep.warnings] == ["unaligned-merge"]
    rf = rep.layers[-1].rf
    assert rf is not None and not rf.approximate


def test_different_jumps_warn_and_mark_the_field() -> None:
    rep = cnncalc.parse("""input: [1, 64]
layers:
  - concat:
      - [conv: {out: 1, kernel: 1}]
      - [pad: {padding: 32}, adaptive_avgpool: {output: 64}]
""").summary()
    assert [w.code for w in rep.warnings] == ["unaligned-merge"]
    assert "described by unit 0 only" in rep.warnings[0].message
    rf = rep.layers[-1].rf
    assert rf is not None and rf.approximate
    assert rf.jump == (2,)


def test_upsampled_skip_connection_is_exact() -> None:
    # a small U-Net step: encoder at jump 2, decoder back to jump 1, merged with the skip
    rep = cnncalc.parse("""input: [2, 32]
layers:
  - conv: {out: 2, kernel: 3, padding: 1, name: enc}
  - maxpool: {kernel: 2}
  - conv: {out: 2, kernel: 3, padding: 1}
  - conv_transpose: {out: 2, kernel: 2, stride: 2, name: up}
  - concat: {inputs: [enc, up], name: cat}
""").summary()
    up, cat = rep.layer("up").rf, rep.layer("cat").rf
    assert up is not None and cat is not None
    # enc: 3 at jump 1; pool: 4 at 2; conv: 8 at 2; up reads one unit: 8, jump 1, period 2
    assert (up.size, up.jump, up.regular) == ((8,), (1,), False)
    assert cat.size == (8,)
    # up's units sit ½ before or after their average place, which is the skip's: aligned
    assert not rep.warnings


def test_coverage_needs_one_unit_to_see_every_pixel() -> None:
    # RF 5 ≥ 4 input pixels, but neither unit ([−3, 1] and [1, 5]) covers 0..3
    rep = cnncalc.parse("input: [1, 4]\nlayers:\n  - conv: {out: 1, kernel: 5, stride: 4, "
                        "padding: 3}\n").summary()
    rf = rep.layers[-1].rf
    assert rf is not None
    assert rf.size == (5,) and not rf.covers_input
    full = cnncalc.parse("input: [1, 4]\nlayers:\n  - conv: {out: 1, kernel: 5, padding: 2}\n")
    assert full.summary().layers[-1].rf.covers_input  # type: ignore[union-attr]


def test_first_covering_layer() -> None:
    from cnncalc.render.receptive import first_covering

    assert first_covering(cnncalc.load("lenet5").summary()) == "c5"
    assert first_covering(cnncalc.load("vgg16").summary()) == "flatten1"
    assert first_covering(cnncalc.load("vgg16_conv").summary()) == "fc6"


def test_runaway_upsampling_is_reported_not_followed() -> None:
    ups = "\n".join(f"  - upsample: {{size: {7 * 3**i}}}" for i in range(1, 9))
    spec = f"input: [1, 5]\nlayers:\n{ups}\n  - conv: {{out: 1, kernel: 3}}\n"
    rep = cnncalc.parse(spec).summary()
    assert [w.code for w in rep.warnings] == ["rf-untracked"]
    assert rep.layers[-1].rf is None
    assert any(r.rf is not None and max(a.period for a in r.rf.axes) <= MAX_PERIOD
               for r in rep.layers)


# --- oracle 1: explicit unit-by-unit composition -----------------------------------------------

Field = tuple[int | None, int | None]


def chain_maps(rep: Report, graph: cnncalc.Network) -> list[AxisMap | None]:
    """Each layer's map on the single axis (None: reads its whole input)."""
    layers = {n.name: n.layer for n in graph.graph.nodes}
    maps: list[AxisMap | None] = []
    for r in rep.layers:
        m = layers[r.name].receptive_map(r.input_shapes, r.output_shape)
        maps.append(None if m is None else m[0])
    return maps


def naive(maps: list[AxisMap | None], sizes: list[int]) -> Callable[[int, int], tuple]:
    """``field(layer, unit)`` → ``(low, high, virtual)`` by composing unit by unit; ``virtual``
    says whether a unit outside some tensor (padding) was involved."""

    @cache
    def field(layer: int, unit: int) -> tuple[int | None, int | None, bool]:
        if layer < 0:
            return unit, unit, not 0 <= unit < sizes[0]
        m = maps[layer]
        virtual = not 0 <= unit < sizes[layer + 1]
        if m is None:
            a, b, step = 0, sizes[layer] - 1, 1
        else:
            q, p = divmod(unit, m.period)
            rng = m.ranges[p]
            if rng is None:
                return None, None, virtual
            a, b, step = rng[0] + q * m.shift, rng[1] + q * m.shift, rng[2]
        parts = [field(layer - 1, i) for i in range(a, b + 1, step)]
        lows = [lo for lo, _, _ in parts if lo is not None]
        highs = [h for _, h, _ in parts if h is not None]
        return (min(lows) if lows else None, max(highs) if highs else None,
                virtual or any(v for _, _, v in parts))

    return field


LAYER_TEMPLATES = st.one_of(
    st.builds(lambda k, s, p, d: f"conv: {{out: 1, kernel: {k}, stride: {s}, padding: {p}, "
              f"dilation: {d}}}", st.integers(1, 5), st.integers(1, 3), st.integers(0, 2),
              st.integers(1, 3)),
    st.builds(lambda k, s, p, d: f"conv_transpose: {{out: 1, kernel: {k}, stride: {s}, "
              f"padding: {p}, dilation: {d}}}", st.integers(1, 4), st.integers(1, 3),
              st.integers(0, 1), st.integers(1, 2)),
    st.builds(lambda k, s, c: f"avgpool: {{kernel: {k}, stride: {s}, ceil_mode: {c}}}",
              st.integers(1, 3), st.integers(1, 3), st.booleans()),
    st.builds(lambda s, mode: f"upsample: {{scale: {s}, mode: {mode}}}", st.integers(2, 3),
              st.sampled_from(["nearest", "linear"])),
    st.builds(lambda n, mode: f"upsample: {{size: {n}, mode: {mode}}}", st.integers(5, 90),
              st.sampled_from(["nearest", "linear"])),
    st.builds(lambda n: f"adaptive_avgpool: {{output: {n}}}", st.integers(1, 12)),
    st.builds(lambda a, b: f"pad: {{padding: [[{a}, {b}]]}}", st.integers(0, 3),
              st.integers(0, 3)),
    st.builds(lambda a: f"crop: {{border: {a}}}", st.integers(1, 3)),
)


def chain_spec(n: int, layers: list[str]) -> str:
    return f"input: [1, {n}]\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)


def analyse(n: int, layers: list[str]) -> tuple[cnncalc.Network, Report]:
    network = cnncalc.parse(chain_spec(n, layers))
    try:
        return network, network.summary()
    except SpecError:
        assume(False)
        raise  # pragma: no cover


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(16, 60), st.lists(LAYER_TEMPLATES, min_size=1, max_size=4))
def test_periodic_fields_equal_unit_by_unit_composition(n: int, layers: list[str]) -> None:
    network, rep = analyse(n, layers)
    assume(rep.layers[-1].rf is not None)  # else too irregular to follow (a warning says so)
    sizes = [n, *(r.output_shape.spatial[0] for r in rep.layers)]
    field = naive(chain_maps(rep, network), sizes)
    for index, r in enumerate(rep.layers):
        assert r.rf is not None
        axis = r.rf.axes[0]
        for unit in range(-3, min(sizes[index + 1], 24) + 3):
            low, high, _ = field(index, unit)
            assert (axis.low(unit), axis.high(unit)) == (low, high), (r.name, unit)
        real = [field(index, u) for u in range(sizes[index + 1])]
        widest = max((h - lo + 1 for lo, h, _ in real if lo is not None and h is not None),
                     default=0)
        assert widest <= axis.size  # the reported size bounds every real unit


# --- oracle 2: the support of PyTorch's gradient -----------------------------------------------

TORCH_TEMPLATES = st.one_of(
    st.builds(lambda k, s, p, d: f"conv: {{out: 1, kernel: {k}, stride: {s}, padding: {p}, "
              f"dilation: {d}, bias: false}}", st.integers(1, 5), st.integers(1, 3),
              st.integers(0, 2), st.integers(1, 2)),
    st.builds(lambda k, s, p: f"conv_transpose: {{out: 1, kernel: {k}, stride: {s}, "
              f"padding: {p}, bias: false}}", st.integers(1, 4), st.integers(1, 3),
              st.integers(0, 1)),
    st.builds(lambda k, s: f"avgpool: {{kernel: {k}, stride: {s}}}", st.integers(1, 3),
              st.integers(1, 3)),
    st.builds(lambda s, mode: f"upsample: {{scale: {s}, mode: {mode}}}", st.integers(2, 3),
              st.sampled_from(["nearest", "linear"])),
    st.builds(lambda n: f"upsample: {{size: {n}, mode: linear}}", st.integers(20, 90)),
    st.builds(lambda n: f"adaptive_avgpool: {{output: {n}}}", st.integers(2, 12)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(24, 60), st.lists(TORCH_TEMPLATES, min_size=1, max_size=3))
def test_fields_equal_the_support_of_pytorchs_gradient(n: int, layers: list[str]) -> None:
    torch = pytest.importorskip("torch")
    from cnncalc.export.pytorch import build_module

    network, rep = analyse(n, layers)
    assume(rep.layers[-1].rf is not None)
    sizes = [n, *(r.output_shape.spatial[0] for r in rep.layers)]
    field = naive(chain_maps(rep, network), sizes)
    module = build_module(network)
    with torch.no_grad():
        for p in module.parameters():
            p.fill_(1.0)  # positive weights: nothing cancels, every tap shows in the gradient
    x = torch.ones(1, 1, n, requires_grad=True)
    y = module(x)
    rf = rep.layers[-1].rf
    assert rf is not None
    last = len(rep.layers) - 1
    # a padded or clamped border makes PyTorch see fewer pixels, by design: check the others
    inner = [u for u in range(sizes[-1])
             if not field(last, u)[2] and field(last, u)[0] is not None]
    checked = 0
    for unit in inner[:: max(1, len(inner) // 12)]:
        low, high, _ = field(last, unit)
        (grad,) = torch.autograd.grad(y[0, 0, unit], x, retain_graph=True)
        # PyTorch interpolates in floating point: a source coordinate that is exactly a pixel
        # can come out a hair off and give the neighbour a weight of ~1e-7; ignore such dust
        weights = grad[0, 0]
        support = (weights > 1e-5 * weights.max()).nonzero().flatten().tolist()
        assert (support[0], support[-1]) == (low, high), unit
        assert (rf.axes[0].low(unit), rf.axes[0].high(unit)) == (low, high)
        checked += 1
    assume(checked > 0)


# --- the command line ----------------------------------------------------------------------------

def test_rf_command_text(cli: Callable[..., Result], golden: Callable[[str, str], None]) -> None:
    result = cli("rf", "lenet5")
    assert result.code == 0
    golden("rf_lenet5.txt", result.out)
    assert "'c5' is the first layer that sees the whole 32×32-pixel input" in result.out


def test_rf_command_json(cli: Callable[..., Result]) -> None:
    data = json.loads(cli("rf", "vgg16", "--format", "json").out)
    assert data["first_covering_layer"] == "flatten1"
    pool5 = next(layer for layer in data["layers"] if layer["name"] == "block5.pool")
    assert pool5["rf"] == {"size": [212, 212], "jump": [32, 32], "start": [15.5, 15.5]}
    assert pool5["effective_padding"] == [90, 90]
    assert pool5["covers_input"] is False and pool5["regular"] is True


def test_rf_command_fractions_in_json(cli: Callable[..., Result], write_spec: Callable) -> None:
    path = write_spec("input: [1, 30]\nlayers:\n  - upsample: {size: 45}\n")
    data = json.loads(cli("rf", str(path), "--format", "json").out)
    assert data["layers"][0]["rf"]["jump"] == ["2/3"]
    assert data["layers"][0]["regular"] is False


def test_rf_command_without_coverage(cli: Callable[..., Result]) -> None:
    out = cli("rf", "vgg16_conv", "--input", "3x384x384", "--format", "text").out
    assert "no layer sees the whole 384×384-pixel input; the largest RF is 404 at 'fc6'" in out


def test_rf_command_markdown_and_help(cli: Callable[..., Result]) -> None:
    assert "| `c5` |" in cli("rf", "lenet5", "--format", "markdown").out
    help_text = cli("rf", "--help").out
    assert "Examples:" in help_text and "cnncalc rf vgg16" in help_text


def test_summary_rf_columns(cli: Callable[..., Result]) -> None:
    result = cli("summary", "vgg16", "--rf")
    assert result.code == 0
    line = next(x for x in result.out.splitlines() if x.startswith("block5.pool"))
    assert line.split()[-3:] == ["212", "32", "15.5"]
    assert "'flatten1' is the first layer that sees the whole 224×224-pixel input" in result.out
    assert all(len(x) <= 100 for x in result.out.splitlines())
