"""``cnncalc report``: one self-contained, interactive HTML page per network (or per diff)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cnncalc.cli.analysis import DTYPES, memory_config, optimizer_option
from cnncalc.cli.common import batch_option, limit_option, parse_limits, shape_option
from cnncalc.cli.loading import load_network
from cnncalc.model.limits import Limits


def load_input(source: str, limits: Limits) -> Any:
    """The network behind SOURCE: a spec file or a bundled spec's name. The one place that
    decides what an input is: a model file (ONNX, PyTorch, ...) goes here, returning the same
    Network, and nothing else in the command changes."""
    return load_network(source, limits)


@click.command(short_help="One self-contained HTML page: graph, table and profiles (or a diff).",
               context_settings={"max_content_width": 100})
@click.argument("spec")
@click.argument("new", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="The HTML file to write. Default: the spec's name with .html (NEW's name "
                   "with .diff.html for a diff), in the current folder.")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Evaluate at another input size, channels first: 3x384x384.")
@click.option("--batch", type=click.IntRange(min=1), help="Batch size (MACs and memory scale).")
@click.option("--dtype", type=click.Choice(DTYPES), default="float32", show_default=True,
              help="Element type of activations (and of parameters unless --mixed).")
@optimizer_option
@click.option("--mixed", is_flag=True, help="Mixed precision (see `cnncalc summary --help`).")
@click.option("--device", type=click.Choice(("cuda", "cpu")), default="cuda", show_default=True,
              help="Where training runs (dropout masks: 1 byte on CUDA, --dtype on CPU).")
@limit_option
def report(spec: str, new: str | None, output: str | None, input_shape: str | None,
           batch: int | None, dtype: str, optimizer: str, mixed: bool, device: str,
           limits: tuple[str, ...]) -> int:
    """Write one HTML page that shows SPEC: the layer graph (click or hover a layer for its
    shapes, parameters, MACs, receptive field, memory and spec line; blocks and repeats fold),
    the per-layer table linked to it, and MACs, parameters, memory and receptive field along
    the depth. The page works offline from file:// (no server, nothing loaded from the network).

    With two specs, OLD and NEW, the page shows NEW with its added, removed and changed layers
    coloured (matched as `cnncalc diff` matches them), for a pull request.

    \b
    Examples:
      cnncalc report googlenet                        # writes googlenet.html
      cnncalc report specs/resnet50.yaml -o resnet50.html --batch 32 --dtype float16
      cnncalc report alexnet alexnet_torchvision -o alexnet.diff.html
    """
    limits_in_force = parse_limits(limits)
    dims = shape_option(input_shape, limits_in_force)
    batch = batch_option(batch, limits_in_force)
    config = memory_config(dtype, optimizer, mixed, device)
    from cnncalc import __version__
    from cnncalc.page.data import page_data
    from cnncalc.page.html import render_page

    network = load_input(new if new is not None else spec, limits_in_force)
    analysed = network.summary(dims, batch, config)
    if new is None:
        data = page_data(analysed, network.text, version=__version__)
    else:
        from cnncalc.checks.diff import diff_reports

        old_network = load_input(spec, limits_in_force)
        old = old_network.summary(dims, batch, config)
        old_dict, new_dict = old.to_dict(), analysed.to_dict()
        old_dict["source"], new_dict["source"] = spec, new  # as given: a bundled name stays one
        data = page_data(analysed, network.text, diff_reports(old_dict, new_dict), old,
                         version=__version__)
    data["source"] = new if new is not None else spec  # as given: a bundled name stays one
    path = Path(output) if output else Path(_default_name(spec, new))
    try:
        path.write_text(render_page(data), encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
    click.echo(f"wrote {path} ({len(analysed.layers):,} layers)", err=True)
    return 0


def _default_name(spec: str, new: str | None) -> str:
    """``specs/vgg16.yaml`` → ``vgg16.html``; a diff → ``NEW.diff.html``."""
    stem = Path(new if new is not None else spec).stem
    return f"{stem}.diff.html" if new is not None else f"{stem}.html"
