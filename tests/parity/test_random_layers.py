"""Thousands of random single layers: cnncalc's output shape, or its refusal (ShapeError or an
attribute error), agrees with what PyTorch does with the same layer on a real tensor.

The cases come from a seeded generator (``SEED``), so every run checks the same cases; sizes
are small and deliberately close to the kernels, where the rules have their edges: kernels
larger than the padded input, padding over half the kernel, ceil_mode's last window, output
padding against stride and dilation, groups that do not divide, scales that round to zero.
A disagreement is a bug in cnncalc/core/arith.py (fix it there, citing PyTorch's source, and
add the case to tests/test_arith.py).
"""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass
from typing import Any

import pytest

from cnncalc.layers.base import lookup
from cnncalc.model.errors import CnncalcError
from cnncalc.model.shape import Shape

from ._torch import import_torch

torch = import_torch()
nn = torch.nn

SEED = 20240607
COUNTS = {"conv": 1500, "conv_transpose": 1200, "maxpool": 1200, "avgpool": 900,
          "lppool": 300, "adaptive_avgpool": 250, "adaptive_maxpool": 250, "upsample": 400}
"""Cases per kind (6,000 in all), each spread over 1-, 2- and 3-D inputs."""


@dataclass(frozen=True)
class Case:
    kind: str
    channels: int
    spatial: tuple[int, ...]
    attrs: dict[str, Any]

    def __str__(self) -> str:
        shown = ", ".join(f"{k}: {v}" for k, v in self.attrs.items())
        return f"{self.kind} {{{shown}}} on {self.channels}×{'×'.join(map(str, self.spatial))}"


def _axes(rng: random.Random, rank: int, low: int, high: int) -> int | list[int]:
    """One value for every axis, or (a third of the time) one per axis."""
    if rank > 1 and rng.random() < 1 / 3:
        return [rng.randint(low, high) for _ in range(rank)]
    return rng.randint(low, high)


def _spatial(rng: random.Random, rank: int) -> tuple[int, ...]:
    high = (24, 14, 7)[rank - 1]
    return tuple(rng.randint(1, high) for _ in range(rank))


def generate(kind: str, rng: random.Random) -> Case:
    rank = rng.randint(1, 3)
    spatial = _spatial(rng, rank)
    attrs: dict[str, Any] = {}
    channels = rng.choice([1, 2, 3, 4, 6])
    if kind in ("conv", "conv_transpose"):
        groups = rng.choice([1, 1, 1, 2, 3])
        attrs["out"] = rng.choice([1, 2, 3, 4, 6])
        attrs["kernel"] = _axes(rng, rank, 1, 5)
        attrs["stride"] = _axes(rng, rank, 1, 4)
        attrs["dilation"] = _axes(rng, rank, 1, 3) if rng.random() < 0.4 else 1
        if groups > 1:
            attrs["groups"] = groups
        attrs["bias"] = rng.random() < 0.8
        if kind == "conv" and rng.random() < 0.15:
            attrs["padding"] = rng.choice(["same", "valid"])
        else:
            attrs["padding"] = _axes(rng, rank, 0, 4)
        if kind == "conv_transpose":
            attrs["output_padding"] = _axes(rng, rank, 0, 3) if rng.random() < 0.5 else 0
    elif kind in ("maxpool", "avgpool", "lppool"):
        attrs["kernel"] = _axes(rng, rank, 1, 5)
        if rng.random() < 0.7:
            attrs["stride"] = _axes(rng, rank, 1, 4)
        if kind != "lppool":
            attrs["padding"] = _axes(rng, rank, 0, 3)
        if kind == "maxpool" and rng.random() < 0.4:
            attrs["dilation"] = _axes(rng, rank, 1, 3)
        attrs["ceil_mode"] = rng.random() < 0.5
        if kind == "avgpool":
            attrs["count_include_pad"] = rng.random() < 0.5
        if kind == "lppool":
            attrs["norm"] = rng.choice([1, 2, 3])
    elif kind.startswith("adaptive"):
        attrs["output"] = _axes(rng, rank, 1, 9)
    elif kind == "upsample":
        modes = ["nearest", "linear"] + (["bicubic"] if rank == 2 else [])
        attrs["mode"] = rng.choice(modes)
        if attrs["mode"] != "nearest" and rng.random() < 0.5:
            attrs["align_corners"] = True
        if rng.random() < 0.3:
            attrs["size"] = _axes(rng, rank, 1, 20)
        elif rank > 1 and rng.random() < 0.3:
            attrs["scale"] = [rng.choice([0.25, 0.5, 1.5, 2, 3, 0.3, 1.7]) for _ in range(rank)]
        else:
            attrs["scale"] = rng.choice([0.1, 0.25, 0.3, 0.5, 1, 1.5, 1.7, 2, 2.5, 3, 4])
    return Case(kind, channels, spatial, attrs)


def cases() -> list[Case]:
    rng = random.Random(SEED)
    return [generate(kind, rng) for kind, count in COUNTS.items() for _ in range(count)]


def cnncalc_shape(case: Case) -> tuple[int, ...] | None:
    """cnncalc's output shape (channels first), or None where cnncalc refuses the layer."""
    cls = lookup(case.kind)
    assert cls is not None
    try:
        layer = cls.from_attrs(case.attrs)
        return layer.infer((Shape(case.channels, case.spatial),)).dims
    except CnncalcError:
        return None


_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


def torch_module(case: Case) -> Any:
    """The same layer built with torch.nn (independently of cnncalc's exporter)."""
    a = case.attrs
    rank = len(case.spatial)
    if case.kind in ("conv", "conv_transpose"):
        extra = {"output_padding": a["output_padding"]} if case.kind == "conv_transpose" else {}
        cls = getattr(nn, f"{'Conv' if case.kind == 'conv' else 'ConvTranspose'}{rank}d")
        return cls(case.channels, a["out"], a["kernel"], stride=a["stride"], padding=a["padding"],
                   dilation=a["dilation"], groups=a.get("groups", 1), bias=a["bias"], **extra)
    if case.kind == "maxpool":
        return getattr(nn, f"MaxPool{rank}d")(a["kernel"], a.get("stride"), a["padding"],
                                              a.get("dilation", 1), ceil_mode=a["ceil_mode"])
    if case.kind == "avgpool":
        return getattr(nn, f"AvgPool{rank}d")(a["kernel"], a.get("stride"), a["padding"],
                                              ceil_mode=a["ceil_mode"],
                                              count_include_pad=a["count_include_pad"])
    if case.kind == "lppool":
        return getattr(nn, f"LPPool{rank}d")(a["norm"], a["kernel"], a.get("stride"),
                                             ceil_mode=a["ceil_mode"])
    if case.kind == "adaptive_avgpool":
        return getattr(nn, f"AdaptiveAvgPool{rank}d")(a["output"])
    if case.kind == "adaptive_maxpool":
        return getattr(nn, f"AdaptiveMaxPool{rank}d")(a["output"])
    if case.kind == "upsample":
        mode = _LINEAR[rank] if a["mode"] == "linear" else a["mode"]
        align = a.get("align_corners", False) if mode != "nearest" else None
        scale = a.get("scale")
        return nn.Upsample(size=a.get("size"), scale_factor=tuple(scale) if isinstance(
            scale, list) else scale, mode=mode, align_corners=align)
    raise AssertionError(case.kind)


def _listed(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


EMPTY = (0,)
"""What :func:`torch_shape` returns for an output with a zero-size axis (see below)."""


def torch_shape(case: Case) -> tuple[int, ...] | None:
    """What PyTorch makes of the layer on a tensor of that shape: the output's shape (without
    the batch axis), None where it raises, or EMPTY where it returns an empty tensor."""
    attrs = {k: _listed(v) for k, v in case.attrs.items()}
    case = Case(case.kind, case.channels, case.spatial, attrs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = torch_module(case)
            y = module(torch.zeros(1, case.channels, *case.spatial))
    except (RuntimeError, ValueError, TypeError, IndexError):
        return None
    return EMPTY if 0 in y.shape else tuple(y.shape[1:])


def agree(case: Case, ours: tuple[int, ...] | None, theirs: tuple[int, ...] | None) -> bool:
    """cnncalc refuses a transposed convolution whose output size is 0 on some axis, as
    PyTorch's shape check does ("Output size is too small"); but some CPU kernels (chosen by
    batch size and groups) skip that check and return an empty tensor instead — see
    test_empty_transposed_convolution_output_depends_on_the_kernel. docs/export.md lists this
    difference."""
    if theirs == EMPTY:
        return ours is None and case.kind == "conv_transpose"
    return ours == theirs


ALL = cases()


@pytest.mark.parametrize("kind", list(COUNTS))
def test_random_layers_agree_with_pytorch(kind: str) -> None:
    torch.manual_seed(0)
    checked = refused = empty = 0
    disagreements = []
    with torch.no_grad():
        for case in (c for c in ALL if c.kind == kind):
            ours, theirs = cnncalc_shape(case), torch_shape(case)
            checked += 1
            refused += ours is None
            empty += theirs == EMPTY
            if not agree(case, ours, theirs):
                disagreements.append(f"{case}: cnncalc {ours or 'refuses'}, "
                                     f"PyTorch {theirs or 'refuses'}")
    assert checked == COUNTS[kind]
    if not kind.startswith("adaptive"):  # adaptive pooling accepts any positive size
        assert 0 < refused < checked  # the generator reaches both sides of the rules
    assert empty == 0 or kind == "conv_transpose"
    assert not disagreements, f"{len(disagreements)} of {checked}:\n" + "\n".join(
        disagreements[:15])


def test_empty_transposed_convolution_output_depends_on_the_kernel() -> None:
    # output (5−1)·1 − 2·4 + 3 + 1 = 0: PyTorch refuses it at batch 1 and returns an empty
    # tensor at batch 2 (another CPU kernel), so only refusing it is a rule; cnncalc refuses.
    layer = nn.ConvTranspose1d(1, 1, 4, padding=4)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        layer(torch.zeros(1, 1, 5))
    assert tuple(layer(torch.zeros(2, 1, 5)).shape) == (2, 1, 0)
    case = Case("conv_transpose", 1, (5,), {"out": 1, "kernel": 4, "padding": 4})
    assert cnncalc_shape(case) is None
