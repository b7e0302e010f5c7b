"""``cnncalc summary``: the per-layer table."""

from __future__ import annotations

import click

from cnncalc.cli.analysis import analysis_options, fit_budget, memory_config
from cnncalc.cli.common import (
    batch_option,
    echo,
    limit_option,
    load_network,
    parse_limits,
    shape_option,
    show_table,
)

FORMATS = ("table", "text", "json", "csv", "markdown")


@click.command(context_settings={"max_content_width": 100})
@click.argument("spec")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Evaluate at another input size, channels first: 3x384x384.")
@click.option("--batch", type=click.IntRange(min=1), help="Batch size (MACs scale with it).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table: rich table on a terminal, plain text when piped; text: always plain; "
                   "json: the documented JSON contract; csv; markdown.")
@click.option("--explain", is_flag=True,
              help="Show each layer's formulas with the numbers substituted.")
@click.option("--sweep-input", "sweep", metavar="SIZES",
              help="Evaluate at many input sizes (128:512:32, both ends included, or "
                   "224,256,320) and tabulate output, params, MACs and which sizes are clean.")
@click.option("--bars", is_flag=True,
              help="Show each row's share of the parameters and of the MACs as a bar.")
@click.option("--by", type=click.Choice(("layer", "block")), default="layer", show_default=True,
              help="block: one row per top-level block use or named repeat (a VGG stage, an "
                   "inception module); layers outside blocks keep their own row.")
@click.option("--no-color", is_flag=True, help="No colours (also honours NO_COLOR).")
@click.option("--width", type=click.IntRange(min=40), help="Table width (default: terminal, "
              "or 100 when piped).")
@analysis_options
@limit_option
def summary(spec: str, input_shape: str | None, batch: int | None, fmt: str, explain: bool,
            sweep: str | None, bars: bool, by: str, no_color: bool, width: int | None,
            limits: tuple[str, ...], show_rf: bool, show_memory: bool, dtype: str,
            optimizer: str, mixed: bool, device: str, fit: str | None) -> None:
    """Per-layer output shapes, parameters and MACs of SPEC, with totals.

    SPEC is a spec file or the name of a bundled spec (see `cnncalc list`).

    \b
    Examples:
      cnncalc summary specs/alexnet.yaml
      cnncalc summary vgg16 --batch 32
      cnncalc summary specs/vgg16_conv.yaml --input 3x384x384   # 6×6×1000 score map
      cnncalc summary googlenet --format json > googlenet.json
      cnncalc summary lenet5 --explain
      cnncalc summary vgg16 --bars            # where the parameters and the MACs are
      cnncalc summary googlenet --by block    # one row per inception module
      cnncalc summary googlenet --sweep-input 192:320:16   # which sizes are clean?
      cnncalc summary vgg16 --rf                       # receptive field per layer
      cnncalc summary vgg16 --batch 32 --memory        # activation memory per layer, totals
      cnncalc summary googlenet_torchvision --dtype float16 --mixed --optimizer adam --fit 24GiB

    Memory figures are exact bytes shown in binary units (MiB, GiB); docs/memory.md states
    every assumption. The JSON always carries totals.memory for the chosen batch and dtype.
    """
    limits_in_force = parse_limits(limits)
    dims = shape_option(input_shape, limits_in_force)
    batch = batch_option(batch, limits_in_force)
    if sweep is not None and (dims is not None or explain or bars or by != "layer"):
        raise click.UsageError("--sweep-input chooses the input sizes itself and shows one row "
                               "per size; use it without --input, --explain, --bars and --by")
    config = memory_config(dtype, optimizer, mixed, device)
    budget = fit_budget(fit)
    network = load_network(spec, limits_in_force)
    if sweep is not None:
        from cnncalc.cli.sweep import show_sweep

        show_sweep(network, sweep, batch, fmt, width)
        return
    report = network.summary(dims, batch, config)
    explanations = None
    if explain:
        from cnncalc.analysis.walk import explain as explain_report

        explanations = explain_report(network.graph, report)
    from cnncalc.render.rows import DEFAULT_COLUMNS, MACS_SHARE, PARAMS_SHARE, View

    columns, footer, notes, full = DEFAULT_COLUMNS, [], [], report
    if show_rf or show_memory:  # the share columns make room for the analysis columns
        columns = tuple(c for c in columns if c not in (PARAMS_SHARE, MACS_SHARE))
    if by == "block":
        from cnncalc.analysis.rollup import by_block
        from cnncalc.render.blocks import block_columns

        report, columns = by_block(full), block_columns(len(full.layers), columns)
    if bars:
        from cnncalc.render.bars import with_bars

        columns = with_bars(columns, markdown=fmt == "markdown")
    if show_rf:
        from cnncalc.render import receptive

        columns += receptive.SUMMARY_COLUMNS
        footer += receptive.footer(full)
        notes.append(receptive.NOTE)
    if show_memory or budget is not None:
        from cnncalc.render import memory

        columns += memory.COLUMNS if show_memory else ()
        footer += memory.footer(full, budget, fit)
        notes += memory.NOTES
    view = View(columns=columns, explanations=explanations, footer=tuple(footer),
                notes=tuple(notes))
    if fmt == "json":
        from cnncalc.analysis.rollup import block_dicts
        from cnncalc.render.structured import iter_json

        extra: dict[str, object] = {}
        if by == "block":
            extra["blocks"] = block_dicts(full)
        if budget is not None and full.totals.memory is not None:
            from cnncalc.render.memory import fit_dict

            extra["fit"] = fit_dict(full.totals.memory, budget)
        for chunk in iter_json(full, explanations, extra or None):  # streamed: may be huge
            echo(chunk)
    elif fmt == "csv":
        from cnncalc.render.structured import render_csv

        echo(render_csv(report, explanations))
    else:
        show_table(report, view, fmt, width, no_color)
