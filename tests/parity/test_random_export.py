"""Random single layers through ``cnncalc export --to pytorch``: wherever cnncalc accepts a layer,
the exported module runs in PyTorch and its output shape, parameter count and conv/linear FLOPs
equal cnncalc's — including what PyTorch has no direct argument for (asymmetric and TensorFlow
'same' padding, Caffe's ceil rule, crops, locally connected layers)."""

from __future__ import annotations

import random
import warnings
from typing import Any

import cnncalc
from cnncalc.export.pytorch import ExportError, build_module, layer_output_shapes

from ._torch import import_torch

torch = import_torch()
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

SEED = 7
CASES = 400


def _axes(rng: random.Random, rank: int, low: int, high: int) -> int | list[int]:
    if rank > 1 and rng.random() < 0.3:
        return [rng.randint(low, high) for _ in range(rank)]
    return rng.randint(low, high)


def _padding(rng: random.Random, rank: int, words: tuple[str, ...], high: int = 3) -> Any:
    roll = rng.random()
    if roll < 0.25 and words:
        return rng.choice(words)
    if roll < 0.5:
        return [[rng.randint(0, high), rng.randint(0, high)] for _ in range(rank)]
    return _axes(rng, rank, 0, high)


def random_layer(rng: random.Random, rank: int, channels: int) -> dict[str, Any]:
    kind = rng.choice(["conv", "conv", "conv_transpose", "maxpool", "avgpool", "lppool",
                       "locally_connected", "upsample", "pad", "crop", "adaptive_avgpool",
                       "adaptive_maxpool", "global_avgpool", "global_maxpool"])
    a: dict[str, Any] = {}
    if kind in ("conv", "conv_transpose", "locally_connected"):
        a["out"] = rng.choice([1, 2, 4])
        a["kernel"] = _axes(rng, rank, 1, 4)
        a["stride"] = _axes(rng, rank, 1, 3)
        if rng.random() < 0.3:
            a["dilation"] = _axes(rng, rank, 1, 2)
        if kind == "conv":
            a["padding"] = _padding(rng, rank, ("same", "same_tf", "valid", "full"))
            if channels % 2 == 0 and rng.random() < 0.3:
                a["groups"] = 2
                a["out"] = 2 * a["out"]
        elif kind == "conv_transpose":
            a["padding"] = _padding(rng, rank, ())
            a["output_padding"] = rng.randint(0, 1)
        else:
            a["padding"] = _padding(rng, rank, ("valid", "same_tf"))
        a["bias"] = rng.random() < 0.7
    elif kind in ("maxpool", "avgpool", "lppool"):
        a["kernel"] = _axes(rng, rank, 1, 4)
        if rng.random() < 0.7:
            a["stride"] = _axes(rng, rank, 1, 3)
        if kind != "lppool":
            a["padding"] = _padding(rng, rank, ("valid", "same_tf"), 1)
        a["ceil_mode"] = rng.choice([False, True, "caffe"])
        if kind == "maxpool" and rng.random() < 0.3:
            a["dilation"] = _axes(rng, rank, 1, 2)
    elif kind == "upsample":
        a["mode"] = rng.choice(["nearest", "linear"])
        if rng.random() < 0.5:
            a["scale"] = rng.choice([0.5, 1.5, 2, 3])
        else:
            a["size"] = _axes(rng, rank, 1, 12)
    elif kind == "pad":
        a["mode"] = rng.choice(["constant", "reflect", "replicate", "circular"])
        a["padding"] = _padding(rng, rank, (), 2)
    elif kind == "crop":
        if rng.random() < 0.5:
            a["size"] = _axes(rng, rank, 1, 6)
            a["anchor"] = rng.choice(["center", "start"])
        else:
            a["border"] = _padding(rng, rank, (), 2)
    elif kind.startswith("adaptive"):
        a["output"] = _axes(rng, rank, 1, 4)
    return {kind: a} if a else {kind: None}


def random_spec(rng: random.Random) -> dict[str, Any]:
    rank = rng.randint(1, 3)
    channels = rng.choice([1, 2, 4])
    spatial = [rng.randint(2, (16, 10, 6)[rank - 1]) for _ in range(rank)]
    layers: list[Any] = [random_layer(rng, rank, channels)]
    if rng.random() < 0.5:
        layers.append(rng.choice([{"relu": {"inplace": True}}, "batchnorm", "sigmoid",
                                  {"leaky_relu": {"negative_slope": 0.2}}, "dropout"]))
    if rng.random() < 0.3:
        layers += ["flatten", {"linear": {"out": 3}}]
    return {"name": "random", "input": [channels, *spatial], "layers": layers}


def test_random_layers_export_and_agree() -> None:
    rng = random.Random(SEED)
    exported = refused = 0
    problems = []
    for _ in range(CASES):
        spec = random_spec(rng)
        network = cnncalc.load(spec)
        try:
            report = network.summary()
        except cnncalc.SpecError:
            continue  # cnncalc refuses: tests/parity/test_random_layers.py covers refusals
        try:
            module = build_module(network).eval()
        except ExportError:
            refused += 1  # documented: docs/export.md, "What cannot be exported"
            continue
        x = torch.randn(2, *report.input_shape.dims)
        with torch.no_grad(), FlopCounterMode(display=False) as counter, \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shapes = layer_output_shapes(module, x)
        expected = {r.name: (2, *r.output_shape.dims) for r in report.layers}
        params = sum(p.numel() for p in module.parameters())
        got = (shapes, params, counter.get_total_flops())
        want = (expected, report.totals.params, 2 * report.totals.flops)  # batch 2
        if got != want:
            problems.append(f"{spec['input']} {spec['layers']}: PyTorch {got}, cnncalc {want}")
        exported += 1
    assert exported >= CASES // 2 and refused < exported // 10
    assert not problems, f"{len(problems)} of {exported}:\n" + "\n".join(problems[:10])
