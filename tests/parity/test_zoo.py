"""Every bundled spec, exported with ``cnncalc export --to pytorch``, against PyTorch itself:
each layer's output shape, the parameter count and the conv/linear FLOPs counted by
``torch.utils.flop_counter.FlopCounterMode`` equal cnncalc's numbers exactly."""

from __future__ import annotations

from typing import Any

import pytest

import cnncalc
from cnncalc.export.pytorch import build_module, layer_output_shapes

from ..conftest import SPECS
from ._torch import import_torch

torch = import_torch()
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

BUNDLED = sorted(p.stem for p in SPECS.glob("*.yaml"))


def run(module: Any, report: cnncalc.Report, batch: int = 1) -> tuple[dict[str, Any], int]:
    x = torch.randn(batch, *report.input_shape.dims)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        shapes = layer_output_shapes(module.eval(), x)
    return shapes, counter.get_total_flops()


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_spec_matches_pytorch(name: str) -> None:
    report = cnncalc.load(name).summary()
    module = build_module(name)
    assert sum(p.numel() for p in module.parameters()) == report.totals.params
    assert sum(p.numel() for p in module.parameters() if p.requires_grad) == \
        report.totals.trainable_params
    buffers = sum(b.numel() for n, b in module.named_buffers()
                  if not n.endswith("num_batches_tracked"))
    assert buffers == report.totals.buffers
    shapes, flops = run(module, report)
    assert flops == report.totals.flops
    expected = {r.name: (1, *r.output_shape.dims) for r in report.layers}
    assert shapes == expected


def test_forward_hooks_see_the_same_shapes() -> None:
    report = cnncalc.load("googlenet_torchvision").summary()
    module = build_module("googlenet_torchvision").eval()
    seen: dict[str, tuple[int, ...]] = {}
    for layer, attribute in module.cnncalc_layers.items():
        if attribute is not None:
            module.get_submodule(attribute).register_forward_hook(
                lambda m, i, o, layer=layer: seen.__setitem__(layer, tuple(o.shape)))
    with torch.no_grad():
        module(torch.randn(2, 3, 224, 224))
    modules = {r.name for r in report.layers if module.cnncalc_layers[r.name]}
    assert seen == {r.name: (2, *r.output_shape.dims) for r in report.layers if r.name in modules}


def test_googlenet_torchvision_export_has_the_published_parameter_count() -> None:
    module = build_module(SPECS / "googlenet_torchvision.yaml")
    assert sum(p.numel() for p in module.parameters()) == 6_624_904


def test_frozen_layers_stay_frozen() -> None:
    spec = ("input: [3, 16, 16]\nlayers:\n  - conv: {out: 8, kernel: 3, trainable: false}\n"
            "  - batchnorm: {trainable: false}\n  - relu\n  - global_avgpool\n  - flatten\n"
            "  - linear: {out: 4}\n")
    report = cnncalc.parse(spec).summary()
    module = build_module(cnncalc.parse(spec))
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    assert trainable == report.totals.trainable_params == 36
    assert sum(p.numel() for p in module.parameters()) == report.totals.params
