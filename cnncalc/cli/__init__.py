"""The command-line interface: one click group, ``cnncalc``, whose commands live in their own
modules and are imported when run (:class:`LazyGroup`). It alone turns errors into exit codes,
by one rule for every command (docs/ci.md, "Exit status"):

* 0 — success;
* 1 — a problem with an input, never with the command line: a spec that cannot be read (no such
  file, a directory, a loop of links, a named pipe, not text, over a limit), a mistake in it
  (``file:line:col: error: ...``), a configuration PyTorch refuses, a failed check or budget,
  ``solve`` without an answer, a tool or an output file that fails (Graphviz, ``-o``);
* 2 — misuse of the command line: an unknown command or option, a malformed option value, options
  that do not go together;
* 70 — an internal error (a bug in cnncalc; set CNNCALC_DEBUG=1 for the traceback);
* 130 — interrupted (Ctrl-C).

:func:`main` is the ``cnncalc`` command (a ``[project.scripts]`` entry point) and
``python -m cnncalc``; :func:`run` runs one command line in-process and returns its code.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from cnncalc.cli.common import print_error
from cnncalc.model.errors import CnncalcError, suggest

COMMANDS: dict[str, str] = {
    "summary": "cnncalc.cli.summary:summary",
    "rf": "cnncalc.cli.summary:rf",
    "kinds": "cnncalc.cli.kinds:kinds",
    "diff": "cnncalc.cli.diff:diff",
    "graph": "cnncalc.cli.graph:graph",
    "plot": "cnncalc.cli.plot:plot",
    "check": "cnncalc.cli.check:check",
    "schema": "cnncalc.cli.schema:schema",
    "list": "cnncalc.cli.listing:list_specs",
    "export": "cnncalc.cli.export:export",
    "import": "cnncalc.cli.export:import_",
    "report": "cnncalc.cli.report:report",
    "validate": "cnncalc.cli.validate:validate",
    "conv": "cnncalc.cli.quick:conv",
    "deconv": "cnncalc.cli.quick:deconv",
    "pool": "cnncalc.cli.quick:pool",
    "chain": "cnncalc.cli.quick:chain",
    "solve": "cnncalc.cli.quick:solve",
    "pad": "cnncalc.cli.quick:pad",
}
"""Command name → ``module:attribute`` of its click command."""

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


class LazyGroup(click.Group):
    """A group that imports a command's module when that command runs (click's documented
    pattern for large command-line tools); ``cnncalc --help`` imports them all."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, _, attr = entry.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and name not in COMMANDS and not name.startswith("-"):
            close = suggest(name, list(COMMANDS))
            hint = f" Did you mean '{close}'?" if close else ""
            raise click.UsageError(f"No such command '{name}'.{hint}", ctx)
        return super().resolve_command(ctx, args)


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


def main() -> None:
    """The ``cnncalc`` command: run the command line and exit with its code."""
    sys.exit(run())


def run(argv: list[str] | None = None, prog_name: str = "cnncalc") -> int:
    """Run one command line (``sys.argv[1:]`` when ``argv`` is None) in this process and return
    its exit code; the tests call this."""
    try:
        result = cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
        sys.stdout.flush()  # a closed pipe shows here, where it can be answered quietly
        return int(result) if isinstance(result, int) else EXIT_OK
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
