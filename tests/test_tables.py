"""Tables at 100 columns keep every name whole or distinct (render/fmt.py), on a terminal and
piped: golden files for the tables a new user meets first, and properties of the shortening."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnncalc.render.fmt import ELLIPSIS, Fit, cells, distinct_names, fit

from .conftest import Result

GOLDEN_TABLES = [
    (("summary", "resnet50", "--memory"), "table_resnet50_memory.txt", 1),
    (("summary", "googlenet", "--bars"), "table_googlenet_bars.txt", 1),
    (("diff", "resnet18", "resnet34"), "table_diff_resnet18_resnet34.txt", 2),
]


def table_names(text: str, column: int) -> list[str]:
    """The cells of a table's name column (after the rule under the header, up to the first
    blank line or rule)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if set(line) == {"-"}) + 1
    names = []
    for line in lines[start:]:
        if not line.strip() or set(line) == {"-"}:
            break
        names.append(re.split(r"\s{2,}", line.strip())[column - 1])
    return names


@pytest.mark.parametrize(("args", "golden_name", "column"), GOLDEN_TABLES,
                         ids=[g for _, g, _ in GOLDEN_TABLES])
def test_golden_tables_at_100_columns(cli: Callable[..., Result],
                                      golden: Callable[[str, str], None],
                                      args: tuple[str, ...], golden_name: str,
                                      column: int) -> None:
    result = cli(*args, "--format", "text") if args[0] == "summary" else cli(*args)
    assert result.code == 0, result.err
    golden(golden_name, result.out)
    table = result.out.split("\n\n")[1 if args[0] == "diff" else 0]
    assert max(cells(line) for line in table.splitlines()) <= 100
    names = table_names(result.out, column)
    assert len(names) > 20
    assert len(set(names)) == len(names), [n for n in names if names.count(n) > 1]


def test_diff_shows_the_kind_change_itself(cli: Callable[..., Result]) -> None:
    """AlexNet's two-tower convolutions become one: the table shows both kinds whole."""
    out = cli("diff", "alexnet", "alexnet_torchvision").out
    assert "conv 11×11/4 ⇒ conv 11×11/4 p2" in out
    assert "conv 3×3 p1 g2 ⇒ conv 3×3 p1" in out


def test_sweep_status_is_never_cut(cli: Callable[..., Result]) -> None:
    out = cli("summary", "googlenet", "--sweep-input", "190:200:1").out
    table = out.split("\n\n")[0].splitlines()[1:]  # the title has "3×190×190 … 3×200×200"
    assert len(table) > 12 and "…" not in "\n".join(table)
    assert " not fit the padded input 5" in "\n".join(table)


# --- the shortening ------------------------------------------------------------------------------

STAGES = [f"inception_{s}.{p}" for s in ("3a", "3b", "4a", "4b", "4c", "5a")
          for p in ("conv_1x1", "relu_1x1", "conv_3x3_reduce", "relu_5x5_reduce", "output")]


def test_shortening_keeps_the_end_and_tells_blocks_apart() -> None:
    shown, distinct = distinct_names(STAGES, 22)
    assert distinct
    assert shown[STAGES.index("inception_3a.conv_3x3_reduce")] == "inc…3a.conv_3x3_reduce"
    assert shown[STAGES.index("inception_3a.conv_1x1")] == "inception_3a.conv_1x1"  # fits whole
    shown, distinct = distinct_names(STAGES, 16)
    assert not distinct  # too narrow for one ellipsis to tell them apart: the table makes room


def test_a_note_after_a_name_is_kept() -> None:
    shown, distinct = distinct_names(["dropout1 (moved)", "dropout2 (moved)", "fc6"], 13)
    assert distinct and shown[:2] == ["dr…t1 (moved)", "dr…t2 (moved)"]


def test_names_take_room_from_optional_figures_first() -> None:
    names = [f"layer{i}.0.downsample.{j}" for i in range(1, 5) for j in range(2)]
    rows = [["Layer", "Kind", "%P"], *[[n, "conv 1×1/2 p1", "12.5%"] for n in names]]
    fits = [Fit(names=True), Fit(cut="first"), Fit(optional=True)]
    widths, fitted = fit(fits, rows, 36)
    assert widths == [21, 13, 0]  # %P dropped, names and kinds whole
    assert [r[0] for r in fitted[1:]] == names
    widths, fitted = fit(fits, rows, 30)
    assert widths == [18, 10, 0]  # every cell is long: the kinds go first, the names stay apart
    assert len({r[0] for r in fitted[1:]}) == len(names) and fitted[1][0] == "layer1.0.downsa….0"
    widths, fitted = fit(fits, rows, 12)  # no room at all: names forced, the kind at its floor
    assert widths[1] == 10


def test_room_comes_from_the_column_where_fewest_cells_lose_text() -> None:
    fits = [Fit(names=True), Fit(cut="first")]
    stages = [f"block{i}.conv{j}" for i in range(1, 6) for j in range(1, 4)]
    one_long_kind = [["Layer", "Kind"], *[[n, "conv 3×3 p1"] for n in stages],
                     ["pool", "adaptive_avgpool → 7"]]
    widths, fitted = fit(fits, one_long_kind, 12 + 2 + 13)
    assert widths == [12, 13] and fitted[-1][1] == "adaptive_avg…"  # one kind cut, no name
    one_long_name = [["Layer", "Kind"], *[[f"c{i}", "conv 3×3/2 p1"] for i in range(9)],
                     ["inception_3a.output", "concat"]]
    widths, fitted = fit(fits, one_long_name, 19 + 2 + 13 - 4)
    assert widths == [15, 13]  # one name shortened, no kind cut
    assert fitted[-1][0] == "incepti….output" and fitted[1][1] == "conv 3×3/2 p1"


NAME = st.from_regex(r"[a-z]{1,6}(\.[a-z0-9]{1,5}){0,3}", fullmatch=True)


@given(st.lists(NAME, min_size=1, max_size=30, unique=True), st.integers(3, 30))
def test_shortened_names_fit_keep_their_ends_and_are_distinct_when_so_reported(
        names: list[str], width: int) -> None:
    shown, distinct = distinct_names(names, width)
    for name, text in zip(names, shown):
        assert cells(text) <= max(width, 2) or text == name
        if text != name:
            start, end = text.split(ELLIPSIS)
            assert name.startswith(start) and name.endswith(end)
    if distinct:
        assert len(set(shown)) == len(shown)


@given(st.text(min_size=0, max_size=12), st.integers(0, 14))
def test_cell_widths_count_wide_characters_twice(text: str, width: int) -> None:
    from cnncalc.render.fmt import cut_end, pad

    assert cells(pad(text, width)) == max(width, cells(text))
    assert cells(cut_end(text, max(width, 1))) <= max(width, 1)
    assert cells("激活") == 4 and cells("свёртка") == 7
