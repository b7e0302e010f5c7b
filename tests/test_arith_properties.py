"""Hypothesis properties of the shape formulas, checked against brute-force window counting."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cnncalc.model import arith
from cnncalc.model.errors import ShapeError

sizes = st.integers(1, 64)
kernels = st.integers(1, 9)
strides = st.integers(1, 5)
pads = st.integers(0, 5)
dilations = st.integers(1, 4)


def windows_that_fit(i: int, k: int, s: int, pb: int, pa: int, d: int) -> int:
    """Count window start positions by walking them (the definition, not the formula)."""
    k_eff = d * (k - 1) + 1
    count, start = 0, 0
    while start + k_eff <= i + pb + pa:
        count += 1
        start += s
    return count


@given(sizes, kernels, strides, pads, pads, dilations)
def test_conv_formula_counts_windows(i: int, k: int, s: int, pb: int, pa: int, d: int) -> None:
    expected = windows_that_fit(i, k, s, pb, pa, d)
    if expected == 0:
        with pytest.raises(ShapeError):
            arith.conv_out(i, k, s, pb, pa, d)
    else:
        assert arith.conv_out(i, k, s, pb, pa, d) == expected


def ceil_windows(i: int, k: int, s: int, p: int, d: int) -> int:
    """PyTorch ceil_mode by enumeration: windows may hang over the end (partial windows), but
    each must start inside the input or its left padding (start < i + p)."""
    k_eff = d * (k - 1) + 1
    count, start = 0, 0
    while start < i + p and (start + k_eff <= i + 2 * p or start + 1 <= i + 2 * p - k_eff + s):
        count += 1
        start += s
    return count


@given(sizes, kernels, strides, st.integers(0, 4), dilations)
def test_pool_ceil_mode_by_enumeration(i: int, k: int, s: int, p: int, d: int) -> None:
    assume(p <= k // 2)
    floor_n = windows_that_fit(i, k, s, p, p, d)
    ceil_n = ceil_windows(i, k, s, p, d)
    for ceil_mode, expected in ((False, floor_n), (True, ceil_n)):
        if expected < 1:
            with pytest.raises(ShapeError):
                arith.pool_out(i, k, s, p, p, d, ceil_mode)
        else:
            assert arith.pool_out(i, k, s, p, p, d, ceil_mode) == expected


@given(sizes, kernels, strides, pads, dilations)
def test_transposed_conv_inverts_conv(i: int, k: int, s: int, p: int, d: int) -> None:
    """D&V: a transposed convolution with output_padding = the dropped remainder maps the
    convolution's output size back to its input size."""
    try:
        o = arith.conv_out(i, k, s, p, p, d)
    except ShapeError:
        return
    op = (i + 2 * p - arith.effective_kernel(k, d)) % s
    assert arith.conv_transpose_out(o, k, s, p, p, op, d) == i


@given(sizes, kernels, dilations)
def test_same_padding_keeps_size(i: int, k: int, d: int) -> None:
    pb, pa = arith.same_padding(k, d)
    assert arith.conv_out(i, k, 1, pb, pa, d) == i


@given(sizes, kernels, strides, dilations)
def test_tf_same_gives_ceil_of_size_over_stride(i: int, k: int, s: int, d: int) -> None:
    pb, pa = arith.tf_same_padding(i, k, s, d)
    assert pa - pb in (0, 1)
    assert arith.conv_out(i, k, s, pb, pa, d) == -(-i // s)


@given(sizes, kernels, strides, st.integers(0, 4))
def test_ceil_is_floor_or_one_more(i: int, k: int, s: int, p: int) -> None:
    assume(p <= k // 2)
    try:
        lo = arith.pool_out(i, k, s, p, p, 1, False)
    except ShapeError:
        return
    hi = arith.pool_out(i, k, s, p, p, 1, True)
    assert hi - lo in (0, 1)


@given(sizes, kernels, strides, pads, dilations)
def test_dropped_inputs_plus_covered_is_whole(i: int, k: int, s: int, p: int, d: int) -> None:
    try:
        o = arith.conv_out(i, k, s, p, p, d)
    except ShapeError:
        return
    k_eff = arith.effective_kernel(k, d)
    covered_end = (o - 1) * s + k_eff  # one past the last padded position a window reads
    dropped = arith.dropped_inputs(i, k, s, p, p, d)
    assert dropped == max(0, (i + p) - covered_end)
