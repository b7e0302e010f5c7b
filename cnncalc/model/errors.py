"""Errors raised by cnncalc, at the three levels described in docs/architecture.md.

* A formula or a layer raises :class:`ShapeError` (or :class:`AttributeValueError`) with a plain,
  specific message: "kernel 11 is larger than the padded input 9".
* The graph walker re-raises it as a :class:`SpecError` that names the layer and carries its
  :class:`Mark` (file, line, column) when the layer came from a file.
* Only the command-line interface turns a :class:`CnncalcError` into an exit code.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["AttributeValueError", "CnncalcError", "Diagnostic", "LimitError", "Mark",
           "MergeError", "ShapeError", "SpecError", "suggest"]


class CnncalcError(Exception):
    """Base class of every error cnncalc reports to a user (never a bug)."""


class ShapeError(CnncalcError, ValueError):
    """A layer configuration that PyTorch (or the chosen framework) would refuse."""


class AttributeValueError(CnncalcError, ValueError):
    """An attribute value of the wrong type or out of range ("stride must be >= 1, got 0").

    ``key`` names the attribute when known, so a loader can point at it in the file.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class MergeError(ShapeError):
    """Inputs of a merge (``concat``/``add``) that do not fit together.

    ``first`` and ``second`` index the two inputs that disagree, so the walker can name the layers
    that produced them; ``message`` describes the disagreement with the shapes, ``hint`` the rule
    without them (the walker shows the shapes beside the layers' names).
    """

    def __init__(self, message: str, first: int, second: int, hint: str = "") -> None:
        super().__init__(message)
        self.first = first
        self.second = second
        self.hint = hint or message


@dataclass(frozen=True, slots=True)
class Mark:
    """A position in a spec file; ``line`` and ``column`` are 1-based, as editors show them.

    ``uses`` is how the position was reached when it lies inside a block's definition: the
    block uses that expanded it, innermost first, as ``(block name, mark of the use)`` pairs.
    The same definition serves every use, so an error or warning there names the use too (a
    compiler's "in instantiation of" note); positions compare equal whatever their ``uses``.
    """

    path: str
    line: int
    column: int
    uses: tuple[tuple[str, Mark], ...] = field(default=(), compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def use_notes(self) -> tuple[str, ...]:
        """``in use of block 'stage' at net.yaml:12:5``, innermost use first."""
        return tuple(f"in use of block '{block}' at {at}" for block, at in self.uses)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: an error or a warning at a place in a spec, with an optional stable code."""

    message: str
    mark: Mark | None = None
    severity: str = "error"
    code: str | None = None
    layer: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def all_notes(self) -> tuple[str, ...]:
        """The notes, then the block uses that led to the position (see :class:`Mark`)."""
        if self.mark is None or not self.mark.uses:
            return self.notes
        return self.notes + self.mark.use_notes()

    def headline(self) -> str:
        """``file:line:col: error: [code] message`` (the location is left out when unknown)."""
        where = f"{self.mark}: " if self.mark is not None else ""
        code = f"[{self.code}] " if self.code else ""
        return f"{where}{self.severity}: {code}{self.message}"


class SpecError(CnncalcError):
    """A mistake in a spec, located in its file when the spec came from one.

    ``diagnostics`` holds at least one error; loaders that can keep going collect several.
    """

    def __init__(self, message: str, mark: Mark | None = None, *, code: str | None = None,
                 layer: str | None = None, notes: tuple[str, ...] = ()) -> None:
        diag = Diagnostic(message, mark, "error", code, layer, tuple(notes))
        super().__init__(diag.headline())
        self.diagnostics: tuple[Diagnostic, ...] = (diag,)

    @classmethod
    def from_diagnostics(cls, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> SpecError:
        first = diagnostics[0]
        err = cls(first.message, first.mark, code=first.code, layer=first.layer, notes=first.notes)
        err.diagnostics = tuple(diagnostics)
        return err

    @property
    def message(self) -> str:
        return self.diagnostics[0].message

    @property
    def mark(self) -> Mark | None:
        return self.diagnostics[0].mark


class LimitError(SpecError):
    """A spec over one of cnncalc's explicit safety limits (see :mod:`cnncalc.model.limits`)."""


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt word, if any is close enough."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
