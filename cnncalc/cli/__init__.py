"""The command-line interface. It alone turns errors into exit codes:

* 0 — success;
* 1 — a problem in a spec or its analysis (``file:line:col: error: ...``), or a failed check;
* 2 — command-line misuse (unknown option, bad value);
* 70 — an internal error (a bug in cnncalc; set CNNCALC_DEBUG=1 for the traceback).

Subcommands live in their own modules and are imported only when run, so that
``cnncalc conv ...`` and ``cnncalc summary ...`` start fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

# name → (module:function, one-line help). Kept here so `cnncalc --help` imports nothing else.
COMMANDS: dict[str, tuple[str, str]] = {
    "summary": ("cnncalc.cli.summary:summary",
                "Per-layer table: output shapes, parameters, MACs (and formulas with --explain)."),
    "kinds": ("cnncalc.cli.kinds:kinds", "List the layer kinds a spec can use, with attributes."),
    "list": ("cnncalc.cli.listing:list_specs", "The bundled specs with their parameters and MACs."),
    "export": ("cnncalc.cli.export:export", "Write a spec as a standalone PyTorch module."),
    "rf": ("cnncalc.cli.rf:rf", "Receptive field, jump and centre per layer; the first layer "
                                "that sees the whole input."),
}

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


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
            from cnncalc.core.layer import suggest

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
      cnncalc kinds conv

    Conventions (MACs, FLOPs, units) are printed under every table and documented in
    docs/conventions.md.
    """


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cnncalc`` script; returns (and exits with) the exit code."""
    code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None, prog_name: str = "cnncalc") -> int:
    """Run the CLI in-process and return its exit code (used by the tests)."""
    from cnncalc.core.errors import CnncalcError

    try:
        result: Any = cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
        return int(result) if isinstance(result, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_FAIL
    except CnncalcError as exc:
        from cnncalc.cli.common import print_error

        print_error(exc)
        return EXIT_FAIL
    except BrokenPipeError:
        _silence_broken_pipe()
        return EXIT_OK
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except RecursionError:
        click.echo("cnncalc: error: the input is nested too deeply to analyse", err=True)
        return EXIT_FAIL
    except MemoryError:
        click.echo("cnncalc: error: out of memory (see --limit and docs/limits.md)", err=True)
        return EXIT_FAIL
    except Exception as exc:  # a bug: say so plainly instead of a traceback
        if os.environ.get("CNNCALC_DEBUG"):
            raise
        click.echo(f"cnncalc: internal error (a bug in cnncalc, please report it): "
                   f"{type(exc).__name__}: {exc}\n(set CNNCALC_DEBUG=1 for the traceback)",
                   err=True)
        return EXIT_INTERNAL


def _silence_broken_pipe() -> None:
    # Python flushes stdout at exit; point it at devnull so that flush cannot fail again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
