"""Rendering a finished validation (``cnncalc validate``): one row per layer with the predicted
and the actual shape, a mark and the kernel time; then the layers that failed, and a verdict.
These functions format a :class:`cnncalc.kernels.run.Validation`; they compute nothing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cnncalc.render import fmt

if TYPE_CHECKING:
    from cnncalc.kernels.run import LayerCheck, Validation

HEADERS = ("Layer", "Kind", "Predicted", "Actual", "✓", "Time")
NUMERIC = (False, False, False, False, False, True)
FITS = (fmt.Fit(names=True), fmt.Fit(cut="first"), fmt.Fit(), fmt.Fit(), fmt.Fit(),
        fmt.Fit(optional=True))
"""How the table makes room (render/fmt.py): names stay distinct, the time goes first."""
MARKS = {"ok": "✓", "shape": "✗", "params": "✗", "error": "✗", "not run": "·"}


def seconds(value: float) -> str:
    """Kernel time for a cell: ``0.31 ms``, ``12.4 ms``, ``1.52 s``."""
    if value >= 1.0:
        return f"{value:.2f} s"
    ms = value * 1e3
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms"


def rows(result: Validation) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for c in result.layers:
        actual = c.actual_shape if c.actual is not None else ("error" if c.error else "")
        out.append((c.name, c.description, str(c.predicted), actual, MARKS[c.status],
                    seconds(c.seconds) if c.actual is not None else ""))
    return out


def failure_lines(result: Validation) -> list[str]:
    """One line per failed layer, saying what differs."""
    lines = []
    for c in result.failures:
        lines.append(f"✗ {c.name} ({c.kind}): {_failure(c)}")
    return lines


def _failure(c: LayerCheck) -> str:
    if c.error is not None:
        return f"the kernel failed: {c.error}"
    if not c.shape_ok:
        assert c.actual is not None
        batch = "" if c.actual[:1] == (c.batch,) else f" (batch {c.actual[0]}, not {c.batch})"
        return f"predicted {c.predicted}, the arrays give {c.actual_shape}{batch}"
    assert c.actual_counts is not None
    names = ("weights", "biases", "buffer values")
    parts = [f"{fmt.group(p)} {n} predicted, {fmt.group(a)} in the tensors"
             for p, a, n in zip(c.predicted_counts, c.actual_counts, names) if p != a]
    return "; ".join(parts)


def footer_lines(result: Validation) -> list[str]:
    n = len(result.layers)
    failed = len(result.failures)
    skipped = sum(1 for c in result.layers if c.status == "not run")
    if result.ok:
        verdict = (f"✓ all {n} layers match the predicted shapes and parameter counts "
                   f"(output {result.output_shape})")
    else:
        verdict = f"✗ {failed} of {n} layers do not match the prediction"
        if skipped:
            verdict += f"; {skipped} after a failed kernel did not run"
    mem = result.memory
    lines = [
        verdict,
        f"Input {result.input_shape}, batch {result.batch}, {result.dtype}, random weights and "
        f"input from seed {result.seed}",
        f"Kernel time {seconds(result.seconds)} · estimated peak memory "
        f"{fmt.binary(mem.peak_bytes)} at '{mem.layer}' (limit {fmt.binary(result.max_memory)})",
    ]
    bad = [c.name for c in result.layers if c.actual is not None and not c.finite]
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        lines.append(f"note: non-finite values (inf or NaN) in {shown}; shapes are still "
                     f"checked, but these random weights overflow the arithmetic")
    return lines


def render_text(result: Validation, width: int = 100) -> str:
    """Plain text: what ``cnncalc validate`` prints when piped or with ``--format text``."""
    widths, table = fmt.fit(FITS, [HEADERS, *rows(result)], width)

    def line(cells: list[str]) -> str:
        return "  ".join(fmt.pad(c, w, num) for c, w, num in zip(cells, widths, NUMERIC)
                         if w).rstrip()

    shown = [w for w in widths if w]
    rule = "-" * min(width, sum(shown) + 2 * (len(shown) - 1))
    out = [f"Validating {result.name}", line(table[0]), rule, *(line(r) for r in table[1:]),
           rule]
    failures = failure_lines(result)
    if failures:
        out += ["", *failures]
    out += ["", *footer_lines(result)]
    return "\n".join(out) + "\n"


def render_rich(result: Validation, width: int = 100) -> Any:
    """The terminal version: a rich table, failures in red."""
    widths, body = fmt.fit(FITS, [HEADERS, *rows(result)], width, gap=3)
    table = Table(title=f"Validating {result.name}", box=box.SIMPLE_HEAD, pad_edge=False,
                  title_justify="left", title_style="bold", show_edge=False)
    styles = ("bold", "cyan", "green", "green", None, "dim")
    keep = [i for i, w in enumerate(widths) if w]
    for i in keep:
        table.add_column(HEADERS[i], justify="right" if NUMERIC[i] else "left", style=styles[i],
                         no_wrap=True, overflow="ellipsis", width=widths[i])
    for check, cells in zip(result.layers, body[1:]):
        mark_style = {"ok": "green", "not run": "dim"}.get(check.status, "bold red")
        actual_style = "bold red" if check.status in ("shape", "error") else None
        texts = [Text(cells[0]), Text(cells[1]), Text(cells[2]),
                 Text(cells[3], style=actual_style or ""), Text(cells[4], style=mark_style),
                 Text(cells[5])]
        table.add_row(*(texts[i] for i in keep))
    parts: list[Any] = [table]
    parts += [Text(line, style="bold red") for line in failure_lines(result)]
    footer = footer_lines(result)
    parts.append(Text(footer[0], style="bold green" if result.ok else "bold red"))
    parts += [Text(line, style="yellow" if line.startswith("note:") else "")
              for line in footer[1:]]
    return Group(*parts)


def render_json(result: Validation) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
