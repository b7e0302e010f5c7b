"""``cnncalc schema``: the JSON Schema of the spec format, for editors and validators."""

from __future__ import annotations

import click

from cnncalc.cli.common import echo


@click.command(context_settings={"max_content_width": 100})
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
    import json

    from cnncalc.spec.schema import spec_schema

    data = spec_schema()
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False) if compact else \
        json.dumps(data, indent=2, ensure_ascii=False)
    echo(text + "\n")
