"""The Python API: load a spec, analyse it, and the quick-answer formulas.

>>> import cnncalc
>>> net = cnncalc.load("specs/vgg16.yaml")          # doctest: +SKIP
>>> report = net.summary(batch=1)                    # doctest: +SKIP
>>> report.totals.params                             # doctest: +SKIP
138357544
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Union

from cnncalc.analysis.memory import MemoryConfig
from cnncalc.analysis.report import Report
from cnncalc.analysis.sweep import MAX_SIZES, Sweep, sweep_input
from cnncalc.analysis.walk import Progress, analyze, explain, input_changes_params
from cnncalc.importers import import_model, is_model_file
from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.graph import Graph
from cnncalc.model.limits import DEFAULT_LIMITS, Limits
from cnncalc.model.quantity import QuantityError, parse_size_list, parse_sizes
from cnncalc.model.shape import Shape
from cnncalc.spec import bundled
from cnncalc.spec.build import build_graph
from cnncalc.spec.source import STDIN, STDIN_SHOWN
from cnncalc.spec.source import decode_text as decode_text  # re-exported: benchmarks/fuzz.py
from cnncalc.spec.source import read_spec_file as read_spec_file  # re-exported: the CLI
from cnncalc.spec.tree import Item
from cnncalc.spec.yaml_loader import parse_yaml

ShapeLike = Union[Shape, str, tuple[int, ...], list[int]]


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
                memory: MemoryConfig | None = None, progress: Progress | None = None) -> Report:
        """Analyse the network: shapes, parameters, MACs, receptive fields and memory per layer.

        ``input_shape`` overrides the spec's input (``"3x384x384"``, ``(3, 384, 384)``);
        ``batch`` the spec's batch size; ``memory`` the dtype, optimizer and precision of the
        memory figures (``MemoryConfig(dtype="float16", optimizer="adam")``; default float32
        and SGD); ``progress(done, total, layer)`` is told how far the walk has got.
        """
        network = self.at(input_shape)
        shape = to_shape(input_shape) if input_shape is not None else None
        report = analyze(network.graph, shape, batch, memory, limits=self.limits,
                         progress=progress)
        if shape is None or shape == self.graph.input_shape:
            return report
        try:  # another input: does the network keep its parameters?
            reference = analyze(self.graph, None, batch, memory, limits=self.limits)
        except SpecError:  # the spec's own input fails: nothing to compare with
            return report
        changed = input_changes_params(report, reference)
        if changed is None:
            return report
        return replace(report, warnings=(*report.warnings, changed))

    def explain(self, input_shape: ShapeLike | None = None,
                batch: int | None = None) -> dict[str, tuple[str, ...]]:
        """Per layer name, its formulas with the numbers substituted (``summary --explain``)."""
        return explain(self.at(input_shape).graph, self.summary(input_shape, batch))

    def sweep_input(self, sizes: str | Iterable[int | tuple[int, ...]],
                    batch: int | None = None, progress: Progress | None = None) -> Sweep:
        """The network at many input sizes (``summary --sweep-input``): ``"128:512:32"`` (both
        ends included), ``"224,256,320"``, or sizes (an int for every spatial axis, or a tuple
        per axis). Each row of the result has the report or the error that stops it, the layers
        whose stride drops pixels, and whether the parameter count changes. ``progress`` is told
        after each size."""
        if isinstance(sizes, str):
            try:
                sizes = parse_size_list(sizes, max_items=MAX_SIZES)
            except QuantityError as exc:
                raise SpecError(str(exc)) from None
        return sweep_input(self.graph, sizes, batch, progress,
                           graph_for=lambda shape: self.at(shape).graph)


def to_shape(value: ShapeLike) -> Shape:
    if isinstance(value, Shape):
        return value
    if isinstance(value, str):
        try:
            return Shape.of(parse_sizes(value))
        except QuantityError as exc:
            raise SpecError(str(exc), code="input-shape") from None
    return Shape.of(tuple(value))


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
    neither. A directory entry that cannot be followed (a link to a missing file, a loop of
    links) is a path too, so that reading it says what is wrong with it."""
    try:
        if os.path.lexists(spec):
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
    """Load a spec from a file path, a bundled spec's name (``"vgg16"``), ``"-"`` (standard
    input), YAML text, or a dict; or a model file (ONNX, Caffe, Keras, PyTorch:
    :func:`load_model`).

    Raises :class:`cnncalc.SpecError` with ``file:line:col`` for any mistake in it.
    """
    if isinstance(spec, dict):
        return from_dict(spec, limits)
    if isinstance(spec, str) and ("\n" in spec or spec.lstrip().startswith("{")):
        return parse(spec, "<string>", limits)
    if spec == STDIN:
        return parse(read_spec_file(STDIN, limits), STDIN_SHOWN, limits)
    if is_model_file(os.fspath(spec)):
        return load_model(os.fspath(spec), limits)
    path = resolve_spec(spec)
    if path is None:
        shown = str(spec)
        known = ", ".join(bundled.names())
        raise SpecError(f"no such file: {shown} (bundled specs: {known})", Mark(shown, 1, 1),
                        code="io")
    text = read_spec_file(path, limits)
    shown = os.fspath(spec) if os.path.exists(spec) else path
    return parse(text, shown, limits, spec_stem(path))


class ImportApproximation(UserWarning):
    """What an imported model lost (batch norm folded by an exporter, ...): the text of a
    warning :func:`load_model` issues."""


def load_model(source: str, limits: Limits = DEFAULT_LIMITS,
               input_shape: ShapeLike | None = None) -> Network:
    """Import a model — ``model.onnx``, ``deploy.prototxt``, ``model.keras`` or its JSON config,
    ``program.pt2``, ``package.module:factory`` — as the spec ``cnncalc import`` writes
    (``network.text``). What the source lost is issued as :class:`ImportApproximation`
    warnings. ``input_shape`` fixes an input the model leaves open."""
    dims = to_shape(input_shape).dims if input_shape is not None else None
    result = import_model(source, dims, limits)
    for note in result.warnings:
        warnings.warn(f"{source}: {note}", ImportApproximation, stacklevel=2)
    return Network(result.graph, result.shown, result.text, limits)
