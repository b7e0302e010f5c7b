"""How numbers and table cells are written: counts, SI prefixes, percentages and shapes for
every renderer, and the one rule every table (summary, rf, diff, sweep, validate) follows to
fit a width.

When a table is wider than its width, columns give up room in this order:

1. columns marked ``cut="first"`` (the summary's Kind) are cut at the end, with ``…``, down to
   :data:`SOFT_CUT` cells;
2. ``optional`` columns (the ``%P``/``%M`` shares, a diff's memory deltas, ...) are dropped, the
   rightmost first: their figures are all in ``--format json`` and ``csv``;
3. ``names`` columns are shortened in the middle (``inc…3a.relu_5x5_reduce``), never at the end,
   and only as far as every name stays distinct from every other, sharing the room with the
   ``cut="first"`` columns (now down to :data:`MIN_CUT`): a cell at a time from whichever then
   cuts the fewest cells, so that one long kind is cut before every name is shortened;
4. columns marked ``cut="last"`` (a diff's Kind, whose cell is the change itself) are cut;
5. if that is still not enough, names are shortened further even if two then look alike.

Whatever room is left at the end goes back to the names, then a cell at a time to the cut column
with the most cells cut.

Names are thus given priority over figures: two rows never show the same name while some
figure column could still make room, on a terminal and piped alike. Widths are counted in
terminal cells (a CJK character takes two).
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cnncalc.model.quantity import binary, si
from cnncalc.model.shape import Shape

__all__ = ["ELLIPSIS", "Fit", "binary", "cells", "count", "cut_end", "distinct_names", "fit",
           "group", "pad", "percent", "shape", "si"]


def group(value: int) -> str:
    """``60965224`` → ``60,965,224``."""
    return f"{value:,}"


def percent(part: int, whole: int) -> str:
    """Share as ``12.3%``; blank for zero, ``<0.1%`` for a non-zero share that rounds away."""
    if not part or not whole:
        return ""
    share = 100.0 * part / whole
    return "<0.1%" if share < 0.05 else f"{share:.1f}%"


def shape(value: Shape) -> str:
    return str(value)


def count(value: int) -> str:
    """A count for a table cell: grouped digits, blank for zero."""
    return group(value) if value else ""


# --- fitting a table into a width --------------------------------------------------------------
ELLIPSIS = "…"
MIN_CUT = 10
"""The narrowest a cut column gets (its header, if longer, stays whole)."""
SOFT_CUT = 14
"""How far ``cut="first"`` columns are cut before names are shortened (``conv 3×3/2 p1`` and
``maxpool 3/2 p1`` stay whole); only if names cannot stay distinct do they go on to
:data:`MIN_CUT`."""
MAX_TRIES = 40
"""Shortenings tried per name before settling for one that another name shares (4 for a table
of thousands of long names, so that time stays linear)."""
MIN_NAMES = 8
"""The narrowest a name column gets when names cannot stay distinct in any case."""


@dataclass(frozen=True, slots=True)
class Fit:
    """How one column may give up room (see the module docstring)."""

    cut: str = ""
    """``""``: never cut; ``"first"``: cut before anything is dropped; ``"last"``: cut only when
    nothing else helps."""
    optional: bool = False
    names: bool = False
    """The column holds names, shortened in the middle and kept distinct."""


def cells(text: str) -> int:
    """The width of ``text`` in terminal cells: wide (East Asian) characters count two,
    combining marks none."""
    return len(text) if text.isascii() else _wide_cells(text)


@lru_cache(maxsize=65536)
def _wide_cells(text: str) -> int:
    # Remembered: a table's non-ASCII cells (shapes with ×, kinds with →) repeat on many rows.
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def head(text: str, width: int) -> str:
    """The longest start of ``text`` at most ``width`` cells wide."""
    if text.isascii() or cells(text) == len(text):
        return text[:max(width, 0)]
    used = 0
    for i, c in enumerate(text):
        used += cells(c)
        if used > width:
            return text[:i]
    return text


def tail(text: str, width: int) -> str:
    """The longest end of ``text`` at most ``width`` cells wide."""
    if width <= 0:
        return ""
    if text.isascii() or cells(text) == len(text):
        return text[-width:]
    return head(text[::-1], width)[::-1]


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` cells (aligned right for numbers)."""
    gap = " " * max(0, width - cells(text))
    return gap + text if right else text + gap


def cut_end(text: str, width: int) -> str:
    """``text`` cut at the end to ``width`` cells, an ellipsis marking the cut."""
    if cells(text) <= width:
        return text
    return head(text, max(width - 1, 0)) + ELLIPSIS


def shorten_middle(name: str, keep_start: int, keep_end: int) -> str:
    return head(name, keep_start) + ELLIPSIS + tail(name, keep_end)


def _splits(name: str, width: int) -> list[tuple[int, int]]:
    """Ways to show ``name`` in ``width`` cells as start + ``…`` + end, most readable first: the
    last dotted part whole, then more of the end (which tells layers of one block apart) and
    less of the start. A name whose last part alone is too long keeps as much of its end as
    leaves a few characters of its start."""
    room = width - 1
    if room < 2:
        return [(max(room, 0), 0)]
    last = name.rsplit(".", 1)[-1]
    least_end = cells(last) + 1 if "." in name else 0
    whole = list(range(least_end, room)) if 1 <= least_end <= room - 1 else []
    balanced = room // 2
    rest = sorted((end for end in range(max(1, min(balanced, least_end)), room)
                   if end not in whole), key=lambda end: (abs(end - balanced), -end))
    return [(room - end, end) for end in (*whole, *rest)]


def _parts(cell: str) -> tuple[str, str, str]:
    """A name cell as the indentation before the name (a tree's), the name, and a note after it
    (``dropout1 (moved)``): only the name is shortened."""
    name = cell.lstrip(" ")
    indent = cell[:len(cell) - len(name)]
    if name.endswith(")") and " (" in name:
        name, _, note = name.rpartition(" (")
        return indent, name, f" ({note}"
    return indent, name, ""


def distinct_names(names: Sequence[str], width: int) -> tuple[list[str], bool]:
    """Each name shown in at most ``width`` cells, shortened in the middle (a tree's indentation
    before it and a note in parentheses after it are kept); and whether all shown names are still
    distinct. Each long
    name takes the most readable shortening that no other long name could share (the same start
    and the same end)."""
    long = [n for n in set(names) if cells(n) > width]
    if not long:
        return list(names), True
    counters: dict[tuple[int, int], Counter[tuple[str, str]]] = {}
    tries = MAX_TRIES if len(long) <= 2000 else 4  # a huge table: linear time, few tries

    def shared(name: str, split: tuple[int, int]) -> bool:
        counter = counters.get(split)
        if counter is None:
            a, b = split
            counter = counters[split] = Counter((head(n, a), tail(n, b)) for n in long)
        return counter[(head(name, split[0]), tail(name, split[1]))] > 1

    chosen: dict[str, str] = {}
    for cell in long:
        indent, name, note = _parts(cell)
        room = width - cells(indent) - cells(note)
        if room < 4:  # no room left beside the indent and the note: shorten the whole cell
            indent, name, note, room = "", cell, "", width
        splits = [(a + len(indent), b + cells(note)) for a, b in _splits(name, room)]
        pick = next((s for s in splits[:tries] if not shared(cell, s)), splits[0])
        chosen[cell] = shorten_middle(cell, *pick)
    shown = [chosen.get(n, n) for n in names]
    unique = len(set(chosen.values())) == len(chosen) and not (set(chosen.values()) & set(names))
    return shown, unique


def fit(fits: Sequence[Fit], rows: Sequence[Sequence[str]], width: int, gap: int = 2,
        headers: int = 1) -> tuple[list[int], list[list[str]]]:
    """Column widths (0: the column is dropped) and the rows' cells fitted to them: names
    shortened in the middle, cut columns cut at the end. ``rows`` holds the header row(s)
    first (``headers`` of them, never shortened), then the body, then any total rows."""
    count = len(fits)
    measured = [[cells(row[i]) for row in rows] for i in range(count)]  # once: tables are long
    widths = [max(column, default=0) for column in measured]
    natural = list(widths)
    floors = [max(column[:headers], default=0) for column in measured]
    names = [i for i, f in enumerate(fits) if f.names]
    body = rows[headers:]
    lengths = {i: sorted(measured[i][headers:]) for i in range(count)
               if fits[i].names or fits[i].cut}

    def total() -> int:
        shown = [w for w in widths if w]
        return sum(shown) + gap * (len(shown) - 1)

    def losing(i: int, w: int) -> int:
        """How many cells of column ``i`` lose text at width ``w``."""
        return len(lengths[i]) - bisect_right(lengths[i], w)

    def cut(which: str, floor: int = MIN_CUT) -> None:
        """Cut the columns marked ``which`` a cell at a time, from whichever then cuts the
        fewest cells (the widest of those), down to ``floor``."""
        columns = [i for i, f in enumerate(fits) if f.cut == which]
        while total() > width:
            candidates = [i for i in columns if widths[i] > max(floor, floors[i])]
            if not candidates:
                return
            best = min(candidates, key=lambda i: (losing(i, widths[i] - 1), -widths[i]))
            widths[best] -= 1

    shortened: dict[tuple[int, int], tuple[list[str], bool]] = {}

    def shorten(i: int, room: int) -> tuple[list[str], bool]:
        if (i, room) not in shortened:
            shortened[(i, room)] = distinct_names([row[i] for row in body], room)
        return shortened[(i, room)]

    least: dict[int, int] = {}

    def narrowest_distinct(i: int) -> int:
        """The narrowest width at which column ``i``'s names stay distinct (searched by
        halves: a few shortenings, however long the table)."""
        if i not in least:
            low, high = max(MIN_NAMES, floors[i]), natural[i]
            while low < high:
                middle = (low + high) // 2
                if shorten(i, middle)[1]:
                    high = middle
                else:
                    low = middle + 1
            least[i] = high
        return least[i]

    def share() -> None:
        """Take a cell at a time from the names (kept distinct) or the ``cut="first"`` columns
        (down to :data:`MIN_CUT`), from whichever then cuts the fewest cells: a long kind on one
        row goes before every name is shortened, and the other way round."""
        first = [i for i, f in enumerate(fits) if f.cut == "first"]
        while total() > width:
            options = [(losing(i, widths[i] - 1), 0, i) for i in first
                       if widths[i] > max(MIN_CUT, floors[i])]
            options += [(losing(i, widths[i] - 1), 1, i) for i in names
                        if widths[i] and widths[i] - 1 >= narrowest_distinct(i)]
            if not options:
                return
            widths[min(options)[2]] -= 1

    def names_fit() -> None:
        """Narrow the name columns to what is left, distinct or not: the last resort."""
        for i in names:
            room = max(width - (total() - widths[i]), MIN_NAMES, floors[i])
            widths[i] = min(widths[i], room)

    if total() > width:
        cut("first", SOFT_CUT)
    for i in reversed(range(count)):  # drop optional columns, the rightmost first
        if total() <= width:
            break
        if fits[i].optional:
            widths[i] = 0
    if total() > width:
        share()
    if total() > width:
        cut("last")
    if total() > width:
        names_fit()
    for i in names:  # a width at which names happen not to be distinct: the next one that is
        while widths[i] < natural[i] and not shorten(i, widths[i])[1] and total() < width:
            widths[i] += 1
    for i in names:  # room left over goes back to the names first ...
        if widths[i] and total() < width:
            widths[i] = min(natural[i], widths[i] + width - total())
    cut_columns = [i for i in range(count) if fits[i].cut and widths[i]]
    while total() < width:  # ... then a cell at a time to the column with the most cells cut
        short = [i for i in cut_columns if widths[i] < natural[i]]
        if not short:
            break
        widths[max(short, key=lambda i: (losing(i, widths[i]), -i))] += 1
    out = [list(row) for row in rows]
    for i in range(count):
        if not widths[i] or widths[i] >= natural[i]:
            continue
        if fits[i].names:
            shown, _ = shorten(i, widths[i])
            for row, text in zip(out[headers:], shown):
                row[i] = text
        for row, width_now in zip(out, measured[i]):
            if width_now > widths[i] and cells(row[i]) > widths[i]:
                row[i] = cut_end(row[i], widths[i])
    return widths, out
