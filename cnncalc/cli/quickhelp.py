"""The quick calculators as click commands, built from the option tables in
:mod:`cnncalc.cli.quickargs`: they render ``--help`` and list the commands in ``cnncalc --help``.

``cnncalc conv ...`` itself never gets here (:func:`cnncalc.cli.run` answers it on the fast path
in :mod:`cnncalc.cli.quick`); when click does run one of these commands — with ``--help``
missing, or called through the click group directly — it converts the values with the same
converters and answers with the same :func:`cnncalc.cli.quick.answer`, so both paths agree.
"""

from __future__ import annotations

from typing import Any

import click

from cnncalc.cli.quick import NoSolution, answer
from cnncalc.cli.quickargs import SPECS, CommandSpec, Misuse, finish

SETTINGS = {"max_content_width": 100, "help_option_names": ["-h", "--help"]}


def build(spec: CommandSpec) -> click.Command:
    """A click command whose parameters, help and behaviour come from ``spec``."""
    params: list[click.Parameter] = []
    for p in spec.params:
        if p.positional:
            params.append(click.Argument([p.dest], nargs=-1 if p.many else 1,
                                         required=p.required, metavar=p.metavar +
                                         ("..." if p.many else "")))
        elif p.flag:
            params.append(click.Option([*p.decls, p.dest], is_flag=True, default=None,
                                       help=p.help))
        else:
            params.append(click.Option([*p.decls, p.dest], type=str, default=p.default,
                                       required=p.required, metavar=p.metavar, help=p.help,
                                       show_default=p.default is not None))

    def callback(**kwargs: Any) -> None:
        given = {key: value for key, value in kwargs.items()
                 if value is not None and value != ()}
        ctx = click.get_current_context()
        try:
            text = answer(spec.name, finish(spec, given))
        except Misuse as exc:
            raise click.UsageError(str(exc), ctx) from None
        except NoSolution as exc:
            click.echo(exc.text, nl=False)
            ctx.exit(1)
        click.echo(text, nl=False)

    return click.Command(spec.name, params=params, callback=callback, help=spec.doc,
                         short_help=spec.summary, context_settings=SETTINGS,
                         no_args_is_help=False)


conv = build(SPECS["conv"])
deconv = build(SPECS["deconv"])
pool = build(SPECS["pool"])
chain = build(SPECS["chain"])
solve = build(SPECS["solve"])
pad = build(SPECS["pad"])
