"""The click application behind every command except the quick calculators' fast path.

:mod:`cnncalc.cli` imports this module only when a command needs click (``summary``, ``kinds``,
any ``--help``), so that ``cnncalc conv ...`` starts without it.
"""

from __future__ import annotations

import importlib

import click

from cnncalc.cli import COMMANDS


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, _, attr = entry[0].partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and name not in COMMANDS and not name.startswith("-"):
            from cnncalc.model.errors import suggest

            close = suggest(name, list(COMMANDS))
            hint = f" Did you mean '{close}'?" if close else ""
            raise click.UsageError(f"No such command '{name}'.{hint}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "max_content_width": 100})
@click.version_option(package_name="cnncalc", message="cnncalc %(version)s")
def cli() -> None:
    """cnncalc — exact shapes, parameters, MACs and receptive fields for CNN specs in YAML.

    \b
    Examples:
      cnncalc summary specs/alexnet.yaml
      cnncalc summary vgg16 --input 3x384x384 --format json
      cnncalc summary resnet50 --sweep-input 128:512:32
      cnncalc kinds conv
      cnncalc conv 224 -k 7 -s 2 -p 3 --in-channels 3 --out-channels 64
      cnncalc chain 224 "conv k7 s2 p3; maxpool k3 s2 p1; conv k3 p1"
      cnncalc solve --in 227 --out 55 -k 11

    Conventions (MACs, FLOPs, units) are printed under every table and documented in
    docs/conventions.md.
    """
