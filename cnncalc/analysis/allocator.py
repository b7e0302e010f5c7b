"""How the device allocator counts the bytes of a memory timeline (docs/memory.md, "The
allocator").

* :class:`ExactCounter` counts every tensor at its size in bytes: what a live-tensor count on
  the CPU (PyTorch's profiler) reports.
* :class:`CachingAllocator` replays PyTorch's CUDA caching allocator
  (``c10/cuda/CUDACachingAllocator.cpp``, default settings) as far as
  ``torch.cuda.memory_allocated()`` counts it: every request rounded up to a multiple of
  512 bytes; requests of at most 1 MiB served from the *small pool* (2 MiB segments, split
  exactly), larger ones from the *large pool*, where the smallest cached free block that fits
  is taken (best fit) and split only if more than 1 MiB would remain — a remainder of at most
  1 MiB stays in the block and **is counted as allocated**. A request that no cached block
  fits gets a new segment: 2 MiB (small), 20 MiB (from 1 to 10 MiB) or the request rounded up
  to 2 MiB; a freed block merges with free neighbours of its segment. Segments are never
  returned to the device during a timeline (``empty_cache`` is not called).

Both count in exact integer bytes and keep their peak; the timeline reads ``allocated`` and
``peak``.
"""

from __future__ import annotations

from bisect import bisect_left, insort

MIN_BLOCK = 512
"""Every CUDA allocation is rounded up to a multiple of 512 bytes (kMinBlockSize)."""
SMALL_SIZE = 1 << 20
"""Requests up to 1 MiB come from the small pool (kSmallSize); also the largest remainder the
large pool leaves inside a block rather than splitting it off."""
SMALL_BUFFER = 2 << 20
"""Small-pool segments are 2 MiB (kSmallBuffer)."""
LARGE_BUFFER = 20 << 20
"""Requests between 1 and 10 MiB get a 20 MiB segment (kLargeBuffer)..."""
MIN_LARGE_ALLOC = 10 << 20
"""...and requests of 10 MiB or more a segment of their own size (kMinLargeAlloc)..."""
ROUND_LARGE = 2 << 20
"""...rounded up to 2 MiB (kRoundLarge)."""


def round_size(nbytes: int) -> int:
    """The size the caching allocator reserves for a request: a multiple of 512 bytes."""
    return max(MIN_BLOCK, -(-nbytes // MIN_BLOCK) * MIN_BLOCK)


def segment_size(size: int) -> int:
    """The size of a new segment for a (rounded) request that no cached block fits."""
    if size <= SMALL_SIZE:
        return SMALL_BUFFER
    if size < MIN_LARGE_ALLOC:
        return LARGE_BUFFER
    return -(-size // ROUND_LARGE) * ROUND_LARGE


class ExactCounter:
    """Counts tensors at their exact size (the CPU), or with ``rounded`` at the least the
    caching allocator can count for them: each request rounded up to 512 bytes, no cache."""

    def __init__(self, rounded: bool = False) -> None:
        self.allocated = 0
        self.peak = 0
        self._sizes: dict[int, int] = {}
        self._next = 0
        self._rounded = rounded

    def malloc(self, nbytes: int) -> int:
        handle = self._next
        self._next += 1
        if self._rounded and nbytes:
            nbytes = round_size(nbytes)
        self._sizes[handle] = nbytes
        self.allocated += nbytes
        if self.allocated > self.peak:
            self.peak = self.allocated
        return handle

    def free(self, handle: int) -> None:
        self.allocated -= self._sizes.pop(handle)

    def reset_peak(self) -> None:
        self.peak = self.allocated


class _Block:
    __slots__ = ("addr", "free", "next", "prev", "size", "small")

    def __init__(self, addr: int, size: int, small: bool) -> None:
        self.addr = addr
        self.size = size
        self.small = small
        self.free = True
        self.prev: _Block | None = None
        self.next: _Block | None = None


class CachingAllocator:
    """PyTorch's CUDA caching allocator, one device and one stream, counted as
    ``memory_allocated()`` counts (see the module docstring)."""

    def __init__(self) -> None:
        self.allocated = 0
        self.peak = 0
        self._pools: dict[bool, list[tuple[int, int]]] = {True: [], False: []}  # (size, addr)
        self._blocks: dict[int, _Block] = {}  # free and allocated blocks by address
        self._top = 0  # the next segment's address

    def malloc(self, nbytes: int) -> int:
        """Allocate ``nbytes`` (0 allocates nothing and returns -1); returns a handle."""
        if nbytes == 0:
            return -1
        size = -(-nbytes // MIN_BLOCK) * MIN_BLOCK  # round_size, inline: the hot path
        small = size <= SMALL_SIZE
        pool = self._pools[small]
        at = bisect_left(pool, (size, -1))
        if at < len(pool):
            block = self._blocks[pool.pop(at)[1]]
        else:
            block = _Block(self._top, segment_size(size), small)
            self._top += block.size
            self._blocks[block.addr] = block
        remaining = block.size - size
        if remaining >= MIN_BLOCK if small else remaining > SMALL_SIZE:
            rest = _Block(block.addr + size, remaining, small)
            rest.prev, rest.next = block, block.next
            if block.next is not None:
                block.next.prev = rest
            block.next = rest
            block.size = size
            self._blocks[rest.addr] = rest
            insort(pool, (rest.size, rest.addr))
        block.free = False
        self.allocated += block.size
        if self.allocated > self.peak:
            self.peak = self.allocated
        return block.addr

    def free(self, handle: int) -> None:
        if handle < 0:
            return
        block = self._blocks[handle]
        self.allocated -= block.size
        block.free = True
        pool = self._pools[block.small]
        for neighbour in (block.prev, block.next):
            if neighbour is not None and neighbour.free:
                pool.pop(bisect_left(pool, (neighbour.size, neighbour.addr)))
                del self._blocks[neighbour.addr]
                if neighbour is block.prev:
                    block.addr = neighbour.addr
                    block.prev = neighbour.prev
                    if block.prev is not None:
                        block.prev.next = block
                else:
                    block.next = neighbour.next
                    if block.next is not None:
                        block.next.prev = block
                block.size += neighbour.size
        self._blocks.pop(handle, None)
        self._blocks[block.addr] = block
        insort(pool, (block.size, block.addr))

    def reset_peak(self) -> None:
        self.peak = self.allocated
