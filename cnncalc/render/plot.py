"""The depth profile picture of ``cnncalc plot``: per layer, activation memory, MACs and receptive
field along the depth of the network (matplotlib, an optional extra, imported only here and only
when a picture is drawn).

Activation memory: when the report carries the memory model's per-layer ``activation_bytes``
(docs/memory.md), that is plotted. Until then the panel shows each layer's output tensor size,
``numel × batch × dtype size``, and says so in its title: it is what a layer writes, not what a
framework keeps alive (in-place activations, freed tensors and saved-for-backward copies are the
memory model's business).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.analysis.report import Report
from cnncalc.analysis.rollup import group_by_block
from cnncalc.render import fmt
from cnncalc.render.graph import PALETTE, category_of


@dataclass(frozen=True)
class ProfileSeries:
    """The numbers the picture shows, one entry per layer in execution order."""

    title: str
    names: tuple[str, ...]
    categories: tuple[str, ...]
    activation_bytes: tuple[int, ...]
    activation_label: str
    macs: tuple[int, ...]
    rf: tuple[float | None, ...]
    """The largest receptive-field size over the spatial axes (None without spatial axes)."""
    input_extent: int
    """The largest spatial size of the input (a receptive field this large sees all of it)."""
    blocks: tuple[tuple[str, int, int], ...]
    """Top-level blocks as (name, first index, last index)."""


def profile_series(report: Report) -> ProfileSeries:
    """Per-layer series of ``report`` (pure; no matplotlib). The memory panel shows each layer's
    activation bytes from the memory model (docs/memory.md), for the report's batch and dtype."""
    memory = report.totals.memory
    dtype = memory.config.dtype if memory is not None else "float32"
    act = tuple(r.activation_bytes for r in report.layers)
    label = f"activation memory (batch {report.batch}, {dtype})"
    rf: list[float | None] = []
    for r in report.layers:
        rf.append(float(max(r.rf.size)) if r.rf is not None and r.rf.size else None)
    blocks = []
    index = {r.name: i for i, r in enumerate(report.layers)}
    for g in group_by_block(report):
        if g.is_block:
            blocks.append((g.name, index[g.layers[0].name], index[g.layers[-1].name]))
    return ProfileSeries(
        title=report.name,
        names=tuple(r.name for r in report.layers),
        categories=tuple(category_of(r.kind) for r in report.layers),
        activation_bytes=act, activation_label=label,
        macs=tuple(r.macs for r in report.layers),
        rf=tuple(rf),
        input_extent=max(report.input_shape.spatial, default=1),
        blocks=tuple(blocks))


def draw_profile(series: ProfileSeries, path: str, log: bool = False) -> None:
    """Draw the three panels and save them to ``path`` (PNG, SVG or PDF by its suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    n = len(series.names)
    xs = list(range(n))
    colours = [PALETTE.get(c, PALETTE["other"])[1] for c in series.categories]
    width = min(max(8.0, 0.16 * n + 2.5), 16.0)
    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(width, 8.2),
                             gridspec_kw={"height_ratios": [1, 1, 1]})
    ax_mem, ax_macs, ax_rf = axes
    fig.suptitle(f"{series.title}: profile along the depth ({n} layers)", fontsize=13,
                 x=0.01, y=0.995, ha="left", va="top")

    def si_axis(value: float, _pos: Any) -> str:
        return fmt.si(int(value)) if value else "0"

    peak = max(series.activation_bytes, default=0)
    unit, scale = next(((u, f) for u, f in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))
                        if peak >= f), ("bytes", 1))
    ax_mem.bar(xs, [v / scale for v in series.activation_bytes], color=colours, width=0.85)
    ax_mem.set_title(series.activation_label, fontsize=9, loc="left")
    ax_mem.set_ylabel(unit, fontsize=8)

    ax_macs.bar(xs, series.macs, color=colours, width=0.85)
    total = sum(series.macs)
    ax_macs.set_title(f"MACs per layer (total {fmt.si(total)}; conv and linear only)",
                      fontsize=9, loc="left")
    ax_macs.yaxis.set_major_formatter(FuncFormatter(si_axis))
    if log:
        ax_mem.set_yscale("log")
        ax_macs.set_yscale("log")

    rf_x = [x for x, v in zip(xs, series.rf) if v is not None]
    rf_y = [v for v in series.rf if v is not None]
    # Points, joined faintly: in a branching network consecutive layers may sit on different
    # branches, so the line is only a guide to the eye.
    ax_rf.plot(rf_x, rf_y, color="#0f172a", linewidth=0.8, alpha=0.35)
    ax_rf.scatter(rf_x, rf_y, c=[colours[x] for x in rf_x], s=9, zorder=3)
    ax_rf.axhline(series.input_extent, color="#dc2626", linestyle="--", linewidth=0.9)
    ax_rf.text(0, series.input_extent, f" input {series.input_extent} px", color="#dc2626",
               fontsize=8, va="bottom")
    ax_rf.set_title("receptive field (input pixels, largest axis)", fontsize=9, loc="left")
    ax_rf.set_ylim(bottom=0)
    ax_rf.yaxis.set_major_locator(MaxNLocator(integer=True))

    for ax in axes:
        ax.grid(axis="y", color="#e2e8f0", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for k, (_, first, last) in enumerate(series.blocks):
            if k % 2 == 0:
                ax.axvspan(first - 0.5, last + 0.5, color="#f1f5f9", zorder=0)
    ax_rf.set_xlim(-0.7, n - 0.3)
    if n <= 60:
        ax_rf.set_xticks(xs)
        ax_rf.set_xticklabels(series.names, rotation=90, fontsize=7)
    elif series.blocks:
        centres = [(first + last) / 2 for _, first, last in series.blocks]
        ax_rf.set_xticks(centres)
        # Horizontal labels where every block is wide enough for its name (about 0.075 inch a
        # character at 7 pt), else vertical.
        inches_per_layer = (width - 1.5) / n
        fits = all((last - first + 1) * inches_per_layer > 0.075 * len(name) + 0.1
                   for name, first, last in series.blocks)
        ax_rf.set_xticklabels([name for name, _, _ in series.blocks],
                              rotation=0 if fits else 90, fontsize=7)
        ax_rf.set_xlabel("layers along the depth; labels: blocks", fontsize=8)
    else:
        ax_rf.set_xlabel("layer index along the depth", fontsize=8)
    present = list(dict.fromkeys(series.categories))
    handles = [Patch(color=PALETTE.get(c, PALETTE["other"])[1], label=c) for c in present]
    fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.995, 0.955),
               ncol=min(len(handles), 9), fontsize=8, frameon=False, handlelength=1.2,
               columnspacing=1.0)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    fig.savefig(path, dpi=100)
    plt.close(fig)
