"""cnncalc import: ONNX files (written by `export --to onnx`, by hand with onnx.helper, and
hostile ones) and Caffe prototxts (BVLC's deploy files), through the API and the CLI."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.analysis.walk import analyze
from cnncalc.importers import import_model, is_model_file, read
from cnncalc.importers.onnx_wire import KEEP_BYTES
from cnncalc.model.errors import SpecError

from .conftest import ROUND_TRIP, SPECS

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

MODELS = Path(__file__).resolve().parent / "models"
BUNDLED = ROUND_TRIP


def _export(name: str, tmp_path: Path, weights: str = "none") -> Path:
    from cnncalc.export.onnx import to_model

    model = to_model(cnncalc.load(name), weights=weights)
    onnx.checker.check_model(model)
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


def _kinds_and_shapes(report: Any) -> list[tuple[str, tuple[int, ...]]]:
    """Layers by kind and shape; an adaptive pool is written as a global pool (to 1×1) or a
    fixed one, and stochastic depth, the identity at inference, as an Identity that is read
    back as nothing (docs/import.md)."""
    def kind(r: Any) -> str:
        if not r.kind.startswith("adaptive_"):
            return str(r.kind)
        base = r.kind.removeprefix("adaptive_")
        return f"global_{base}" if all(s == 1 for s in r.output_shape.spatial) else base

    return sorted((kind(r), r.output_shape.dims) for r in report.layers
                  if r.kind not in ("identity", "stochastic_depth"))


@pytest.mark.parametrize("name", BUNDLED)
def test_export_import_round_trip(name: str, tmp_path: Path) -> None:
    """Every bundled spec → ONNX (onnx.helper) → spec: the same layers, totals and shapes,
    names kept, and the written spec reads back to the same network."""
    expected = cnncalc.load(name).summary()
    result = import_model(str(_export(name, tmp_path)))
    got = analyze(result.graph)
    assert (got.totals.params, got.totals.macs, got.totals.buffers) == \
        (expected.totals.params, expected.totals.macs, expected.totals.buffers)
    assert got.output_shape == expected.output_shape
    assert _kinds_and_shapes(got) == _kinds_and_shapes(expected)
    assert not result.warnings
    again = cnncalc.load(result.text).summary()
    assert again.totals == got.totals


def test_exported_model_runs_in_onnx_reference(tmp_path: Path) -> None:
    """The exported graph is a real model: ONNX's reference runtime runs it to cnncalc's
    output shape."""
    import numpy as np
    from onnx.reference import ReferenceEvaluator

    path = _export("lenet5", tmp_path, weights="random")
    (out,) = ReferenceEvaluator(str(path)).run(None, {"input": np.zeros((1, 1, 32, 32),
                                                                         np.float32)})
    assert out.shape == (1, 10)


def test_imported_specs_are_short_and_use_blocks(tmp_path: Path) -> None:
    """Issue 14: ResNet-18 and GoogLeNet come back no longer than the bundled specs."""
    for name in ("resnet18", "googlenet"):
        text = import_model(str(_export(name, tmp_path))).text
        bundled = (SPECS / f"{name}.yaml").read_text().splitlines()
        assert len(text.splitlines()) <= len(bundled), text
        assert "blocks:" in text
    caffe = import_model(str(MODELS / "bvlc_googlenet.deploy.prototxt"))
    assert caffe.compact and "blocks:" in caffe.text
    assert len(caffe.text.splitlines()) <= len((SPECS / "googlenet.yaml").read_text().splitlines())


def test_resnet18_spec_reads_like_the_bundled_one(tmp_path: Path) -> None:
    text = import_model(str(_export("resnet18", tmp_path))).text
    assert "defaults:\n  conv: {bias: false}" in text
    assert "shortcut: []" in text            # the downsampling branch is a block parameter
    assert "- add:\n          - $shortcut" in text
    assert "name: layer2.0" in text and "name: fc" in text


# --- ONNX graphs written by hand: every padding form, patterns, errors ---------------------------

def _model(nodes: list[Any], inits: list[Any], shape: list[Any], out: str = "y",
           opset: int = 17, inputs: list[Any] | None = None) -> Any:
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape),
                     *(inputs or [])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _weight(name: str, *dims: int) -> Any:
    import numpy as np

    return onnx.numpy_helper.from_array(np.zeros(dims, np.float32), name)


def _ints(name: str, values: list[int]) -> Any:
    import numpy as np

    return onnx.numpy_helper.from_array(np.array(values, np.int64), name)


def _save(model: Any, tmp_path: Path, name: str = "m.onnx") -> str:
    path = tmp_path / name
    onnx.save(model, str(path))
    return str(path)


CONV_PADDINGS = [
    ({"pads": [1, 1, 1, 1]}, 1, (8, 16, 16)),
    ({"pads": [0, 1, 2, 3]}, [[0, 2], [1, 3]], (8, 16, 18)),
    ({"auto_pad": "SAME_UPPER", "strides": [2, 2]}, "same_tf", (8, 8, 8)),
    ({"auto_pad": "SAME_LOWER", "strides": [2, 2]}, [[1, 0], [1, 0]], (8, 8, 8)),
    ({"auto_pad": "VALID"}, None, (8, 14, 14)),
]


@pytest.mark.parametrize(("attrs", "padding", "shape"), CONV_PADDINGS)
def test_conv_padding_forms(attrs: dict[str, Any], padding: Any, shape: tuple[int, ...],
                            tmp_path: Path) -> None:
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], **attrs)
    model = _model([node], [_weight("w", 8, 3, 3, 3), _weight("b", 8)], [1, 3, 16, 16])
    imported = read(_save(model, tmp_path))
    (op,) = imported.ops
    assert op.kind == "conv" and op.attrs.get("padding") == padding and op.params == 8 * 27 + 8
    result = import_model(_save(model, tmp_path))
    assert analyze(result.graph).output_shape.dims == shape


def test_pad_node_before_a_conv_and_pools(tmp_path: Path) -> None:
    nodes = [helper.make_node("Pad", ["x", "pads"], ["p"], mode="constant"),
             helper.make_node("Conv", ["p", "w"], ["c"], kernel_shape=[3, 3]),
             helper.make_node("MaxPool", ["c"], ["m"], kernel_shape=[3, 3], strides=[2, 2],
                              ceil_mode=1),
             helper.make_node("AveragePool", ["m"], ["a"], kernel_shape=[2, 2],
                              pads=[1, 1, 1, 1], count_include_pad=0),
             helper.make_node("GlobalAveragePool", ["a"], ["g"]),
             helper.make_node("Flatten", ["g"], ["y"], axis=1)]
    model = _model(nodes, [_ints("pads", [0, 0, 2, 1, 0, 0, 0, 1]), _weight("w", 4, 3, 3, 3)],
                   [1, 3, 10, 10])
    ops = read(_save(model, tmp_path)).ops
    assert [o.kind for o in ops] == ["pad", "conv", "maxpool", "avgpool", "global_avgpool",
                                     "flatten"]
    assert ops[0].attrs == {"padding": [[2, 0], [1, 1]]}
    assert ops[2].attrs == {"kernel": 3, "stride": 2, "ceil_mode": True}
    assert ops[3].attrs["count_include_pad"] is False
    report = analyze(import_model(_save(model, tmp_path)).graph)
    assert report.output_shape.dims == (4,)


def test_reduce_mean_lrn_resize_slice_concat_add(tmp_path: Path) -> None:
    import numpy as np

    scales = onnx.numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    nodes = [helper.make_node("LRN", ["x"], ["l"], size=5, alpha=2e-4),
             helper.make_node("Resize", ["l", "", "scales"], ["r"], mode="nearest"),
             helper.make_node("Slice", ["r", "starts", "ends", "axes"], ["s"]),
             helper.make_node("Relu", ["s"], ["s2"]),
             helper.make_node("Concat", ["s", "s2"], ["c"], axis=1),
             helper.make_node("Add", ["c", "c"], ["a"]),
             helper.make_node("ReduceMean", ["a", "raxes"], ["y"], keepdims=0)]
    model = _model(nodes, [scales, _ints("starts", [1, 1]), _ints("ends", [-1, 15]),
                           _ints("axes", [2, 3]), _ints("raxes", [2, 3])], [1, 3, 8, 8],
                   opset=18)
    ops = read(_save(model, tmp_path)).ops
    assert [o.kind for o in ops] == ["lrn", "upsample", "crop", "relu", "concat", "add",
                                     "global_avgpool", "flatten"]
    assert ops[0].attrs == {"size": 5, "alpha": 0.0002}
    assert ops[1].attrs == {"scale": 2}
    assert ops[2].attrs == {"border": 1}
    assert analyze(import_model(_save(model, tmp_path)).graph).output_shape.dims == (6,)


def test_silu_and_a_separate_bias(tmp_path: Path) -> None:
    nodes = [helper.make_node("Flatten", ["x"], ["f"]),
             helper.make_node("MatMul", ["f", "w"], ["m"]),
             helper.make_node("Add", ["m", "b"], ["z"]),
             helper.make_node("Sigmoid", ["z"], ["s"]),
             helper.make_node("Mul", ["z", "s"], ["y"])]
    model = _model(nodes, [_weight("w", 12, 5), _weight("b", 5)], [1, 3, 2, 2])
    ops = read(_save(model, tmp_path)).ops
    assert [(o.kind, o.params) for o in ops] == [("flatten", None), ("linear", 65),
                                                 ("silu", None)]


def test_weights_as_graph_inputs_and_symbolic_batch(tmp_path: Path) -> None:
    node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[1, 1])
    model = _model([node], [], ["N", 3, 4, 4],
                   inputs=[helper.make_tensor_value_info("w", TensorProto.FLOAT, [2, 3, 1, 1])])
    imported = read(_save(model, tmp_path))
    assert imported.input_shape == (3, 4, 4) and imported.ops[0].params == 6


def test_symbolic_size_needs_input(tmp_path: Path) -> None:
    node = helper.make_node("Relu", ["x"], ["y"])
    path = _save(_model([node], [], [1, 3, "H", "W"]), tmp_path)
    with pytest.raises(SpecError, match=r"symbolic size 'H'.*--input"):
        read(path)
    assert read(path, input_shape=(3, 32, 32)).input_shape == (3, 32, 32)


def test_unsupported_op_names_node_type_and_place(tmp_path: Path) -> None:
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="act"),
             helper.make_node("Transpose", ["r"], ["y"], name="swap", perm=[0, 2, 1, 3])]
    with pytest.raises(SpecError) as info:
        read(_save(_model(nodes, [], [1, 3, 4, 4]), tmp_path))
    assert "node 1 'swap' (Transpose): cnncalc cannot represent Transpose" in str(info.value)


def test_shapes_and_parameters_are_checked_against_the_source(monkeypatch: Any) -> None:
    """A layer whose shape or parameter count disagrees with what the file states is an
    error naming it, not a guess."""
    import cnncalc.importers as importers
    from cnncalc.importers.ir import Imported, Op

    def fake(shape: tuple[int, ...], params: int) -> Imported:
        op = Op("c", "conv", {"out": 2, "kernel": 3}, origin="node 0 'c' (Conv)",
                shape=shape, params=params)
        return Imported("m", (3, 8, 8), (op,), "m.onnx", "ONNX")

    monkeypatch.setattr(importers, "read", lambda *a, **k: fake((2, 7, 7), 56))
    with pytest.raises(SpecError, match="node 0 'c' \\(Conv\\): cnncalc computes 2×6×6"):
        import_model("m.onnx")
    monkeypatch.setattr(importers, "read", lambda *a, **k: fake((2, 6, 6), 54))
    with pytest.raises(SpecError, match="weights hold 54 parameters"):
        import_model("m.onnx")
    monkeypatch.setattr(importers, "read", lambda *a, **k: fake((2, 6, 6), 56))
    assert import_model("m.onnx").graph.nodes[0].name == "c"


def test_large_weights_are_never_read(tmp_path: Path) -> None:
    """The walk copies only small initializers: a model whose weights are garbage bytes (or
    absent: missing external data) imports the same."""
    path = _export("lenet5", tmp_path, weights="zeros")
    data = bytearray(path.read_bytes())
    model = onnx.load(str(path))
    big = next(t for t in model.graph.initializer if len(t.raw_data) > KEEP_BYTES)
    at = data.find(big.raw_data)
    data[at:at + len(big.raw_data)] = b"\xff" * len(big.raw_data)
    path.write_bytes(bytes(data))
    assert analyze(import_model(str(path)).graph).totals.params == 61706


# --- hostile files -----------------------------------------------------------------------------

HOSTILE: list[tuple[str, Callable[[Path], bytes], str]] = [
    ("empty", lambda p: b"", "empty"),
    ("text", lambda p: b"name: not onnx\nlayers: []\n", "not a readable ONNX model"),
    ("random", lambda p: bytes(range(256)) * 40, "not a readable ONNX model"),
    ("truncated", lambda p: _export("alexnet", p, "zeros").read_bytes()[:300_000],
     "truncated"),
    ("no graph", lambda p: helper.make_model(helper.make_graph([], "g", [], [])).
     SerializeToString()[:4], "not"),
]


@pytest.mark.parametrize(("label", "make", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_onnx_files(label: str, make: Callable[[Path], bytes], message: str,
                            tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(make(tmp_path))
    result = cli("summary", str(path))
    assert result.code == 1, result
    assert message in result.err and "Traceback" not in result.err


def test_protobuf_bomb_is_refused_before_parsing(tmp_path: Path, cli: Any) -> None:
    """Millions of empty nodes: two bytes each on disk, hundreds in memory once parsed."""
    from cnncalc.importers.onnx_wire import _message

    graph = bytearray(b"\x0a\x00" * 3_000_000)   # GraphProto.node, empty, 3 million times
    model = bytearray(b"\x08\x08")                # ir_version 8
    _message(model, 7, graph)
    path = tmp_path / "bomb.onnx"
    path.write_bytes(bytes(model))
    result = cli("summary", str(path))
    assert result.code == 1 and "more than 1,000,000 nodes" in result.err


# --- Caffe ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fixture", "bundled"), [
    ("bvlc_alexnet", "alexnet"), ("bvlc_reference_caffenet", "alexnet"),
    ("bvlc_googlenet", "googlenet")])
def test_bvlc_deploy_files_match_the_bundled_specs(fixture: str, bundled: str) -> None:
    """CaffeNet is AlexNet with pooling before normalisation: the same parameters and MACs."""
    got = analyze(import_model(str(MODELS / f"{fixture}.deploy.prototxt")).graph)
    expected = cnncalc.load(bundled).summary()
    assert (got.totals.params, got.totals.macs) == (expected.totals.params,
                                                     expected.totals.macs)
    assert got.output_shape == expected.output_shape


def test_caffe_names_and_rounding() -> None:
    result = import_model(str(MODELS / "bvlc_googlenet.deploy.prototxt"))
    assert "maxpool: {ceil_mode: caffe}" in result.text
    assert "name: conv1.7x7_s2" in result.text
    assert "batch 10 in the file" in result.text


OLD_STYLE = """name: "old"
input: "data"
input_dim: 1
input_dim: 3
input_dim: 32
input_dim: 32
layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
  convolution_param { num_output: 8 kernel_size: 3 pad: 1 } }
layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" }
layers { name: "pool1" type: POOLING bottom: "conv1" top: "pool1"
  pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layers { name: "bn" type: BATCHNORM bottom: "pool1" top: "pool1" }
layers { name: "fc" type: INNER_PRODUCT bottom: "pool1" top: "fc"
  inner_product_param { num_output: 10 } }
"""


def test_old_layers_form(tmp_path: Path) -> None:
    path = tmp_path / "old.prototxt"
    path.write_text(OLD_STYLE.replace('layers { name: "bn" type: BATCHNORM bottom: "pool1" '
                                      'top: "pool1" }\n', ""))
    report = analyze(import_model(str(path)).graph)
    assert [r.kind for r in report.layers] == ["conv", "relu", "maxpool", "flatten", "linear"]
    assert report.totals.params == 8 * 27 + 8 + (8 * 16 * 16) * 10 + 10  # ceil: 32 → 16


def test_batchnorm_and_scale_are_one_affine_batch_norm(tmp_path: Path) -> None:
    path = tmp_path / "bn.prototxt"
    path.write_text('input: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n'
                    'layer { name: "bn" type: "BatchNorm" bottom: "data" top: "bn" }\n'
                    'layer { name: "sc" type: "Scale" bottom: "bn" top: "bn" '
                    'scale_param { bias_term: true } }\n')
    report = analyze(import_model(str(path)).graph)
    assert (report.totals.params, report.totals.buffers) == (6, 6)


@pytest.mark.parametrize(("text", "where", "message"), [
    ('name: "x"\nlayer {\n  name: "a"\n  typo: 3\n}\n', ":4:3:", "no field named \"typo\""),
    ('layer { name: "a" type: "Convolution"\n', ":1:25:", "Expected \"}\""),
    ('input: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n\nlayer { name: "w" '
     'type: "Reorg" bottom: "data" top: "w" }\n', ":4:1:", "cannot represent Caffe's Reorg"),
])
def test_prototxt_errors_are_located(text: str, where: str, message: str, tmp_path: Path,
                                     cli: Any) -> None:
    path = tmp_path / "bad.prototxt"
    path.write_text(text)
    result = cli("summary", str(path))
    assert result.code == 1 and "Traceback" not in result.err
    assert f"bad.prototxt{where}" in result.err and message in result.err, result.err


# --- every command reads model files ----------------------------------------------------------

def test_commands_take_model_files(tmp_path: Path, cli: Any) -> None:
    path = str(_export("resnet18", tmp_path))
    for args in (["summary", path], ["rf", path], ["check", path], ["graph", path],
                 ["diff", path, "resnet18"]):
        result = cli(*args)
        assert result.code == 0, (args, result.err)
    assert "11,689,512" in cli("summary", path).out
    out = tmp_path / "r18.yaml"
    result = cli("import", path, "-o", str(out))
    assert result.code == 0 and out.exists()
    assert cnncalc.load(str(out)).summary().totals.params == 11_689_512
    assert cli("import", path, "--flat").out.count("\n") > 60


def test_export_to_onnx_command(tmp_path: Path, cli: Any) -> None:
    out = tmp_path / "lenet.onnx"
    result = cli("export", "lenet5", "--to", "onnx", "-o", str(out), "--weights", "random")
    assert result.code == 0 and "61,706 parameters" in result.err
    onnx.checker.check_model(str(out))
    assert cli("export", "lenet5", "--to", "onnx").code == 2


def test_export_to_onnx_without_the_extra(tmp_path: Path, cli: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # as when cnncalc[onnx] is not installed
    result = cli("export", "lenet5", "--to", "onnx", "-o", str(tmp_path / "lenet.onnx"))
    assert result.code == 1
    assert result.err.strip() == ("error: [missing-extra] writing ONNX needs the onnx package: "
                                  "pip install 'cnncalc[onnx]'")


def test_is_model_file() -> None:
    assert is_model_file("a.onnx") and is_model_file("net.prototxt")
    assert is_model_file("torchvision.models:resnet18")
    assert not is_model_file("vgg16") and not is_model_file("specs/vgg16.yaml")


def test_docs_samples_are_what_import_writes(tmp_path: Path) -> None:
    """docs/import.md shows the AlexNet and ResNet-18 specs exactly as `cnncalc import`
    writes them."""
    from .conftest import ROOT

    doc = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in doc.split("```yaml\n")[1:]]
    alexnet = import_model(str(MODELS / "bvlc_alexnet.deploy.prototxt")).text
    resnet = import_model(str(_export("resnet18", tmp_path))).text
    assert blocks[0] == alexnet
    assert blocks[1] == resnet
    assert len(resnet.splitlines()) == 40


def test_every_layer_kind_exports_to_onnx_or_says_why() -> None:
    from cnncalc.export.onnx import UNSUPPORTED, missing_emitters
    from cnncalc.layers.base import kinds

    assert missing_emitters() == []
    assert set(UNSUPPORTED) <= set(kinds())


# --- no input makes an importer crash ----------------------------------------------------------

_LENET: bytes | None = None


def _lenet_bytes() -> bytes:
    global _LENET
    if _LENET is None:
        from cnncalc.export.onnx import to_model

        _LENET = to_model(cnncalc.load("lenet5"), weights="none").SerializeToString()
    return _LENET


@settings(max_examples=60)
@given(st.data())
def test_damaged_onnx_files_give_errors_not_tracebacks(tmp_path_factory: Any, data: Any) -> None:
    """A real model with bytes flipped, cut or inserted: an import or a SpecError, nothing
    else."""
    blob = bytearray(_lenet_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(blob) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            blob[at] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del blob[at:at + data.draw(st.integers(1, 64))]
        else:
            blob[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    path = tmp_path_factory.mktemp("fuzz") / "m.onnx"
    path.write_bytes(bytes(blob))
    with contextlib.suppress(SpecError):
        import_model(str(path))


@settings(max_examples=60)
@given(st.text(alphabet=st.sampled_from(list('layer{}:"name type bottom top convolution_param '
                                              'num_output kernel_size 0123456789#\n')),
               max_size=300))
def test_random_prototxt_gives_errors_not_tracebacks(tmp_path_factory: Any, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "m.prototxt"
    path.write_text(text)
    with contextlib.suppress(SpecError):
        import_model(str(path))


def test_missing_external_data(tmp_path: Path) -> None:
    """Weights saved beside the model (model.onnx.data, as PyTorch's exporter does) and not
    copied: the graph imports all the same."""
    from cnncalc.export.onnx import to_model

    model = to_model(cnncalc.load("alexnet"), weights="zeros")
    path = tmp_path / "alexnet.onnx"
    onnx.save(model, str(path), save_as_external_data=True, location="alexnet.onnx.data")
    (tmp_path / "alexnet.onnx.data").unlink()
    assert path.stat().st_size < 100_000
    assert analyze(import_model(str(path)).graph).totals.params == 60_965_224
