"""``cnncalc rf``: receptive field, jump and centre of every layer, and the first layer that
sees the whole input."""

from __future__ import annotations

import json

import click

from cnncalc.cli.common import (
    echo,
    limit_option,
    load_network,
    parse_limits,
    shape_option,
    show_table,
)
from cnncalc.render import receptive
from cnncalc.render.rows import View

FORMATS = ("table", "text", "json", "markdown")


@click.command(short_help="Receptive field, jump and centre per layer; the first layer "
                          "that sees the whole input.", context_settings={"max_content_width": 100})
@click.argument("spec")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Evaluate at another input size, channels first: 3x384x384.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table: rich table on a terminal, plain text when piped; text: always plain; "
                   "json (documented in docs/receptive-field.md); markdown.")
@click.option("--no-color", is_flag=True, help="No colours (also honours NO_COLOR).")
@click.option("--width", type=click.IntRange(min=40), help="Table width (default: terminal, "
              "or 100 when piped).")
@limit_option
def rf(spec: str, input_shape: str | None, fmt: str, no_color: bool, width: int | None,
       limits: tuple[str, ...]) -> None:
    """Receptive field of every layer of SPEC, and the first layer that sees the whole input.

    Per layer and spatial axis: RF (input pixels one unit sees, padding included), Jump
    (distance in input pixels between neighbouring units) and Start (input coordinate of the
    centre of unit 0), and Pad, the effective padding, exactly as in Araujo, Norris & Sim,
    "Computing Receptive Fields of CNNs" (Distill 2019). Branches merge as the union of their
    fields, with a warning where they are not aligned. After a transposed convolution or an
    upsampling the jump is an exact fraction and RF is the largest field of any unit
    (docs/receptive-field.md).

    \b
    Examples:
      cnncalc rf vgg16                      # block5.pool: RF 212, jump 32, Pad 90
      cnncalc rf specs/lenet5.yaml          # c5 is the first layer to see all 32×32 pixels
      cnncalc rf alexnet --input 3x224x224
      cnncalc rf googlenet --format json | jq .first_covering_layer
    """
    dims = shape_option(input_shape)
    network = load_network(spec, parse_limits(limits))
    report = network.summary(dims)
    if fmt == "json":
        echo(json.dumps(receptive.rf_dict(report), indent=2, ensure_ascii=False) + "\n")
        return
    view = View(columns=receptive.rf_columns(report), footer=tuple(receptive.footer(report)),
                notes=(receptive.NOTE,), counts=False)
    show_table(report, view, fmt, width, no_color)
