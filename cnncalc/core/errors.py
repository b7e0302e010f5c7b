"""Errors raised by cnncalc, at the three levels described in docs/architecture.md.

* A formula or a layer raises :class:`ShapeError` (or :class:`AttributeValueError`) with a plain,
  specific message: "kernel 11 is larger than the padded input 9".
* The graph walker re-raises it as a :class:`SpecError` that names the layer and carries its
  :class:`Mark` (file, line, column) when the layer came from a file.
* Only the command-line interface turns a :class:`CnncalcError` into an exit code.
"""

from __future__ import annotations

from dataclasses import field

from cnncalc.core.exceptions import (
    AttributeValueError,
    CnncalcError,
    MergeError,
    ShapeError,
)
from cnncalc.core.value import SET, Value, value

__all__ = ["AttributeValueError", "CnncalcError", "Diagnostic", "LimitError", "Mark",
           "MergeError", "ShapeError", "SpecError"]


@value
class Mark(Value):
    """A position in a spec file; ``line`` and ``column`` are 1-based, as editors show them."""

    __slots__ = ("column", "line", "path")
    path: str
    line: int
    column: int

    def __init__(self, path: str, line: int, column: int) -> None:
        SET(self, "path", path)
        SET(self, "line", line)
        SET(self, "column", column)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@value
class Diagnostic(Value):
    """One finding: an error or a warning at a place in a spec, with an optional stable code."""

    message: str
    mark: Mark | None = None
    severity: str = "error"
    code: str | None = None
    layer: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

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
    """A spec over one of cnncalc's explicit safety limits (see :mod:`cnncalc.core.limits`)."""
