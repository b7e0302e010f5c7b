"""The inverse questions: `solve` against brute force over small ranges (every answer it gives is
right and none is missing), and `pad` against the forward formulas."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.model import arith
from cnncalc.model.errors import ShapeError
from cnncalc.quick.solve import Solutions, solve_conv, solve_conv_transpose


def expand(result: Solutions, cap: int) -> set[tuple[int, ...]]:
    """The answers as (kernel, dilation, stride, padding, output_padding), open-ended strides
    written out up to ``cap``."""
    out: set[tuple[int, ...]] = set()
    for s in result.solutions:
        strides = range(s.stride, cap + 1) if s.stride_open else (s.stride,)
        out |= {(s.kernel, s.dilation, st, s.padding, s.output_padding) for st in strides}
    return out


def brute_conv(i: int, o: int, kernels: range, dilations: range, cap: int) -> set[tuple[int, ...]]:
    found = set()
    for k in kernels:
        for d in dilations:
            for p in range(0, d * (k - 1) + 1):  # 0 … k_eff − 1, the documented search range
                for s in range(1, cap + 1):
                    try:
                        if arith.conv_out(i, k, s, p, p, d) == o:
                            found.add((k, d, s, p, 0))
                    except ShapeError:
                        pass
    return found


def brute_transpose(i: int, o: int, k: int, d: int, cap: int) -> set[tuple[int, ...]]:
    found = set()
    for p in range(0, d * (k - 1) + 1):
        for s in range(1, cap + 1):
            for op in range(0, max(s, d)):
                try:
                    if arith.conv_transpose_out(i, k, s, p, p, op, d) == o:
                        found.add((k, d, s, p, op))
                except ShapeError:
                    pass
    return found


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_conv_solver_is_exactly_brute_force(k: int, d: int) -> None:
    for i in range(1, 13):
        cap = i + 2 * d * (k - 1) + 2  # beyond this every stride gives the same output
        for o in range(1, 16):
            result = solve_conv(i, o, k, dilation=d)
            assert expand(result, cap) == brute_conv(i, o, range(k, k + 1), range(d, d + 1),
                                                     cap), (i, o, k, d)
            for s in result.solutions:  # and each says how many pixels it drops, correctly
                assert s.dropped == arith.dropped_inputs(i, k, s.stride, s.padding, s.padding, d)


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_transpose_solver_is_exactly_brute_force(k: int, d: int) -> None:
    for i in range(1, 9):
        for o in range(1, 13):
            cap = o + 2 * d * (k - 1) + 2
            result = solve_conv_transpose(i, o, k, dilation=d)
            assert expand(result, cap) == brute_transpose(i, o, k, d, cap), (i, o, k, d)


def test_ranges_of_kernels_and_dilations_are_unions() -> None:
    both = solve_conv(20, 10, (2, 5), dilation=(1, 3))
    cap = 20 + 2 * 3 * 4 + 2
    assert expand(both, cap) == brute_conv(20, 10, range(2, 6), range(1, 4), cap)
    assert both.searched == ("kernel", "stride", "padding", "dilation")


def test_fixed_and_narrowed_settings_filter_the_answers() -> None:
    everything = expand(solve_conv(224, 112, 7), 300)
    fixed = expand(solve_conv(224, 112, 7, stride=2), 300)
    assert fixed == {a for a in everything if a[2] == 2}
    narrowed = expand(solve_conv(224, 112, 7, padding=(0, 2)), 300)
    assert narrowed == {a for a in everything if a[3] <= 2}
    assert {(a[2], a[3]) for a in fixed} == {(2, 3)}  # symmetric 2 gives 111


def test_published_examples() -> None:
    alexnet = solve_conv(227, 55, 11)
    assert [(s.stride, s.padding, s.dropped) for s in alexnet] == [(4, 0, 0), (4, 1, 1)]
    dcgan = solve_conv_transpose(7, 14, 4)
    assert [(s.stride, s.padding, s.output_padding) for s in dcgan] == [(2, 1, 0)]
    unet = cnncalc.solve(28, 56, 2, transpose=True)
    assert (2, 0, 0) in {(s.stride, s.padding, s.output_padding) for s in unet}


def test_output_one_is_open_ended() -> None:
    result = solve_conv(10, 1, 3, padding=0)
    assert [(s.stride, s.stride_open) for s in result] == [(8, True)]
    capped = solve_conv(10, 1, 3, stride=(1, 9), padding=0)
    assert [(s.stride, s.stride_open) for s in capped] == [(8, False), (9, False)]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: cnncalc.solve(0, 5, 3), "size_in"),
    (lambda: cnncalc.solve(5, 5, None), "give the kernel"),
    (lambda: cnncalc.solve(5, 5, (3, 2)), "empty"),
    (lambda: cnncalc.solve(5, 5, 3, stride=0), "at least 1"),
    (lambda: cnncalc.solve(5, 5, 3, output_padding=1), "only for a transposed"),
    (lambda: cnncalc.solve(5, 5, range(1, 9, 2)), "step 1"),
    (lambda: cnncalc.solve(5, 5, "3"), "whole number"),
])
def test_solver_refusals(call: object, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        call()  # type: ignore[operator]


# --- pad ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", range(1, 9))
@pytest.mark.parametrize("d", [1, 2, 3])
def test_padding_keeps_the_size(k: int, d: int) -> None:
    axis = cnncalc.pad(k, dilation=d, rank=1).axes[0]
    assert axis.total == d * (k - 1)
    before, after = axis.same
    for i in range(1, 40):
        assert arith.conv_out(i, k, 1, before, after, d) == i
        if axis.symmetric is not None:
            assert arith.conv_out(i, k, 1, axis.symmetric, axis.symmetric, d) == i
    assert (axis.symmetric is None) == (axis.total % 2 == 1)


def test_pad_examples() -> None:
    assert cnncalc.pad(5, dilation=2).axes[0].symmetric == 4  # the example
    assert cnncalc.pad(4).axes[0].same == (1, 2)  # PyTorch 'same': the odd pixel after
    tf = cnncalc.pad(7, stride=2, size=224).axes[0].tf[0]
    assert (tf.output, tf.before, tf.after) == (112, 2, 3)  # reference.md
    assert tf.symmetric == (3,)
    per_axis = cnncalc.pad((1, 7))
    assert [a.symmetric for a in per_axis.axes] == [0, 3]


@pytest.mark.parametrize("k", range(1, 8))
@pytest.mark.parametrize("s", [2, 3, 4])
def test_tensorflow_split_by_residue_holds_for_every_size(k: int, s: int) -> None:
    axis = cnncalc.pad(k, stride=s, rank=1).axes[0]
    assert [split.residue for split in axis.tf] == list(range(s))
    for i in range(k + s, k + 8 * s):
        split = axis.tf[i % s]
        assert (split.before, split.after) == arith.tf_same_padding(i, k, s)
        assert arith.conv_out(i, k, s, split.before, split.after) == -(-i // s)
        for p in range(k):  # exactly the listed symmetric paddings give ⌈i/s⌉
            fits = i + 2 * p >= k and arith.conv_out(i, k, s, p, p) == -(-i // s)
            assert fits == (p in split.symmetric), (i, p)


def test_every_answer_is_what_pytorch_computes() -> None:
    """Each printed answer, built as a PyTorch layer, gives the wanted size (the oracle)."""
    torch = pytest.importorskip("torch")
    cases = [(227, 55, 11, False), (224, 112, (3, 7), False), (20, 7, 4, False),
             (7, 14, 4, True), (5, 11, (2, 5), True), (1, 4, 3, True)]
    for i, o, k, transpose in cases:
        for sol in cnncalc.solve(i, o, k, dilation=(1, 2), transpose=transpose):
            if transpose:
                layer = torch.nn.ConvTranspose1d(1, 1, sol.kernel, sol.stride, sol.padding,
                                                 sol.output_padding, dilation=sol.dilation)
            else:
                layer = torch.nn.Conv1d(1, 1, sol.kernel, sol.stride, sol.padding,
                                        dilation=sol.dilation)
            with torch.no_grad():
                assert layer(torch.zeros(1, 1, i)).shape[-1] == o, (i, o, sol)
