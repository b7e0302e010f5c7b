"""Reading an ONNX file's graph without its weights, in bounded memory.

An ONNX model is one protobuf message whose initializers carry the weights (often nearly all of
the file). :func:`graph_bytes` walks the protobuf wire format of the file — read in small blocks
at the offsets the walk needs (:class:`FileBytes`) — and copies everything except initializer
data over :data:`KEEP_BYTES` (small initializers — reshape targets, pads, scales — are kept: the
importer needs their values). The weights are never read, so a 100 MB model is parsed as a few
hundred kilobytes, in a few hundred kilobytes. The walk refuses malformed or
truncated input and counts the graph's elements before anything is parsed, so a file of millions
of tiny nested messages (a "protobuf bomb") is refused instead of expanding in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Protocol, overload

KEEP_BYTES = 4096
"""Initializers up to this many bytes keep their data; larger ones keep name, type and dims."""

_GRAPH = 7            # ModelProto.graph
_NODE, _INITIALIZER, _INPUT, _OUTPUT, _VALUE_INFO = 1, 5, 11, 12, 13   # GraphProto fields
_TENSOR_DATA = {4, 5, 6, 7, 9, 10, 11}   # float/int32/string/int64/raw/double/uint64 data


class WireError(Exception):
    """The bytes are not a well-formed protobuf message (truncated, or not ONNX at all)."""


class Buffer(Protocol):
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> bytes: ...


BLOCK = 1 << 16


class FileBytes:
    """A file's bytes by offset, read in 64 KiB blocks as they are asked for (the last few
    kept), so walking past the weights never reads them."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.size = os.fstat(fd).st_size
        self.blocks: dict[int, bytes] = {}

    def __len__(self) -> int:
        return self.size

    def _block(self, n: int) -> bytes:
        block = self.blocks.get(n)
        if block is None:
            if len(self.blocks) >= 8:
                self.blocks.pop(next(iter(self.blocks)))
            block = self.blocks[n] = os.pread(self.fd, BLOCK, n * BLOCK)
        return block

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> bytes: ...

    def __getitem__(self, index: int | slice) -> int | bytes:
        if isinstance(index, int):
            if not 0 <= index < self.size:
                raise IndexError(index)
            return self._block(index // BLOCK)[index % BLOCK]
        start, stop = index.start or 0, min(index.stop, self.size)
        if stop - start > 4 * BLOCK:
            return os.pread(self.fd, stop - start, start)
        parts = []
        while start < stop:
            block = self._block(start // BLOCK)
            piece = block[start % BLOCK:min(stop - start + start % BLOCK, BLOCK)]
            if not piece:
                break
            parts.append(piece)
            start += len(piece)
        return b"".join(parts)


def _varint(buf: Buffer | bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise WireError(f"a number runs past the end of its message at byte {pos}")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError(f"a number longer than 10 bytes at byte {pos}")


def _fields(buf: Buffer | bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, first byte of the field, first byte of its payload, end) of each field."""
    pos = start
    while pos < end:
        first = pos
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError(f"field number 0 at byte {first}")
        if wire == 0:
            _, stop = _varint(buf, pos, end)
        elif wire == 1:
            stop = pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            stop = pos + length
        elif wire == 5:
            stop = pos + 4
        else:
            raise WireError(f"unsupported wire type {wire} at byte {first}")
        if stop > end:
            raise WireError(f"field {number} at byte {first} ends past the end of its message "
                            f"(byte {stop} of {end}): the file is truncated")
        yield number, first, pos, stop
        pos = stop


def _put_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _message(out: bytearray, number: int, payload: bytes | bytearray) -> None:
    _put_varint(out, number << 3 | 2)
    _put_varint(out, len(payload))
    out += payload


def graph_bytes(buf: Buffer | bytes, max_elements: int) -> tuple[bytes, int]:
    """The model's bytes with large initializer data left out, and how many bytes were left
    out. Raises WireError for malformed input or a graph of more than ``max_elements`` nodes,
    initializers and value infos."""
    out = bytearray()
    skipped = 0
    seen_graph = False
    for number, first, start, stop in _fields(buf, 0, len(buf)):
        if number != _GRAPH:
            out += buf[first:stop]
            continue
        if seen_graph:
            raise WireError("the model has two graphs")
        seen_graph = True
        graph = bytearray()
        elements = 0
        for g_number, g_first, g_start, g_stop in _fields(buf, start, stop):
            if g_number in (_NODE, _INITIALIZER, _INPUT, _OUTPUT, _VALUE_INFO):
                elements += 1
                if elements > max_elements:
                    raise WireError(f"the graph has more than {max_elements:,} nodes, "
                                    f"initializers and values (--limit max_layers raises it)")
            if g_number == _INITIALIZER and g_stop - g_start > KEEP_BYTES:
                tensor = bytearray()
                for t_number, t_first, _, t_stop in _fields(buf, g_start, g_stop):
                    if t_number in _TENSOR_DATA:
                        skipped += t_stop - t_first
                    else:
                        tensor += buf[t_first:t_stop]
                _message(graph, g_number, tensor)
            else:
                graph += buf[g_first:g_stop]
        _message(out, _GRAPH, graph)
    if not seen_graph:
        raise WireError("no graph in the file")
    return bytes(out), skipped
