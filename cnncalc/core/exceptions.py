"""The plain exception classes, in a module that imports nothing, so that the quick calculators
(``cnncalc conv ...``) can raise and catch them without loading the rest of the package.
:mod:`cnncalc.core.errors` re-exports them beside the located :class:`SpecError`."""

# No `from __future__ import annotations` in the modules of the quick calculators' fast path:
# importing __future__ costs 0.2 ms of start-up. Annotations naming TYPE_CHECKING-only types
# are quoted.


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
