"""Loading the spec a command names — a path, a bundled spec's name, ``-`` for standard input,
or a model file (ONNX, Caffe, Keras, PyTorch: imported in memory, docs/import.md) — with its text
kept in :data:`cnncalc.cli.common.SOURCES` so that an error can show the offending line; and the
progress bar that long work shows on a terminal."""

from __future__ import annotations

import os
import time
from types import TracebackType

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from cnncalc.api import Network, parse, read_spec_file, resolve_spec, spec_stem
from cnncalc.cli.common import SOURCES
from cnncalc.importers import import_model, is_model_file
from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.limits import DEFAULT_LIMITS, Limits
from cnncalc.spec import bundled
from cnncalc.spec.source import STDIN, STDIN_SHOWN


def load_network(spec: str, limits: Limits = DEFAULT_LIMITS) -> Network:
    """Load SPEC (a path, a bundled spec's name, or ``-``), remembering its text for error
    display. Every command reads its specs here, so a missing file, a directory, a loop of
    links or a file over ``max_file_bytes`` is worded, located and exited on (1) alike."""
    if spec == STDIN:
        SOURCES.pop(STDIN_SHOWN, None)  # an error before the text is read quotes no old line
        text = read_spec_file(STDIN, limits)
        SOURCES[STDIN_SHOWN] = text
        return parse(text, STDIN_SHOWN, limits, "stdin")
    if is_model_file(spec):
        return load_model_file(spec, limits)
    path = resolve_spec(spec)
    if path is None:
        raise SpecError(f"no such file: {spec} (bundled specs: {', '.join(bundled.names())})",
                        Mark(spec, 1, 1), code="io")
    shown = spec if os.path.lexists(spec) else path
    SOURCES.pop(shown, None)
    text = read_spec_file(path, limits)
    SOURCES[shown] = text
    return parse(text, shown, limits, spec_stem(path))


DELAY = 1.0
"""Seconds before a progress bar appears: quicker work shows none."""


class ProgressBar:
    """A progress bar on stderr for work that takes over a second (walking a large spec, a long
    sweep, ``check`` over many files, ``validate``). It appears only after :data:`DELAY`, only
    when stderr is a terminal (piped output and CI logs stay clean), and goes away when the work
    is done. Use it as a context manager; pass :meth:`update` to the work as its ``progress``."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.label = label
        self.console = Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.start = time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def update(self, done: int, total: int, item: str = "") -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < DELAY:
                return
            self.bar = Progress(TextColumn(f"[bold]{self.label}"), BarColumn(bar_width=30),
                                MofNCompleteColumn(),
                                TextColumn("{task.fields[item]}", style="dim", markup=False),
                                console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total, item="")
        assert self.task is not None
        self.bar.update(self.task, completed=done, total=total, item=item[:40])

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()


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
