"""``cnncalc diff``: compare two architectures layer by layer."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console

from cnncalc.api import read_spec_file
from cnncalc.checks.diff import FAIL_ON_GRAMMAR, Condition, ConditionError, diff_reports
from cnncalc.cli.common import (
    SIZE,
    echo,
    limit_option,
    parse_limits,
    shape_option,
    stdout_is_terminal,
    width_option,
)
from cnncalc.cli.loading import load_network
from cnncalc.importers import is_model_file
from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.limits import DEFAULT_LIMITS
from cnncalc.render.diff import Check, render_json, render_markdown, render_rich, render_text

FORMATS = ("table", "text", "markdown", "json")


def _report_dict(spec: str, dims: tuple[int, ...] | None, batch: int | None,
                 limits: tuple[str, ...]) -> dict[str, Any]:
    """SPEC analysed now, or a summary saved with ``summary --format json``."""
    if spec.lower().endswith(".json") and not is_model_file(spec):  # not a Keras config
        return _saved_report(spec)
    network = load_network(spec, parse_limits(limits))
    report: dict[str, Any] = network.summary(dims, batch).to_dict()
    report["source"] = spec  # as given: a bundled name stays a name
    return report


SAVED_REPORT_BYTES = 64 * 2**20
"""The largest saved report ``diff`` reads: JSON of about a kilobyte a layer, so not bound by a
spec's ``max_file_bytes`` (a ResNet-50 report is 200 KB; 64 MiB holds 60,000 layers)."""


def _saved_report(path: str) -> dict[str, Any]:
    text = read_spec_file(path, DEFAULT_LIMITS.with_overrides(max_file_bytes=SAVED_REPORT_BYTES))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"not valid JSON: {exc.msg}", Mark(path, exc.lineno, exc.colno),
                        code="json") from None
    if not (isinstance(data, dict) and isinstance(data.get("layers"), list)
            and isinstance(data.get("totals"), dict)
            and all(isinstance(x, dict) and "name" in x for x in data["layers"])):
        raise SpecError("not a cnncalc report (expected the JSON of `cnncalc summary --format "
                        "json`, with 'layers' and 'totals')", Mark(path, 1, 1), code="json")
    return data


@click.command(short_help="Compare two architectures layer by layer, with totals.",
               context_settings={"max_content_width": 100},
               epilog="--fail-on grammar:\n\n\b\n" + FAIL_ON_GRAMMAR)
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table: coloured on a terminal, plain text when piped; text: always plain; "
                   "markdown: for a pull-request comment; json: see docs/visualising.md.")
@click.option("--all", "show_all", is_flag=True, help="List unchanged layers too.")
@click.option("--fail-on", "fail_on", multiple=True, metavar="CONDITION",
              help="Exit with 1 when the condition holds, e.g. 'params>5%' (quote it; "
                   "repeatable, or comma-separated). Grammar below.")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Evaluate both specs at this input size (default: each spec's own).")
@click.option("--batch", type=SIZE, help="Batch size for both specs.")
@width_option
@click.option("--no-color", is_flag=True, help="No colours (also honours NO_COLOR).")
@limit_option
def diff(old: str, new: str, fmt: str, show_all: bool, fail_on: tuple[str, ...],
         input_shape: str | None, batch: int | None, width: int | None, no_color: bool,
         limits: tuple[str, ...]) -> int:
    """Compare two architectures: which layers were added, removed or changed, and how the
    output shapes, parameters, MACs, receptive fields (and memory, where the reports have it)
    and the totals moved.

    OLD and NEW are spec files, bundled spec names, or summaries saved with
    `cnncalc summary SPEC --format json` (a baseline kept in the repository). Layers are
    matched by name, then by position where names changed (docs/visualising.md).

    \b
    Examples:
      cnncalc diff alexnet alexnet_torchvision
      cnncalc diff vgg16 vgg16_conv --all
      cnncalc diff main.yaml branch.yaml --format markdown > comment.md
      cnncalc summary net.yaml --format json > baseline.json
      cnncalc diff baseline.json net.yaml --fail-on 'params>5%' --fail-on 'macs>1G'
    """
    try:
        conditions = [Condition.parse(part) for text in fail_on for part in text.split(",")
                      if part.strip()]
    except ConditionError as exc:
        raise click.BadParameter(str(exc), param_hint="--fail-on") from None
    dims = shape_option(input_shape)
    result = diff_reports(_report_dict(old, dims, batch, limits),
                          _report_dict(new, dims, batch, limits))
    checks = []
    for condition in conditions:
        try:
            holds, message = condition.check(result)
        except ConditionError as exc:
            raise click.BadParameter(str(exc), param_hint="--fail-on") from None
        checks.append(Check(condition, holds, message))
    if fmt == "json":
        echo(render_json(result, checks))
    elif fmt == "markdown":
        echo(render_markdown(result, show_all, checks))
    elif fmt == "table" and stdout_is_terminal():
        console = Console(no_color=no_color or None, width=width)
        console.print(render_rich(result, console.width, show_all, checks))
    else:
        echo(render_text(result, width or 100, show_all, checks))
    failed = [c for c in checks if c.failed]
    if failed and fmt in ("json", "markdown"):
        for c in failed:  # the output may go to a file: say why the exit code is 1
            click.echo(f"cnncalc diff: failed: {c.condition.text}: {c.message}", err=True)
    return 1 if failed else 0
