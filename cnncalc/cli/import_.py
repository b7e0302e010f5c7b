"""``cnncalc import``: a model file (ONNX, Caffe, Keras, PyTorch) as a readable spec."""

from __future__ import annotations

from pathlib import Path

import click

from cnncalc.cli.common import echo, limit_option, parse_limits, shape_option


@click.command("import", context_settings={"max_content_width": 100})
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
    from cnncalc.importers import import_model

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
