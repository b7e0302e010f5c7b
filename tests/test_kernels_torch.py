"""Every forward kernel against PyTorch (the optional ``torch`` extra) in float32, to 1e-5
relative: ``|actual − expected| ≤ 1e-5·(|expected| + max|expected|)``, the second term
covering entries that are sums of terms cancelling to nearly zero."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cnncalc.layers.activation import (
    ELU,
    GELU,
    Hardsigmoid,
    Hardswish,
    Identity,
    LeakyReLU,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from cnncalc.layers.base import Layer, kinds
from cnncalc.layers.branch import LayerScale, StochasticDepth
from cnncalc.layers.conv import Conv, ConvTranspose, LocallyConnected
from cnncalc.layers.dense import Flatten, Linear
from cnncalc.layers.merge import Add, Concat, Mul
from cnncalc.layers.norm import (
    BatchNorm,
    Dropout,
    GroupNorm,
    InstanceNorm,
    LayerNorm,
    LocalResponseNorm,
)
from cnncalc.layers.pool import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    GlobalAvgPool,
    GlobalMaxPool,
    LpPool,
    MaxPool,
)
from cnncalc.layers.rearrange import ChannelShuffle, PixelShuffle, PixelUnshuffle, Split
from cnncalc.layers.spatial import Crop, Pad, Upsample

from .kernel_cases import FAST, conv_axes, forward, make, pool_axes

torch = pytest.importorskip("torch")
from .torch_reference import torch_forward  # noqa: E402  (needs torch)

RTOL = 1e-5

# (layer class, attributes, input shapes (batch first)); one line per case
CASES: list[tuple[type[Layer], dict[str, Any], list[tuple[int, ...]]]] = [
    (Conv, {"out": 6, "kernel": 3, "stride": 2, "padding": 1}, [(2, 4, 11)]),
    (Conv, {"out": 8, "kernel": 3, "padding": 1}, [(2, 3, 9, 9)]),
    (Conv, {"out": 8, "kernel": 5, "stride": 2, "padding": 2, "bias": False}, [(1, 4, 13, 12)]),
    (Conv, {"out": 4, "kernel": 3, "dilation": 2, "padding": 2}, [(1, 3, 10, 10)]),
    (Conv, {"out": 6, "kernel": 3, "groups": 2, "padding": 1}, [(2, 4, 7, 7)]),
    (Conv, {"out": 8, "kernel": 3, "groups": 8, "stride": 2, "padding": 1}, [(1, 8, 9, 9)]),
    (Conv, {"out": 4, "kernel": [1, 7], "padding": [0, 3]}, [(1, 3, 6, 10)]),
    (Conv, {"out": 4, "kernel": 3, "padding": [[0, 1], [2, 0]]}, [(1, 2, 6, 7)]),
    (Conv, {"out": 4, "kernel": 4, "padding": "same"}, [(1, 2, 7, 7)]),
    (Conv, {"out": 4, "kernel": 7, "stride": 2, "padding": "same_tf"}, [(1, 3, 15, 16)]),
    (Conv, {"out": 4, "kernel": 1, "stride": 2}, [(2, 6, 7, 8)]),
    (Conv, {"out": 4, "kernel": 3, "stride": [1, 2, 2], "padding": 1}, [(1, 2, 4, 6, 6)]),
    (ConvTranspose, {"out": 3, "kernel": 4, "stride": 2, "padding": 1}, [(2, 4, 5)]),
    (ConvTranspose, {"out": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1},
     [(1, 3, 5, 6)]),
    (ConvTranspose, {"out": 4, "kernel": 3, "stride": 2, "groups": 2, "dilation": 2,
                     "output_padding": 1}, [(1, 4, 4, 4)]),
    (ConvTranspose, {"out": 2, "kernel": 2, "stride": 2, "bias": False}, [(1, 3, 3, 3, 2)]),
    (LocallyConnected, {"out": 3, "kernel": 3}, [(2, 2, 6, 5)]),
    (LocallyConnected, {"out": 2, "kernel": 2, "stride": 2, "padding": 1, "bias": False},
     [(1, 3, 5, 5)]),
    (MaxPool, {"kernel": 3, "stride": 2, "ceil_mode": True}, [(1, 3, 14, 13)]),
    (MaxPool, {"kernel": 3, "stride": 2, "padding": 1}, [(2, 2, 9, 9)]),
    (MaxPool, {"kernel": 3, "stride": 4, "ceil_mode": True}, [(1, 1, 8, 10)]),   # → 2×3
    (MaxPool, {"kernel": 1, "stride": 2, "ceil_mode": True}, [(1, 1, 5, 6)]),    # → 3×3
    (MaxPool, {"kernel": 3, "stride": 1, "padding": 1, "dilation": 2}, [(1, 2, 8, 8)]),
    (MaxPool, {"kernel": 2}, [(1, 3, 9)]),
    (MaxPool, {"kernel": 2, "ceil_mode": True}, [(1, 2, 5, 5, 5)]),
    (AvgPool, {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}, [(1, 2, 17, 17)]),
    (AvgPool, {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [(1, 2, 16, 15)]),
    (AvgPool, {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True,
               "count_include_pad": False}, [(1, 2, 16, 15)]),
    (AvgPool, {"kernel": 3, "stride": 1, "padding": 1, "count_include_pad": False},
     [(1, 2, 6, 6)]),
    (AvgPool, {"kernel": 2, "ceil_mode": True}, [(1, 2, 5)]),
    (AvgPool, {"kernel": 3, "stride": 2, "padding": 1}, [(1, 2, 5, 6, 7)]),
    (LpPool, {"norm": 2, "kernel": 2, "stride": 2}, [(1, 3, 8, 8)]),
    (LpPool, {"norm": 2, "kernel": 3, "stride": 2, "ceil_mode": True}, [(1, 2, 8, 9)]),
    (LpPool, {"norm": 3, "kernel": 3}, [(1, 2, 9)]),
    (LpPool, {"norm": 1, "kernel": 2}, [(1, 2, 4, 4, 4)]),
    (GlobalAvgPool, {}, [(2, 3, 5, 6)]),
    (GlobalAvgPool, {}, [(2, 3, 7)]),
    (GlobalMaxPool, {}, [(2, 3, 3, 4, 5)]),
    (AdaptiveAvgPool, {"output": 3}, [(1, 2, 7, 10)]),
    (AdaptiveAvgPool, {"output": [7, 2]}, [(1, 2, 5, 9)]),
    (AdaptiveAvgPool, {"output": 4}, [(1, 2, 9)]),
    (AdaptiveMaxPool, {"output": [2, 3]}, [(1, 2, 7, 10)]),
    (AdaptiveMaxPool, {"output": 2}, [(1, 2, 5, 4, 3)]),
    (Linear, {"out": 7}, [(3, 10)]),
    (Linear, {"out": 5, "bias": False}, [(2, 12)]),
    (Flatten, {}, [(2, 3, 4, 5)]),
    (BatchNorm, {}, [(2, 4, 5, 5)]),
    (BatchNorm, {"eps": 1e-3, "affine": False}, [(3, 6)]),
    (BatchNorm, {"track_running_stats": False}, [(4, 3, 5)]),
    (BatchNorm, {}, [(1, 2, 3, 4, 5)]),
    (LocalResponseNorm, {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 2.0}, [(1, 8, 5, 5)]),
    (LocalResponseNorm, {"size": 4, "alpha": 1e-2, "beta": 0.5}, [(2, 6, 7)]),
    (LocalResponseNorm, {"size": 3, "alpha": 0.1, "beta": 0.75}, [(1, 5, 2, 3, 3)]),
    (Dropout, {"p": 0.5}, [(2, 4, 3, 3)]),
    (Identity, {}, [(2, 4)]),
    (Upsample, {"scale": 2}, [(1, 2, 4, 5)]),
    (Upsample, {"scale": 3}, [(1, 2, 3, 4)]),
    (Upsample, {"scale": 1.5}, [(1, 2, 5, 7)]),
    (Upsample, {"size": [7, 5]}, [(1, 2, 3, 4)]),
    (Upsample, {"scale": 0.5}, [(1, 2, 9, 8)]),
    (Upsample, {"scale": 2, "mode": "bilinear"}, [(1, 2, 4, 5)]),
    (Upsample, {"scale": 2, "mode": "bilinear", "align_corners": True}, [(1, 2, 4, 5)]),
    (Upsample, {"size": [9, 4], "mode": "bilinear"}, [(1, 2, 4, 5)]),
    (Upsample, {"scale": 1.7, "mode": "linear"}, [(1, 2, 6)]),
    (Upsample, {"size": 9, "mode": "linear", "align_corners": True}, [(1, 2, 4)]),
    (Upsample, {"scale": 2, "mode": "trilinear"}, [(1, 2, 3, 4, 3)]),
    (Upsample, {"scale": 2, "mode": "bicubic"}, [(1, 2, 4, 5)]),
    (Upsample, {"size": [7, 9], "mode": "bicubic", "align_corners": True}, [(1, 2, 4, 5)]),
    (Upsample, {"scale": [2, 3], "mode": "nearest"}, [(1, 2, 3, 3)]),
    (Upsample, {"like": "input", "mode": "bilinear"}, [(1, 2, 4, 5), (1, 3, 13, 17)]),
    (Upsample, {"like": "input"}, [(1, 2, 7, 5), (1, 3, 20, 15)]),
    (Pad, {"padding": [[1, 2], [0, 3]], "value": 1.5}, [(1, 2, 4, 4)]),
    (Pad, {"padding": 2, "mode": "reflect"}, [(1, 2, 5, 4)]),
    (Pad, {"padding": [1, 3], "mode": "replicate"}, [(1, 2, 4, 5)]),
    (Pad, {"padding": [[2, 1], [1, 2]], "mode": "circular"}, [(1, 2, 4, 5)]),
    (Pad, {"padding": [[2, 1]], "mode": "reflect"}, [(1, 2, 6)]),
    (Pad, {"padding": 1, "mode": "replicate"}, [(1, 2, 3, 3, 3)]),
    (Crop, {"size": [3, 4]}, [(1, 2, 6, 7)]),
    (Crop, {"border": [[1, 0], 2]}, [(1, 2, 6, 7)]),
    (Crop, {"like": "skip"}, [(1, 2, 9, 9), (1, 4, 5, 6)]),
    (Concat, {}, [(2, 1, 3, 3), (2, 4, 3, 3)]),
    (Add, {}, [(2, 3, 4), (2, 3, 4), (2, 3, 4)]),
    (ReLU, {}, [(2, 3, 5, 5)]),
    (ReLU6, {}, [(2, 3, 5, 5)]),
    (LeakyReLU, {"negative_slope": 0.1}, [(2, 3, 5, 5)]),
    (ELU, {"alpha": 0.7}, [(2, 3, 5, 5)]),
    (PReLU, {}, [(2, 3, 5, 5)]),
    (PReLU, {"per_channel": True}, [(2, 3, 5, 5)]),
    (Sigmoid, {}, [(2, 3, 5, 5)]),
    (Tanh, {}, [(2, 3, 5, 5)]),
    (GELU, {}, [(2, 3, 5, 5)]),
    (GELU, {"approximate": "tanh"}, [(2, 3, 5, 5)]),
    (SiLU, {}, [(2, 3, 5, 5)]),
    (Hardswish, {}, [(2, 3, 5, 5)]),
    (Softmax, {}, [(2, 6, 3, 3)]),
    (Hardsigmoid, {}, [(2, 3, 5, 5)]),
    (Mish, {}, [(2, 3, 5, 5)]),
    (Mul, {}, [(2, 6, 5, 5), (2, 6, 1, 1)]),
    (Mul, {}, [(2, 1, 4, 5), (2, 3, 4, 5)]),
    (Add, {}, [(2, 3, 4, 5), (2, 3, 1, 5)]),
    (Concat, {}, [(2, 3, 4, 4)]),
    (LayerNorm, {"eps": 1e-6}, [(2, 6, 4, 5)]),
    (LayerNorm, {}, [(3, 12)]),
    (LayerNorm, {"affine": False}, [(1, 4, 3, 3, 3)]),
    (LayerNorm, {"bias": False}, [(2, 5, 7)]),
    (GroupNorm, {"groups": 3}, [(2, 6, 4, 5)]),
    (GroupNorm, {"groups": 2, "affine": False}, [(2, 4, 7)]),
    (InstanceNorm, {}, [(2, 3, 5, 5)]),
    (InstanceNorm, {"affine": True}, [(2, 3, 6)]),
    (InstanceNorm, {"affine": True, "track_running_stats": True}, [(2, 3, 3, 3, 3)]),
    (ChannelShuffle, {"groups": 2}, [(2, 6, 3, 3)]),
    (ChannelShuffle, {"groups": 3}, [(1, 6, 5)]),
    (Split, {"parts": 2, "take": 1}, [(2, 6, 3, 3)]),
    (Split, {"parts": 3, "take": 2}, [(1, 7, 4)]),
    (Split, {"parts": [2, 5], "take": 1}, [(1, 7, 2, 2)]),
    (PixelShuffle, {"factor": 2}, [(2, 8, 3, 4)]),
    (PixelShuffle, {"factor": 3}, [(1, 9, 2, 2)]),
    (PixelUnshuffle, {"factor": 2}, [(2, 2, 6, 4)]),
    (LayerScale, {}, [(2, 4, 3, 3)]),
    (LayerScale, {}, [(2, 4)]),
    (StochasticDepth, {"p": 0.2}, [(2, 4, 3, 3)]),
    (Dropout, {"p": 0.2, "inplace": True}, [(2, 4, 3, 3)]),
]


def assert_matches_torch(y: np.ndarray, expected: Any) -> None:
    e = expected.detach().numpy()
    assert y.shape == e.shape
    assert y.dtype == np.float32
    finite = np.abs(e[np.isfinite(e)])
    scale = float(np.max(finite, initial=0.0))
    np.testing.assert_allclose(y, e, rtol=RTOL, atol=RTOL * scale, equal_nan=True)


def run_both(layer: Layer, shapes: list[tuple[int, ...]], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    xs = [(rng.standard_normal(s) * 3).astype(np.float32) for s in shapes]
    if xs[0].size >= 5:   # tails: overflow-prone values for the activations
        xs[0].flat[:5] = [-90.0, -20.0, 0.0, 20.0, 90.0]
    y, params = forward(layer, *xs, seed=seed)
    expected = torch_forward(layer, [torch.from_numpy(x) for x in xs],
                             {k: torch.from_numpy(v) for k, v in params.items()})
    assert_matches_torch(y, expected)


@pytest.mark.parametrize("cls,attrs,shapes", CASES,
                         ids=[f"{c.kind}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_kernel_matches_pytorch(cls: type[Layer], attrs: dict[str, Any],
                                shapes: list[tuple[int, ...]]) -> None:
    with torch.no_grad():
        run_both(make(cls, **attrs), shapes)


def test_every_kind_is_compared_with_pytorch() -> None:
    covered = {cls for cls, _, _ in CASES}
    missing = [name for name, cls in kinds().items() if cls not in covered]
    assert not missing, f"kinds without a PyTorch comparison: {missing}"


@FAST
@given(data=st.data(), rank=st.integers(1, 3), groups=st.sampled_from([1, 2]))
def test_conv_matches_pytorch_on_random_geometry(data: st.DataObject, rank: int,
                                                 groups: int) -> None:
    axes = data.draw(conv_axes(rank, max_size=8 if rank < 3 else 5))
    layer = make(Conv, out=2 * groups, kernel=[a.k for a in axes], stride=[a.s for a in axes],
                 padding=[a.pb for a in axes], dilation=[a.d for a in axes], groups=groups)
    assume(all(a.i + 2 * a.pb >= a.k_eff for a in axes))   # PyTorch pads symmetrically
    run_both(layer, [(2, 2 * groups, *(a.i for a in axes))])


@FAST
@given(data=st.data(), rank=st.integers(1, 3), ceil_mode=st.booleans(),
       include=st.booleans())
def test_pools_match_pytorch_on_random_geometry(data: st.DataObject, rank: int,
                                                ceil_mode: bool, include: bool) -> None:
    axes = data.draw(pool_axes(rank, max_size=9 if rank < 3 else 5))
    common = {"kernel": [a.k for a in axes], "stride": [a.s for a in axes],
              "padding": [a.pb for a in axes], "ceil_mode": ceil_mode}
    assume(all(a.i + 2 * a.pb >= a.k_eff for a in axes))
    shape = [(1, 2, *(a.i for a in axes))]
    run_both(make(MaxPool, dilation=[a.d for a in axes], **common), shape)
    # PyTorch's avg_pool3d (only it) also refuses a kernel larger than the unpadded input
    # ("input image smaller than kernel size"), which cnncalc's shape rule does not model.
    if rank < 3 or all(a.i >= a.k for a in axes):
        run_both(make(AvgPool, count_include_pad=include, **common), shape)
