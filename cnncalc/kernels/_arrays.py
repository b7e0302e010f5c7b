"""Array helpers shared by the kernels: padding, window views, reusable scratch buffers.

Arrays are batch first and channels first: ``(N, C, *spatial)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from math import prod
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from cnncalc.model.geometry import Window
from cnncalc.model.shape import Shape

Array = npt.NDArray[Any]

_scratch: dict[str, Array] | None = None


@contextmanager
def reused_buffers() -> Iterator[None]:
    """Within this block, :func:`scratch` hands out one growing buffer per slot instead of a
    fresh array each call. Writing a large fresh array costs a page fault every 4 KiB, which for
    VGG's first im2col (115 MB) is as slow as the copy itself; a network run reuses its buffers."""
    global _scratch
    previous = _scratch
    _scratch = {}
    try:
        yield
    finally:
        _scratch = previous


def scratch(slot: str, shape: Sequence[int], dtype: Any) -> Array:
    """A writable array of ``shape`` whose contents are undefined; its memory is reused by the
    next call for the same slot inside :func:`reused_buffers`, so it must never be returned."""
    n = prod(shape)
    if _scratch is None:
        return np.empty(tuple(shape), dtype)
    buf = _scratch.get(slot)
    if buf is None or buf.dtype != np.dtype(dtype) or buf.size < n:
        buf = np.empty(n, dtype)
        _scratch[slot] = buf
    return buf[:n].reshape(tuple(shape))


def shape_of(x: Array) -> Shape:
    """The per-sample :class:`Shape` of a batch-first array."""
    return Shape(int(x.shape[1]), tuple(int(d) for d in x.shape[2:]))


def spatial_slices(rank: int, per_axis: Sequence[slice]) -> tuple[slice, ...]:
    """An index that keeps batch and channels and applies one slice per spatial axis."""
    return (slice(None), slice(None), *per_axis[:rank])


def pad_spatial(x: Array, pads: Sequence[tuple[int, int]], fill: float,
                slot: str | None = None) -> Array:
    """``x`` with ``(before, after)`` elements of ``fill`` around each spatial axis (the array
    itself when nothing is padded). With ``slot`` the result lives in a scratch buffer."""
    if all(pb == 0 and pa == 0 for pb, pa in pads):
        return x
    lead = x.shape[:2]
    shape = (*lead, *(i + pb + pa for i, (pb, pa) in zip(x.shape[2:], pads)))
    out = scratch(slot, shape, x.dtype) if slot else np.empty(shape, x.dtype)
    rank = len(pads)
    for axis, (pb, pa) in enumerate(pads):
        size = out.shape[2 + axis]
        for part in (slice(0, pb), slice(size - pa, size)):
            if part.start < part.stop:
                index = [slice(None)] * rank
                index[axis] = part
                out[spatial_slices(rank, index)] = fill
    inner = [slice(pb, pb + i) for i, (pb, _) in zip(x.shape[2:], pads)]
    out[spatial_slices(rank, inner)] = x
    return out


def window_view(xp: Array, ks: Sequence[int], strides: Sequence[int],
                dilations: Sequence[int], counts: Sequence[int] | None = None) -> Array:
    """A read-only view ``(N, C, *out, *kernel)`` of the windows of a padded array: window
    ``o`` on an axis starts at ``o·s`` and reads ``k`` taps ``d`` apart. Built from
    :func:`numpy.lib.stride_tricks.sliding_window_view`, so no data is copied. ``counts`` keeps
    only the first windows on each axis (ceil-mode pooling pads more than it uses)."""
    rank = len(ks)
    extents = tuple((k - 1) * d + 1 for k, d in zip(ks, dilations))
    axes = tuple(range(2, 2 + rank))
    view = sliding_window_view(xp, extents, axis=axes)
    outer = [slice(None, None if counts is None else (counts[a] - 1) * strides[a] + 1,
                   strides[a]) for a in range(rank)]
    taps = [slice(None, None, d) for d in dilations]
    index = (slice(None), slice(None), *outer, *taps)
    return view[index]


def im2col(x: Array, windows: Sequence[Window]) -> tuple[Array, tuple[int, ...]]:
    """Columns ``(N, C, ∏kernel, ∏out)`` of a convolution's input, and the output sizes.

    Zero padding (from the resolved windows) goes into a scratch buffer, the windows are a
    :func:`window_view` of it, and one copy lays them out for a single matrix product. A 1×1
    kernel without padding needs no copy at stride 1."""
    ks = [w.k for w in windows]
    ss = [w.s for w in windows]
    ds = [w.d for w in windows]
    n, c = x.shape[:2]
    xp = pad_spatial(x, [(w.pb, w.pa) for w in windows], 0.0, slot="pad")
    if all(k == 1 for k in ks):
        picked = xp[spatial_slices(len(ks), [slice(None, None, s) for s in ss])]
        out = tuple(int(d) for d in picked.shape[2:])
        if picked.flags.c_contiguous:
            return picked.reshape(n, c, 1, prod(out)), out
        cols = scratch("cols", picked.shape, x.dtype)
        np.copyto(cols, picked)
        return cols.reshape(n, c, 1, prod(out)), out
    view = window_view(xp, ks, ss, ds)
    rank = len(ks)
    out = tuple(int(d) for d in view.shape[2:2 + rank])
    order = (0, 1, *range(2 + rank, 2 + 2 * rank), *range(2, 2 + rank))
    cols = scratch("cols", (n, c, *ks, *out), x.dtype)
    np.copyto(cols, view.transpose(order))
    return cols.reshape(n, c, prod(ks), prod(out)), out
