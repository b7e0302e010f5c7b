"""The PyTorch exporter without torch: every layer kind has an emitter, names become safe
identifiers, and the generated source is valid Python that keeps the spec's layer names.
(tests/parity/ builds and runs the modules where torch is installed.)"""

from __future__ import annotations

import ast
import keyword

import pytest

import cnncalc
from cnncalc.export import pytorch
from cnncalc.export.pytorch import ExportError, class_name, identifier, program, to_source
from cnncalc.layers.base import kinds

from .conftest import SPECS

BUNDLED = sorted(p.stem for p in SPECS.glob("*.yaml"))


def test_every_layer_kind_has_an_emitter() -> None:
    assert pytorch.missing_emitters() == []
    for cls in kinds().values():
        assert pytorch.emitter_for(cls) is not None, cls.kind


def test_an_emitter_is_registered_once() -> None:
    with pytest.raises(TypeError, match="already has a PyTorch emitter"):
        pytorch.emits(next(iter(kinds().values())))(lambda layer, site: None)


@pytest.mark.parametrize(("name", "expected"), [
    ("conv1", "conv1"),
    ("layer1.0.conv1", "layer1_0_conv1"),
    ("enc-1", "enc_1"),
    ("forward", "forward_"),       # would hide nn.Module.forward
    ("training", "training_"),
    ("x", "x_"),                   # the forward's own variable
    ("torch", "torch_"),
    ("class", "class_"),
    ("_modules", "layer_modules"),  # private nn.Module state
    ("1st", "layer_1st"),
])
def test_identifier(name: str, expected: str) -> None:
    assert identifier(name) == expected
    assert expected.isidentifier() and not keyword.iskeyword(expected)


def test_identifiers_are_unique_in_order() -> None:
    namer = pytorch._Namer()
    assert [namer.take(n) for n in ("a.b", "a_b", "a-b", "a.b2")] == ["a_b", "a_b_2", "a_b_3",
                                                                      "a_b2"]


@pytest.mark.parametrize(("name", "expected"), [
    ("ResNet-50 (torchvision v1.5)", "ResNet50TorchvisionV15"),
    ("VGG-16", "VGG16"),
    ("3d net", "Net3dNet"),
    ("", "Network"),
])
def test_class_name(name: str, expected: str) -> None:
    assert class_name(name) == expected


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_specs_export_to_valid_python(name: str) -> None:
    prog = program(name)
    tree = ast.parse(prog.source)
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert prog.class_name in classes
    report = cnncalc.load(name).summary()
    assert set(prog.layer_names) == {r.name for r in report.layers}
    assert len(prog.steps) == len(report.layers)
    assert f"{report.totals.params:,} parameters" in prog.source
    assert max(len(line) for line in prog.source.splitlines()) <= 100
    body = prog.source.split("import torch.nn.functional as F", 1)[-1]
    assert ("import torch.nn.functional as F" in prog.source) == ("F." in body)


def test_spec_text_cannot_inject_code() -> None:
    spec = ('name: "evil\\"\\"\\" + __import__(\'os\').system(\'x\') #\\nimport os"\n'
            'description: "\\"\\"\\"\\\\"\n'
            "input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3, name: self}\n"
            "  - relu: {name: return}\n")
    source = to_source(cnncalc.parse(spec))
    tree = ast.parse(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == "__import__"]
    assert calls == []
    assert "self.self_ = nn.Conv2d(3, 4, kernel_size=3)" in source
    assert "self.return_ = nn.ReLU()" in source


def test_golden_lenet5(golden) -> None:  # type: ignore[no-untyped-def]
    golden("export_lenet5.py.txt", to_source("lenet5"))


def test_golden_graph_features(golden) -> None:  # type: ignore[no-untyped-def]
    spec = """name: Graph features
input: [3, 20, 20]
layers:
  - conv: {out: 8, kernel: 3, padding: [[0, 1], [1, 2]], name: enc}
  - relu: {inplace: true}
  - maxpool: {kernel: 2, name: down}
  - add:
      - []
      - [conv: {out: 8, kernel: 3, padding: 1, bias: false}, batchnorm, relu: {inplace: true}]
  - conv_transpose: {out: 8, kernel: 2, stride: 2, padding: [[1, 0], [0, 0]], name: up}
  - crop: {like: up, inputs: enc, name: skip}
  - relu: {inplace: true, inputs: skip, name: skip_relu}
  - concat: {inputs: [skip_relu, up]}
  - maxpool: {kernel: 3, stride: 2, padding: same_tf}
  - upsample: {scale: 2, mode: linear}
  - pad: {padding: 1, mode: reflect}
  - locally_connected: {out: 2, kernel: 3}
  - global_avgpool
  - flatten
  - linear: {out: 3, trainable: false}
"""
    golden("export_graph.py.txt", to_source(cnncalc.parse(spec)))


def test_in_place_only_where_safe() -> None:
    spec = ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 1, name: a}\n"
            "  - relu: {inplace: true, name: r1}\n"          # a is read again below
            "  - relu: {inplace: true, inputs: a, name: r2}\n"
            "  - add: {inputs: [r1, r2]}\n")
    source = to_source(cnncalc.parse(spec))
    assert "self.r1 = nn.ReLU()  # inplace=False" in source
    assert "self.r2 = nn.ReLU()  # inplace=False" in source


def test_caffe_ceil_that_pytorch_cannot_express() -> None:
    # Caffe keeps a last window starting past the input when padding is 0 and stride > kernel
    spec = "input: [1, 7]\nlayers:\n  - maxpool: {kernel: 1, stride: 4, ceil_mode: caffe}\n"
    net = cnncalc.parse(spec, "net.yaml")
    assert net.summary().output_shape.spatial == (3,)
    with pytest.raises(ExportError, match=r"net\.yaml:3:5: .*Caffe's ceil rule"):
        to_source(net)


def test_lrn_on_a_flat_input_is_refused() -> None:
    net = cnncalc.parse("input: [16]\nlayers:\n  - lrn: {size: 3}\n")
    with pytest.raises(ExportError, match="LocalResponseNorm needs an input with spatial axes"):
        to_source(net)
