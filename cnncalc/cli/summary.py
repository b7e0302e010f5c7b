"""The per-layer tables: ``cnncalc summary`` (with ``--sweep-input``, the network at many input
sizes) and ``cnncalc rf`` (receptive fields); a rich table on a terminal, plain text when piped."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console

from cnncalc.analysis.rollup import block_dicts, by_block, by_depth, tree_dicts
from cnncalc.analysis.sweep import MAX_SIZES, sweep_input
from cnncalc.analysis.walk import explain as explain_report
from cnncalc.cli.analysis import analysis_options, fit_budget, memory_config
from cnncalc.cli.common import (
    SIZE,
    batch_option,
    echo,
    limit_option,
    parse_limits,
    progress_option,
    shape_option,
    stdout_is_terminal,
    width_option,
)
from cnncalc.cli.loading import ProgressBar, load_network
from cnncalc.model.quantity import QuantityError, parse_size_list
from cnncalc.render import memory, receptive
from cnncalc.render import sweep as render_sweep
from cnncalc.render.bars import with_bars
from cnncalc.render.rich_table import render_summary as render_rich
from cnncalc.render.rows import (
    CONNECTED,
    CONNECTED_NOTE,
    DEFAULT_COLUMNS,
    MACS_SHARE,
    PARAMS_SHARE,
    View,
    block_columns,
)
from cnncalc.render.structured import iter_json, render_csv, render_markdown
from cnncalc.render.text import render_summary as render_text

FORMATS = ("table", "text", "json", "csv", "markdown")


@click.command(short_help="Per-layer table: output shapes, parameters, MACs (and formulas "
                          "with --explain).", context_settings={"max_content_width": 100})
@click.argument("spec")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Evaluate at another input size, channels first: 3x384x384.")
@click.option("--batch", type=SIZE, help="Batch size (MACs scale with it).")
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
@click.option("--depth", type=click.IntRange(min=1), metavar="N",
              help="A tree N levels deep (torchinfo's): blocks and named repeats nested deeper "
                   "are one row with their totals; those above head their layers, indented.")
@click.option("--connections", is_flag=True,
              help="Add a 'Connected to' column (Keras's): the rows a layer reads, where it is "
                   "not just the row above.")
@click.option("--no-color", is_flag=True, help="No colours (also honours NO_COLOR).")
@progress_option
@width_option
@analysis_options
@limit_option
def summary(spec: str, input_shape: str | None, batch: int | None, fmt: str, explain: bool,
            sweep: str | None, bars: bool, by: str, depth: int | None, connections: bool,
            no_color: bool, no_progress: bool, width: int | None, limits: tuple[str, ...],
            show_rf: bool, show_memory: bool, dtype: str, optimizer: str, mixed: bool,
            device: str, fit: str | None) -> None:
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
      cnncalc summary googlenet_torchvision --depth 2 --connections   # a tree, and its edges
      cat net.yaml | cnncalc summary -        # a spec from standard input
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
    if sweep is not None and (dims is not None or explain or bars or by != "layer"
                              or depth is not None or connections):
        raise click.UsageError("--sweep-input chooses the input sizes itself and shows one row "
                               "per size; use it without --input, --explain, --bars, --by, "
                               "--depth and --connections")
    if depth is not None and (by != "layer" or explain):
        raise click.UsageError("--depth draws its own rows: use it without --by block and "
                               "--explain (--depth 1 is one row per top-level block)")
    config = memory_config(dtype, optimizer, mixed, device)
    budget = fit_budget(fit)
    network = load_network(spec, limits_in_force)
    if sweep is not None:
        show_sweep(network, sweep, batch, fmt, width, not no_progress)
        return
    with ProgressBar("walking", enabled=not no_progress) as bar:
        report = network.summary(dims, batch, config, progress=bar.update)
    explanations = None
    if explain:
        explanations = explain_report(network.at(dims).graph, report)
    columns, footer, notes, full = DEFAULT_COLUMNS, [], [], report
    if show_rf or show_memory:  # the share columns make room for the analysis columns
        columns = tuple(c for c in columns if c not in (PARAMS_SHARE, MACS_SHARE))
    tree = None
    if by == "block":
        report, columns = by_block(full), block_columns(len(full.layers), columns)
    elif depth is not None:
        tree = by_depth(full, depth)
        report, columns = tree.report, block_columns(len(full.layers), columns, "Layer")
    if connections:
        columns += (CONNECTED,)
        notes.append(CONNECTED_NOTE)
    if bars:
        columns = with_bars(columns, markdown=fmt == "markdown")
    if show_rf:
        columns += receptive.SUMMARY_COLUMNS
        footer += receptive.footer(full)
        notes.append(receptive.NOTE)
    if show_memory or budget is not None:
        columns += memory.COLUMNS if show_memory else ()
        footer += memory.footer(full, budget, fit)
        notes += memory.NOTES
    view = View(columns=columns, explanations=explanations, footer=tuple(footer),
                notes=tuple(notes), depth=tree.depth if tree else None,
                headers=tree.headers if tree else frozenset())
    if fmt == "json":
        extra: dict[str, object] = {}
        if by == "block":
            extra["blocks"] = block_dicts(full)
        if tree is not None:
            extra["tree"] = tree_dicts(tree)
        if budget is not None and full.totals.memory is not None:
            extra["fit"] = memory.fit_dict(full.totals.memory, budget)
        for chunk in iter_json(full, explanations, extra or None):  # streamed: may be huge
            echo(chunk)
    elif fmt == "csv":
        echo(render_csv(report, explanations))
    else:
        show_table(report, view, fmt, width, no_color)


def show_sweep(network: Any, sizes_text: str, batch: int | None, fmt: str,
               width: int | None, progress: bool = True) -> None:
    """Parse the sizes, sweep, and print in ``fmt`` (table and text are the same plain table)."""
    try:
        sizes = parse_size_list(sizes_text, max_items=MAX_SIZES)
    except QuantityError as exc:
        raise click.BadParameter(str(exc), param_hint="--sweep-input") from None
    rank = network.graph.input_shape.rank
    for size in sizes:
        if len(size) not in (1, rank):
            raise click.BadParameter(
                f"{'x'.join(map(str, size))} has {len(size)} axes but the spec's input "
                f"{network.graph.input_shape} has {rank}", param_hint="--sweep-input")
    with ProgressBar("sweeping", enabled=progress) as bar:
        result = sweep_input(network.graph, sizes, batch, bar.update,
                             graph_for=lambda shape: network.at(shape).graph)
    if fmt == "json":
        echo(render_sweep.render_json(result))
    elif fmt == "csv":
        echo(render_sweep.render_csv(result))
    elif fmt == "markdown":
        echo(render_sweep.render_markdown(result))
    else:
        echo(render_sweep.render_text(result, width=width or 100))


def show_table(report: Any, view: Any, fmt: str, width: int | None, no_color: bool) -> None:
    """Print a report's table: Markdown, a rich table on a terminal (``table``), or plain text
    (``text``, or ``table`` when the output is piped)."""
    if fmt == "markdown":
        echo(render_markdown(report, view))
    elif fmt == "table" and stdout_is_terminal():
        console = Console(no_color=no_color or None, width=width)
        console.print(render_rich(report, console.width, view))
    else:
        echo(render_text(report, width or 100, view))


RF_FORMATS = ("table", "text", "json", "markdown")


@click.command(short_help="Receptive field, jump and centre per layer; the first layer "
                          "that sees the whole input.", context_settings={"max_content_width": 100})
@click.argument("spec")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Evaluate at another input size, channels first: 3x384x384.")
@click.option("--format", "fmt", type=click.Choice(RF_FORMATS), default="table", show_default=True,
              help="table: rich table on a terminal, plain text when piped; text: always plain; "
                   "json (documented in docs/receptive-field.md); markdown.")
@click.option("--no-color", is_flag=True, help="No colours (also honours NO_COLOR).")
@width_option
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
