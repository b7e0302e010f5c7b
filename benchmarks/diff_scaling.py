"""How `cnncalc diff` scales with the number of layers (it should be O(n log n), never O(n²)).

Builds two synthetic reports of n layers (the JSON contract, no analysis needed): the new one has
every 7th layer renamed (matched by position), 1 % removed, 1 % added and a few layers moved, then
times `diff_reports`. Prints the time per layer; a quadratic algorithm would show it growing
linearly with n. Run: python benchmarks/diff_scaling.py
"""

from __future__ import annotations

import random
import time
from typing import Any

from cnncalc.checks.diff import diff_reports

KINDS = ("conv", "relu", "batchnorm", "maxpool", "add")


def synthetic(n: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    layers = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        layers.append({"name": f"l{i}", "kind": kind, "description": kind,
                       "inputs": [f"l{i - 1}" if i else "input"], "output_shape": [64, 56, 56],
                       "params": rng.randrange(0, 10**6), "macs": rng.randrange(0, 10**9),
                       "rf": {"size": [i + 1, i + 1], "jump": [1, 1], "start": [0, 0]}})
    return {"name": "synthetic", "input_shape": [3, 224, 224], "batch": 1,
            "output_shape": [64, 56, 56], "layers": layers,
            "totals": {"params": sum(x["params"] for x in layers),
                       "macs": sum(x["macs"] for x in layers)}}


def edited(report: dict[str, Any], seed: int = 2) -> dict[str, Any]:
    rng = random.Random(seed)
    layers = [dict(x) for x in report["layers"]]
    for i, x in enumerate(layers):
        if i % 7 == 3:
            x["name"] = f"renamed{i}"
    n = len(layers)
    for _ in range(n // 100):
        del layers[rng.randrange(len(layers))]
    for k in range(n // 100):
        pos = rng.randrange(len(layers))
        layers.insert(pos, {**layers[pos], "name": f"new{k}", "params": 1})
    for _ in range(5):                 # a few moves
        a, b = rng.randrange(len(layers)), rng.randrange(len(layers))
        layers[a], layers[b] = layers[b], layers[a]
    return {**report, "layers": layers}


def main() -> None:
    print(f"{'layers':>9}  {'diff time':>10}  {'µs per layer':>12}  {'ratio to first':>14}")
    first = None
    for n in (1_000, 10_000, 100_000):
        old = synthetic(n)
        new = edited(old)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            diff_reports(old, new)
            best = min(best, time.perf_counter() - start)
        per = best / n * 1e6
        first = first or per
        print(f"{n:>9,}  {best:>9.3f}s  {per:>12.2f}  {per / first:>14.2f}")


if __name__ == "__main__":
    main()
