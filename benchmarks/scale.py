"""How cnncalc scales: generated deep residual stacks with branches at 1k, 10k and 100k layers.

    python benchmarks/scale.py                  # 1k, 10k, 100k layers; both workloads
    python benchmarks/scale.py --sizes 1000 10000 --workload uniform

For each size it prints the rate of load + build (YAML text → layer graph) and of the walk
(graph → report: shapes, counts, receptive fields) separately, in layers per second, the growth
of the time from one size to the next (10× the layers should take 10× the time: linear), and the
peak memory of load + build + walk measured with tracemalloc, per layer (O(layers) means it stays
flat). Target: ≥ 50,000 layers/s on the walk, linear time (docs/performance.md).

Two workloads:

* ``uniform``: a ResNet-style stage repeated: every residual block alike (conv-bn-relu-conv-bn
  plus the identity, then relu) and every fourth block an inception-style concat of two branches.
  This is what deep networks look like, and it lets the builder intern equal layers and the walk
  reuse a layer's results on equal inputs.
* ``varied``: the same structure, but every block changes the channel count (with a projection
  shortcut), so no two blocks are alike — the worst case for those caches.

It then times ``cnncalc check`` over a folder of 1,000 spec files (``--check-files 0`` skips
it).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BLOCKS = """\
blocks:
  res:
    params: {c: 16, shortcut: []}
    layers:
      - add:
          - $shortcut
          - [conv: {out: $c, kernel: 3, padding: 1, bias: false}, batchnorm, relu,
             conv: {out: $c, kernel: 3, padding: 1, bias: false}, batchnorm]
      - relu
  mix:
    params: {a: 8, b: 8}
    layers:
      - concat:
          - [conv: {out: $a, kernel: 1}]
          - [conv: {out: $b, kernel: 3, padding: 1}, relu]
      - relu
"""


def generate(n_layers: int, workload: str) -> tuple[str, int]:
    """A spec of about ``n_layers`` layers, one block use per line, and its exact layer count."""
    lines = [f"name: {workload} residual stack", "input: [16, 16, 16]", BLOCKS.rstrip(), "layers:"]
    count = 0
    i = 0
    while count < n_layers:
        if i % 4 == 3:
            a, b = (8, 8) if workload == "uniform" else (8 + i % 7, 8 + i // 4)
            lines.append(f"  - mix: {{a: {a}, b: {b}}}")
            # back to the stage width with a 1×1 conv, as GoogLeNet-style networks do
            target = 16 if workload == "uniform" else 16 + i
            lines.append(f"  - conv: {{out: {target}, kernel: 1}}")
            count += 6
        elif workload == "uniform":
            lines.append("  - res: {c: 16}")
            count += 7
        else:
            target = 16 + i
            lines.append(f"  - res: {{c: {target}, shortcut: [conv: {{out: {target}, kernel: 1, "
                         f"bias: false}}, batchnorm]}}")
            count += 9
        i += 1
    return "\n".join(lines) + "\n", count


def run_once(text: str) -> tuple[float, float, int]:
    from cnncalc.analysis.walk import analyze
    from cnncalc.model.limits import Limits
    from cnncalc.spec.build import build_graph
    from cnncalc.spec.yaml_loader import parse_yaml

    limits = Limits(max_layers=10_000_000, max_expansions=100_000_000)
    started = time.perf_counter()
    graph = build_graph(parse_yaml(text, "scale.yaml", limits), "scale.yaml", limits)
    built = time.perf_counter()
    report = analyze(graph, limits=limits)
    walked = time.perf_counter()
    assert len(report.layers) == len(graph.nodes)
    return built - started, walked - built, len(graph.nodes)


def peak_memory(text: str) -> int:
    gc.collect()
    tracemalloc.start()
    run_once(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def bench(sizes: list[int], workload: str, repeats: int) -> None:
    print(f"\n### {workload}\n")
    print("| layers | load+build s | load+build layers/s | walk s | walk layers/s | "
          "growth (time ×) | peak MiB | bytes/layer |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    previous: tuple[int, float] | None = None
    for size in sizes:
        text, _ = generate(size, workload)
        runs = []
        for _ in range(repeats if size < 50_000 else 1):
            gc.collect()
            runs.append(run_once(text))
        build = min(r[0] for r in runs)
        walk = min(r[1] for r in runs)
        layers = runs[0][2]
        peak = peak_memory(text)
        total = build + walk
        growth = ""
        if previous is not None:
            growth = (f"{total / previous[1]:.1f}× for {layers / previous[0]:.0f}× layers")
        previous = (layers, total)
        print(f"| {layers:,} | {build:.3f} | {layers / build:,.0f} | {walk:.3f} | "
              f"{layers / walk:,.0f} | {growth} | {peak / 2**20:.1f} | {peak / layers:,.0f} |")


def check_folder(files: int) -> None:
    if files < 1:
        return
    specs = sorted((ROOT / "specs").glob("*.yaml"))
    with tempfile.TemporaryDirectory(prefix="cnncalc-check-") as folder:
        for i in range(files):
            source = specs[i % len(specs)]
            (Path(folder) / f"{i:04d}-{source.name}").write_bytes(source.read_bytes())
        exe = Path(sys.executable).with_name("cnncalc")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "cnncalc"]
        times = []
        for _ in range(3):
            started = time.perf_counter()
            proc = subprocess.run([*cmd, "check", folder], capture_output=True, text=True)
            times.append(time.perf_counter() - started)
        best = min(times)
        print(f"\n`cnncalc check` over {files:,} spec files (the bundled specs, copied): "
              f"{best:.2f} s (median {statistics.median(times):.2f} s), {files / best:,.0f} "
              f"files/s, exit code {proc.returncode}.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--workload", choices=("uniform", "varied", "both"), default="both")
    parser.add_argument("--repeats", type=int, default=3, help="runs per size below 50k (best)")
    parser.add_argument("--check-files", type=int, default=1_000)
    args = parser.parse_args()
    print(f"Scale benchmark, Python {sys.version.split()[0]}; times are the best of "
          f"{args.repeats} runs (one above 50k layers); memory is tracemalloc's peak.")
    for workload in (("uniform", "varied") if args.workload == "both" else (args.workload,)):
        bench(args.sizes, workload, args.repeats)
    check_folder(args.check_files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
