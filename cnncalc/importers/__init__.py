"""Model files as specs: ONNX, Caffe prototxt, Keras configs and PyTorch modules.

Each reader turns its source into an :class:`~cnncalc.importers.ir.Imported` — the layers in
cnncalc's terms, flat — and :func:`import_model` writes that as a spec a person would have written
(:mod:`cnncalc.importers.recover`, :mod:`cnncalc.importers.write`), reads the text back with the
ordinary spec loader, and checks it:

* the compact spec (branches, defaults, blocks) must analyse to the same layers, shapes,
  parameters and MACs as the flat one, or the flat one is kept;
* every layer's output shape must be the one the source states (ONNX shape inference), and its
  parameters the size of its weight tensors.

Readers import their heavy library (onnx, protobuf, torch) when they run; a missing one is an
error naming the extra that installs it. Nothing read from a file is ever executed or unpickled.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from cnncalc.analysis.report import Report
from cnncalc.analysis.walk import analyze
from cnncalc.importers.caffe_prototxt import read_prototxt
from cnncalc.importers.ir import Imported, import_error
from cnncalc.importers.keras_config import looks_like_keras, read_keras
from cnncalc.importers.recover import (
    extract_defaults,
    flat_layers,
    nested_layers,
    recover_blocks,
)
from cnncalc.importers.write import document
from cnncalc.layers.base import all_names
from cnncalc.model.errors import CnncalcError, SpecError
from cnncalc.model.graph import Graph
from cnncalc.model.limits import DEFAULT_LIMITS, Limits
from cnncalc.model.shape import Shape
from cnncalc.spec.build import build_graph
from cnncalc.spec.yaml_loader import parse_yaml

__all__ = ["FORMATS", "ImportResult", "Imported", "detect", "import_model", "is_model_file",
           "read", "spec_text"]

FORMATS: dict[str, str] = {
    "onnx": "ONNX (.onnx): pip install 'cnncalc[onnx]'",
    "caffe": "Caffe (.prototxt): pip install 'cnncalc[caffe]'",
    "keras": "Keras (.keras, .json model config): no extra needed",
    "pytorch": "PyTorch (package.module:factory, .pt2): pip install 'cnncalc[torch]'",
}
"""The sources, and what installs each."""

SUFFIXES = {".onnx": "onnx", ".prototxt": "caffe", ".pbtxt": "caffe", ".keras": "keras",
            ".pt2": "pytorch"}


def detect(source: str) -> str | None:
    """Which reader ``source`` needs, or None for a spec: by suffix, a ``.json`` by whether it
    is a Keras model config, and ``package.module:factory`` for a PyTorch factory."""
    lower = source.lower()
    for suffix, fmt in SUFFIXES.items():
        if lower.endswith(suffix):
            return fmt
    if lower.endswith(".json"):
        return "keras" if looks_like_keras(source) else None
    if _is_factory(source):
        return "pytorch"
    return None


def _is_factory(source: str) -> bool:
    module, sep, attr = source.partition(":")
    if not sep or os.path.exists(source) or (len(module) < 2 and module.isalpha()):
        return False  # C:\... on Windows is a path
    return all(part.isidentifier() for part in (*module.split("."), *attr.split(".")))


def is_model_file(source: str) -> bool:
    """Whether ``source`` is something :func:`import_model` reads rather than a spec."""
    return detect(source) is not None


Reader = Callable[..., Imported]


def _reader(fmt: str) -> Reader:
    """The reader of a format; ONNX's and PyTorch's modules load numpy, onnx or torch, so they
    are imported when a file of theirs is read."""
    if fmt == "onnx":
        from cnncalc.importers.onnx_file import read_onnx

        return read_onnx
    if fmt == "caffe":
        return read_prototxt
    if fmt == "keras":
        return read_keras
    from cnncalc.importers.torch_module import read_torch

    return read_torch


def read(source: str, input_shape: tuple[int, ...] | None = None,
         limits: Limits = DEFAULT_LIMITS) -> Imported:
    """Read a model into cnncalc's layers (flat). ``input_shape`` (channels first, no batch)
    fixes an input the file leaves open or overrides the one it states."""
    fmt = detect(source)
    if fmt is None:
        raise import_error(f"{source} is not a model file cnncalc can import "
                           f"({'; '.join(FORMATS.values())})", source)
    if fmt != "pytorch" and not os.path.isfile(source):
        what = "a directory" if os.path.isdir(source) else "no such file"
        raise import_error(f"{what}: {source}", source, code="io")
    try:
        return _reader(fmt)(source, input_shape=input_shape, limits=limits)
    except RecursionError:
        raise import_error("the model is nested too deeply to read", source,
                           code="limit") from None


@dataclass(frozen=True)
class ImportResult:
    """An imported model: what was read, the spec written for it, and its graph."""

    imported: Imported
    text: str
    graph: Graph
    shown: str
    compact: bool

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.imported.notes


def header(imported: Imported) -> list[str]:
    """The spec's opening comment: where it came from and what was approximated."""
    try:
        version = metadata.version("cnncalc")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        version = "?"
    base = os.path.basename(imported.source) or imported.source
    producer = f", {imported.producer}" if imported.producer else ""
    lines = [f"Imported by cnncalc {version} from {base} ({imported.format}{producer}).",
             f"Input: {'×'.join(map(str, imported.input_shape))}"
             f"{f' (batch {imported.batch} in the file)' if imported.batch != 1 else ''}."]
    lines += [f"Approximation: {note}" for note in imported.notes]
    return lines


def spec_document(imported: Imported, compact: bool = True) -> dict[str, Any]:
    """The spec as plain data: compact (branches, defaults, blocks) or flat."""
    doc: dict[str, Any] = {"name": imported.name, "input": list(imported.input_shape)}
    layers = nested_layers(imported.ops) if compact else None
    if layers is None:
        doc["layers"] = flat_layers(imported.ops)
        return doc
    doc["defaults"] = extract_defaults(layers)
    doc["blocks"], doc["layers"] = recover_blocks(layers, set(all_names()))
    return doc


def spec_text(imported: Imported, compact: bool = True) -> str:
    """The spec a person would have written for the imported model, as YAML text."""
    return document(spec_document(imported, compact), header(imported))


def _signature(report: Report) -> Any:
    """What must agree between the compact and the flat spec: totals, output, and every layer's
    attributes, input and output shapes, whatever its name."""
    layers = Counter((r.kind, r.attributes, r.input_shapes, r.output_shape, r.weights, r.bias,
                      r.buffers, r.macs) for r in report.layers)
    return (report.totals.params, report.totals.macs, report.totals.buffers,
            report.output_shape, layers)


def import_model(source: str, input_shape: tuple[int, ...] | None = None,
                 limits: Limits = DEFAULT_LIMITS, compact: bool = True) -> ImportResult:
    """Read ``source`` and write it as a spec; the graph is the one the spec loader builds from
    that text, so an imported model is analysed exactly as its written spec would be."""
    imported = read(source, input_shape, limits)
    shown = f"{source} (imported)"
    flat_text = spec_text(imported, compact=False)
    flat = _build(flat_text, shown, limits, imported)
    flat_report = _check_against_source(imported, flat, limits)
    if compact:
        text = spec_text(imported, compact=True)
        if text != flat_text:
            try:
                graph = _build(text, shown, limits, imported)
                if _signature(analyze(graph, limits=limits)) == _signature(flat_report):
                    return ImportResult(imported, text, graph, shown, True)
            except CnncalcError:
                pass  # the flat spec is always right; the compact one is only nicer
    return ImportResult(imported, flat_text, flat, shown, False)


def _build(text: str, shown: str, limits: Limits, imported: Imported) -> Graph:
    try:
        return build_graph(parse_yaml(text, shown, limits), shown, limits, imported.name)
    except SpecError as exc:
        # The written spec is cnncalc's own; a layer it refuses is a layer of the model.
        raise _as_source_error(exc, imported) from None


def _as_source_error(exc: SpecError, imported: Imported) -> SpecError:
    diag = exc.diagnostics[0]
    origin = next((op.origin for op in imported.ops if op.name == diag.layer), "")
    where = f" ({origin})" if origin else ""
    return SpecError(f"{imported.source}: {diag.message}{where}", None, code=diag.code,
                     layer=diag.layer)


def _check_against_source(imported: Imported, graph: Graph, limits: Limits) -> Report:
    """Analyse the flat graph and hold every layer to the shapes and parameter counts the
    source states."""
    try:
        report = analyze(graph, limits=limits)
    except SpecError as exc:
        raise _as_source_error(exc, imported) from None
    by_name = {r.name: r for r in report.layers}
    for op in imported.ops:
        layer = by_name.get(op.name)
        if layer is None:
            continue
        if op.shape is not None and tuple(layer.output_shape.dims) != op.shape:
            raise import_error(
                f"{op.origin or op.name}: cnncalc computes {layer.output_shape} for this "
                f"{op.kind}, but the file says {Shape.of(op.shape)}", imported.source,
                code="import-shape")
        if op.params is not None and layer.weights + layer.bias != op.params:
            raise import_error(
                f"{op.origin or op.name}: its weights hold {op.params:,} parameters, but a "
                f"{op.kind} with these attributes has {layer.weights + layer.bias:,}",
                imported.source, code="import-params")
    return report
