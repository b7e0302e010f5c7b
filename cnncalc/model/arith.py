"""Shape arithmetic: one small function per formula, each naming its source.

Every function here works on one spatial axis and plain integers; the ``*_output_size`` functions at
the bottom are the public, per-axis versions (an ``int`` or a tuple, one value per axis).

Names used inside the formulas: ``i`` input size, ``k`` kernel size, ``s`` stride, ``p`` padding
per side (``pb``/``pa`` before/after when asymmetric), ``d`` dilation, ``op`` output padding,
``o`` output.
Where PyTorch refuses a configuration these functions raise :class:`ShapeError` with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Union

from cnncalc.model.axes import whole_per_axis
from cnncalc.model.errors import ShapeError

IntOrSeq = Union[int, Sequence[int]]

PADDING_WORDS = ("same", "same_tf", "valid", "full")
"""The padding words a convolution accepts (:func:`word_padding`)."""
POOL_PADDING_WORDS = ("valid", "same_tf")
"""The padding words of pooling and locally connected layers: ``same`` and ``full`` would pad
more than half the kernel, which PyTorch's pooling refuses."""


def _check_positive(name: str, value: int) -> None:
    if value < 1:
        raise ShapeError(f"{name} must be at least 1, got {value}")


def _check_non_negative(name: str, value: int) -> None:
    if value < 0:
        raise ShapeError(f"{name} must not be negative, got {value}")


def effective_kernel(k: int, d: int = 1) -> int:
    """Kernel extent after dilation, ``d·(k − 1) + 1`` (Dumoulin & Visin, relationship 15)."""
    return d * (k - 1) + 1


def conv_out(i: int, k: int, s: int = 1, pb: int = 0, pa: int | None = None, d: int = 1) -> int:
    """Convolution output size, ``⌊(i + pb + pa − d·(k−1) − 1)/s⌋ + 1``.

    Source: PyTorch ``torch.nn.Conv2d`` docs (shape section); with ``pb = pa = p`` this is
    Dumoulin & Visin relationship 15. PyTorch refuses a dilated kernel larger than the padded input
    ("Kernel size can't be greater than actual input size").
    """
    pa = pb if pa is None else pa
    for name, value in (("kernel", k), ("stride", s), ("dilation", d), ("input size", i)):
        _check_positive(name, value)
    _check_non_negative("padding", pb)
    _check_non_negative("padding", pa)
    padded = i + pb + pa
    k_eff = effective_kernel(k, d)
    if k_eff > padded:
        what = f"kernel {k}" if d == 1 else f"dilated kernel {k_eff} (kernel {k}, dilation {d})"
        raise ShapeError(f"{what} is larger than the padded input {padded}")
    return (padded - k_eff) // s + 1


def conv_transpose_out(i: int, k: int, s: int = 1, pb: int = 0, pa: int | None = None,
                       op: int = 0, d: int = 1) -> int:
    """Transposed convolution output size, ``(i−1)·s − pb − pa + d·(k−1) + op + 1``.

    Source: PyTorch ``torch.nn.ConvTranspose2d`` docs; Dumoulin & Visin relationships 13–14.
    PyTorch requires ``op < s or op < d`` ("output padding must be smaller than either stride or
    dilation") and a positive result.
    """
    pa = pb if pa is None else pa
    for name, value in (("kernel", k), ("stride", s), ("dilation", d), ("input size", i)):
        _check_positive(name, value)
    _check_non_negative("padding", pb)
    _check_non_negative("padding", pa)
    _check_non_negative("output_padding", op)
    if not (op < s or op < d):
        raise ShapeError(
            f"output_padding {op} must be smaller than either stride {s} or dilation {d}")
    o = (i - 1) * s - pb - pa + d * (k - 1) + op + 1
    if o < 1:
        raise ShapeError(f"output size {o} is not positive (input {i}, kernel {k}, stride {s}, "
                         f"padding {pb}+{pa})")
    return o


def pool_out(i: int, k: int, s: int | None = None, pb: int = 0, pa: int | None = None,
             d: int = 1, ceil_mode: bool = False, rounding: str = "pytorch") -> int:
    """Pooling output size: the convolution formula, rounded down, or up with ``ceil_mode``.

    Source: PyTorch ``pooling_output_shape_pad_lr`` (aten/src/ATen/native/Pool.h). With
    ``ceil_mode`` the last window must start inside the input or the left padding: if
    ``(o−1)·s ≥ i + pb`` then ``o −= 1``. ``rounding='caffe'`` applies that correction only when
    padding is non-zero (Caffe's PoolingLayer::Reshape). The stride defaults to the kernel size,
    and PyTorch requires padding ≤ k/2 on each side.
    """
    s = k if s is None else s
    pa = pb if pa is None else pa
    for name, value in (("kernel", k), ("stride", s), ("dilation", d), ("input size", i)):
        _check_positive(name, value)
    _check_non_negative("padding", pb)
    _check_non_negative("padding", pa)
    if max(pb, pa) > k // 2:
        raise ShapeError(f"pool padding {max(pb, pa)} is more than half the kernel {k} "
                         f"(at most {k // 2})")
    k_eff = effective_kernel(k, d)
    numerator = i + pb + pa - k_eff
    o = (-(-numerator // s) if ceil_mode else numerator // s) + 1
    if ceil_mode and (rounding == "pytorch" or (pb or pa)) and (o - 1) * s >= i + pb:
        o -= 1
    if o < 1:
        raise ShapeError(f"output size {o} is not positive: the pooling window {k_eff} does not "
                         f"fit the padded input {i + pb + pa}")
    return o


def avg_pool3d_check(sizes: tuple[int, ...], kernels: tuple[int, ...]) -> None:
    """3-D average pooling also needs the *unpadded* input to be at least the kernel on every
    axis, whatever the padding: PyTorch's ``TORCH_META_FUNC(avg_pool3d)``
    (aten/src/ATen/native/AveragePool3d.cpp) calls ``pool3d_shape_check`` (Pool.h) with
    ``check_input_size=true`` ("input image (T: 1 H: 7 W: 3) smaller than kernel size").
    ``LPPool3d`` is built on ``avg_pool3d`` and inherits it; 1-D/2-D pooling and max pooling do
    not check it (found by tests/parity/test_random_layers.py)."""
    if len(sizes) == 3 and any(i < k for i, k in zip(sizes, kernels)):
        shown = "×".join(map(str, sizes))
        raise ShapeError(f"3-D average pooling needs an input of at least the kernel "
                         f"{'×'.join(map(str, kernels))} before padding, got {shown} (PyTorch)")


def same_padding(k: int, d: int = 1) -> tuple[int, int]:
    """PyTorch ``padding='same'`` (stride 1 only): total ``d·(k−1)``, the odd pixel after.

    Source: PyTorch ``_ConvNd`` with ``padding='same'`` (``_reversed_padding_repeated_twice``).
    """
    total = d * (k - 1)
    return total // 2, total - total // 2


def full_padding(k: int, d: int = 1) -> tuple[int, int]:
    """'full' padding: every partial overlap is computed, ``d·(k−1)`` on each side
    (Dumoulin & Visin, section 2.2.2)."""
    p = d * (k - 1)
    return p, p


def tf_same_padding(i: int, k: int, s: int = 1, d: int = 1) -> tuple[int, int]:
    """TensorFlow 'SAME': ``o = ⌈i/s⌉``, total ``max((o−1)·s + k_eff − i, 0)``, the odd pixel after.

    Source: TensorFlow guide "Convolution: padding" (tf.nn.convolution docs); 224, k=7, s=2 gives
    pads 2 and 3 for an output of 112.
    """
    o = -(-i // s)
    total = max((o - 1) * s + effective_kernel(k, d) - i, 0)
    return total // 2, total - total // 2


def word_padding(word: str, size: Sequence[int], kernel: Sequence[int],
                 stride: Sequence[int], dilation: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """Per-axis ``(before, after)`` for a padding word: ``valid`` (none), ``same`` (PyTorch:
    :func:`same_padding`, stride 1 only), ``same_tf`` (:func:`tf_same_padding`) or ``full``
    (:func:`full_padding`)."""
    if word == "valid":
        return ((0, 0),) * len(size)
    if word == "same":
        if any(s != 1 for s in stride):
            raise ShapeError("padding 'same' is only allowed with stride 1 (as in PyTorch); "
                             "use 'same_tf' for TensorFlow's asymmetric 'SAME' padding")
        return tuple(same_padding(k, d) for k, d in zip(kernel, dilation))
    if word == "same_tf":
        return tuple(tf_same_padding(i, k, s, d)
                     for i, k, s, d in zip(size, kernel, stride, dilation))
    if word == "full":
        return tuple(full_padding(k, d) for k, d in zip(kernel, dilation))
    raise ShapeError(f"unknown padding {word!r}")


def tf_valid_out(i: int, k: int, s: int = 1, d: int = 1) -> int:
    """TensorFlow 'VALID': ``o = ⌈(i − k_eff + 1)/s⌉`` (equal to the convolution formula, p = 0)."""
    return -(-(i - effective_kernel(k, d) + 1) // s)


def dropped_inputs(i: int, k: int, s: int, pb: int = 0, pa: int | None = None, d: int = 1) -> int:
    """Input pixels (not padding) that no window reaches because the stride does not divide
    ``i + pb + pa − k_eff`` (CS231n: W=10, F=3, S=2, P=0 would need 4.5 windows)."""
    pa = pb if pa is None else pa
    leftover = (i + pb + pa - effective_kernel(k, d)) % s
    return max(0, leftover - pa)


def upsample_out(i: int, scale: float | None = None, size: int | None = None) -> int:
    """Upsampling output size: ``size`` when given, else ``⌊i·scale⌋`` computed in double precision
    exactly as ``torch.nn.functional.interpolate`` does."""
    if size is not None:
        _check_positive("size", size)
        return size
    if scale is None:
        raise ShapeError("upsample needs either scale or size")
    if scale <= 0:
        raise ShapeError(f"scale must be positive, got {scale}")
    product = float(i) * float(scale)
    if product > 1e300:  # also inf; int() of it would fail, and no axis is that large
        raise ShapeError(f"output size {i} × scale {scale:g} is far too large")
    o = int(product // 1)
    if o < 1:
        raise ShapeError(f"output size {o} is not positive (input {i} × scale {scale})")
    return o


# --- public, per-axis API ---------------------------------------------------------------------

def _rank_of(size: IntOrSeq) -> int:
    return 1 if isinstance(size, int) else len(tuple(size))


def _result(size: IntOrSeq, values: list[int]) -> int | tuple[int, ...]:
    return values[0] if isinstance(size, int) else tuple(values)


def conv_output_size(size: IntOrSeq, kernel: IntOrSeq, stride: IntOrSeq = 1,
                     padding: IntOrSeq = 0, dilation: IntOrSeq = 1) -> int | tuple[int, ...]:
    """Output size of a convolution (PyTorch semantics) for one axis (``int``) or several.

    >>> conv_output_size(227, 11, stride=4)
    55
    >>> conv_output_size((224, 224), 7, stride=2, padding=3)
    (112, 112)
    """
    rank = _rank_of(size)
    i, k, s, p, d = (whole_per_axis(n, v, rank) for n, v in
                     (("size", size), ("kernel", kernel), ("stride", stride),
                      ("padding", padding), ("dilation", dilation)))
    return _result(size, [conv_out(*a) for a in zip(i, k, s, p, p, d)])


def conv_transpose_output_size(size: IntOrSeq, kernel: IntOrSeq, stride: IntOrSeq = 1,
                               padding: IntOrSeq = 0, output_padding: IntOrSeq = 0,
                               dilation: IntOrSeq = 1) -> int | tuple[int, ...]:
    """Output size of a transposed convolution (PyTorch semantics).

    >>> conv_transpose_output_size(3, 3, stride=2, padding=1, output_padding=1)
    6
    """
    rank = _rank_of(size)
    i, k, s, p, op, d = (whole_per_axis(n, v, rank) for n, v in
                         (("size", size), ("kernel", kernel), ("stride", stride),
                          ("padding", padding), ("output_padding", output_padding),
                          ("dilation", dilation)))
    return _result(size, [conv_transpose_out(ii, kk, ss, pp, pp, oo, dd)
                          for ii, kk, ss, pp, oo, dd in zip(i, k, s, p, op, d)])


def pool_output_size(size: IntOrSeq, kernel: IntOrSeq, stride: IntOrSeq | None = None,
                     padding: IntOrSeq = 0, dilation: IntOrSeq = 1,
                     ceil_mode: bool = False) -> int | tuple[int, ...]:
    """Output size of max/avg pooling (PyTorch semantics; stride defaults to the kernel).

    >>> pool_output_size((8, 10), 3, stride=4, ceil_mode=True)
    (2, 3)
    """
    rank = _rank_of(size)
    i, k, p, d = (whole_per_axis(n, v, rank) for n, v in
                  (("size", size), ("kernel", kernel), ("padding", padding),
                   ("dilation", dilation)))
    s = k if stride is None else whole_per_axis("stride", stride, rank)
    return _result(size, [pool_out(ii, kk, ss, pp, pp, dd, ceil_mode)
                          for ii, kk, ss, pp, dd in zip(i, k, s, p, d)])


# --- the same formulas with the numbers substituted (for --explain and the calculators) --------

def _pad_text(pb: int, pa: int) -> str:
    return f"2·{pb}" if pb == pa else f"{pb} + {pa}"


def conv_out_formula(i: int, k: int, s: int, pb: int, pa: int, d: int = 1) -> str:
    """``⌊(224 + 2·3 − 1·(7−1) − 1)/2⌋ + 1 = 112``."""
    o = conv_out(i, k, s, pb, pa, d)
    return f"⌊({i} + {_pad_text(pb, pa)} − {d}·({k}−1) − 1)/{s}⌋ + 1 = {o}"


def pool_out_formula(i: int, k: int, s: int, pb: int, pa: int, d: int = 1,
                     ceil_mode: bool = False, rounding: str = "pytorch") -> str:
    """Like :func:`conv_out_formula`, with ⌈⌉ under ceil_mode and the last-window correction."""
    o = pool_out(i, k, s, pb, pa, d, ceil_mode, rounding)
    body = f"({i} + {_pad_text(pb, pa)} − {d}·({k}−1) − 1)/{s}"
    if not ceil_mode:
        return f"⌊{body}⌋ + 1 = {o}"
    raw = -(-(i + pb + pa - effective_kernel(k, d)) // s) + 1
    if raw != o:
        return (f"⌈{body}⌉ + 1 − 1 = {o} (the last of {raw} windows would start in the padding: "
                f"({raw}−1)·{s} ≥ {i} + {pb})")
    return f"⌈{body}⌉ + 1 = {o}"


def conv_transpose_out_formula(i: int, k: int, s: int, pb: int, pa: int, op: int = 0,
                               d: int = 1) -> str:
    """``(3−1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 6``."""
    o = conv_transpose_out(i, k, s, pb, pa, op, d)
    pads = f"2·{pb}" if pb == pa else f"{pb} − {pa}"
    return f"({i}−1)·{s} − {pads} + {d}·({k}−1) + {op} + 1 = {o}"


def dropped_formula(i: int, k: int, s: int, pb: int, pa: int, d: int = 1) -> str:
    """Why :func:`dropped_inputs` pixels are dropped: ``1 input pixel at the end:
    (10 + 2·0 − 3) mod 2 = 1`` (the windows stop short of the last ``(L mod s) − pa`` pixels,
    ``L = i + pb + pa − k_eff``)."""
    dropped = dropped_inputs(i, k, s, pb, pa, d)
    left = (i + pb + pa - effective_kernel(k, d)) % s
    less = f" − {pa} of padding" if pa and dropped else ""
    return (f"{dropped} input pixel{'' if dropped == 1 else 's'} at the end: "
            f"({i} + {_pad_text(pb, pa)} − {effective_kernel(k, d)}) mod {s} = {left}{less}")


# --- parameters and MACs, and the same with the numbers substituted --------------------------

def times(values: Sequence[int]) -> str:
    """``7×7`` for a kernel, ``112×112`` for a plane (``1`` for none)."""
    return "×".join(str(v) for v in values) if values else "1"


def conv_weights(c_out: int, c_in: int, groups: int, kernel: tuple[int, ...]) -> int:
    """``C_out · (C_in/groups) · ∏k``: PyTorch ``ConvNd.weight`` has shape
    ``(C_out, C_in/groups, *kernel)``."""
    return c_out * (c_in // groups) * prod(kernel)


def conv_macs(c_out: int, out_spatial: tuple[int, ...], c_in: int, groups: int,
              kernel: tuple[int, ...]) -> int:
    """``C_out · ∏out · (C_in/groups) · ∏k`` multiply-accumulates per sample (fvcore's
    ``conv_flop_count``; torchvision's published "GFLOPS")."""
    return c_out * prod(out_spatial) * (c_in // groups) * prod(kernel)


def conv_transpose_weights(c_in: int, c_out: int, groups: int, kernel: tuple[int, ...]) -> int:
    """``C_in · (C_out/groups) · ∏k``: PyTorch ``ConvTransposeNd.weight`` has shape
    ``(C_in, C_out/groups, *kernel)``."""
    return c_in * (c_out // groups) * prod(kernel)


def conv_transpose_macs(c_in: int, in_spatial: tuple[int, ...], c_out: int, groups: int,
                        kernel: tuple[int, ...]) -> int:
    """Input-based: every input value is multiplied into ``(C_out/groups)·∏k`` outputs (fvcore,
    ptflops ≥ 0.7.5; docs/conventions.md)."""
    return c_in * prod(in_spatial) * (c_out // groups) * prod(kernel)


def locally_connected_weights(c_out: int, out_spatial: tuple[int, ...], c_in: int,
                              kernel: tuple[int, ...]) -> int:
    """``C_out · ∏out · C_in · ∏k``: a filter bank of its own at every output position (Keras
    ``LocallyConnected2D``; CS231n's count without parameter sharing)."""
    return c_out * prod(out_spatial) * c_in * prod(kernel)


def conv_params_formula(c_out: int, c_in: int, groups: int, kernel: tuple[int, ...],
                        bias: bool) -> str:
    """``params: 64·3·7×7 = 9,408 weights + 64 bias = 9,472``."""
    weights = conv_weights(c_out, c_in, groups, kernel)
    grp = f" ({c_in}/{groups} per group)" if groups > 1 else ""
    text = f"params: {c_out}·{c_in // groups}{grp}·{times(kernel)} = {weights:,} weights"
    return text + (f" + {c_out:,} bias = {weights + c_out:,}" if bias
                   else f" = {weights:,}")


def conv_macs_formula(c_out: int, out_spatial: tuple[int, ...], c_in: int, groups: int,
                      kernel: tuple[int, ...]) -> str:
    """``MACs: 64·112×112 outputs × 3·7×7 = 118,013,952``."""
    macs = conv_macs(c_out, out_spatial, c_in, groups, kernel)
    return (f"MACs: {c_out}·{times(out_spatial)} outputs × {c_in // groups}·{times(kernel)} "
            f"= {macs:,}")


def conv_transpose_params_formula(c_in: int, c_out: int, groups: int, kernel: tuple[int, ...],
                                  bias: bool) -> str:
    """``params: 128·64·2×2 = 32,768 weights + 64 bias = 32,832``."""
    weights = conv_transpose_weights(c_in, c_out, groups, kernel)
    text = f"params: {c_in}·{c_out // groups}·{times(kernel)} = {weights:,} weights"
    return text + (f" + {c_out:,} bias = {weights + c_out:,}" if bias
                   else f" = {weights:,}")


def conv_transpose_macs_formula(c_in: int, in_spatial: tuple[int, ...], c_out: int, groups: int,
                                kernel: tuple[int, ...]) -> str:
    """``MACs (input-based): 128·28×28 inputs × 64·2×2 = 25,690,112``."""
    macs = conv_transpose_macs(c_in, in_spatial, c_out, groups, kernel)
    return (f"MACs (input-based): {c_in}·{times(in_spatial)} inputs × {c_out // groups}·"
            f"{times(kernel)} = {macs:,}")
