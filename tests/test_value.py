"""``@value`` classes behave like ``@dataclass(frozen=True)`` (cnncalc/core/value.py)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from cnncalc.model.value import Value, value


@value
class Point(Value):
    """A test value."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)
    note: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class Reference:
    """The same, as the dataclass machinery writes it."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)
    note: str = field(default="", compare=False, repr=False)


@pytest.mark.parametrize(("args", "kwargs"), [((1,), {}), ((1, 2), {}), ((), {"x": 3, "y": 4}),
                                              ((1,), {"tags": ("a",), "note": "n"})])
def test_same_as_a_frozen_dataclass(args: tuple[int, ...], kwargs: dict[str, object]) -> None:
    ours, theirs = Point(*args, **kwargs), Reference(*args, **kwargs)  # type: ignore[arg-type]
    assert dataclasses.astuple(ours) == dataclasses.astuple(theirs)
    assert repr(ours).replace("Point", "Reference") == repr(theirs)
    assert ours == Point(*args, **kwargs)  # type: ignore[arg-type]
    assert hash(ours) == hash(Point(*args, **kwargs))  # type: ignore[arg-type]


def test_frozen_and_comparisons() -> None:
    p = Point(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del p.y  # type: ignore[misc]
    assert Point(1, note="a") == Point(1, note="b")          # compare=False is ignored by ==
    assert Point(1) != Point(2)
    assert Point(1) != Reference(1)
    assert dataclasses.replace(p, y=5) == Point(1, 5)
    assert [f.name for f in dataclasses.fields(p)] == ["x", "y", "tags", "note"]


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {}, "missing argument 'x'"),
    ((1, 2, (), "", 5), {}, "takes 4 arguments"),
    ((1,), {"x": 2}, "got 'x' twice"),
    ((1,), {"z": 2}, "unexpected z"),
])
def test_constructor_errors(args: tuple[object, ...], kwargs: dict[str, object],
                            message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)  # type: ignore[arg-type]


def test_post_init_runs_and_a_base_is_required() -> None:
    seen = []

    @value
    class Checked(Value):
        """Checks itself."""

        n: int

        def __post_init__(self) -> None:
            seen.append(self.n)

    Checked(7)
    assert seen == [7]
    with pytest.raises(TypeError, match="must derive from Value"):
        value(type("Plain", (), {"__doc__": "x"}))
