"""Speed of the NumPy kernels: whole networks against PyTorch CPU, and convolutions against a
plain NumPy matrix product of the same size (the machine's practical ceiling for im2col).

    python benchmarks/kernels.py                      # VGG-16 and ResNet-50, 224×224, batch 1
    python benchmarks/kernels.py --threads 1 --repeat 10
    python benchmarks/kernels.py --specs vgg16 path/to/net.yaml --layers

Both libraries run on the same machine with the same number of threads (OpenBLAS for NumPy,
``torch.set_num_threads`` for PyTorch), the same graph, weights and input, in float32. Each
round runs NumPy, then PyTorch, then a plain product of every convolution's size, so all three
see the same background load; the table reports the best round (``--stat median`` for medians).
Targets (docs/performance.md): NumPy within 2× of PyTorch end to end, and convolutions at ≥ 60 %
of the matrix-product rate. The script prints; it never fails on timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPECS = ("vgg16", "resnet50")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--specs", nargs="+", default=list(DEFAULT_SPECS),
                   help="bundled spec names or paths (default: vgg16 resnet50)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="threads for both libraries (default: all cores)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per library (median)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--input", default=None, help="input shape, e.g. 3x224x224 (default: spec)")
    p.add_argument("--stat", choices=("min", "median"), default="min",
                   help="statistic over the timed rounds (default: min, the least disturbed by "
                        "other processes)")
    p.add_argument("--layers", action="store_true", help="also print every convolution")
    return p.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    # Thread counts must be set before numpy (OpenBLAS) and torch (OpenMP) load.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(ROOT))
import cnncalc  # noqa: E402
from cnncalc.api import resolve_spec  # noqa: E402
from cnncalc.kernels.run import Step, random_input, run, seeded_params  # noqa: E402
from cnncalc.layers.conv import Conv  # noqa: E402
from cnncalc.model.geometry import per_axis  # noqa: E402
from cnncalc.model.graph import Graph  # noqa: E402


@dataclass
class Timings:
    numpy: list[float] = field(default_factory=list)
    torch: list[float] = field(default_factory=list)
    layers: dict[str, list[float]] = field(default_factory=dict)
    matmul: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class ConvSize:
    """A convolution as the matrix product im2col turns it into: ``g`` groups of
    ``(M, K) @ (K, N)``."""

    name: str
    description: str
    flops: int
    g: int
    m: int
    k: int
    n: int


def load(spec: str) -> Any | None:
    path = Path(spec)
    if not path.exists() and resolve_spec(spec) is None:
        print(f"skipping {spec}: no such spec (specs/{spec}.yaml is not in this checkout)")
        return None
    return cnncalc.load(spec)


def collect_params(graph: Graph, x: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Run once with seeded random weights and keep them, so timed runs exclude drawing them."""
    params: dict[str, dict[str, np.ndarray]] = {}
    make = seeded_params(0, np.float32)

    def params_for(index: int, node: Any, kern: Any, shapes: Any) -> dict[str, np.ndarray]:
        params[node.name] = dict(make(index, node, kern, shapes))
        return params[node.name]

    run(graph, x, params_for)
    return params


def time_numpy(graph: Graph, x: np.ndarray, params: dict[str, dict[str, np.ndarray]],
               timings: Timings) -> np.ndarray:
    def on_step(step: Step) -> None:
        timings.layers.setdefault(step.node.name, []).append(step.seconds)

    start = time.perf_counter()
    out = run(graph, x, lambda i, node, k, s: params[node.name], on_step)
    timings.numpy.append(time.perf_counter() - start)
    return out


class Matmul:
    """Random float32 operands of one convolution's size, for timing a plain product."""

    def __init__(self, size: ConvSize) -> None:
        rng = np.random.default_rng(0)
        self.a = rng.random((size.g, size.m, size.k), dtype=np.float32)
        self.b = rng.random((size.g, size.k, size.n), dtype=np.float32)
        self.c = np.empty((size.g, size.m, size.n), np.float32)
        self.two_d = size.g == 1

    def seconds(self) -> float:
        start = time.perf_counter()
        if self.two_d:
            np.matmul(self.a[0], self.b[0], out=self.c[0])
        else:
            np.matmul(self.a, self.b, out=self.c)
        return time.perf_counter() - start


def gflops(flops: float, seconds: float) -> float:
    return flops / seconds / 1e9 if seconds > 0 else float("nan")


def conv_sizes(graph: Graph, report: Any) -> list[ConvSize]:
    by_name = {r.name: r for r in report.layers}
    sizes = []
    for node in graph.nodes:
        if isinstance(node.layer, Conv):
            r = by_name[node.name]
            g = node.layer.groups
            taps = prod(per_axis("kernel", node.layer.kernel, r.output_shape.rank))
            sizes.append(ConvSize(node.name, node.layer.describe(), 2 * r.macs, g,
                                  r.output_shape.channels // g,
                                  r.input_shapes[0].channels // g * taps,
                                  report.batch * r.output_shape.spatial_numel))
    return sizes


def benchmark(spec: str, args: argparse.Namespace, torch: Any) -> dict[str, Any] | None:
    """Warm-up, then ``repeat`` rounds of: the NumPy run, the PyTorch run, and a plain matrix
    product of every convolution's size, so that all three see the same background load."""
    net = load(spec)
    if net is None:
        return None
    report = net.summary(args.input, args.batch)
    graph = net.graph
    x = random_input(report.input_shape, report.batch, 0, np.float32)
    params = collect_params(graph, x)
    sizes = conv_sizes(graph, report)
    products = {c.name: Matmul(c) for c in sizes}
    timings = Timings()
    if torch is not None:
        from tests.torch_reference import torch_run

        torch_params = {name: {k: torch.from_numpy(v) for k, v in p.items()}
                        for name, p in params.items()}
        torch_x = torch.from_numpy(x)
    for i in range(args.warmup + args.repeat):
        record = Timings() if i < args.warmup else timings
        out = time_numpy(graph, x, params, record)
        if torch is not None:
            with torch.inference_mode():
                t = time.perf_counter()
                expected = torch_run(graph, torch_x, torch_params)
                record.torch.append(time.perf_counter() - t)
            if i == 0:
                diff = np.max(np.abs(out - expected.numpy())) / np.max(np.abs(expected.numpy()))
                print(f"  {report.name}: NumPy and PyTorch outputs agree to {diff:.1e} "
                      f"(relative to the largest output)")
        for name, product in products.items():
            record.matmul.setdefault(name, []).append(product.seconds())
    return {"name": report.name, "report": report, "timings": timings, "sizes": sizes}


def main(args: argparse.Namespace) -> int:
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: timing NumPy only (pip install torch==2.13.0)")
    if torch is not None:
        torch.set_num_threads(args.threads)
    stat = min if args.stat == "min" else statistics.median
    print(f"cnncalc kernels benchmark: batch {args.batch}, float32, {args.threads} thread(s) "
          f"(NumPy {np.__version__}" + (f", torch {torch.__version__} with "
                                        f"{torch.get_num_threads()}" if torch else "")
          + f"), {args.warmup} warm-up + {args.repeat} interleaved timed rounds, "
          f"{'best' if args.stat == 'min' else 'median'} of the rounds")
    results = [r for r in (benchmark(s, args, torch) for s in args.specs) if r is not None]
    if not results:
        return 0
    print()
    header = (f"{'network':<20}{'NumPy ms':>10}{'torch ms':>10}{'NumPy/torch':>13}"
              f"{'conv GF/s':>11}{'matmul GF/s':>13}{'conv/matmul':>13}")
    print(header)
    print("-" * len(header))
    for r in results:
        t = r["timings"]
        np_ms = stat(t.numpy) * 1e3
        th_ms = stat(t.torch) * 1e3 if t.torch else float("nan")
        flops = sum(c.flops for c in r["sizes"])
        conv_s = sum(stat(t.layers[c.name]) for c in r["sizes"])
        mm_s = sum(stat(t.matmul[c.name]) for c in r["sizes"])
        print(f"{r['name']:<20}{np_ms:>10.1f}{th_ms:>10.1f}{np_ms / th_ms:>12.2f}×"
              f"{gflops(flops, conv_s):>11.1f}{gflops(flops, mm_s):>13.1f}"
              f"{100 * mm_s / conv_s:>12.0f}%")
    print()
    print("conv GF/s: 2·MACs of all convolutions / their kernel time (im2col, product, bias);")
    print("matmul GF/s: the same FLOPs / plain numpy matmuls of the same sizes (M, K, N).")
    print("Targets: NumPy/torch ≤ 2×, conv/matmul ≥ 60 %.")
    for r in results:
        t = r["timings"]
        kinds: dict[str, float] = {}
        for node in r["report"].layers:
            kinds[node.kind] = kinds.get(node.kind, 0.0) + stat(t.layers[node.name])
        total = sum(kinds.values())
        shares = sorted(kinds.items(), key=lambda kv: -kv[1])
        print(f"\n{r['name']}: NumPy kernel time by kind: " + ", ".join(
            f"{kind} {100 * v / total:.0f}%" for kind, v in shares if v / total >= 0.005))
        if args.layers:
            print(f"{'layer':<28}{'kind':<16}{'ms':>8}{'GF/s':>8}{'matmul GF/s':>13}{'%':>6}"
                  f"  g, M, K, N")
            for c in r["sizes"]:
                sec, mm = stat(t.layers[c.name]), stat(t.matmul[c.name])
                print(f"{c.name[:27]:<28}{c.description[:15]:<16}{sec * 1e3:>8.2f}"
                      f"{gflops(c.flops, sec):>8.1f}{gflops(c.flops, mm):>13.1f}"
                      f"{100 * mm / sec:>5.0f}%  {c.g}, {c.m}, {c.k}, {c.n}")
    return 0


if __name__ == "__main__":
    assert ARGS is not None
    sys.exit(main(ARGS))
