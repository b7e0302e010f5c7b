"""``cnncalc plot``: a picture of activation memory, MACs and receptive field along the depth."""

from __future__ import annotations

from pathlib import Path

import click

from cnncalc.analysis.memory import MemoryConfig
from cnncalc.cli.common import SIZE, limit_option, parse_limits, shape_option
from cnncalc.cli.loading import load_network
from cnncalc.render.plot import draw_profile, profile_series

SUFFIXES = (".png", ".svg", ".pdf")
MISSING = ("cnncalc plot: error: drawing needs matplotlib, an optional extra. Install it with "
           "pip install 'cnncalc[plot]' (or pip install matplotlib).")


@click.command(short_help="Picture activation memory, MACs and receptive field along the "
                          "depth.", context_settings={"max_content_width": 100})
@click.argument("spec")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The picture to write: .png, .svg or .pdf.")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Evaluate at another input size, channels first: 3x384x384.")
@click.option("--batch", type=SIZE, help="Batch size (memory and MACs scale).")
@click.option("--dtype", type=click.Choice(("float32", "float16", "bfloat16", "int8", "float64")),
              default="float32", show_default=True,
              help="Element type of the activations (the memory model's dtype).")
@click.option("--log", is_flag=True, help="Logarithmic scale for memory and MACs.")
@limit_option
def plot(spec: str, output: str, input_shape: str | None, batch: int | None, dtype: str,
         log: bool, limits: tuple[str, ...]) -> int:
    """Draw SPEC's profile along its depth: per layer, the activation memory, the MACs and the
    receptive field (with the input size marked), coloured by layer kind, blocks shaded.

    The memory panel is the memory model's activation bytes per layer (docs/memory.md) for
    the batch and dtype. Needs matplotlib: pip install 'cnncalc[plot]'.

    \b
    Examples:
      cnncalc plot vgg16 -o vgg16.png
      cnncalc plot googlenet -o googlenet.svg --log
      cnncalc plot specs/alexnet.yaml -o alexnet.png --batch 128 --dtype float16
    """
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        shown = suffix or "a name without a suffix"
        raise click.BadParameter(f"write a {', '.join(SUFFIXES)} file, not {shown}",
                                 param_hint="-o")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        click.echo(MISSING, err=True)
        return 1
    network = load_network(spec, parse_limits(limits))
    report = network.summary(shape_option(input_shape), batch, MemoryConfig(dtype=dtype))
    draw_profile(profile_series(report), output, log)
    click.echo(f"wrote {output}", err=True)
    return 0
