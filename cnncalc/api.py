"""The Python API: load a spec, analyse it, and the quick-answer formulas.

>>> import cnncalc
>>> net = cnncalc.load("specs/vgg16.yaml")          # doctest: +SKIP
>>> report = net.summary(batch=1)                    # doctest: +SKIP
>>> report.totals.params                             # doctest: +SKIP
138357544
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Union

from cnncalc.analysis.memory import MemoryConfig
from cnncalc.analysis.report import Report
from cnncalc.analysis.sweep import MAX_SIZES, Sweep, sweep_input
from cnncalc.analysis.walk import analyze, explain
from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.graph import Graph
from cnncalc.model.limits import DEFAULT_LIMITS, Limits
from cnncalc.model.quantity import QuantityError, parse_size_list, parse_sizes
from cnncalc.model.shape import Shape
from cnncalc.spec import bundled
from cnncalc.spec.build import build_graph
from cnncalc.spec.tree import Item
from cnncalc.spec.yaml_loader import parse_yaml

ShapeLike = Union[Shape, str, tuple[int, ...], list[int]]
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Network:
    """A loaded spec: its graph, where it came from, and the limits it was loaded under."""

    graph: Graph
    path: str | None = None
    text: str | None = None
    limits: Limits = DEFAULT_LIMITS
    doc: Any = field(default=None, compare=False, repr=False)
    """The parsed spec (an Item tree), kept to build the graph again for another input."""

    @property
    def name(self) -> str:
        return self.graph.name

    @property
    def input_shape(self) -> Shape:
        return self.graph.input_shape

    def at(self, input_shape: ShapeLike | None) -> Network:
        """The network for another input: itself, unless its expressions read a layer's input
        shape (``$in.height``) and ``input_shape`` differs from the spec's, when its graph is
        built again for that input."""
        if input_shape is None:
            return self
        shape = to_shape(input_shape)
        if shape.rank != self.graph.input_shape.rank:
            raise SpecError(f"input {shape} has {shape.rank} spatial axes but the spec's input "
                            f"{self.graph.input_shape} has {self.graph.input_shape.rank}",
                            code="input-shape")
        if not self.graph.input_dependent or shape == self.graph.input_shape or self.doc is None:
            return self
        graph = build_graph(self.doc, self.path, self.limits, self.graph.name,
                            loader=_loader(self.limits), input_shape=shape)
        return Network(graph, self.path, self.text, self.limits, self.doc)

    def summary(self, input_shape: ShapeLike | None = None, batch: int | None = None,
                memory: MemoryConfig | None = None) -> Report:
        """Analyse the network: shapes, parameters, MACs, receptive fields and memory per layer.

        ``input_shape`` overrides the spec's input (``"3x384x384"``, ``(3, 384, 384)``);
        ``batch`` the spec's batch size; ``memory`` the dtype, optimizer and precision of the
        memory figures (``MemoryConfig(dtype="float16", optimizer="adam")``; default float32
        and SGD).
        """
        network = self.at(input_shape)
        shape = to_shape(input_shape) if input_shape is not None else None
        return analyze(network.graph, shape, batch, memory, limits=self.limits)

    def explain(self, input_shape: ShapeLike | None = None,
                batch: int | None = None) -> dict[str, tuple[str, ...]]:
        """Per layer name, its formulas with the numbers substituted (``summary --explain``)."""
        return explain(self.at(input_shape).graph, self.summary(input_shape, batch))

    def sweep_input(self, sizes: str | Iterable[int | tuple[int, ...]],
                    batch: int | None = None) -> Sweep:
        """The network at many input sizes (``summary --sweep-input``): ``"128:512:32"`` (both
        ends included), ``"224,256,320"``, or sizes (an int for every spatial axis, or a tuple
        per axis). Each row of the result has the report or the error that stops it, the layers
        whose stride drops pixels, and whether the parameter count changes."""
        if isinstance(sizes, str):
            try:
                sizes = parse_size_list(sizes, max_items=MAX_SIZES)
            except QuantityError as exc:
                raise SpecError(str(exc)) from None
        return sweep_input(self.graph, sizes, batch, graph_for=lambda shape: self.at(shape).graph)


def to_shape(value: ShapeLike) -> Shape:
    if isinstance(value, Shape):
        return value
    if isinstance(value, str):
        try:
            return Shape.of(parse_sizes(value))
        except QuantityError as exc:
            raise SpecError(str(exc), code="input-shape") from None
    return Shape.of(tuple(value))


def read_spec_file(path: str | os.PathLike[str]) -> str:
    """Read a spec file as UTF-8 text, with a located error for anything that is not one."""
    shown = os.fspath(path)
    try:
        if os.path.isdir(path):
            raise SpecError(f"{shown} is a directory, not a spec file", Mark(shown, 1, 1),
                            code="io")
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SpecError(f"no such file: {shown}", Mark(shown, 1, 1), code="io") from None
    except IsADirectoryError:
        raise SpecError(f"{shown} is a directory, not a spec file", Mark(shown, 1, 1),
                        code="io") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise SpecError(f"cannot read {shown}: {reason}", Mark(shown, 1, 1),
                        code="io") from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(f"{shown} is larger than {MAX_FILE_BYTES // 2**20} MiB; that is not a "
                        f"spec file", Mark(shown, 1, 1), code="limit")
    return decode_text(data, shown)


def decode_text(data: bytes, shown: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise SpecError(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); is it a "
                        f"binary file?", Mark(shown, line, col), code="encoding") from None
    return text[1:] if text.startswith("\ufeff") else text  # a UTF-8 byte-order mark


def parse(text: str, path: str = "<string>", limits: Limits = DEFAULT_LIMITS,
          default_name: str | None = None) -> Network:
    """Build a Network from spec text (YAML)."""
    doc = parse_yaml(text, path, limits)
    graph = build_graph(doc, path, limits, default_name, loader=_loader(limits))
    return Network(graph, path, text, limits, doc)


def _loader(limits: Limits) -> Any:
    """Reads a file that a spec includes (``include:``), with the same limits."""
    def load_included(path: str) -> Any:
        return parse_yaml(read_spec_file(path), path, limits)

    return load_included


def from_dict(spec: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> Network:
    """Build a Network from a spec written as Python data (the same shape as the YAML)."""
    doc = Item.wrap(spec, limits=limits)
    return Network(build_graph(doc, None, limits), None, None, limits, doc)


def resolve_spec(spec: str | os.PathLike[str]) -> str | None:
    """A spec argument as a file path: the path itself if it exists, else the bundled spec of
    that name. A name the operating system cannot even look up (too long, a NUL byte) is
    neither."""
    try:
        if os.path.exists(spec):
            return os.fspath(spec)
        found = bundled.find(os.fspath(spec))
        return str(found) if found is not None else None
    except (OSError, ValueError):
        return None


def spec_stem(path: str) -> str:
    """``specs/vgg16.yaml`` → ``vgg16`` (the default network name)."""
    return os.path.splitext(os.path.basename(path))[0]


def load(spec: str | os.PathLike[str] | dict[str, Any],
         limits: Limits = DEFAULT_LIMITS) -> Network:
    """Load a spec from a file path, a bundled spec's name (``"vgg16"``), YAML text, or a dict.

    Raises :class:`cnncalc.SpecError` with ``file:line:col`` for any mistake in it.
    """
    if isinstance(spec, dict):
        return from_dict(spec, limits)
    if isinstance(spec, str) and ("\n" in spec or spec.lstrip().startswith("{")):
        return parse(spec, "<string>", limits)
    path = resolve_spec(spec)
    if path is None:
        shown = str(spec)
        known = ", ".join(bundled.names())
        raise SpecError(f"no such file: {shown} (bundled specs: {known})", Mark(shown, 1, 1),
                        code="io")
    text = read_spec_file(path)
    shown = os.fspath(spec) if os.path.exists(spec) else path
    return parse(text, shown, limits, spec_stem(path))
