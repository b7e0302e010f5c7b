"""Issue 14's round trip: every bundled spec → `export --to pytorch` → ONNX → `import` gives the
same parameters, MACs and shapes. Both of PyTorch's exporters: the legacy TorchScript one
(constant folding off, so batch norm stays a node) and the default torch.export one, which folds
batch norm into the convolutions before it: there the import must give exactly the folded count
and say so."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import cnncalc
from cnncalc.analysis.report import Report
from cnncalc.analysis.walk import analyze
from cnncalc.importers import import_model

from ..conftest import ROUND_TRIP
from ._torch import import_torch

BUNDLED = ROUND_TRIP
WEIGHTED = ("conv", "conv_transpose", "linear", "locally_connected")
_MODULES: dict[str, Any] = {}


def _module(name: str) -> Any:
    """The exported PyTorch module of a bundled spec (built once for both exporters)."""
    if name not in _MODULES:
        _MODULES.clear()
        from cnncalc.export.pytorch import build_module

        torch = import_torch()
        module = build_module(name).eval()
        with torch.no_grad():  # trained-looking statistics: a folded shift is not all zeros
            for sub in module.modules():
                if isinstance(sub, torch.nn.modules.batchnorm._BatchNorm):
                    sub.running_mean.uniform_(-1, 1)
                    sub.running_var.uniform_(0.5, 2)
                    if sub.affine:
                        sub.bias.uniform_(-1, 1)
        _MODULES[name] = module
    return _MODULES[name]


def _sample(name: str) -> Any:
    torch = import_torch()
    return torch.randn(1, *cnncalc.load(name).input_shape.dims)


def _weighted_shapes(report: Report) -> Counter[tuple[str, tuple[int, ...]]]:
    return Counter((r.kind, r.output_shape.dims) for r in report.layers if r.kind in WEIGHTED)


def _folded(report: Report) -> tuple[int, int]:
    """Parameters of the network with every batch norm that directly follows a convolution
    folded into it (the conv gains a bias if it had none), and how many were folded."""
    by_name = {r.name: r for r in report.layers}
    readers = Counter(src for r in report.layers for src in r.inputs)
    params, folded = report.totals.params, 0
    for r in report.layers:
        if r.kind != "batchnorm" or len(r.inputs) != 1:
            continue
        conv = by_name.get(r.inputs[0])
        if conv is None or conv.kind != "conv" or readers[conv.name] != 1:
            continue
        folded += 1
        channels = r.output_shape.channels
        params -= r.weights + r.bias
        if conv.bias == 0:
            params += channels
    return params, folded


@pytest.mark.parametrize("name", BUNDLED)
def test_legacy_exporter_round_trip(name: str, tmp_path: Path) -> None:
    torch = import_torch()
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(_module(name), (_sample(name),), str(path), dynamo=False,
                          do_constant_folding=False, export_params=False)
    expected = cnncalc.load(name).summary()
    result = import_model(str(path))
    got = analyze(result.graph)
    assert (got.totals.params, got.totals.macs) == (expected.totals.params,
                                                     expected.totals.macs)
    assert got.output_shape == expected.output_shape
    assert _weighted_shapes(got) == _weighted_shapes(expected)
    assert not result.warnings


@pytest.mark.parametrize("name", BUNDLED)
def test_default_exporter_round_trip(name: str, tmp_path: Path) -> None:
    """The default exporter's file with its weights left outside (a missing external data
    file, as when model.onnx.data was not copied): the import never needs them."""
    torch = import_torch()
    import onnx_ir as ir

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(_module(name), (_sample(name),), dynamo=True,
                                    verbose=False)
    for key, value in program.model.graph.initializers.items():
        tensor = value.const_value
        if tensor is not None and tensor.nbytes > 4096:
            value.const_value = ir.ExternalTensor(
                f"{name}.onnx.data", 0, tensor.nbytes, tensor.dtype, shape=tensor.shape,
                name=key, base_dir=str(tmp_path))
    path = tmp_path / f"{name}.onnx"
    program.save(str(path), include_initializers=True, external_data=False)
    assert not (tmp_path / f"{name}.onnx.data").exists()
    expected = cnncalc.load(name).summary()
    params, folded = _folded(expected)
    result = import_model(str(path))
    got = analyze(result.graph)
    assert (got.totals.params, got.totals.macs) == (params, expected.totals.macs)
    assert got.output_shape == expected.output_shape
    assert _weighted_shapes(got) == _weighted_shapes(expected)
    folding = [w for w in result.warnings if "batch norm folded" in w]
    if folded:
        assert folding and f"into {folded} convolution" in folding[0]
    else:
        assert not folding


def test_legacy_constant_folding_is_reported(tmp_path: Path) -> None:
    """The legacy exporter's constant folding merges batch norm into the convolution without
    saying so; the import says it probably did."""
    torch = import_torch()
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, bias=False), torch.nn.BatchNorm2d(8),
                                 torch.nn.ReLU()).eval()
    path = tmp_path / "folded.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.randn(1, 3, 8, 8),), str(path), dynamo=False,
                          do_constant_folding=True)
    result = import_model(str(path))
    assert analyze(result.graph).totals.params == 8 * 27 + 8
    assert any("batch norm was probably folded" in w for w in result.warnings)


SMALL = {
    "gates": "- conv: {out: 16, kernel: 3}\n"
             "- mul: [[], [global_avgpool, conv: {out: 4, kernel: 1}, relu, "
             "conv: {out: 16, kernel: 1}, hardsigmoid]]\n"
             "- mish\n- add: [[], [layer_scale, stochastic_depth: {p: 0.2}]]\n"
             "- add: [[], [global_avgpool]]\n",
    "norms": "- groupnorm: {groups: 4}\n- instancenorm: {affine: true}\n- instancenorm\n"
             "- groupnorm: {groups: 2, affine: false, eps: 1.0e-3}\n- relu\n"
             "- layernorm: {eps: 1.0e-6}\n- relu\n- layernorm: {bias: false}\n",
    "rearranged": "- concat: [[split: {parts: 2, take: 1}], [split: {parts: [2, 6]}], "
                  "[split: {parts: 4, take: 3}]]\n- channel_shuffle: {groups: 2}\n"
                  "- conv: {out: 8, kernel: 1}\n- pixel_shuffle: {factor: 2}\n"
                  "- pixel_unshuffle: {factor: 2}\n",
    "flat": "- flatten\n- layernorm\n- linear: {out: 12}\n- layernorm: {affine: false}\n"
            "- layer_scale\n- dropout: {inplace: true}\n",
}
"""Small networks with every layer kind issue 13 added, in the forms PyTorch's exporters write
(a group norm right after a channels-first layer norm is left out: the legacy exporter misreads
that layer norm's output shape itself and fails)."""


def _small(name: str) -> Any:
    return cnncalc.parse(f"name: {name}\ninput: [8, 6, 6]\nlayers:\n" +
                         "\n".join(f"  {line}" for line in SMALL[name].splitlines()) + "\n")


def _comparable(report: Report) -> tuple[Any, ...]:
    kinds = Counter((r.kind, r.output_shape.dims) for r in report.layers
                    if r.kind not in ("identity", "stochastic_depth", "dropout"))
    return (report.totals.params, report.totals.macs, report.output_shape, kinds)


@pytest.mark.parametrize("exporter", ["legacy", "default"])
@pytest.mark.parametrize("name", sorted(SMALL))
def test_new_kinds_from_both_exporters(name: str, exporter: str, tmp_path: Path) -> None:
    """Every kind of issue 13 read back from each exporter's form: the same layers, shapes,
    parameters (a norm without affine counts none: its ONNX scale is a constant) and MACs."""
    torch = import_torch()
    from cnncalc.export.pytorch import build_module

    network = _small(name)
    module = build_module(network).eval()
    sample = torch.randn(1, *network.input_shape.dims)
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "legacy":
            torch.onnx.export(module, (sample,), str(path), dynamo=False,
                              do_constant_folding=False, export_params=False)
        else:
            torch.onnx.export(module, (sample,), dynamo=True, verbose=False).save(str(path))
    result = import_model(str(path))
    assert _comparable(analyze(result.graph)) == _comparable(network.summary())
    assert not result.warnings
