"""What every importer produces: the model's layers in cnncalc's terms, flat, before any
structure is recovered (:mod:`cnncalc.importers.recover`) or a spec is written
(:mod:`cnncalc.importers.write`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.graph import INPUT

__all__ = ["INPUT", "MALFORMED", "Imported", "Namer", "Op", "import_error", "part_of",
           "spec_name"]

MALFORMED = (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError,
             OverflowError)
"""What a reader's handler raises on a missing or mistyped value in a file it was handed; each
reader turns these into an error naming the node or layer."""


@dataclass(frozen=True)
class Op:
    """One layer read from a model file.

    ``kind`` and ``attrs`` are what a spec would say (``conv``, ``{"out": 64, "kernel": 3}``:
    only attributes that differ from the kind's defaults); ``inputs`` names earlier ops (or
    ``"input"``). ``origin`` says where it was found, for messages (``node 12 'Conv_3'``).
    ``shape`` is the output shape the source itself states (channels first, no batch) and
    ``params`` the parameters its weight tensors hold, when the source says: the importer checks
    cnncalc's numbers against both."""

    name: str
    kind: str
    attrs: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = (INPUT,)
    origin: str = ""
    shape: tuple[int, ...] | None = None
    params: int | None = None
    trainable: bool = True


@dataclass(frozen=True)
class Imported:
    """A model read from a file: its layers and what the reader learnt or had to approximate.

    ``notes`` are the approximations (batch norm folded by an exporter, a pool fixed at the
    traced size): the written spec lists them in its header, and the commands print them as
    warnings."""

    name: str
    input_shape: tuple[int, ...]
    ops: tuple[Op, ...]
    source: str
    format: str
    producer: str = ""
    notes: tuple[str, ...] = ()
    batch: int = 1


def import_error(message: str, path: str, line: int | None = None, column: int = 1,
                 code: str = "import") -> SpecError:
    """The error of a model that cannot be imported: at ``path:line:column`` in a text file,
    or, in a binary file (no lines), with the path in front of a message that names the node
    and where it is."""
    if line is None:
        return SpecError(f"{path}: {message}", None, code=code)
    return SpecError(message, Mark(path, line, column), code=code)


_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
MAX_NAME = 100


def spec_name(raw: str) -> str:
    """A source's layer name as a spec name: ``conv1/7x7_s2`` → ``conv1.7x7_s2``,
    ``/layer1/layer1.0/conv1/Conv`` → ``layer1.0.conv1`` is the caller's business; here only
    characters outside ``[A-Za-z0-9_.-]`` become ``_``, ``/`` and ``:`` become ``.``, and a
    name that does not start with a letter or ``_`` gets a ``_`` in front."""
    text = raw.replace("/", ".").replace(":", ".")
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text).strip(".")
    if not text:
        return ""
    if not (text[0].isalpha() or text[0] == "_") or not text[0].isascii():
        text = "_" + text
    return text[:MAX_NAME].rstrip(".")


class Namer:
    """Unique spec names in the order they are asked for (``relu``, ``relu_2``, ...);
    ``input`` is reserved for the network input."""

    def __init__(self) -> None:
        self.taken: set[str] = {INPUT}

    def take(self, raw: str, fallback: str) -> str:
        base = spec_name(raw) or fallback
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base[:MAX_NAME - len(str(n)) - 1]}_{n}"
        self.taken.add(name)
        return name


def part_of(channels: int, start: int, size: int) -> dict[str, Any]:
    """The split attributes that take channels ``start`` to ``start + size``: equal parts
    (``torch.chunk``) where some number of them has this part, else the sizes."""
    for parts in range(2, channels + 1):
        step = -(-channels // parts)
        if start % step == 0 and size == min(step, channels - start):
            return {"parts": parts, "take": start // step} if start else {"parts": parts}
        if step < size:
            break
    sizes = [s for s in (start, size, channels - start - size) if s]
    return {"parts": sizes, "take": 1 if start else 0} if start else {"parts": sizes}
