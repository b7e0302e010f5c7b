"""``cnncalc schema``: the JSON Schema of the spec format, for editors and validators."""

from __future__ import annotations

import json

import click

from cnncalc.cli.common import echo
from cnncalc.spec.schema import spec_schema


@click.command(short_help="Print the JSON Schema of spec files (for editors).",
               context_settings={"max_content_width": 100})
@click.option("--compact", is_flag=True, help="One line instead of indented JSON.")
def schema(compact: bool) -> None:
    """Print the JSON Schema (draft-07) of spec files, generated from the layer registry.

    Editors with a YAML language server (VS Code's YAML extension, Neovim, JetBrains) use it to
    validate and complete specs as you type; docs/ci.md shows the wiring.

    \b
    Examples:
      cnncalc schema > cnncalc.schema.json
      # then, on the first line of a spec:
      # yaml-language-server: $schema=./cnncalc.schema.json
    """
    data = spec_schema()
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False) if compact else \
        json.dumps(data, indent=2, ensure_ascii=False)
    echo(text + "\n")
