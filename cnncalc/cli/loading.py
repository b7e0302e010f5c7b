"""Loading the spec a command names: a path, a bundled spec's name, or a model file (ONNX,
Caffe, Keras, PyTorch: imported in memory, docs/import.md); its text kept in
:data:`cnncalc.cli.common.SOURCES` so that an error can show the offending line."""

from __future__ import annotations

import os

import click

from cnncalc.api import Network, parse, read_spec_file, resolve_spec, spec_stem
from cnncalc.cli.common import SOURCES
from cnncalc.importers import import_model, is_model_file
from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.limits import DEFAULT_LIMITS, Limits
from cnncalc.spec import bundled


def load_network(spec: str, limits: Limits = DEFAULT_LIMITS) -> Network:
    """Load SPEC (a path, a bundled spec name or a model file), remembering its text for error
    display."""
    if is_model_file(spec):
        return load_model_file(spec, limits)
    path = resolve_spec(spec)
    if path is None:
        raise SpecError(f"no such file: {spec} (bundled specs: {', '.join(bundled.names())})",
                        Mark(spec, 1, 1), code="io")
    shown = spec if os.path.exists(spec) else path
    text = read_spec_file(path)
    SOURCES[shown] = text
    return parse(text, shown, limits, spec_stem(path))


def load_model_file(source: str, limits: Limits = DEFAULT_LIMITS,
                    input_shape: tuple[int, ...] | None = None) -> Network:
    """The Network of a model file, imported in memory; its approximations are printed as
    warnings on standard error."""
    try:
        result = import_model(source, input_shape, limits)
    except SpecError as exc:
        remember_text(exc, source)
        raise
    SOURCES[result.shown] = result.text
    for note in result.warnings:
        click.echo(f"{source}: warning: {note}", err=True)
    return Network(result.graph, result.shown, result.text, limits)


def remember_text(exc: SpecError, source: str) -> None:
    """Keep a text model file (prototxt, JSON) whose error has a line, for the caret."""
    mark = exc.diagnostics[0].mark
    if mark is None or mark.path != source or source in SOURCES:
        return
    try:
        with open(source, "rb") as fh:
            SOURCES[source] = fh.read(16 * 2**20).decode("utf-8", errors="replace")
    except OSError:
        pass
