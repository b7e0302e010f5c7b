"""Options that add analyses to ``cnncalc summary``: ``--rf`` and the memory model
(``--memory``, ``--dtype``, ``--optimizer``, ``--mixed``, ``--device``, ``--fit``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from cnncalc.analysis.memory import MemoryConfig
from cnncalc.model.quantity import QuantityError, parse_memory

F = TypeVar("F", bound=Callable[..., Any])

DTYPES = ("float32", "float16", "bfloat16", "int8", "float64")
OPTIMIZERS = ("sgd", "momentum", "adam")


def optimizer_option(f: F) -> F:
    """``--optimizer``, with the memory model's default (SGD) in every command that has it."""
    return click.option("--optimizer", type=click.Choice(OPTIMIZERS),
                        default=MemoryConfig().optimizer, show_default=True,
                        help="Optimizer state in training memory: sgd none, momentum 1 copy, "
                             "adam 2 copies of the trainable parameters.")(f)


def analysis_options(f: F) -> F:
    """Add the receptive-field and memory options to a command."""
    options = [
        click.option("--rf", "show_rf", is_flag=True,
                     help="Add receptive-field columns (RF, Jump, Start; see `cnncalc rf`) in "
                          "place of %P and %M."),
        click.option("--memory", "show_memory", is_flag=True,
                     help="Add memory columns (Act, Live, Saved) in place of %P and %M, and the "
                          "memory totals."),
        click.option("--dtype", type=click.Choice(DTYPES), default="float32", show_default=True,
                     help="Element type of activations (and of parameters unless --mixed)."),
        optimizer_option,
        click.option("--mixed", is_flag=True,
                     help="Mixed precision (float16/bfloat16 with torch.autocast): float32 "
                          "master weights, gradients and optimizer state, plus a --dtype copy "
                          "of conv/linear weights."),
        click.option("--device", type=click.Choice(("cuda", "cpu")), default="cuda",
                     show_default=True,
                     help="Where training runs (dropout masks: 1 byte on CUDA, --dtype on CPU)."),
        click.option("--fit", "fit", metavar="SIZE",
                     help="Largest batch whose inference and training step fit in SIZE, "
                          "e.g. 24GiB (binary) or 24GB (decimal)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def memory_config(dtype: str, optimizer: str, mixed: bool, device: str) -> MemoryConfig:
    """The core's MemoryConfig, with misuse reported as a usage error (exit 2)."""
    try:
        return MemoryConfig(dtype=dtype, optimizer=optimizer, mixed=mixed, device=device)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mixed") from None


def fit_budget(text: str | None) -> int | None:
    """``--fit 24GiB``: a byte size (docs/conventions.md, "Numbers you write")."""
    if text is None:
        return None
    try:
        return parse_memory(text)
    except QuantityError as exc:
        raise click.BadParameter(str(exc), param_hint="--fit") from None
