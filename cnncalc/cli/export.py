"""``cnncalc export``: a spec as code or a model for a framework; ``cnncalc import``: a model
file (ONNX, Caffe, Keras, PyTorch) as a readable spec."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from cnncalc.cli.common import echo, limit_option, parse_limits, shape_option
from cnncalc.cli.loading import load_network
from cnncalc.export.pytorch import program
from cnncalc.importers import import_model
from cnncalc.model.errors import SpecError

TARGETS = ("pytorch", "onnx")


@click.command(short_help="Write a spec as a standalone PyTorch module or an ONNX model.",
               context_settings={"max_content_width": 100})
@click.argument("spec")
@click.option("--to", "target", type=click.Choice(TARGETS), default="pytorch", show_default=True,
              help="The framework to write code for.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the code to this file (default: standard output).")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Build for another input size, channels first: 3x320x320 (linear layers "
                   "take their sizes from it).")
@click.option("--weights", type=click.Choice(("zeros", "random", "none")), default="zeros",
              show_default=True,
              help="ONNX only: the weights' values (random: seeded normal × 0.01), or none: "
                   "weights as typed graph inputs, a file of kilobytes.")
@limit_option
def export(spec: str, target: str, output: str | None, input_shape: str | None,
           weights: str, limits: tuple[str, ...]) -> None:
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
      cnncalc export resnet18 --to onnx -o resnet18.onnx     (opens in Netron)

    With --to onnx it writes an ONNX model (opset 20, built with the onnx package: pip install
    'cnncalc[onnx]'), with zero, random or no weights; `cnncalc import` reads it back.
    """
    dims = shape_option(input_shape)
    network = load_network(spec, parse_limits(limits))
    if target == "onnx":
        _export_onnx(network, dims, output, weights)
        return
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


def _export_onnx(network: Any, dims: tuple[int, ...] | None, output: str | None,
                 weights: str) -> None:
    if output is None:
        raise click.UsageError("--to onnx writes a binary file: give it with -o model.onnx")
    try:
        import onnx
    except ImportError:
        raise SpecError("writing ONNX needs the onnx package: pip install 'cnncalc[onnx]'",
                        None, code="missing-extra") from None
    from cnncalc.export.onnx import to_model

    model = to_model(network, dims, weights)
    try:
        onnx.save(model, output)
    except (OSError, ValueError) as exc:
        raise click.FileError(output, str(exc)) from None
    report = network.summary(dims)
    click.echo(f"wrote {output}: {len(model.graph.node)} ONNX nodes, "
               f"{report.totals.params:,} parameters ({weights} weights), input "
               f"{report.input_shape} → {report.output_shape}", err=True)


@click.command("import", short_help="Write an ONNX, Caffe, Keras or PyTorch model as a spec.",
               context_settings={"max_content_width": 100})
@click.argument("source")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the spec to this file (default: standard output).")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="The input size, channels first (3x224x224), for a model that leaves it "
                   "open or to read it at another size.")
@click.option("--flat", is_flag=True,
              help="One line per layer with inputs by name: no blocks, branches or defaults.")
@limit_option
def import_(source: str, output: str | None, input_shape: str | None, flat: bool,
            limits: tuple[str, ...]) -> None:
    """Write SOURCE, a model file, as a cnncalc spec a person would have written.

    SOURCE is an ONNX file (.onnx), a Caffe prototxt (.prototxt), a Keras model (.keras, or its
    JSON config), or a PyTorch module: an ExportedProgram (.pt2) or package.module:factory, a
    function returning the module — which runs your code. Repeated structures become
    parametrised blocks, residual and inception patterns become add/concat branches, names are
    kept. The header comment names the source, its producer, the input, and every
    approximation (batch norm folded by an exporter, ...). Every command that takes a spec also
    takes these files directly. See docs/import.md.

    \b
    Examples:
      cnncalc import resnet18.onnx -o resnet18.yaml
      cnncalc import deploy.prototxt
      cnncalc import model.keras --input 3x224x224
      cnncalc import torchvision.models:resnet18 -o resnet18.yaml
      cnncalc summary resnet18.onnx
      cnncalc diff resnet18.onnx specs/resnet18.yaml
    """
    dims = shape_option(input_shape)
    result = import_model(source, dims, parse_limits(limits), compact=not flat)
    for note in result.warnings:
        click.echo(f"{source}: warning: {note}", err=True)
    if output is None:
        echo(result.text)
        return
    try:
        Path(output).write_text(result.text, encoding="utf-8")
    except OSError as exc:
        raise click.FileError(output, exc.strerror or str(exc)) from None
    report = result.graph
    click.echo(f"wrote {output}: {len(result.text.splitlines())} lines, {len(report.nodes)} "
               f"layers", err=True)
