"""``cnncalc graph``: the layer graph as Mermaid, Graphviz dot, SVG or PNG."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click

from cnncalc.analysis.rollup import by_block
from cnncalc.cli.common import (
    echo,
    limit_option,
    parse_limits,
    shape_option,
    stdout_is_terminal,
)
from cnncalc.cli.loading import load_network
from cnncalc.render.graph import render_dot, render_mermaid

FORMATS = ("mermaid", "markdown", "dot", "svg", "png")
SUFFIXES = {".mmd": "mermaid", ".mermaid": "mermaid", ".md": "markdown", ".dot": "dot",
            ".gv": "dot", ".svg": "svg", ".png": "png"}
GRAPHVIZ_MISSING = ("cnncalc graph: error: --format {fmt} needs Graphviz's `dot` program, which "
                    "is not installed (or not on PATH). Install Graphviz (Debian/Ubuntu: "
                    "apt-get install graphviz; macOS: brew install graphviz; conda: conda install "
                    "graphviz), or write --format dot and render it elsewhere, or use --format "
                    "mermaid, which GitHub renders.")


@click.command(short_help="Draw the layer graph: Mermaid, dot, SVG or PNG.",
               context_settings={"max_content_width": 100})
@click.argument("spec")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="mermaid (default), markdown (mermaid in a ```mermaid fence, ready for a "
                   "README or PR), dot, or svg/png drawn by Graphviz. Default: from the -o "
                   "suffix (.mmd .md .dot .gv .svg .png), else mermaid.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
@click.option("--direction", type=click.Choice(("TB", "LR", "BT", "RL")), default="TB",
              show_default=True, help="Top to bottom, left to right, ...")
@click.option("--by", type=click.Choice(("layer", "block")), default="layer", show_default=True,
              help="block: one node per top-level block use or named repeat.")
@click.option("--input", "input_shape", metavar="SHAPE",
              help="Evaluate at another input size, channels first: 3x384x384.")
@limit_option
def graph(spec: str, fmt: str | None, output: str | None, direction: str, by: str,
          input_shape: str | None, limits: tuple[str, ...]) -> int:
    """Draw SPEC's layer graph: one node per layer with its kind, output shape and parameters;
    branches and merges as edges; blocks as clusters.

    Mermaid renders on GitHub as it is (in a ```mermaid block: --format markdown). SVG and PNG
    need Graphviz's `dot` program.

    \b
    Examples:
      cnncalc graph lenet5                          # Mermaid on standard output
      cnncalc graph googlenet --format markdown > googlenet.md
      cnncalc graph vgg16 -o vgg16.svg              # Graphviz
      cnncalc graph googlenet --by block -o googlenet.png
      cnncalc graph alexnet --format dot | dot -Tpdf -o alexnet.pdf
    """
    if fmt is None:
        fmt = SUFFIXES.get(Path(output).suffix.lower(), "mermaid") if output else "mermaid"
    dot_program = shutil.which("dot") if fmt in ("svg", "png") else None
    if fmt in ("svg", "png") and dot_program is None:
        click.echo(GRAPHVIZ_MISSING.format(fmt=fmt), err=True)
        return 1
    if fmt == "png" and output is None and stdout_is_terminal():
        raise click.UsageError("PNG is binary: write it to a file with -o graph.png")
    network = load_network(spec, parse_limits(limits))
    report = network.summary(shape_option(input_shape))
    if by == "block":
        report = by_block(report)
    if fmt in ("mermaid", "markdown"):
        text = render_mermaid(report, direction)
        if fmt == "markdown":
            text = f"```mermaid\n{text}```\n"
    else:
        text = render_dot(report, direction)
    if dot_program is not None:
        data = _run_dot(dot_program, text, fmt)
        if output:
            Path(output).write_bytes(data)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        return 0
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        echo(text)
    return 0


def _run_dot(program: str, text: str, fmt: str) -> bytes:
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=text.encode("utf-8"),
                              capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise click.ClickException(f"running Graphviz failed: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise click.ClickException(f"Graphviz's dot failed: {message}")
    return done.stdout
