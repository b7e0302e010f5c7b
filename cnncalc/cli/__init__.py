"""The command-line interface. It alone turns errors into exit codes:

* 0 — success;
* 1 — a problem in a spec or its analysis (``file:line:col: error: ...``), or a failed check;
* 2 — command-line misuse (unknown option, bad value);
* 70 — an internal error (a bug in cnncalc; set CNNCALC_DEBUG=1 for the traceback).

Subcommands live in their own modules and are imported only when run. This module imports
nothing heavy: the quick calculators (``cnncalc conv ...``, :data:`QUICK`) are recognised here and
answered by :mod:`cnncalc.cli.quick` without click; every other command, and any ``--help``, goes
through the click application in :mod:`cnncalc.cli.app`.
"""

import os
import sys

# No `from __future__ import annotations` in the modules of the quick calculators' fast path:
# importing __future__ costs 0.2 ms of start-up. Annotations naming TYPE_CHECKING-only types
# are quoted.
TYPE_CHECKING = False  # not `from typing import ...`: typing costs milliseconds at start-up
if TYPE_CHECKING:
    from typing import Any

    from cnncalc.cli.app import LazyGroup as LazyGroup  # reachable through __getattr__
    from cnncalc.cli.app import cli as cli

# name → (module:function, one-line help). Kept here so `cnncalc --help` imports nothing else.
COMMANDS: dict[str, tuple[str, str]] = {
    "summary": ("cnncalc.cli.summary:summary",
                "Per-layer table: output shapes, parameters, MACs (and formulas with --explain)."),
    "kinds": ("cnncalc.cli.kinds:kinds", "List the layer kinds a spec can use, with attributes."),
    "diff": ("cnncalc.cli.diff:diff", "Compare two architectures layer by layer, with totals."),
    "graph": ("cnncalc.cli.graph:graph", "Draw the layer graph: Mermaid, dot, SVG or PNG."),
    "plot": ("cnncalc.cli.plot:plot",
             "Picture activation memory, MACs and receptive field along the depth."),
    "check": ("cnncalc.cli.check:check", "CI gate: errors, lint, expectations and budgets."),
    "schema": ("cnncalc.cli.schema:schema", "Print the JSON Schema of spec files (for editors)."),
    "list": ("cnncalc.cli.listing:list_specs", "The bundled specs with their parameters and MACs."),
    "export": ("cnncalc.cli.export:export", "Write a spec as a standalone PyTorch module."),
    "validate": ("cnncalc.cli.validate:validate",
                 "Run the network on random arrays (NumPy) and check every predicted shape."),
    "conv": ("cnncalc.cli.quickhelp:conv", "Output size of one convolution, with the formula."),
    "deconv": ("cnncalc.cli.quickhelp:deconv", "Output size of one transposed convolution."),
    "pool": ("cnncalc.cli.quickhelp:pool", "Output size of one pooling window (floor or --ceil)."),
    "chain": ("cnncalc.cli.quickhelp:chain", "Size, receptive field and jump after each step."),
    "solve": ("cnncalc.cli.quickhelp:solve", "Every stride and padding giving the wanted size."),
    "pad": ("cnncalc.cli.quickhelp:pad", "The padding that keeps the size (and TensorFlow's)."),
    "rf": ("cnncalc.cli.rf:rf", "Receptive field, jump and centre per layer; the first layer "
                                "that sees the whole input."),
}

QUICK = ("conv", "deconv", "pool", "chain", "solve", "pad")
"""The quick calculators: answered without importing click unless help is asked for."""

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cnncalc`` script: runs the command and exits with its code."""
    code = run(argv)
    exit_now(code)
    return code  # pragma: no cover - exit_now does not return


def exit_now(code: int) -> None:
    """Flush the output and end the process at once, skipping the interpreter's teardown
    (freeing every module and object: about 10 ms, a sixth of a `summary`; docs/performance.md).
    Every file cnncalc writes is closed before this point. ``CNNCALC_CLEAN_EXIT=1`` exits the
    ordinary way, running atexit handlers (a coverage tool measuring subprocesses needs that)."""
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - contextlib would cost the quick calculators start-up time
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: the output is gone anyway
            pass
    if os.environ.get("CNNCALC_CLEAN_EXIT"):
        sys.exit(code)
    os._exit(code)


def run(argv: list[str] | None = None, prog_name: str = "cnncalc") -> int:
    """Run the CLI in-process and return its exit code (used by the tests)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args and args[0] in QUICK and not _asks_for_help(args[1:]):
        from cnncalc.cli.quick import run_quick

        return run_quick(args[0], args[1:], prog_name)
    import click

    from cnncalc.cli.app import cli
    from cnncalc.model.errors import CnncalcError

    try:
        result: Any = cli.main(args=args, prog_name=prog_name, standalone_mode=False)
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


def _asks_for_help(args: list[str]) -> bool:
    """Whether options before a ``--`` ask for help (which click renders, on the slow path)."""
    for arg in args:
        if arg == "--":
            return False
        if arg in ("-h", "--help"):
            return True
    return False


def __getattr__(name: str) -> object:
    # `cnncalc.cli.cli` and `cnncalc.cli.LazyGroup` moved to cnncalc.cli.app; still reachable here.
    if name in ("cli", "LazyGroup"):
        from cnncalc.cli import app

        return getattr(app, name)
    raise AttributeError(f"module 'cnncalc.cli' has no attribute {name!r}")


def _silence_broken_pipe() -> None:
    # Python flushes stdout at exit; point it at devnull so that flush cannot fail again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
