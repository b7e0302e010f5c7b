"""Lint rules, their suppression, and ``expect:`` — on small specs whose answer is worked out by
hand, plus the negative cases each rule must stay quiet on."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.checks.expectations import check_expectations, run_checks
from cnncalc.model.errors import Diagnostic

from .conftest import SPECS


def findings(text: str, input_shape: str | None = None,
             disabled: tuple[str, ...] = ()) -> list[Diagnostic]:
    net = cnncalc.parse(text)
    found, _ = run_checks(net.graph, net.summary(input_shape), disabled=disabled)
    return found


def codes(text: str, input_shape: str | None = None,
          disabled: tuple[str, ...] = ()) -> list[tuple[str | None, str | None]]:
    return [(d.code, d.layer) for d in findings(text, input_shape, disabled)]


def spec(*layers: str, head: str = "input: [3, 32, 32]\n") -> str:
    return head + "layers:\n" + "".join(f"  - {layer}\n" for layer in layers)


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_specs_are_clean(path: Path) -> None:
    net = cnncalc.load(path)  # from the file: some include blocks from specs/lib/
    found, _ = run_checks(net.graph, net.summary())
    assert found == []


# --- dropped-pixels ----------------------------------------------------------------------------


def test_dropped_pixels_cs231n() -> None:
    # CS231n: W=10, F=3, S=2, P=0 → (10 − 3)/2 + 1 = 4.5: one column is never read
    found = findings(spec("conv: {out: 4, kernel: 3, stride: 2}", head="input: [1, 10, 10]\n"))
    assert [d.code for d in found] == ["dropped-pixels"]
    assert found[0].message.startswith("conv 'conv1' never reads the last 1 row and 1 column of "
                                       "its 1×10×10 input: (10 − 3 + 2·0)/2 + 1 = 4.5 on H and W")


def test_dropped_pixels_per_axis_and_dilation() -> None:
    found = findings(spec("conv: {out: 4, kernel: 3, dilation: 2, stride: [1, 4]}",
                          head="input: [1, 12, 12]\n"))
    # k_eff 5; W: (12 − 5)/4 + 1 = 2.75 → 3 columns unread; H divides
    assert len(found) == 1
    assert "the last 3 columns of its 1×12×12 input: (12 − 5 + 2·0)/4 + 1 = 2.75 on W" \
        in found[0].message


@pytest.mark.parametrize("layer", [
    "maxpool: {kernel: 3, stride: 2, ceil_mode: true}",   # ceil_mode reads the last pixels
    "maxpool: {kernel: 2}",                                # 32 divides
    "conv: {out: 4, kernel: 11, stride: 4, padding: 2}",  # only padding is dropped (torchvision)
    "conv: {out: 4, kernel: 3, stride: 2, padding: same_tf}",
])
def test_no_dropped_pixels(layer: str) -> None:
    head = "input: [3, 224, 224]\n" if "11" in layer else "input: [3, 32, 32]\n"
    assert codes(spec(layer, head=head)) == []


def test_subsampling_window_narrower_than_its_stride_is_not_flagged() -> None:
    # ResNet's 1×1/2 shortcut on 56: (56 − 1)/2 + 1 = 28.5, but a 1×1/2 window skips every other
    # pixel by design, so missing the last one is no mistake; a 3×3/2 on the same input is.
    head = "input: [64, 56, 56]\n"
    assert codes(spec("conv: {out: 8, kernel: 1, stride: 2}", head=head)) == []
    assert codes(spec("conv: {out: 8, kernel: 2, stride: 3}", head=head)) == []
    assert codes(spec("conv: {out: 8, kernel: 3, stride: 2}", head=head)) == [
        ("dropped-pixels", "conv1")]


# --- padding-not-same --------------------------------------------------------------------------


@pytest.mark.parametrize(("layer", "fragment"), [
    ("conv: {out: 4, kernel: 5, padding: 1}", "turns 32×32 into 30×30 with padding 1: not 'same' "
     "on H and W; padding 2 (or 'same') keeps the size"),
    ("conv: {out: 4, kernel: 3, padding: 2}", "into 34×34 with padding 2"),
    ("conv: {out: 4, kernel: 3, dilation: 2, padding: 1}",
     "(kernel 3 with dilation 2 spans 5): not 'same' on H and W; padding 2"),
    ("conv: {out: 4, kernel: [1, 7], padding: 3}", "not 'same' on H; padding [0, 3]"),
    ("conv: {out: 4, kernel: 3, padding: [1, 0]}", "not 'same' on W; padding 1"),
    ("conv: {out: 4, kernel: 1, padding: 1}", "into 34×34 with padding 1"),
    ("conv: {out: 4, kernel: 4, padding: 1}", "padding: same (asymmetric for an even kernel)"),
    ("maxpool: {kernel: 5, stride: 1, padding: 1}", "maxpool 'maxpool1' at stride 1"),
])
def test_padding_not_same(layer: str, fragment: str) -> None:
    found = findings(spec(layer))
    assert [d.code for d in found] == ["padding-not-same"]
    assert fragment in found[0].message, found[0].message


@pytest.mark.parametrize("layer", [
    "conv: {out: 4, kernel: 3}",                             # valid convolution, on purpose
    "conv: {out: 4, kernel: 3, padding: 1}",
    "conv: {out: 4, kernel: 3, padding: same}",
    "conv: {out: 4, kernel: 3, padding: full}",              # says what it means
    "conv: {out: 4, kernel: 3, dilation: 2, padding: 2}",
    "conv: {out: 4, kernel: [1, 7], padding: [0, 3]}",
    "conv: {out: 4, kernel: 7, stride: 2, padding: 3}",      # strided: not this rule's business
    "conv: {out: 4, kernel: 2, padding: [[0, 1], [0, 1]]}",  # even kernel, same by hand
    "conv_transpose: {out: 4, kernel: 4, stride: 2, padding: 1}",
])
def test_padding_quiet(layer: str) -> None:
    assert codes(spec(layer)) == []


# --- rf-covers-input ---------------------------------------------------------------------------


def test_vgg16_at_32_covers_its_input_early() -> None:
    found = findings((SPECS / "vgg16.yaml").read_text(), "3x32x32")
    assert [(d.code, d.layer) for d in found] == [("rf-covers-input", "block4.conv1")]
    assert found[0].message.startswith(
        "conv 'block4.conv1': every unit of its 512×4×4 output already sees the whole 32×32 input "
        "(receptive field 60), yet 7 of the 18 layers that widen the receptive field come after it")


def test_googlenet_at_its_own_size_is_quiet_but_not_at_64() -> None:
    text = (SPECS / "googlenet_torchvision.yaml").read_text()
    assert codes(text) == []
    assert codes(text, "3x64x64") == [("rf-covers-input", "inception4b.branch2_2.conv")]


def test_rf_covers_input_needs_a_spatial_input() -> None:
    assert codes(spec("linear: {out: 4}", "linear: {out: 4}", head="input: [8]\n")) == []


# --- dead-layer --------------------------------------------------------------------------------


def test_dead_layer_reports_the_unread_layer_with_its_feeders() -> None:
    found = findings(spec("conv: {out: 8, kernel: 3, padding: 1, name: trunk}",
                          "conv: {out: 4, kernel: 1, name: a}", "relu: {name: b}",
                          "global_avgpool: {name: c}",
                          "conv: {out: 8, kernel: 1, inputs: [trunk]}"))
    assert [(d.code, d.layer) for d in found] == [("dead-layer", "c")]
    assert found[0].message == ("global_avgpool 'c' is never used: nothing reads its output and it "
                                "is not the network output 'conv1' (with the 2 unused layers that "
                                "feed it: 36 params, 32,768 MACs)")


def test_crop_like_counts_as_a_use() -> None:
    assert codes(spec("conv: {out: 8, kernel: 3, name: small}",
                      "crop: {like: small, inputs: [input]}")) == []


def test_two_dead_sinks_are_two_findings() -> None:
    found = codes(spec("relu: {name: x}", "relu: {name: y, inputs: [input]}",
                       "relu: {inputs: [input]}"))
    assert found == [("dead-layer", "x"), ("dead-layer", "y")]


def test_shared_unused_feeders_are_counted_once() -> None:
    found = findings(spec("conv: {out: 4, kernel: 1, name: shared}", "relu: {name: x}",
                          "relu: {name: y, inputs: [shared]}", "relu: {inputs: [input]}"))
    assert [d.layer for d in found] == ["x", "y"]
    assert "(with the 1 unused layer that feeds it: 16 params" in found[0].message
    assert "with the" not in found[1].message


# --- unaligned-merge ---------------------------------------------------------------------------


def test_unaligned_merge_comes_from_the_walker() -> None:
    text = spec("add: [[], [conv: {out: 3, kernel: 3, padding: [[2, 0], [2, 0]]}]]")
    assert codes(text) == [("unaligned-merge", "add1")]
    assert codes(text, disabled=("unaligned-merge",)) == []


# --- suppression -------------------------------------------------------------------------------

BAD = "conv: {out: 4, kernel: 5, padding: 1}"


def test_suppression_per_file_layer_and_command_line() -> None:
    assert codes(spec(BAD)) == [("padding-not-same", "conv1")]
    assert codes("lint: {disable: [padding-not-same]}\n" + spec(BAD)) == []
    assert codes("lint: {disable: all}\n" + spec(BAD)) == []
    assert codes("lint: {disable: [dead-layer]}\n" + spec(BAD)) != []
    assert codes(spec(BAD + "\n    lint: {disable: [padding-not-same]}")) == []
    assert codes(spec("conv: {out: 4, kernel: 5, padding: 1, lint: {disable: all}}")) == []
    assert codes(spec(BAD), disabled=("padding-not-same",)) == []
    assert codes(spec(BAD), disabled=("all",)) == []


def test_suppression_on_a_block_use_covers_its_layers_only() -> None:
    text = ("input: [3, 32, 32]\nblocks:\n  b: [" + BAD + ", relu]\nlayers:\n"
            "  - b: {name: quiet, lint: {disable: [padding-not-same]}}\n"
            "  - b: {name: loud}\n")
    assert codes(text) == [("padding-not-same", "loud.conv1")]


def test_suppression_on_a_repeat_and_inside_a_block() -> None:
    text = spec("repeat: 2\n    lint: {disable: [padding-not-same]}\n    layers: [" + BAD + "]")
    assert codes(text, "3x64x64") == []
    text = ("input: [3, 32, 32]\nblocks:\n  b:\n    - " + BAD +
            "\n      lint: {disable: [padding-not-same]}\nlayers: [b, b]\n")
    assert codes(text) == []


@pytest.mark.parametrize(("lint", "message"), [
    ("{disable: [dead-layr]}", "unknown lint code 'dead-layr'; did you mean 'dead-layer'?"),
    ("{enable: [dead-layer]}", "unknown lint key 'enable'"),
    ("{disable: [3]}", "lint: disable takes lint codes"),
    ("off", "lint takes a mapping"),
])
def test_bad_lint_config_is_a_located_error(lint: str, message: str) -> None:
    with pytest.raises(cnncalc.SpecError, match=message) as info:
        cnncalc.parse(spec(f"relu: {{lint: {lint}}}"))
    assert info.value.mark is not None and info.value.mark.line == 3


# --- expect ------------------------------------------------------------------------------------


def expect_messages(text: str, input_shape: str | None = None) -> list[str]:
    net = cnncalc.parse(text)
    return [d.message for d in check_expectations(net.graph, net.summary(input_shape))]


@pytest.mark.parametrize("expect", [
    "{shape: [8, 30, 30]}", "{shape: 8x30x30}", "{shape: [8, null, 30]}", "{rf: 3}",
    "{rf: [3, 3]}", "{jump: 1}", "{params: 224}", "{params: {min: 200, max: 224}}",
    "{macs: 194_400}", "{macs: {max: 0.2M}}",
])
def test_expectations_that_hold(expect: str) -> None:
    assert expect_messages(spec(f"conv: {{out: 8, kernel: 3, expect: {expect}}}")) == []


@pytest.mark.parametrize(("expect", "message"), [
    ("{shape: [8, 32, 32]}", "conv 'conv1' gives 8×30×30, expected 8×32×32"),
    ("{shape: [8, null]}", "conv 'conv1' gives 8×30×30, expected 8×*"),
    ("{rf: 5}", "conv 'conv1' has a receptive field of 3, expected 5"),
    ("{rf: [3, 5]}", "conv 'conv1' has a receptive field of 3, expected 3×5"),
    ("{rf: [3, 3, 3]}", "conv 'conv1' has 2 spatial axes, but its expected rf gives 3 values"),
    ("{jump: 2}", "conv 'conv1' has a jump (effective stride) of 1, expected 2"),
    ("{params: 216}", "conv 'conv1' has 224 params, expected 216 (+8)"),
    ("{params: {min: 1k}}", "conv 'conv1' has 224 params, expected at least 1,000 (776 under)"),
    ("{macs: {max: 0.1M}}", "conv 'conv1' has 194,400 MACs, expected at most 100,000 "
     "(94,400 over)"),
])
def test_expectations_that_fail(expect: str, message: str) -> None:
    assert expect_messages(spec(f"conv: {{out: 8, kernel: 3, expect: {expect}}}")) == [message]


def test_expect_jump_fraction_after_upsampling() -> None:
    text = spec("upsample: {scale: 2, expect: {jump: '1/2', shape: [3, 64, 64]}}")
    assert expect_messages(text) == []
    assert expect_messages(text.replace("'1/2'", "1")) == [
        "upsample 'upsample1' has a jump (effective stride) of 1/2, expected 1"]


def test_expect_macs_are_for_the_batch() -> None:
    text = spec("conv: {out: 8, kernel: 3, expect: {macs: 194_400}}")
    assert expect_messages(text) == []
    net = cnncalc.parse(text)
    assert len(check_expectations(net.graph, net.summary(batch=2))) == 1


def test_expect_on_block_use_and_repeat_is_about_their_last_layer() -> None:
    text = ("input: [3, 32, 32]\nblocks:\n  down:\n    params: [c]\n    layers:\n"
            "      - conv: {out: $c, kernel: 3, padding: 1}\n"
            "        expect: {shape: [$c, null, null]}\n"
            "      - maxpool: {kernel: 2}\n"
            "layers:\n"
            "  - down: {c: 8, expect: {shape: [8, 16, 16], rf: 4}}\n"
            "  - repeat: 2\n    expect: {shape: [16, 4, 4]}\n    layers: [down: {c: 16}]\n")
    assert expect_messages(text) == []
    bad = text.replace("[8, 16, 16]", "[8, 32, 32]").replace("[16, 4, 4]", "[16, 8, 8]")
    assert expect_messages(bad) == ["maxpool 'down1.maxpool1' gives 8×16×16, expected 8×32×32",
                                    "maxpool 'down3.maxpool1' gives 16×4×4, expected 16×8×8"]


@pytest.mark.parametrize(("expect", "message"), [
    ("{size: 3}", "unknown expect key 'size'"),
    ("{shape: [8, 0, 30]}", "expect shape sizes are positive integers or null"),
    ("{shape: [1, 2, 3, 4, 5]}", "expect shape is channels then 0 to 3 sizes"),
    ("{rf: 0}", "expect rf values are positive integers or fractions"),
    ("{params: {least: 3}}", "expect params takes a count or {min: ..., max: ...}"),
    ("{params: {min: 5, max: 3}}", "min 5 is above max 3"),
    ("[shape]", "expect takes a mapping"),
])
def test_bad_expect_is_a_located_error(expect: str, message: str) -> None:
    with pytest.raises(cnncalc.SpecError, match=message.replace("[", r"\[").replace("{", r"\{")):
        cnncalc.parse(spec(f"conv: {{out: 8, kernel: 3, expect: {expect}}}"))


def test_expect_on_a_block_use_that_adds_no_layer() -> None:
    text = ("input: [3, 8, 8]\nblocks:\n  b:\n    params: {x: []}\n    layers: [$x]\n"
            "layers:\n  - relu\n  - b: {expect: {shape: [3, 8, 8]}}\n")
    with pytest.raises(cnncalc.SpecError, match="expect needs a layer"):
        cnncalc.parse(text)


# --- no value in these keys makes cnncalc crash -------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**12) | st.floats(allow_nan=True)
    | st.text("0123456789kMGiB.,_e-/ $abc", max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["min", "max", "shape", "rf", "jump", "params", "macs", "memory",
                         "batch", "dtype", "phase", "disable", "x"]), inner, max_size=3),
    max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(["expect", "lint", "budget"]), value=json_values)
def test_any_value_is_a_spec_error_or_works(key: str, value: object) -> None:
    import yaml

    layer: dict[str, object] = {"conv": {"out": 4, "kernel": 3}}
    doc: dict[str, object] = {"input": [3, 8, 8], "layers": [layer]}
    if key == "budget":
        doc["budget"] = value
    else:
        layer[key] = value
    text = yaml.safe_dump(doc)
    try:
        net = cnncalc.parse(text)
        run_checks(net.graph, net.summary())
    except cnncalc.SpecError as exc:
        assert exc.mark is not None, exc
