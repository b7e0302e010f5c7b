"""Columns for the by-block summary (``cnncalc summary --by block``), whose rows are the report
rolled up by :func:`cnncalc.analysis.rollup.by_block`."""

from __future__ import annotations

from cnncalc.render.rows import DEFAULT_COLUMNS, KIND, LAYER, Column


def block_columns(layer_count: int,
                  columns: tuple[Column, ...] = DEFAULT_COLUMNS) -> tuple[Column, ...]:
    """``columns`` for rolled-up rows: the name column is headed "Block" and the total row still
    counts the network's layers (``layer_count``), not the rows."""
    block = Column("Block", LAYER.cell, LAYER.total, shrinkable=True, style=LAYER.style)
    kind = Column(KIND.header, KIND.cell, lambda rep: f"{layer_count} layers", shrinkable=True,
                  style=KIND.style)
    swap = {id(LAYER): block, id(KIND): kind}
    return tuple(swap.get(id(c), c) for c in columns)
