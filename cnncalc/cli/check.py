"""``cnncalc check``: a CI gate for architecture files (docs/ci.md).

It loads every spec it is given, walks it, and reports — one line each — what the loader and
walker reject, lint warnings, failed ``expect:`` entries and exceeded budgets. Exit status 0 when
every file passes, 1 when any has an error (``--strict``: or a warning) or cannot be read, 2 for
misuse of the command line (the rule of every command: cnncalc/cli/__init__.py).
"""

from __future__ import annotations

import glob
import os
from dataclasses import replace
from pathlib import Path

import click

from cnncalc import __version__
from cnncalc.checks.codes import CODES, LINT_CODES
from cnncalc.checks.expectations import Budget, CheckedFile, run_checks
from cnncalc.cli.analysis import optimizer_option
from cnncalc.cli.common import (
    SIZE,
    echo,
    format_diagnostic,
    limit_option,
    parse_limits,
    progress_option,
)
from cnncalc.cli.loading import ProgressBar, load_network
from cnncalc.model.errors import CnncalcError, Diagnostic, Mark, SpecError, suggest
from cnncalc.model.limits import Limits
from cnncalc.model.quantity import QuantityError, parse_quantity
from cnncalc.render import findings as render
from cnncalc.spec import bundled
from cnncalc.spec.source import STDIN, STDIN_SHOWN

FORMATS = ("text", "json", "github", "sarif")
_GLOB_CHARS = frozenset("*?[")


@click.command(short_help="CI gate: errors, lint, expectations and budgets.",
               context_settings={"max_content_width": 100})
@click.argument("specs", nargs=-1, metavar="SPEC...")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: one line per finding; json: the documented contract; github: workflow "
                   "annotations; sarif: SARIF 2.1.0 for code scanning.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--max-params", metavar="N", help="Fail when a network has more parameters "
              "(25M, 25_000_000, 1.5G).")
@click.option("--max-macs", metavar="N", help="Fail when a network needs more MACs (4.2G) at "
              "its batch.")
@click.option("--max-memory", metavar="SIZE", help="Fail when memory (see --memory-phase) exceeds "
              "SIZE (8GiB; binary Ki/Mi/Gi, decimal k/M/G).")
@click.option("--batch", type=SIZE, help="Batch size for MACs and memory "
              "(default: each spec's).")
@click.option("--dtype", type=click.Choice(("float32", "float16", "bfloat16", "int8", "float64")),
              default="float32", show_default=True, help="Data type for --max-memory.")
@click.option("--memory-phase", type=click.Choice(("training", "inference", "step")),
              default="training", show_default=True,
              help="What --max-memory limits: training activations, the inference peak, or a "
                   "whole training step.")
@optimizer_option
@click.option("--disable", "disabled", multiple=True, metavar="CODE",
              help="Turn a lint rule off everywhere (repeatable; 'all' for every rule).")
@click.option("--show-source", is_flag=True,
              help="Show each finding's spec line with a caret (text format).")
@click.option("--list-codes", is_flag=True, help="List every finding code and exit.")
@progress_option
@limit_option
def check(specs: tuple[str, ...], fmt: str, strict: bool, max_params: str | None,
          max_macs: str | None, max_memory: str | None, batch: int | None, dtype: str,
          memory_phase: str, optimizer: str, disabled: tuple[str, ...], show_source: bool,
          list_codes: bool, no_progress: bool, limits: tuple[str, ...]) -> int:
    """Check SPEC files for CI: errors, lint warnings, expectations and budgets.

    SPEC is a file, a directory (every *.yaml and *.yml below it), a glob ('specs/**/*.yaml'),
    a bundled spec's name, or - for standard input. Prints one line per finding,
    `file:line:col: error|warning: [code] message`, then a total. Exit status, as for every
    command (docs/ci.md): 0 when every file passes; 1 when any has an error (with --strict: or
    a warning), a file that cannot be read included; 2 for misuse of the command line.

    \b
    Examples:
      cnncalc check specs/
      cnncalc check specs/ --strict --max-params 25M --max-macs 4.2G
      cnncalc check 'models/**/*.yaml' --format github
      cnncalc check net.yaml --max-memory 8GiB --batch 32 --dtype float16
      cnncalc check net.yaml --disable rf-covers-input --show-source
      cnncalc check specs/ --format sarif > cnncalc.sarif
      cat net.yaml | cnncalc check -

    \b
    In a spec: `expect: {shape: [64, 56, 56], rf: 7}` on any layer,
    `budget: {params: 25M, macs: 4.2G}` and `lint: {disable: [dead-layer]}` at the top,
    `lint: {disable: [...]}` on a layer. See docs/ci.md.
    """
    if list_codes:
        width = max(len(c) for c in CODES)
        echo("".join(f"{c.code:<{width}}  {c.severity:<7}  {c.summary}\n"
                     for c in CODES.values()))
        return 0
    if not specs:
        raise click.UsageError("give at least one SPEC (a file, directory, glob or bundled name)")
    for code in disabled:
        if code != "all" and code not in LINT_CODES:
            close = suggest(code, list(LINT_CODES))
            hint = f"; did you mean '{close}'?" if close else ""
            raise click.BadParameter(f"'{code}' is not a lint code{hint} (lint codes: "
                                     f"{', '.join(LINT_CODES)}, or all)", param_hint="--disable")
    budgets = command_line_budgets(max_params, max_macs, max_memory, batch, dtype, memory_phase,
                                   optimizer)
    limit_values = parse_limits(limits)
    paths = expand_specs(specs)
    results = []
    with ProgressBar("checking", enabled=not no_progress) as bar:
        for done, (shown, problem) in enumerate(paths):
            bar.update(done, len(paths), shown)
            results.append(check_file(shown, limit_values, batch, budgets, disabled, problem))
    if strict:
        results = [replace(r, findings=tuple(replace(d, severity="error") for d in r.findings))
                   for r in results]
    _print(results, fmt, strict, show_source)
    return 0 if all(r.ok for r in results) else 1


def _print(files: list[CheckedFile], fmt: str, strict: bool, show_source: bool) -> None:
    if fmt == "json":
        echo(render.render_json(files, strict=strict, version=__version__))
    elif fmt == "sarif":
        echo(render.render_sarif(files, version=__version__))
    elif fmt == "github":
        echo(render.render_github(files))
    else:
        excerpt = None
        if show_source:
            excerpt = format_diagnostic
        echo(render.render_text(files, excerpt))


def command_line_budgets(max_params: str | None, max_macs: str | None, max_memory: str | None,
                         batch: int | None, dtype: str, phase: str,
                         optimizer: str) -> tuple[Budget, ...]:
    """``--max-params``, ``--max-macs`` and ``--max-memory`` as budgets (exact parsing)."""
    budgets = []
    for option, what, value in (("--max-params", "params", max_params),
                                ("--max-macs", "macs", max_macs),
                                ("--max-memory", "memory", max_memory)):
        if value is None:
            continue
        try:
            limit = parse_quantity(value, bytes_unit=what == "memory")
        except QuantityError as exc:
            raise click.BadParameter(str(exc), param_hint=option) from None
        budgets.append(Budget(what, limit, value, None, "command line", batch=batch,
                              dtype=dtype, phase=phase, optimizer=optimizer))
    return tuple(budgets)


def expand_specs(args: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """The files to check, in order, each once, as ``(path, problem)``: files as given,
    directories walked for *.yaml and *.yml (hidden folders skipped), globs expanded, bundled
    spec names resolved, ``-`` for standard input. A directory with no spec in it, or a glob
    that matches nothing, is a ``problem`` (an [io] error, exit 1, like a missing file); every
    other path is read the way every command reads a spec, so a missing file, a loop of links
    or a named pipe is reported in the same words everywhere."""
    out: list[tuple[str, str | None]] = []
    seen: set[str] = set()

    def add(path: str, problem: str | None = None) -> None:
        key = path if path == STDIN or problem else os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            out.append((path, problem))

    for arg in args:
        if arg != STDIN and os.path.isdir(arg):
            found = _walk(Path(arg))
            if not found:
                add(arg, f"no *.yaml or *.yml files in {arg}")
            for f in found:
                add(f)
        elif arg == STDIN or os.path.lexists(arg):
            add(arg)
        elif _GLOB_CHARS & set(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                add(arg, f"no files match {arg}")
            for m in matches:
                add(m)
        else:
            found_bundled = bundled.find(arg)
            add(str(found_bundled) if found_bundled is not None else arg)
    return out


def _walk(folder: Path) -> list[str]:
    """Every *.yaml and *.yml entry below ``folder`` (hidden ones skipped), whatever it is: one
    that is not a readable file (a named pipe, a link to nowhere) gets its own [io] error when
    it is read, without being waited on."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                found.append(os.path.join(root, name))
    return found


def check_file(shown: str, limits: Limits, batch: int | None, budgets: tuple[Budget, ...],
               disabled: tuple[str, ...], problem: str | None = None) -> CheckedFile:
    """Everything ``check`` finds in one file (or the ``problem`` that stops it being read)."""
    start = Mark(STDIN_SHOWN if shown == STDIN else shown, 1, 1)
    if problem is not None:
        return CheckedFile(shown, None, (Diagnostic(problem, start, "error", "io"),))
    try:
        network = load_network(shown, limits)
        report = network.summary(None, batch)
        findings, results = run_checks(network.graph, report, budgets=budgets,
                                       disabled=disabled)
    except SpecError as exc:
        return CheckedFile(shown, None, tuple(_located(d, start) for d in exc.diagnostics))
    except CnncalcError as exc:
        return CheckedFile(shown, None, (Diagnostic(str(exc), start, "error", "spec"),))
    except RecursionError:
        return CheckedFile(shown, None, (Diagnostic("the spec is nested too deeply to analyse",
                                                    start, "error", "limit"),))
    located = sorted((_located(d, start) for d in findings),
                     key=lambda d: (d.mark.line, d.mark.column) if d.mark else (0, 0))
    return CheckedFile(shown, network.name, tuple(located), tuple(results),
                       report.totals.to_dict())


def _located(d: Diagnostic, start: Mark) -> Diagnostic:
    return d if d.mark is not None else replace(d, mark=start)
