"""The bundled specs of "Today's CNNs" against plain-PyTorch rewrites of the torchvision networks
they describe (tests/reference_nets.py; torchvision itself cannot be imported here): the same
parameters, the same MACs (FlopCounterMode), the same output shape for every module torchvision
has (matched by name), and the same bytes kept for the backward pass in training.

The full-size totals are in tests/test_specs.py (against ../shared/reference.md); here the
comparison runs at a smaller input, where it is cheap enough for every CI run and checks that the
specs follow the networks at any size, not only at the one published."""

from __future__ import annotations

import re
from typing import Any

import pytest

import cnncalc
from cnncalc.analysis.memory import MemoryConfig

from ._torch import import_torch

torch = import_torch()
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from ..reference_nets import NETWORKS  # noqa: E402
from ..test_memory_accuracy import bench  # noqa: E402

SIZE = {"inception_v3": 75}
"""The input side each network is compared at (default 64; Inception-v3 needs at least 75)."""

CHANNELS_LAST = {"convnext_tiny": re.compile(r"\.block\.[2-5]$")}
"""Modules that run on channels-last tensors in torchvision (ConvNeXt's block between its
Permutes: LayerNorm, Linear, GELU, Linear); cnncalc's layers give the channels-first shape."""


def reference(name: str, side: int) -> Any:
    with torch.device("meta"):
        module = NETWORKS[name][0]()
    return module.to_empty(device="cpu"), (3, side, side)


def leaf_shapes(module: Any, x: Any) -> dict[str, tuple[int, ...]]:
    """Output shape of every module without children that runs in forward."""
    shapes: dict[str, tuple[int, ...]] = {}
    for name, sub in module.named_modules():
        if not list(sub.children()) and name:
            sub.register_forward_hook(
                lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape)))
    with torch.no_grad():
        module.eval()(x)
    return shapes


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_spec_matches_its_plain_pytorch_network(name: str) -> None:
    side = SIZE.get(name, 64)
    module, shape = reference(name, side)
    network = cnncalc.load(name)
    report = network.summary(shape)
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() for n, b in module.named_buffers()
                  if not n.endswith("num_batches_tracked"))
    assert report.totals.buffers == buffers

    x = torch.randn(1, *shape)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module.eval()(x)
    assert 2 * report.totals.macs == counter.get_total_flops()

    torch_shapes = leaf_shapes(module, x)
    ours = {r.name: (1, *r.output_shape.dims) for r in report.layers}
    channels_last = CHANNELS_LAST.get(name)
    unmatched = []
    for module_name, got in torch_shapes.items():
        if type(module.get_submodule(module_name)).__name__ == "Permute":
            continue  # a view: cnncalc's layers stay channels first
        if channels_last is not None and channels_last.search(module_name):
            got = (got[0], got[-1], *got[1:-1])
        if module_name not in ours:
            unmatched.append(module_name)
        else:
            assert ours[module_name] == got, module_name
    assert unmatched == [], f"torchvision modules without a layer of that name: {unmatched}"

    memory = network.summary(shape, batch=2, memory=MemoryConfig(device="cpu")).totals.memory
    assert memory is not None
    measured = bench.measure_saved_bytes(module, torch.randn(2, *shape))
    assert memory.activations_training_bytes == measured


def test_a_spec_with_every_new_construct_exports_exactly() -> None:
    """tests/kernel_specs/zoo_modern.yaml (every kind and construct of issue 13: includes, named
    inputs, shared weights, $in, repeats from 0...) as cnncalc exports it to PyTorch: the same
    parameters, MACs, shapes of every layer and bytes saved for backward."""
    from cnncalc.export.pytorch import build_module, layer_output_shapes

    from ..test_validate import ZOO

    network = cnncalc.load(ZOO / "zoo_modern.yaml")
    report = network.summary(batch=2, memory=MemoryConfig(device="cpu"))
    module = build_module(network)
    assert sum(p.numel() for p in module.parameters()) == report.totals.params
    assert sum(p.numel() for p in module.parameters() if p.requires_grad) == \
        report.totals.trainable_params
    inputs = [torch.randn(2, *shape.dims) for _, shape in report.sources]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        shapes = layer_output_shapes(module.eval(), *inputs)
    assert counter.get_total_flops() == report.totals.flops
    assert shapes == {r.name: (2, *r.output_shape.dims) for r in report.layers}

    state = {t.untyped_storage().data_ptr() for t in [*module.parameters(), *module.buffers()]}
    saved: dict[int, int] = {}

    def pack(tensor: Any) -> Any:
        ptr = tensor.untyped_storage().data_ptr()
        if ptr not in state:
            saved[ptr] = max(saved.get(ptr, 0), tensor.untyped_storage().nbytes())
        return tensor

    module.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        module(*inputs)
    assert report.totals.memory is not None
    assert report.totals.memory.activations_training_bytes == sum(saved.values())
