"""``cnncalc list``: the bundled specs with their headline numbers (a module not named
``list``, which as an attribute of ``cnncalc.cli`` would shadow the builtin there)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from typing import Any

import click

from cnncalc.api import load
from cnncalc.cli.common import echo, stdout_is_terminal, width_option
from cnncalc.render.fmt import Fit, fit, pad, si
from cnncalc.spec import bundled

FORMATS = ("text", "json", "markdown")


@dataclass(frozen=True)
class Entry:
    """One bundled spec, analysed at its own input size and batch 1."""

    spec: str
    name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int
    macs: int
    layers: int

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "name": self.name, "input_shape": list(self.input_shape),
                "output_shape": list(self.output_shape), "params": self.params,
                "macs": self.macs, "flops": 2 * self.macs, "layers": self.layers}


def bundled_entries() -> list[Entry]:
    """Every bundled spec, in name order."""
    entries = []
    for spec in bundled.names():
        report = load(spec).summary(batch=1)
        entries.append(Entry(spec, report.name, report.input_shape.dims,
                             report.output_shape.dims, report.totals.params, report.totals.macs,
                             len(report.layers)))
    return entries


def _dims(dims: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in dims)


HEADER = ("spec", "network", "input", "output", "params", "MACs")
NUMERIC = (False, False, False, False, True, True)
FITS = (Fit(names=True), Fit(cut="first"), Fit(), Fit(), Fit(), Fit())


def _cells(entry: Entry, exact: bool = True) -> tuple[str, ...]:
    return (entry.spec, entry.name, _dims(entry.input_shape), _dims(entry.output_shape),
            f"{entry.params:,}", f"{entry.macs:,}" if exact else si(entry.macs))


def render_text(entries: list[Entry], width: int = 100) -> str:
    """A plain table that fits ``width`` columns by the rule every table follows
    (render/fmt.py): the network's name is cut first, spec names stay distinct."""
    widths, rows = fit(FITS, [HEADER, *(_cells(e, exact=False) for e in entries)], width)
    lines = ["  ".join(pad(cell, w, num) for cell, w, num in zip(row, widths, NUMERIC)
                       if w).rstrip() for row in rows]
    lines += ["", f"{len(entries)} bundled specs. MACs: multiply-accumulates of conv and linear "
                  "layers at batch 1", "(FLOPs = 2 × MACs; docs/conventions.md); exact counts with "
                  "--format json or markdown."]
    return "\n".join(lines) + "\n"


def render_markdown(entries: list[Entry]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |",
             "|" + "|".join("---:" if n else "---" for n in NUMERIC) + "|"]
    for entry in entries:
        cells = list(_cells(entry))
        cells[0] = f"`{cells[0]}`"
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


@click.command(short_help="The bundled specs with their parameters and MACs.",
               name="list", context_settings={"max_content_width": 100})
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: a table; json: a list of objects with exact counts; markdown.")
@width_option
def list_specs(fmt: str, width: int | None) -> None:
    """List the bundled specs: input, output, parameters and MACs of each.

    A bundled spec's name works wherever a SPEC is expected. Each spec's header comment names
    its source; tests check the totals against the published numbers (docs/conventions.md)
    and against PyTorch.

    \b
    Examples:
      cnncalc list
      cnncalc list --format json | jq '.[] | select(.params < 10000000) | .spec'
      cnncalc summary resnet50
      cnncalc export mobilenet_v2 --to pytorch -o mobilenet_v2.py
    """
    entries = bundled_entries()
    if fmt == "json":
        echo(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False) + "\n")
    elif fmt == "markdown":
        echo(render_markdown(entries))
    else:
        if width is None:
            width = shutil.get_terminal_size((100, 24)).columns if stdout_is_terminal() else 100
        echo(render_text(entries, width))
