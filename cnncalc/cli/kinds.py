"""``cnncalc kinds``: the layer kinds a spec can use."""

from __future__ import annotations

import click

from cnncalc.cli.common import echo
from cnncalc.layers.base import kinds as registered
from cnncalc.layers.base import lookup
from cnncalc.model.errors import suggest


@click.command(short_help="List the layer kinds a spec can use, with attributes.")
@click.argument("kind", required=False)
def kinds(kind: str | None) -> None:
    """List the layer kinds, or describe one KIND's attributes.

    \b
    Examples:
      cnncalc kinds
      cnncalc kinds conv
    """
    if kind is None:
        lines = []
        for name, cls in registered().items():
            alias = f" (also {', '.join(cls.aliases)})" if cls.aliases else ""
            lines.append(f"{name:<20} {cls.doc}{alias}")
        echo("\n".join(lines) + "\n")
        return
    found = lookup(kind)
    if found is None:
        close = suggest(kind, list(registered()))
        hint = f" Did you mean '{close}'?" if close else ""
        raise click.BadParameter(f"no layer kind '{kind}'.{hint}", param_hint="KIND")
    cls = found
    lines = [f"{cls.kind}: {cls.doc}"]
    if cls.aliases:
        lines.append(f"aliases: {', '.join(cls.aliases)}")
    lines.append(f"example: {cls.example()}")
    infos = cls.attributes()
    if infos:
        lines.append("attributes:")
    for info in infos:
        default = "required" if info.required else f"default {info.default!r}"
        also = f"; also spelt {', '.join(info.aliases)}" if info.aliases else ""
        lines.append(f"  {info.name:<18} {info.type.describe()} ({default}){also}")
        lines.append(f"  {'':<18} {info.doc}")
    echo("\n".join(lines) + "\n")
