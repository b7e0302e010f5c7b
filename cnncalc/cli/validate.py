"""``cnncalc validate``: run the network on random arrays and check every predicted shape."""

from __future__ import annotations

import click
from rich.console import Console

from cnncalc.cli.common import (
    SIZE,
    echo,
    limit_option,
    parse_limits,
    progress_option,
    shape_option,
    stdout_is_terminal,
    width_option,
)
from cnncalc.cli.loading import ProgressBar, load_network
from cnncalc.model.quantity import QuantityError, parse_memory
from cnncalc.render.validation import render_json, render_rich, render_text

FORMATS = ("table", "text", "json")


def _max_memory(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_memory(value)
    except QuantityError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-memory") from None


@click.command(short_help="Run the network on random arrays (NumPy) and check every "
                          "predicted shape.", context_settings={"max_content_width": 100})
@click.argument("spec")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Run at another input size, channels first: 3x384x384.")
@click.option("--batch", type=SIZE, help="Batch size (default: the spec's, or 1).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random weights and input.")
@click.option("--dtype", type=click.Choice(("float32", "float64")), default="float32",
              show_default=True, help="Element type of the arrays.")
@click.option("--max-memory", metavar="SIZE",
              help="Refuse to start when the estimated peak memory is above SIZE (512MiB, "
                   "8GiB, 8GB = 8·10⁹ bytes, or a number of bytes; as `cnncalc check`). "
                   "Default: half of this machine's RAM.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table: rich table on a terminal, plain text when piped; text; json (see "
                   "docs/validate.md).")
@progress_option
@click.option("--no-color", is_flag=True, help="No colours (also honours NO_COLOR).")
@width_option
@limit_option
def validate(spec: str, input_shape: str | None, batch: int | None, seed: int, dtype: str,
             max_memory: str | None, fmt: str, no_progress: bool, no_color: bool,
             width: int | None, limits: tuple[str, ...]) -> int:
    """Run SPEC on random arrays and check every layer's predicted output shape.

    Every layer runs with NumPy kernels (no deep-learning framework) on random, seeded weights
    and input, in the graph's order, each array freed after its last consumer. The table shows
    each layer's predicted shape (the same walk as `cnncalc summary`), the shape its array
    really has, ✓ or ✗, and the kernel time. The sizes of the weight tensors are checked
    against the predicted parameter counts as well.

    Exit code 0 when every layer matches, 1 when one does not (or a kernel fails, or the run
    would not fit in --max-memory), 2 on misuse.

    \b
    Examples:
      cnncalc validate lenet5
      cnncalc validate specs/vgg16_conv.yaml --input 3x384x384
      cnncalc validate googlenet --batch 4 --seed 7
      cnncalc validate my_net.yaml --max-memory 2GiB --format json > check.json
    """
    dims = shape_option(input_shape)
    limit = _max_memory(max_memory)
    network = load_network(spec, parse_limits(limits))
    from cnncalc.kernels.run import validate as run_validation  # numpy: only when kernels run

    with ProgressBar("validating", enabled=not no_progress) as bar:
        result = run_validation(network, dims, batch, seed=seed, dtype=dtype,
                                max_memory=limit, progress=bar.update)
    if fmt == "json":
        echo(render_json(result))
    elif fmt == "table" and stdout_is_terminal():
        console = Console(no_color=no_color or None, width=width)
        console.print(render_rich(result, console.width))
    else:
        echo(render_text(result, width or 100))
    return 0 if result.ok else 1
