"""Every forward kernel against a naive loop written here, on small random cases (hypothesis),
in float64. The loops follow the definitions (PyTorch's docs and its C++ reference loops), one
output element at a time; the kernels use window views, im2col and matrix products.

Each test also checks that the kernel's array has the shape the layer's rule predicts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import product
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cnncalc.kernels import kernel_for, registered
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
from cnncalc.model.shape import Shape

from .kernel_cases import FAST, Axis, conv_axes, forward, make, pairs, pool_axes, rand

COVERED: set[type[Layer]] = set()


def covers(*classes: type[Layer]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a test as the naive-loop oracle of these layer kinds (see the completeness test)."""
    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        COVERED.update(classes)
        return fn
    return mark


def close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-10) -> None:
    assert actual.shape == expected.shape
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(np.max(finite, initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def positions(sizes: tuple[int, ...] | list[int]) -> Any:
    return np.ndindex(*sizes)


# --- registry -----------------------------------------------------------------------------------

def test_every_layer_kind_has_a_kernel() -> None:
    missing = [name for name, cls in kinds().items() if cls not in registered()]
    assert not missing, f"layer kinds without a forward kernel: {missing}"


def test_every_kernel_is_for_a_registered_kind() -> None:
    known = set(kinds().values())
    assert set(registered()) <= known


def test_every_layer_kind_has_a_naive_oracle_test() -> None:
    missing = [name for name, cls in kinds().items() if cls not in COVERED]
    assert not missing, f"kinds whose kernel has no naive-loop test: {missing}"


def test_kernels_are_found_by_class_not_by_name() -> None:
    conv = make(Conv, out=2, kernel=1)
    assert kernel_for(conv) is kernel_for(Conv)
    assert kernel_for(Conv).layer is Conv

    class Unregistered(Conv):
        kind = "conv_clone"

    with pytest.raises(LookupError, match="conv_clone"):
        kernel_for(Unregistered)


def test_importing_the_kernel_registry_does_not_import_numpy() -> None:
    import subprocess
    import sys

    code = ("import sys, cnncalc.kernels, cnncalc.kernels.registry; "
            "print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- convolutions -------------------------------------------------------------------------------

def naive_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, axes: list[Axis],
               groups: int) -> np.ndarray:
    """``y[n, co, o] = b[co] + Σ_ci Σ_t x[n, g·C/g + ci, o·s − pb + t·d] · w[co, ci, t]``."""
    n_, c = x.shape[:2]
    cout = w.shape[0]
    out = [(a.i + a.pb + a.pa - a.k_eff) // a.s + 1 for a in axes]
    y = np.zeros((n_, cout, *out))
    cg, og = c // groups, cout // groups
    for n, co in product(range(n_), range(cout)):
        g = co // og
        for o in positions(out):
            acc = 0.0 if b is None else b[co]
            for ci in range(cg):
                for t in positions(w.shape[2:]):
                    idx = [oo * a.s - a.pb + tt * a.d for oo, tt, a in zip(o, t, axes)]
                    if all(0 <= v < a.i for v, a in zip(idx, axes)):
                        acc += x[(n, g * cg + ci, *idx)] * w[(co, ci, *t)]
            y[(n, co, *o)] = acc
    return y


@covers(Conv)
@FAST
@given(data=st.data(), rank=st.integers(1, 3), groups=st.sampled_from([1, 2]),
       bias=st.booleans())
def test_conv_matches_naive_loops(data: st.DataObject, rank: int, groups: int,
                                  bias: bool) -> None:
    axes = data.draw(conv_axes(rank, max_size=6 if rank < 3 else 4))
    cin = groups * data.draw(st.integers(1, 2))
    cout = groups * data.draw(st.integers(1, 2))
    layer = make(Conv, out=cout, kernel=[a.k for a in axes], stride=[a.s for a in axes],
                 padding=pairs(axes), dilation=[a.d for a in axes], groups=groups, bias=bias)
    x = rand(np.random.default_rng(1), 2, cin, *(a.i for a in axes))
    y, p = forward(layer, x)
    close(y, naive_conv(x, p["weight"], p.get("bias"), axes, groups))


@pytest.mark.parametrize("padding,size,k,s,expect", [
    ("same", 7, 4, 1, 7),          # PyTorch 'same': total 3, the odd pixel after
    ("same_tf", 224, 7, 2, 112),   # TensorFlow 'SAME': pads 2 and 3
    ("same_tf", 5, 2, 2, 3),
    ("valid", 6, 3, 1, 4),
    ("full", 5, 3, 1, 7),          # every partial overlap
])
def test_conv_padding_words(padding: str, size: int, k: int, s: int, expect: int) -> None:
    layer = make(Conv, out=2, kernel=[k, 1], stride=[s, 1], padding=padding)
    x = rand(np.random.default_rng(2), 1, 2, size, 3)
    y, p = forward(layer, x)
    assert y.shape[2] == expect
    ws = layer.windows(Shape.of(x.shape[1:]))
    axes = [Axis(i, w.k, w.s, w.pb, w.pa, w.d) for i, w in zip(x.shape[2:], ws)]
    close(y, naive_conv(x, p["weight"], p["bias"], axes, 1))


def test_depthwise_conv_is_one_filter_per_channel() -> None:
    rng = np.random.default_rng(3)
    x = rand(rng, 1, 4, 5, 5)
    layer = make(Conv, out=4, kernel=3, padding=1, groups=4, bias=False)
    y, p = forward(layer, x)
    axes = [Axis(5, 3, 1, 1, 1)] * 2
    close(y, naive_conv(x, p["weight"], None, axes, 4))
    # channel 2 depends on input channel 2 only
    x2 = x.copy()
    x2[0, 1] += 1.0
    y2, _ = forward(layer, x2, params=p)
    assert np.array_equal(y2[0, 2], y[0, 2]) and not np.array_equal(y2[0, 1], y[0, 1])


def naive_conv_transpose(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, axes: list[Axis],
                         output_padding: list[int], groups: int) -> np.ndarray:
    """Scatter: input ``i`` and tap ``t`` add ``x·w`` to output ``i·s + t·d − pb``; the output
    size is PyTorch's ``(i−1)·s − pb − pa + d·(k−1) + output_padding + 1``."""
    n_, c = x.shape[:2]
    og = w.shape[1]
    cout = og * groups
    cg = c // groups
    out = [(a.i - 1) * a.s - a.pb - a.pa + a.d * (a.k - 1) + op + 1
           for a, op in zip(axes, output_padding)]
    y = np.zeros((n_, cout, *out))
    for n, ci in product(range(n_), range(c)):
        g = ci // cg
        for i in positions([a.i for a in axes]):
            for t in positions(w.shape[2:]):
                o = [ii * a.s + tt * a.d - a.pb for ii, tt, a in zip(i, t, axes)]
                if all(0 <= v < size for v, size in zip(o, out)):
                    for co in range(og):
                        y[(n, g * og + co, *o)] += x[(n, ci, *i)] * w[(ci, co, *t)]
    if b is not None:
        y += b.reshape(1, -1, *(1,) * len(axes))
    return y


@covers(ConvTranspose)
@FAST
@given(data=st.data(), rank=st.integers(1, 3), groups=st.sampled_from([1, 2]),
       bias=st.booleans())
def test_conv_transpose_matches_naive_loops(data: st.DataObject, rank: int, groups: int,
                                            bias: bool) -> None:
    axes, ops = [], []
    for _ in range(rank):
        k = data.draw(st.integers(1, 3))
        s = data.draw(st.integers(1, 3))
        d = data.draw(st.integers(1, 2))
        i = data.draw(st.integers(1, 4))
        op = data.draw(st.integers(0, max(s, d) - 1))
        full = (i - 1) * s + d * (k - 1) + op + 1
        pb = data.draw(st.integers(0, min(2, (full - 1) // 2)))
        pa = data.draw(st.integers(0, min(2, full - 1 - 2 * pb) if full - 1 - 2 * pb > 0 else 0))
        axes.append(Axis(i, k, s, pb, pa, d))
        ops.append(op)
    cin = groups * data.draw(st.integers(1, 2))
    cout = groups * data.draw(st.integers(1, 2))
    layer = make(ConvTranspose, out=cout, kernel=[a.k for a in axes],
                 stride=[a.s for a in axes], padding=pairs(axes), output_padding=ops,
                 dilation=[a.d for a in axes], groups=groups, bias=bias)
    x = rand(np.random.default_rng(4), 2, cin, *(a.i for a in axes))
    y, p = forward(layer, x)
    close(y, naive_conv_transpose(x, p["weight"], p.get("bias"), axes, ops, groups))


def test_conv_transpose_inverts_the_size_of_a_strided_conv() -> None:
    """Dumoulin & Visin: 6 → 3 by a 3×3/2 p1 conv; transposed back gives 5, or 6 with
    output_padding 1."""
    x = rand(np.random.default_rng(5), 1, 1, 3, 3)
    for op, size in ((0, 5), (1, 6)):
        y, _ = forward(make(ConvTranspose, out=1, kernel=3, stride=2, padding=1,
                            output_padding=op), x)
        assert y.shape[2:] == (size, size)


@covers(LocallyConnected)
@FAST
@given(data=st.data(), rank=st.integers(1, 2), bias=st.booleans())
def test_locally_connected_matches_naive_loops(data: st.DataObject, rank: int,
                                               bias: bool) -> None:
    axes = data.draw(conv_axes(rank, max_size=5))
    cin, cout = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
    layer = make(LocallyConnected, out=cout, kernel=[a.k for a in axes],
                 stride=[a.s for a in axes], padding=pairs(axes),
                 dilation=[a.d for a in axes], bias=bias)
    x = rand(np.random.default_rng(6), 2, cin, *(a.i for a in axes))
    y, p = forward(layer, x)
    w = p["weight"]                                   # (*positions, out, in, *kernel)
    out = y.shape[2:]
    expected = np.zeros_like(y)
    for n, co in product(range(2), range(cout)):
        for o in positions(out):
            acc = p["bias"][(co, *o)] if bias else 0.0
            for ci in range(cin):
                for t in positions([a.k for a in axes]):
                    idx = [oo * a.s - a.pb + tt * a.d for oo, tt, a in zip(o, t, axes)]
                    if all(0 <= v < a.i for v, a in zip(idx, axes)):
                        acc += x[(n, ci, *idx)] * w[(*o, co, ci, *t)]
            expected[(n, co, *o)] = acc
    close(y, expected)


def test_locally_connected_weights_differ_per_position() -> None:
    """The same input patch at two positions gives different outputs (no weight sharing)."""
    x = np.ones((1, 1, 4, 4))
    y, _ = forward(make(LocallyConnected, out=1, kernel=2, bias=False), x)
    assert len(np.unique(np.round(y, 12))) > 1


# --- pooling ------------------------------------------------------------------------------------

def torch_pool_size(a: Axis, ceil_mode: bool | str) -> int:
    """PyTorch ``pooling_output_shape_pad_lr`` (and Caffe's variant for ``'caffe'``)."""
    num = a.i + a.pb + a.pa - a.k_eff + (a.s - 1 if ceil_mode else 0)
    o = num // a.s + 1
    if ceil_mode and (ceil_mode != "caffe" or a.pb or a.pa) and (o - 1) * a.s >= a.i + a.pb:
        o -= 1
    return o


def naive_max_pool(x: np.ndarray, axes: list[Axis], ceil_mode: bool | str) -> np.ndarray:
    out = [torch_pool_size(a, ceil_mode) for a in axes]
    y = np.full((*x.shape[:2], *out), -np.inf)
    for n, c in product(*map(range, x.shape[:2])):
        for o in positions(out):
            for t in positions([a.k for a in axes]):
                idx = [oo * a.s - a.pb + tt * a.d for oo, tt, a in zip(o, t, axes)]
                if all(0 <= v < a.i for v, a in zip(idx, axes)):
                    y[(n, c, *o)] = max(y[(n, c, *o)], x[(n, c, *idx)])
    return y


def naive_avg_pool(x: np.ndarray, axes: list[Axis], ceil_mode: bool | str,
                   count_include_pad: bool) -> np.ndarray:
    """PyTorch's avg_pool loop: the window clipped to ``[−pb, i + pa)`` is ``pool_size``; then
    clipped to the input for the sum (and the divisor without count_include_pad)."""
    out = [torch_pool_size(a, ceil_mode) for a in axes]
    y = np.zeros((*x.shape[:2], *out))
    for n, c in product(*map(range, x.shape[:2])):
        for o in positions(out):
            starts = [oo * a.s - a.pb for oo, a in zip(o, axes)]
            ends = [min(st_ + a.k, a.i + a.pa) for st_, a in zip(starts, axes)]
            pool_size = math.prod(e - s for s, e in zip(starts, ends))
            starts = [max(s, 0) for s in starts]
            ends = [min(e, a.i) for e, a in zip(ends, axes)]
            region = tuple(slice(s, e) for s, e in zip(starts, ends))
            total = x[(n, c, *region)].sum()
            covered = math.prod(max(0, e - s) for s, e in zip(starts, ends))
            if covered:   # a window that reads no input stays 0 (PyTorch's `continue`)
                y[(n, c, *o)] = total / (pool_size if count_include_pad else covered)
    return y


CEIL = st.sampled_from([False, True, "caffe"])


@covers(MaxPool)
@FAST
@given(data=st.data(), rank=st.integers(1, 3), ceil_mode=CEIL)
def test_maxpool_matches_naive_loops(data: st.DataObject, rank: int,
                                     ceil_mode: bool | str) -> None:
    axes = data.draw(pool_axes(rank, max_size=7 if rank < 3 else 5))
    layer = make(MaxPool, kernel=[a.k for a in axes], stride=[a.s for a in axes],
                 padding=pairs(axes), dilation=[a.d for a in axes], ceil_mode=ceil_mode)
    x = rand(np.random.default_rng(7), 1, 2, *(a.i for a in axes))
    y, _ = forward(layer, x)
    close(y, naive_max_pool(x, axes, ceil_mode))


@covers(AvgPool)
@FAST
@given(data=st.data(), rank=st.integers(1, 3), ceil_mode=CEIL, count_include_pad=st.booleans())
def test_avgpool_matches_naive_loops(data: st.DataObject, rank: int, ceil_mode: bool | str,
                                     count_include_pad: bool) -> None:
    axes = data.draw(pool_axes(rank, max_size=7 if rank < 3 else 5, dilation=False))
    # PyTorch's avg_pool3d (and so cnncalc's shape rule) refuses an input smaller than the
    # kernel before padding; that refusal is tested in tests/test_arith.py.
    assume(rank < 3 or all(a.i >= a.k for a in axes))
    layer = make(AvgPool, kernel=[a.k for a in axes], stride=[a.s for a in axes],
                 padding=pairs(axes), ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    x = rand(np.random.default_rng(8), 1, 2, *(a.i for a in axes))
    y, _ = forward(layer, x)
    close(y, naive_avg_pool(x, axes, ceil_mode, count_include_pad))


def test_avgpool_ceil_mode_overhang_is_not_counted_but_padding_is() -> None:
    """AvgPool1d(3, 2, padding=1, ceil_mode=True) on 16 values of 1: nine windows; the last
    starts on the last input value and reads one padding value and one past it (the ceil-mode
    overhang). With count_include_pad the padding counts and the overhang does not (1/2); the
    first window reads a padding value and two inputs (2/3)."""
    x = np.ones((1, 1, 16))
    layer = make(AvgPool, kernel=3, stride=2, padding=1, ceil_mode=True)
    y, _ = forward(layer, x)
    assert y.shape[2] == 9
    assert y[0, 0, 0] == pytest.approx(2 / 3) and y[0, 0, -1] == pytest.approx(1 / 2)
    assert np.allclose(y[0, 0, 1:-1], 1.0)
    no_pad = make(AvgPool, kernel=3, stride=2, padding=1, ceil_mode=True,
                  count_include_pad=False)
    y2, _ = forward(no_pad, x)
    assert np.allclose(y2, 1.0)


def test_maxpool_drops_a_last_window_that_would_start_in_the_padding() -> None:
    """PyTorch: MaxPool2d(k=1, s=2, ceil_mode=True) on 5×6 → 3×3 (not 3×4)."""
    y, _ = forward(make(MaxPool, kernel=1, stride=2, ceil_mode=True), np.zeros((1, 1, 5, 6)))
    assert y.shape[2:] == (3, 3)


@covers(LpPool)
@FAST
@given(data=st.data(), rank=st.integers(1, 2), ceil_mode=st.booleans(),
       norm=st.sampled_from([1.0, 2.0, 3.0]))
def test_lppool_matches_naive_loops(data: st.DataObject, rank: int, ceil_mode: bool,
                                    norm: float) -> None:
    axes = data.draw(pool_axes(rank, dilation=False, padding=False))
    layer = make(LpPool, norm=norm, kernel=[a.k for a in axes], stride=[a.s for a in axes],
                 ceil_mode=ceil_mode)
    x = np.abs(rand(np.random.default_rng(9), 1, 2, *(a.i for a in axes)))
    y, _ = forward(layer, x)
    # PyTorch: avg_pool(x^p) (partial ceil-mode windows divided by their size) × ∏k, ^(1/p)
    mean = naive_avg_pool(x ** norm, axes, ceil_mode, True)
    close(y, (mean * math.prod(a.k for a in axes)) ** (1 / norm))
    if not ceil_mode:   # full windows: exactly the p-norm of each window
        sums = naive_avg_pool(x ** norm, axes, False, True) * math.prod(a.k for a in axes)
        close(y, sums ** (1 / norm))


@covers(GlobalAvgPool, GlobalMaxPool)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_global_pools(rank: int) -> None:
    x = rand(np.random.default_rng(10), 2, 3, *(4,) * rank)
    axes = tuple(range(2, 2 + rank))
    y, _ = forward(make(GlobalAvgPool), x)
    close(y, x.mean(axis=axes, keepdims=True))
    y, _ = forward(make(GlobalMaxPool), x)
    close(y, x.max(axis=axes, keepdims=True))


@covers(AdaptiveAvgPool, AdaptiveMaxPool)
@FAST
@given(data=st.data(), rank=st.integers(1, 3))
def test_adaptive_pools_match_naive_loops(data: st.DataObject, rank: int) -> None:
    sizes = [data.draw(st.integers(1, 7)) for _ in range(rank)]
    outs = [data.draw(st.integers(1, 8)) for _ in range(rank)]
    x = rand(np.random.default_rng(11), 1, 2, *sizes)
    for cls, reduce_ in ((AdaptiveAvgPool, np.mean), (AdaptiveMaxPool, np.max)):
        y, _ = forward(make(cls, output=outs), x)
        expected = np.zeros((1, 2, *outs))
        for o in positions(outs):
            region = tuple(slice((oo * i) // n, -(-((oo + 1) * i) // n))
                           for oo, i, n in zip(o, sizes, outs))
            for c in range(2):
                expected[(0, c, *o)] = reduce_(x[(0, c, *region)])
        close(y, expected)


# --- dense, normalisation -----------------------------------------------------------------------

@covers(Linear, Flatten)
@FAST
@given(c=st.integers(1, 3), h=st.integers(1, 4), out=st.integers(1, 5), bias=st.booleans())
def test_flatten_then_linear(c: int, h: int, out: int, bias: bool) -> None:
    x = rand(np.random.default_rng(12), 2, c, h, h + 1)
    flat, _ = forward(make(Flatten), x)
    for n in range(2):  # channels first: element (c, y, x) lands at c·H·W + y·W + x
        for idx in positions(x.shape[1:]):
            assert flat[n, np.ravel_multi_index(idx, x.shape[1:])] == x[(n, *idx)]
    y, p = forward(make(Linear, out=out, bias=bias), flat)
    expected = np.zeros((2, out))
    for n, o in product(range(2), range(out)):
        expected[n, o] = sum(flat[n, i] * p["weight"][o, i] for i in range(flat.shape[1]))
        expected[n, o] += p["bias"][o] if bias else 0.0
    close(y, expected)


@covers(BatchNorm)
@pytest.mark.parametrize("affine,track", [(True, True), (False, True), (True, False)])
@pytest.mark.parametrize("rank", [0, 1, 2, 3])
def test_batchnorm_inference(affine: bool, track: bool, rank: int) -> None:
    x = rand(np.random.default_rng(13), 3, 4, *(3,) * rank)
    layer = make(BatchNorm, eps=1e-3, affine=affine, track_running_stats=track)
    y, p = forward(layer, x)
    assert set(p) == ({"weight", "bias"} if affine else set()) | (
        {"running_mean", "running_var"} if track else set())
    expected = np.zeros_like(x)
    for c in range(4):
        xc = x[:, c]
        mean = p["running_mean"][c] if track else xc.mean()
        var = p["running_var"][c] if track else xc.var()
        gamma = p["weight"][c] if affine else 1.0
        beta = p["bias"][c] if affine else 0.0
        expected[:, c] = (xc - mean) / math.sqrt(var + 1e-3) * gamma + beta
    close(y, expected)


@covers(LocalResponseNorm)
@FAST
@given(size=st.integers(1, 6), channels=st.integers(1, 7), rank=st.integers(1, 2),
       k=st.sampled_from([1.0, 2.0]))
def test_lrn_matches_the_pytorch_formula(size: int, channels: int, rank: int, k: float) -> None:
    x = rand(np.random.default_rng(14), 2, channels, *(3,) * rank)
    alpha, beta = 1e-2, 0.75
    y, _ = forward(make(LocalResponseNorm, size=size, alpha=alpha, beta=beta, k=k), x)
    expected = np.zeros_like(x)
    for c in range(channels):
        lo, hi = max(0, c - size // 2), min(channels, c + (size - 1) // 2 + 1)
        total = (x[:, lo:hi] ** 2).sum(axis=1)
        expected[:, c] = x[:, c] / (k + alpha / size * total) ** beta
    close(y, expected)


@covers(Dropout, Identity, StochasticDepth)
def test_dropout_identity_and_stochastic_depth_pass_values_through() -> None:
    x = rand(np.random.default_rng(15), 2, 3, 4)
    for layer in (make(Dropout, p=0.9), make(Dropout, p=0.2, inplace=True), make(Identity),
                  make(StochasticDepth, p=0.3), make(StochasticDepth, p=0.3, mode="batch")):
        y, _ = forward(layer, x)
        assert np.array_equal(y, x)


def naive_normalise(values: list[float], eps: float) -> list[float]:
    """``(v − mean)/√(var + eps)`` with the biased variance, one value at a time."""
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    return [(v - mean) / math.sqrt(var + eps) for v in values]


@covers(LayerNorm)
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("rank", [0, 1, 2, 3])
def test_layernorm_normalises_the_channels_of_every_position(affine: bool, bias: bool,
                                                            rank: int) -> None:
    x = rand(np.random.default_rng(30), 2, 5, *(3,) * rank) * 3 + 1
    y, p = forward(make(LayerNorm, eps=1e-6, affine=affine, bias=bias), x)
    assert set(p) == ({"weight"} if affine else set()) | ({"bias"} if affine and bias else set())
    expected = np.zeros_like(x)
    for n in range(2):
        for pos in positions(x.shape[2:]):
            column = [x[(n, c, *pos)] for c in range(5)]
            for c, v in enumerate(naive_normalise(column, 1e-6)):
                gamma = p["weight"][c] if affine else 1.0
                beta = p["bias"][c] if affine and bias else 0.0
                expected[(n, c, *pos)] = v * gamma + beta
    close(y, expected)


@covers(GroupNorm)
@pytest.mark.parametrize("groups", [1, 2, 6])
@pytest.mark.parametrize("rank", [1, 2])
def test_groupnorm_normalises_groups_of_channels(groups: int, rank: int) -> None:
    x = rand(np.random.default_rng(31), 2, 6, *(3,) * rank) * 2 - 1
    y, p = forward(make(GroupNorm, groups=groups, eps=1e-5), x)
    size = 6 // groups
    expected = np.zeros_like(x)
    for n, g in product(range(2), range(groups)):
        members = [(c, pos) for c in range(g * size, (g + 1) * size)
                   for pos in positions(x.shape[2:])]
        normalised = naive_normalise([x[(n, c, *pos)] for c, pos in members], 1e-5)
        for (c, pos), v in zip(members, normalised):
            expected[(n, c, *pos)] = v * p["weight"][c] + p["bias"][c]
    close(y, expected)


@covers(InstanceNorm)
@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_instancenorm_inference(affine: bool, track: bool, rank: int) -> None:
    x = rand(np.random.default_rng(32), 2, 3, *(3,) * rank)
    y, p = forward(make(InstanceNorm, affine=affine, track_running_stats=track), x)
    expected = np.zeros_like(x)
    for n, c in product(range(2), range(3)):
        values = [x[(n, c, *pos)] for pos in positions(x.shape[2:])]
        if track:  # eval() uses the running statistics
            normalised = [(v - p["running_mean"][c]) / math.sqrt(p["running_var"][c] + 1e-5)
                          for v in values]
        else:
            normalised = naive_normalise(values, 1e-5)
        for pos, v in zip(positions(x.shape[2:]), normalised):
            expected[(n, c, *pos)] = (v * p["weight"][c] + p["bias"][c]) if affine else v
    close(y, expected)


@covers(LayerScale)
@pytest.mark.parametrize("rank", [0, 2])
def test_layer_scale_multiplies_each_channel(rank: int) -> None:
    x = rand(np.random.default_rng(33), 2, 4, *(3,) * rank)
    y, p = forward(make(LayerScale), x)
    assert p["weight"].shape == (4, *(1,) * rank)  # ConvNeXt's γ: C×1×1
    for c in range(4):
        close(y[:, c], p["weight"].reshape(-1)[c] * x[:, c])


# --- activations --------------------------------------------------------------------------------

def _sig(v: float) -> float:
    return 1 / (1 + math.exp(-v))


ELEMENTWISE: list[tuple[type[Layer], dict[str, Any], Callable[[float], float]]] = [
    (ReLU, {}, lambda v: max(v, 0.0)),
    (ReLU6, {}, lambda v: min(max(v, 0.0), 6.0)),
    (LeakyReLU, {"negative_slope": 0.2}, lambda v: v if v > 0 else 0.2 * v),
    (ELU, {"alpha": 1.5}, lambda v: v if v > 0 else 1.5 * (math.exp(v) - 1)),
    (Sigmoid, {}, _sig),
    (Tanh, {}, math.tanh),
    (GELU, {}, lambda v: v * 0.5 * (1 + math.erf(v / math.sqrt(2)))),
    (GELU, {"approximate": "tanh"},
     lambda v: 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))),
    (SiLU, {}, lambda v: v * _sig(v)),
    (Hardswish, {}, lambda v: v * min(max(v + 3, 0.0), 6.0) / 6),
    (Hardsigmoid, {}, lambda v: min(max(v + 3, 0.0), 6.0) / 6),
    (Mish, {}, lambda v: v * math.tanh(math.log1p(math.exp(v)) if v < 30 else v)),
]


@covers(*(cls for cls, _, _ in ELEMENTWISE))
@pytest.mark.parametrize("cls,attrs,fn", ELEMENTWISE,
                         ids=[f"{c.kind}-{a}" for c, a, _ in ELEMENTWISE])
def test_elementwise_activations(cls: type[Layer], attrs: dict[str, Any],
                                 fn: Callable[[float], float]) -> None:
    x = rand(np.random.default_rng(16), 2, 3, 5, 5) * 4
    x[0, 0, 0, :] = [-30.0, -8.0, 0.0, 8.0, 30.0]   # tails and zero
    y, _ = forward(make(cls, **attrs), x)
    expected = np.vectorize(fn)(x)
    # erfc from Numerical Recipes: relative error < 1.2e-7 (exact formulas elsewhere)
    close(y, expected, rtol=1e-6 if cls is GELU else 1e-12)


def test_gelu_is_accurate_in_the_far_negative_tail() -> None:
    x = np.array([[-12.0, -9.0, -6.0]])
    y, _ = forward(make(GELU), x)
    expected = [v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x[0]]
    np.testing.assert_allclose(y[0], expected, rtol=1e-6)


@covers(PReLU)
@pytest.mark.parametrize("per_channel", [False, True])
def test_prelu(per_channel: bool) -> None:
    x = rand(np.random.default_rng(17), 2, 3, 4)
    y, p = forward(make(PReLU, per_channel=per_channel), x)
    a = p["weight"]
    assert a.shape == ((3,) if per_channel else (1,))
    for c in range(3):
        slope = a[c] if per_channel else a[0]
        close(y[:, c], np.where(x[:, c] >= 0, x[:, c], slope * x[:, c]))


@covers(Softmax)
def test_softmax_over_channels_is_stable() -> None:
    x = rand(np.random.default_rng(18), 2, 4, 3)
    x[0, :, 0] = [1000.0, 1001.0, 999.0, -1000.0]
    y, _ = forward(make(Softmax), x)
    assert np.all(np.isfinite(y))
    close(y.sum(axis=1), np.ones((2, 3)))
    e = np.exp(x[1] - x[1].max(axis=0))
    close(y[1], e / e.sum(axis=0))


# --- upsample, pad, crop, merges ----------------------------------------------------------------

def _source_scale(i: int, o: int, scale: float | None, align: bool) -> float:
    if align:
        return (i - 1) / (o - 1) if o > 1 else 0.0
    return 1.0 / scale if scale is not None else i / o


def _cubic(t: float) -> list[float]:
    a = -0.75

    def w1(v: float) -> float:
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def w2(v: float) -> float:
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    return [w2(t + 1), w1(t), w1(1 - t), w2(2 - t)]


def naive_upsample(x: np.ndarray, outs: list[int], scales: list[float | None], mode: str,
                   align: bool) -> np.ndarray:
    """Every output element as PyTorch's kernels compute it: the product of per-axis weights
    over the 1 (nearest), 2 (linear) or 4 (cubic) neighbours on each axis."""
    ins = x.shape[2:]
    per_axis: list[list[list[tuple[int, float]]]] = []
    for i, o, sc in zip(ins, outs, scales):
        taps = []
        for dst in range(o):
            if mode == "nearest":
                s = np.float32(1.0 / sc) if sc is not None else np.float32(i) / np.float32(o)
                src = i and min(int(np.floor(np.float32(dst) * s)), i - 1)
                taps.append([(src, 1.0)])
                continue
            s = _source_scale(i, o, sc, align)
            real = s * dst if align else s * (dst + 0.5) - 0.5
            if mode == "bicubic":
                base = math.floor(real)
                ws = _cubic(real - base)
                taps.append([(min(max(base - 1 + j, 0), i - 1), ws[j]) for j in range(4)])
            else:
                real = max(real, 0.0)
                i0 = int(real)
                i1 = min(i0 + 1, i - 1)
                lam = real - i0
                taps.append([(i0, 1 - lam), (i1, lam)])
        per_axis.append(taps)
    y = np.zeros((*x.shape[:2], *outs))
    for o in positions(outs):
        for combo in product(*(per_axis[a][o[a]] for a in range(len(outs)))):
            weight = math.prod(w for _, w in combo)
            y[(slice(None), slice(None), *o)] += weight * x[(slice(None), slice(None),
                                                             *(s for s, _ in combo))]
    return y


@covers(Upsample)
@FAST
@given(data=st.data(), rank=st.integers(1, 3),
       mode=st.sampled_from(["nearest", "linear", "bicubic"]), align=st.booleans(),
       by_scale=st.booleans())
def test_upsample_matches_naive_loops(data: st.DataObject, rank: int, mode: str, align: bool,
                                      by_scale: bool) -> None:
    sizes = [data.draw(st.integers(1, 5)) for _ in range(rank)]
    if by_scale:
        scales: list[float | None] = [data.draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.5, 3.0]))
                                      for _ in range(rank)]
        outs = [math.floor(i * s) for i, s in zip(sizes, scales) if s is not None]
        assume(min(outs) >= 1)
        attrs: dict[str, Any] = {"scale": scales}
    else:
        outs = [data.draw(st.integers(1, 8)) for _ in range(rank)]
        scales = [None] * rank
        attrs = {"size": outs}
    align = align and mode != "nearest"
    layer = make(Upsample, mode=mode, align_corners=align, **attrs)
    x = rand(np.random.default_rng(19), 1, 2, *sizes)
    y, _ = forward(layer, x)
    close(y, naive_upsample(x, outs, scales, mode, align), rtol=1e-9)


def _pad_source(j: int, n: int, mode: str) -> int | None:
    """Where output index ``j`` (in input coordinates) reads from, or None for the fill."""
    if 0 <= j < n:
        return j
    if mode == "constant":
        return None
    if mode == "reflect":
        return -j if j < 0 else 2 * (n - 1) - j
    if mode == "replicate":
        return min(max(j, 0), n - 1)
    return j % n   # circular


@covers(Pad)
@FAST
@given(data=st.data(), rank=st.integers(1, 3),
       mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]))
def test_pad_matches_naive_loops(data: st.DataObject, rank: int, mode: str) -> None:
    sizes = [data.draw(st.integers(2, 5)) for _ in range(rank)]
    limit = {"reflect": -1, "circular": 0}.get(mode)
    pads = [[data.draw(st.integers(0, 3 if limit is None else i + limit)) for _ in range(2)]
            for i in sizes]
    layer = make(Pad, padding=pads, mode=mode, value=2.5)
    x = rand(np.random.default_rng(20), 1, 2, *sizes)
    y, _ = forward(layer, x)
    for o in positions(y.shape[2:]):
        src = [_pad_source(oo - pb, n, mode) for oo, (pb, _), n in zip(o, pads, sizes)]
        if any(s is None for s in src):
            assert np.all(y[(0, slice(None), *o)] == 2.5)
        else:
            assert np.array_equal(y[(0, slice(None), *o)], x[(0, slice(None), *src)])


@covers(Crop)
@pytest.mark.parametrize("attrs,expect", [
    ({"size": 3}, (slice(1, 4), slice(1, 4))),                    # ⌊(6−3)/2⌋ = 1 first
    ({"size": [2, 4], "anchor": "start"}, (slice(0, 2), slice(0, 4))),
    ({"border": [[1, 2], 0]}, (slice(1, 4), slice(0, 6))),
    ({"size": 5}, (slice(0, 5), slice(0, 5))),                    # odd difference: 0 first
])
def test_crop(attrs: dict[str, Any], expect: tuple[slice, ...]) -> None:
    x = rand(np.random.default_rng(21), 1, 2, 6, 6)
    y, _ = forward(make(Crop, **attrs), x)
    assert np.array_equal(y, x[(slice(None), slice(None), *expect)])


def test_upsample_like_resizes_to_the_other_tensor() -> None:
    x = rand(np.random.default_rng(28), 1, 2, 4, 5)
    ref = np.zeros((1, 7, 9, 11))
    for mode in ("nearest", "bilinear"):
        y, _ = forward(make(Upsample, like="image", mode=mode), x, ref)
        expected, _ = forward(make(Upsample, size=[9, 11], mode=mode), x)
        assert np.array_equal(y, expected)


def test_crop_like_uses_the_other_tensor() -> None:
    x = rand(np.random.default_rng(22), 1, 2, 9, 9)
    ref = np.zeros((1, 5, 4, 6))
    y, _ = forward(make(Crop, like="skip"), x, ref)
    assert np.array_equal(y, x[:, :, 2:6, 1:7])


@covers(Concat, Add)
def test_concat_and_add() -> None:
    rng = np.random.default_rng(23)
    a, b, c = rand(rng, 2, 1, 3, 3), rand(rng, 2, 2, 3, 3), rand(rng, 2, 1, 3, 3)
    y, _ = forward(make(Concat), a, b, c)
    assert np.array_equal(y[:, 0], a[:, 0]) and np.array_equal(y[:, 1:3], b)
    assert np.array_equal(y[:, 3], c[:, 0])
    s, _ = forward(make(Add), a, c, a)
    close(s, 2 * a + c)


@covers(Mul)
def test_add_and_mul_broadcast_size_one_axes() -> None:
    rng = np.random.default_rng(24)
    x, gate = rand(rng, 2, 3, 4, 5), rand(rng, 2, 3, 1, 1)
    y, _ = forward(make(Mul), x, gate)
    s, _ = forward(make(Add), x, gate)
    for n, c in product(range(2), range(3)):
        for pos in positions((4, 5)):
            assert y[(n, c, *pos)] == x[(n, c, *pos)] * gate[n, c, 0, 0]
            assert s[(n, c, *pos)] == x[(n, c, *pos)] + gate[n, c, 0, 0]
    spatial = rand(rng, 2, 1, 4, 5)  # a 1×H×W attention map over every channel
    y, _ = forward(make(Mul), spatial, x)
    close(y, spatial * x)


def test_add_and_mul_refuse_what_the_shape_rule_refuses() -> None:
    from cnncalc.model.errors import ShapeError

    for cls in (Add, Mul):
        with pytest.raises(ShapeError, match="cannot broadcast"):
            kernel_for(cls).forward(make(cls), (np.zeros((1, 2, 3)), np.zeros((1, 3, 3))), {})
        with pytest.raises(ShapeError, match="cannot broadcast"):
            kernel_for(cls).forward(make(cls), (np.zeros((1, 2, 3)), np.zeros((1, 2))), {})


# --- rearrangements -----------------------------------------------------------------------------

@covers(ChannelShuffle)
@pytest.mark.parametrize("groups,channels", [(1, 4), (2, 6), (3, 6), (6, 6)])
def test_channel_shuffle_interleaves_the_groups(groups: int, channels: int) -> None:
    x = rand(np.random.default_rng(25), 2, channels, 3, 2)
    y, _ = forward(make(ChannelShuffle, groups=groups), x)
    per = channels // groups
    for out in range(channels):  # output channel i·groups + g is group g's channel i
        i, g = divmod(out, groups)
        assert np.array_equal(y[:, out], x[:, g * per + i])


@covers(Split)
@pytest.mark.parametrize("parts,take,first,size", [
    (2, 0, 0, 5), (2, 1, 5, 5), (3, 2, 8, 2), ((3, 7), 1, 3, 7), ((1, 2, 7), 0, 0, 1)])
def test_split_takes_one_part_of_the_channels(parts: Any, take: int, first: int,
                                              size: int) -> None:
    x = rand(np.random.default_rng(26), 2, 10, 3)
    y, _ = forward(make(Split, parts=list(parts) if isinstance(parts, tuple) else parts,
                        take=take), x)
    assert np.array_equal(y, x[:, first:first + size])
    assert np.shares_memory(y, x)  # a view, as in PyTorch


@covers(PixelShuffle, PixelUnshuffle)
@pytest.mark.parametrize("r", [1, 2, 3])
def test_pixel_shuffle_follows_its_definition(r: int) -> None:
    x = rand(np.random.default_rng(27), 2, 2 * r * r, 3, 4)
    y, _ = forward(make(PixelShuffle, factor=r), x)
    for n, c, h, w in product(range(2), range(2), range(3 * r), range(4 * r)):
        # PyTorch: out[c, h, w] = in[c·r² + (h mod r)·r + (w mod r), h // r, w // r]
        assert y[n, c, h, w] == x[n, c * r * r + (h % r) * r + w % r, h // r, w // r]
    back, _ = forward(make(PixelUnshuffle, factor=r), y)
    assert np.array_equal(back, x)
