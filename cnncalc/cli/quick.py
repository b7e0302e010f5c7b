"""The quick calculators' fast path: ``cnncalc conv|deconv|pool|chain|solve|pad ...``.

:func:`cnncalc.cli.run` hands these commands here before importing click. This module imports only
the option tables (:mod:`cnncalc.cli.quickargs`), the calculators in the core and, for
``--format json``, :mod:`json`; it prints plain text and turns errors into the CLI's exit codes
(2 misuse, 1 a configuration PyTorch refuses or no solution, 70 a bug).
:mod:`cnncalc.cli.quickhelp` runs the same :func:`answer` behind click for ``--help``.
"""

import os
import sys

from cnncalc.cli.quickargs import SPECS, Misuse, parse

# No `from __future__ import annotations` in the modules of the quick calculators' fast path:
# importing __future__ costs 0.2 ms of start-up. Annotations naming TYPE_CHECKING-only types
# are quoted.
TYPE_CHECKING = False  # avoids importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cnncalc.quick.calc import WindowAnswer
    from cnncalc.quick.chain import ChainAnswer
    from cnncalc.quick.solve import PaddingAnswer, Solutions

    Values = dict[str, object]

WIDTH = 100
MAX_SOLUTIONS = 100


class NoSolution(Exception):
    """``solve`` found nothing (exit 1, like grep); carries the text to print."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def run_quick(name: str, args: list[str], prog: str = "cnncalc") -> int:
    """Parse and answer one quick calculator command; print; return the exit code."""
    from cnncalc.model.errors import CnncalcError

    spec = SPECS[name]
    try:
        text = answer(name, parse(spec, args))
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    except Misuse as exc:
        sys.stderr.write(f"{spec.usage(prog)}\nTry '{prog} {name} -h' for help.\n\n"
                         f"Error: {exc}\n")
        return 2
    except NoSolution as exc:
        sys.stdout.write(exc.text)
        sys.stdout.flush()
        return 1
    except CnncalcError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except BrokenPipeError:
        from cnncalc.cli import _silence_broken_pipe

        _silence_broken_pipe()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return 130
    except Exception as exc:  # a bug: say so plainly instead of a traceback
        if os.environ.get("CNNCALC_DEBUG"):
            raise
        sys.stderr.write(f"cnncalc: internal error (a bug in cnncalc, please report it): "
                         f"{type(exc).__name__}: {exc}\n(set CNNCALC_DEBUG=1 for the traceback)\n")
        return 70


def answer(name: str, values: "Values") -> str:
    """The text (or JSON) a quick calculator prints for parsed, converted ``values``. Raises
    :class:`Misuse`, :class:`NoSolution` or a :class:`~cnncalc.model.errors.CnncalcError`."""
    return ANSWERS[name](values)


# --- shared helpers -------------------------------------------------------------------------

def _rank(values: "Values", keys: "Sequence[str]") -> int | None:
    """The number of spatial axes for the values named ``keys``: ``--rank``, else None when a
    per-axis value fixes it, else 2 (a bare number is a square image). Per-axis values of
    different lengths are misuse."""
    return _rank_of({key: values.get(key) for key in keys}, values.get("rank"))


def _rank_of(named: dict[str, object], chosen: object) -> int | None:
    lengths = {key: len(v) for key, v in named.items() if isinstance(v, tuple) and len(v) > 1}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{key} has {n}" for key, n in lengths.items())
        raise Misuse(f"per-axis values disagree on the number of axes ({listing})")
    if isinstance(chosen, int):
        for key, n in lengths.items():
            if n != chosen:
                raise Misuse(f"--rank {chosen} but {key} has {n} values")
        return chosen
    return None if lengths else 2


def wrap(line: str, width: int = WIDTH, indent: str = "      ") -> list[str]:
    """Break a long line at spaces, continuing with ``indent`` (textwrap imports re: too slow)."""
    if len(line) <= width:
        return [line]
    lead = len(line) - len(line.lstrip(" "))
    out: list[str] = []
    current = line[:lead]
    for word in line[lead:].split(" "):
        if len(current) + len(word) + 1 > width and current.strip():
            out.append(current.rstrip())
            current = indent
        current += ("" if current.endswith(" ") or not current.strip() else " ") + word
    out.append(current.rstrip())
    return out


def _text(lines: "Sequence[str]") -> str:
    out: list[str] = []
    for line in lines:
        out += wrap(line)
    return "\n".join(out) + "\n"


def _json(data: object) -> str:
    import json

    from cnncalc.quick.calc import jsonable

    return json.dumps({"schema_version": 1, **jsonable(data)},  # type: ignore[dict-item]
                      indent=2, ensure_ascii=False) + "\n"


def _n(value: int) -> str:
    return f"{value:,}"


def _window_json(command: str, ans: "WindowAnswer") -> str:
    data = {"command": command, **ans.to_dict(), "flops": ans.flops}
    return _json(data)


def _window_text(ans: "WindowAnswer", values: "Values") -> str:
    lines = [ans.headline(), *(f"  {line}" for line in ans.lines())]
    has_in, has_out = values.get("in_channels") is not None, values.get("out_channels") is not None
    if has_in != has_out:
        lines.append("  (give both --in-channels and --out-channels for parameters and MACs)")
    return _text(lines)


# --- conv, deconv, pool ---------------------------------------------------------------------

def _conv(values: "Values") -> str:
    from cnncalc.quick import calc

    r = _rank(values, ("size", "kernel", "stride", "padding", "dilation"))
    ans = calc.conv(values["size"], values["kernel"], values["stride"],  # type: ignore[arg-type]
                    values["padding"], values["dilation"],  # type: ignore[arg-type]
                    in_channels=values["in_channels"],  # type: ignore[arg-type]
                    out_channels=values["out_channels"],  # type: ignore[arg-type]
                    groups=values["groups"], bias=not values["no_bias"],  # type: ignore[arg-type]
                    rank=r)
    return _window_json("conv", ans) if values["fmt"] == "json" else _window_text(ans, values)


def _deconv(values: "Values") -> str:
    from cnncalc.quick import calc

    r = _rank(values, ("size", "kernel", "stride", "padding", "output_padding", "dilation"))
    ans = calc.conv_transpose(
        values["size"], values["kernel"], values["stride"],  # type: ignore[arg-type]
        values["padding"], values["output_padding"], values["dilation"],  # type: ignore[arg-type]
        in_channels=values["in_channels"],  # type: ignore[arg-type]
        out_channels=values["out_channels"],  # type: ignore[arg-type]
        groups=values["groups"], bias=not values["no_bias"], rank=r)  # type: ignore[arg-type]
    return _window_json("deconv", ans) if values["fmt"] == "json" else _window_text(ans, values)


def _pool(values: "Values") -> str:
    from cnncalc.quick import calc

    r = _rank(values, ("size", "kernel", "stride", "padding", "dilation"))
    ceil: bool | str = "caffe" if values["caffe"] else bool(values["ceil"])
    ans = calc.pool(values["size"], values["kernel"], values["stride"],  # type: ignore[arg-type]
                    values["padding"], values["dilation"],  # type: ignore[arg-type]
                    ceil_mode=ceil, channels=values["channels"], rank=r)  # type: ignore[arg-type]
    if values["fmt"] == "json":
        return _window_json("pool", ans)
    return _text([ans.headline(), *(f"  {line}" for line in ans.lines())])


# --- chain ----------------------------------------------------------------------------------

def _exact_text(value: object) -> str:
    if hasattr(value, "denominator") and not isinstance(value, int):
        return f"{value.numerator}/{value.denominator}"  # type: ignore[attr-defined]
    return str(value)


def _axes_text(values: "Sequence[object]") -> str:
    from cnncalc.quick.calc import fmt_axes

    return fmt_axes([_exact_text(v) for v in values])


def _chain(values: "Values") -> str:
    from cnncalc.quick import chain as chain_mod

    steps = values["steps"]
    try:
        parsed = chain_mod.parse_steps(steps)  # type: ignore[arg-type]
    except chain_mod.StepSyntaxError as exc:
        raise Misuse(str(exc), "'STEPS...'") from None
    named: dict[str, object] = {"size": values["size"]}
    for index, st in enumerate(parsed, start=1):
        for setting in ("kernel", "stride", "padding", "dilation", "output_padding"):
            named[f"step {index} {setting}"] = getattr(st, setting)
    r = _rank_of(named, values["rank"])
    ans = chain_mod.chain(values["size"], parsed,  # type: ignore[arg-type]
                          in_channels=values["in_channels"], rank=r)  # type: ignore[arg-type]
    if values["fmt"] == "json":
        return _json({"command": "chain", **_chain_dict(ans)})
    return _text(chain_lines(ans, bool(values["explain"])))


def _chain_dict(ans: "ChainAnswer") -> dict[str, object]:
    rows = []
    for row in ans.rows:
        rows.append({"index": row.index, "step": row.label, "size": row.size,
                     "channels": row.channels, "rf": row.rf, "jump": row.jump,
                     "dropped_inputs": row.dropped, "params": row.params, "macs": row.macs,
                     "explain": row.answer.lines() if row.answer else []})
    return {"input_size": ans.input_size, "in_channels": ans.in_channels, "rows": rows,
            "params": ans.params, "macs": ans.macs}


def chain_lines(ans: "ChainAnswer", explain: bool = False) -> list[str]:
    """The chain as a table: one row per step with output, RF and jump (and counts)."""
    from cnncalc.quick.calc import fmt_shape

    counts = ans.in_channels is not None or any(
        row.params is not None for row in ans.rows[1:] if row.step and not row.step.is_pool)
    header = ["#", "step", "output", "RF", "jump"] + (["params", "MACs"] if counts else [])
    table = [header]
    for row in ans.rows:
        cells = [str(row.index), row.label, fmt_shape(row.channels, row.size),
                 _axes_text(row.rf), _axes_text(row.jump)]
        if counts:
            cells += ["" if row.params is None or row.step is None else _n(row.params),
                      "" if row.macs is None or row.step is None else _n(row.macs)]
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    others = sum(w for i, w in enumerate(widths) if i != 1) + 2 * (len(widths) - 1)
    widths[1] = max(8, min(widths[1], WIDTH - others))
    numeric = {0, 3, 4, 5, 6}

    def line(cells: list[str]) -> str:
        parts = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            if len(cell) > w:
                cell = cell[:w - 1] + "…"
            parts.append(cell.rjust(w) if i in numeric else cell.ljust(w))
        return "  ".join(parts).rstrip()

    out = [line(header)]
    for row, cells in zip(ans.rows, table[1:]):
        out.append(line(cells))
        if explain and row.answer is not None:
            out += [f"      {text}" for text in row.answer.lines()]
    notes = []
    if ans.params is not None:
        notes.append(f"Total: {_n(ans.params)} parameters, {_n(ans.macs or 0)} MACs per sample")
    elif counts:
        notes.append("(parameters and MACs need --in-channels and every conv step's out "
                     "channels, like c64)")
    for row in ans.rows[1:]:
        if row.answer is not None and any(row.dropped):
            for text in row.answer.lines():
                if text.startswith("dropped "):
                    notes.append(f"step {row.index} ({row.label}) drops, on {text[8:]}")
    notes.append("RF: input pixels one output sees; jump: input pixels between neighbouring "
                 "outputs.")
    return [*out, "", *notes]


# --- solve ----------------------------------------------------------------------------------

def _solve(values: "Values") -> str:
    from cnncalc.quick import solve as solve_mod

    transpose = bool(values["transpose"])
    if values["output_padding"] is not None and not transpose:
        raise Misuse("--output-padding is only for --transpose")
    result = solve_mod.solve(values["size_in"], values["size_out"],  # type: ignore[arg-type]
                             values["kernel"], values["stride"],  # type: ignore[arg-type]
                             values["padding"], values["dilation"],  # type: ignore[arg-type]
                             output_padding=values["output_padding"],  # type: ignore[arg-type]
                             transpose=transpose)
    if values["fmt"] == "json":
        text = _json({"command": "solve", **result.to_dict()})
    else:
        text = _text(solve_lines(result, bool(values["all"]), values))
    if not result.solutions:
        raise NoSolution(text)
    return text


def solve_lines(result: "Solutions", show_all: bool = False,
                values: "Values | None" = None) -> list[str]:
    kind = "conv_transpose" if result.transpose else "conv"
    k_lo, k_hi = result.kernel
    kernel = f"kernel {k_lo}" if k_lo == k_hi else f"kernel {k_lo} to {k_hi}"
    count = len(result.solutions)
    answers = "no answer" if not count else f"{count} answer{'' if count == 1 else 's'}"
    head = f"{kind} {result.size_in} → {result.size_out}, {kernel}: {answers}"
    columns: list[str] = [c for c in ("kernel", "dilation") if c in result.searched]
    columns += ["stride", "padding"] + (["output_padding"] if result.transpose else ["pixels"])
    rows = [columns]
    shown = result.solutions if show_all else result.solutions[:MAX_SOLUTIONS]
    for sol in shown:
        cells = []
        for col in columns:
            if col == "pixels":
                cells.append("all used" if not sol.dropped else
                             f"drops the last {sol.dropped}")
            elif col == "stride" and sol.stride_open:
                cells.append(f"≥ {sol.stride}")
            else:
                cells.append(str(getattr(sol, col)))
        rows.append(cells)
    lines = [head]
    if result.solutions:
        widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
        for r in rows:
            lines.append("  " + "  ".join(c.rjust(w) if col != "pixels" else c.ljust(w)
                                          for c, w, col in zip(r, widths, columns)).rstrip())
    if len(shown) < count:
        lines.append(f"  … and {count - len(shown)} more (--all prints every one)")
    if not count:
        lines += _no_solution_hints(result, values or {})
    searched = []
    if values is None or values.get("padding") is None:
        searched.append("padding 0 to d·(k−1)")
    if values is None or values.get("stride") is None:
        searched.append("every stride that matters")
    if searched:
        lines.append(f"(searched {' and '.join(searched)}; -p and -s fix or narrow them)")
    return lines


def _no_solution_hints(result: "Solutions", values: "Values") -> list[str]:
    """Why nothing fits, when the reason is simple: the output is out of reach."""
    i, o = result.size_in, result.size_out
    d_range = values.get("dilation") or (1, 1)
    k_hi, d_hi = result.kernel[1], d_range[1]  # type: ignore[index]
    k_eff = d_hi * (k_hi - 1) + 1
    if not result.transpose and values.get("padding") is None and o > i + k_eff - 1:
        return [f"  kernel ≤ {k_hi} gives at most {i + k_eff - 1} from {i} (stride 1, padding "
                f"{k_eff - 1}); to enlarge, try --transpose"]
    if result.transpose and o < i:
        return ["  a transposed convolution rarely shrinks its input: try without --transpose"]
    return ["  try a range of kernels (-k 1:7) or dilations (-d 1:3)"]


# --- pad ------------------------------------------------------------------------------------

def _pad(values: "Values") -> str:
    from cnncalc.quick import solve as solve_mod

    r = _rank(values, ("kernel", "dilation", "stride", "size"))
    result = solve_mod.padding_for(values["kernel"], values["dilation"],  # type: ignore[arg-type]
                                   values["stride"], values["size"], rank=r)  # type: ignore
    if values["fmt"] == "json":
        return _json({"command": "pad", **result.to_dict()})
    return _text(pad_lines(result))


def pad_lines(result: "PaddingAnswer") -> list[str]:
    blocks = [tuple(_pad_axis_lines(axis)) for axis in result.axes]
    if all(b == blocks[0] for b in blocks):
        names = ", ".join(a.axis for a in result.axes)
        return [f"{names}: {blocks[0][0]}", *blocks[0][1:]]
    out: list[str] = []
    for axis, block in zip(result.axes, blocks):
        out += [f"{axis.axis}: {block[0]}", *block[1:]]
    return out


def _pad_axis_lines(a: object) -> list[str]:
    from cnncalc.quick.solve import AxisPadding

    assert isinstance(a, AxisPadding)
    head = f"kernel {a.kernel}"
    if a.dilation != 1:
        head += f", dilation {a.dilation}: spans {a.k_eff} pixels ({a.dilation}·({a.kernel}−1) + 1)"
    lines = [head]
    if a.symmetric is not None:
        lines.append(f"  stride 1: padding {a.symmetric} on each side keeps the size "
                     f"(PyTorch padding={a.symmetric} or padding='same')")
    else:
        plural = "" if a.total == 1 else "s"
        lines.append(f"  stride 1: keeping the size needs {a.total} pixel{plural} of padding "
                     f"(odd): padding='same' pads {a.same[0]} before, {a.same[1]} after")
    if a.stride > 1 and a.tf:
        first = a.tf[0]
        if first.size is not None:
            lines.append(f"  stride {a.stride}, input {first.size}: TensorFlow 'SAME' gives "
                         f"⌈{first.size}/{a.stride}⌉ = {first.output}, padding {first.before} "
                         f"before, {first.after} after")
            lines.append("    " + _symmetric_text(first.symmetric, first.before, first.after))
        else:
            lines.append(f"  stride {a.stride}: TensorFlow 'SAME' gives ⌈i/{a.stride}⌉; its "
                         f"padding depends on the input size i:")
            for split in a.tf:
                which = (("i even" if split.residue == 0 else "i odd ") if a.stride == 2
                         else f"i mod {a.stride} = {split.residue}")
                lines.append(f"    {which}: {split.before} before, {split.after} after; "
                             + _symmetric_text(split.symmetric, split.before, split.after))
    return lines


def _symmetric_text(options: tuple[int, ...], before: int, after: int) -> str:
    if not options:
        return f"no symmetric PyTorch padding gives that size: pad ({before}, {after}) explicitly"
    p = min(options, key=lambda x: (abs(x - before), x))
    if p == before == after:
        return f"PyTorch padding={p} is identical"
    shift = p - before
    if shift == 0:
        return f"PyTorch padding={p} gives the same size, windows aligned"
    where = "earlier" if shift > 0 else "later"
    return (f"PyTorch padding={p} gives the same size, windows {abs(shift)} pixel"
            f"{'' if abs(shift) == 1 else 's'} {where}")


ANSWERS: "dict[str, Callable[[Values], str]]" = {
    "conv": _conv, "deconv": _deconv, "pool": _pool, "chain": _chain, "solve": _solve,
    "pad": _pad,
}
