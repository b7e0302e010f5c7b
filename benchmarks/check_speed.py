"""How long `cnncalc check` takes on every bundled spec, against starting the interpreter.

Each command runs as a fresh process (as CI runs it), REPEAT times in turn; the table shows the
median wall time and its ratio to `python -c "import yaml, click"` measured in the same run (the
two libraries `check` cannot do without).
Nothing here fails on timing: it prints, the reader judges.

Byte-code caching is switched on for the measured processes (PYTHONDONTWRITEBYTECODE is removed
from their environment and a warm-up run writes the caches), as it is after `pip install`:
without it every run would spend ~45 ms compiling cnncalc's sources.

    python benchmarks/check_speed.py [REPEAT]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    specs = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").glob("*.yaml"))
    rows = [
        ("python -c pass", [PY, "-c", "pass"]),
        ('python -c "import yaml, click"  (baseline)', [PY, "-c", "import yaml, click"]),
        ("cnncalc --version", [PY, "-m", "cnncalc", "--version"]),
        ("cnncalc check specs/lenet5.yaml", [PY, "-m", "cnncalc", "check", "specs/lenet5.yaml"]),
        (f"cnncalc check specs/  ({len(specs)} specs)", [PY, "-m", "cnncalc", "check", "specs/"]),
        ("cnncalc check specs/ --format sarif",
         [PY, "-m", "cnncalc", "check", "specs/", "--format", "sarif"]),
        ("cnncalc summary specs/googlenet.yaml --format json",
         [PY, "-m", "cnncalc", "summary", "specs/googlenet.yaml", "--format", "json"]),
    ]
    for _, argv in rows:  # warm the file cache and the byte-code caches
        run_once(argv)
    # round-robin, so that a load change on a shared machine hits every command alike
    samples: list[list[float]] = [[] for _ in rows]
    for _ in range(repeat):
        for i, (_, argv) in enumerate(rows):
            samples[i].append(run_once(argv))
    results = [(label, statistics.median(times)) for (label, _), times in zip(rows, samples)]
    baseline = results[1][1]
    width = max(len(label) for label, _ in results)
    print(f"{'command':<{width}}  {'median':>9}  {'× baseline':>10}")
    for label, seconds in results:
        print(f"{label:<{width}}  {seconds * 1e3:7.1f} ms  {seconds / baseline:9.2f}×")
    print(f"\n{repeat} runs each, fresh processes; Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
