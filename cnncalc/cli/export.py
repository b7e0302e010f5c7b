"""``cnncalc export``: a spec as code for a deep-learning framework."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cnncalc.cli.common import echo, limit_option, parse_limits, shape_option
from cnncalc.cli.loading import load_network
from cnncalc.export.pytorch import program

TARGETS = ("pytorch",)


@click.command(short_help="Write a spec as a standalone PyTorch module.",
               context_settings={"max_content_width": 100})
@click.argument("spec")
@click.option("--to", "target", type=click.Choice(TARGETS), default="pytorch", show_default=True,
              help="The framework to write code for.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the code to this file (default: standard output).")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Build for another input size, channels first: 3x320x320 (linear layers "
                   "take their sizes from it).")
@limit_option
def export(spec: str, target: str, output: str | None, input_shape: str | None,
           limits: tuple[str, ...]) -> None:
    """Write SPEC as a standalone PyTorch module: a path from a spec to training code.

    The file defines one torch.nn.Module class with a submodule per layer, named after the
    spec's layers ('.' becomes '_'; LAYER_NAMES maps them), and the graph — branches, skips,
    merges, crops — as plain code in forward(). It imports only torch, and `python model.py`
    builds the model and prints its output shape and parameter count. See docs/export.md.

    \b
    Examples:
      cnncalc export resnet50 --to pytorch -o resnet50.py
      cnncalc export specs/unet.yaml --to pytorch > unet.py
      cnncalc export vgg16_conv --input 3x384x384 -o vgg16_fcn.py
    """
    dims = shape_option(input_shape)
    network = load_network(spec, parse_limits(limits))
    prog = program(network, dims)
    if output is None:
        echo(prog.source)
        return
    path = Path(output)
    source = network.graph.source
    if source and Path(source).exists() and path.exists() and os.path.samefile(path, source):
        raise click.BadParameter("refusing to overwrite the spec itself", param_hint="-o")
    try:
        path.write_text(prog.source, encoding="utf-8")
    except OSError as exc:
        raise click.FileError(output, exc.strerror or str(exc)) from None
    report = network.summary(dims, 1)
    click.echo(f"wrote {output}: class {prog.class_name}, {report.totals.params:,} parameters, "
               f"input {report.input_shape} → {report.output_shape} (`python {output}` builds "
               f"and runs it)", err=True)
