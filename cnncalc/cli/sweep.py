"""``cnncalc summary SPEC --sweep-input 128:512:32``: the network at many input sizes."""

from __future__ import annotations

from typing import Any

import click

from cnncalc.cli.common import echo


def show_sweep(network: Any, sizes_text: str, batch: int | None, fmt: str,
               width: int | None) -> None:
    """Parse the sizes, sweep, and print in ``fmt`` (table and text are the same plain table)."""
    from cnncalc.analysis.sweep import parse_sizes, sweep_input
    from cnncalc.render import sweep as render

    try:
        sizes = parse_sizes(sizes_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--sweep-input") from None
    rank = network.graph.input_shape.rank
    for size in sizes:
        if len(size) not in (1, rank):
            raise click.BadParameter(
                f"{'x'.join(map(str, size))} has {len(size)} axes but the spec's input "
                f"{network.graph.input_shape} has {rank}", param_hint="--sweep-input")
    result = sweep_input(network.graph, sizes, batch)
    if fmt == "json":
        echo(render.render_json(result))
    elif fmt == "csv":
        echo(render.render_csv(result))
    elif fmt == "markdown":
        echo(render.render_markdown(result))
    else:
        echo(render.render_text(result, width=width or 100))
