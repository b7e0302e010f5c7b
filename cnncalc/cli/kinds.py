"""``cnncalc kinds``: the layer kinds a spec can use (the text is render/kinds.py's)."""

from __future__ import annotations

import shutil

import click

from cnncalc.cli.common import echo, stdout_is_terminal, width_option
from cnncalc.layers.base import kinds as registered
from cnncalc.layers.base import lookup
from cnncalc.model.errors import suggest
from cnncalc.render.kinds import kind_text, kinds_list


@click.command(short_help="List the layer kinds a spec can use, with attributes.")
@click.argument("kind", required=False)
@width_option
def kinds(kind: str | None, width: int | None) -> None:
    """List the layer kinds, or describe one KIND: its attributes with their types and
    defaults (as a spec writes them), and a whole spec that uses it.

    \b
    Examples:
      cnncalc kinds
      cnncalc kinds conv
      cnncalc kinds upsample --width 80
    """
    shown = width or (shutil.get_terminal_size().columns if stdout_is_terminal() else 100)
    if kind is None:
        echo(kinds_list(registered(), shown))
        return
    found = lookup(kind)
    if found is None:
        close = suggest(kind, list(registered()))
        hint = f" Did you mean '{close}'?" if close else ""
        raise click.BadParameter(f"no layer kind '{kind}'.{hint}", param_hint="KIND")
    echo(kind_text(found, shown))
