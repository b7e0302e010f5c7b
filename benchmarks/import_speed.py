"""How fast, and in how much memory, `cnncalc import` reads a large ONNX file.

Builds Inception-v3 (benchmarks/inception_v3.yaml: 23.8 M parameters) as an ONNX file with
random float32 weights embedded (about 95 MB, as the issue asks), then imports it in a fresh
process and prints the wall time and the peak memory the import added (the peak resident
size, reset just before the import, less the size then). The targets:
under 2 s, and under 2× the file's size in memory — the importer maps the file and skips the
weights, so both are far below. Never fails on timing (docs/performance.md).

    python benchmarks/import_speed.py [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = """
import json, sys, time
import onnx, onnx.shape_inference, numpy
import cnncalc.importers as importers
from cnncalc.analysis.walk import analyze

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])

with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM) to the current size
    fh.write("5")
before = status("VmRSS:")
start = time.perf_counter()
result = importers.import_model(sys.argv[1])
elapsed = time.perf_counter() - start
peak = status("VmHWM:")
report = analyze(result.graph)
print(json.dumps({"seconds": elapsed, "added_kib": peak - before,
                  "params": report.totals.params, "layers": len(report.layers),
                  "lines": len(result.text.splitlines()), "compact": result.compact}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="write the ONNX file here and keep it")
    parser.add_argument("--runs", type=int, default=3, help="imports timed (best is printed)")
    if not os.path.exists("/proc/self/clear_refs"):
        print("needs Linux's /proc (the memory peak is read from it)", file=sys.stderr)
        return 1
    args = parser.parse_args()
    import onnx

    import cnncalc
    from cnncalc.export.onnx import to_model

    network = cnncalc.load(str(HERE / "inception_v3.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "inception_v3.onnx"
        onnx.save(to_model(network, weights="random"), str(path))
        size = path.stat().st_size
        runs = [json.loads(subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True,
                                          capture_output=True, text=True,
                                          env={**os.environ, "PYTHONHASHSEED": "0"}).stdout)
                for _ in range(args.runs)]
    best = min(runs, key=lambda r: r["seconds"])
    memory = max(r["added_kib"] for r in runs) * 1024
    print(f"file: {size / 1e6:.1f} MB ONNX, {best['params']:,} parameters, "
          f"{best['layers']} layers")
    print(f"import: {best['seconds']:.2f} s (best of {args.runs}; target < 2 s)")
    print(f"memory: peak resident size grew {memory / 1e6:.1f} MB = {memory / size:.2f}× the "
          f"file (target < 2×)")
    print(f"spec written: {best['lines']} lines ({'compact' if best['compact'] else 'flat'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
