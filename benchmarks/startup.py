"""Start-up time of the commands people run most, against a bare interpreter in the same run.

    python benchmarks/startup.py            # 30 runs of each, interleaved
    python benchmarks/startup.py --runs 100

Pairs (issue 8's targets, ratio of medians):

* ``cnncalc summary specs/alexnet.yaml`` (piped, so the plain-text path) against
  ``python -c "import yaml, click, rich"``: target ≤ 1.3×;
* ``cnncalc conv 224 -k 7 -s 2 -p 3`` against ``python -c pass``: target ≤ 1.3× (skipped, with a
  message, where the ``conv`` calculator does not exist yet).

The package's bytecode is compiled first (``compileall``), as ``pip install`` does: an editable
install under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise recompile every module on every run.
It also checks that the piped summary never imports rich, and lists what the summary imports
beyond the baseline, slowest first (``python -X importtime``), to show where time goes.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.3


def cnncalc_command() -> list[str]:
    """How a user starts cnncalc: the console script next to this interpreter."""
    script = Path(sys.executable).with_name("cnncalc")
    if script.exists():
        return [str(script)]
    found = shutil.which("cnncalc")
    return [found] if found else [sys.executable, "-m", "cnncalc"]


def has_command(name: str) -> bool:
    sys.path.insert(0, str(ROOT))
    from cnncalc.cli import COMMANDS

    return name in COMMANDS


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
    return time.perf_counter() - started


def measure(pairs: list[tuple[str, list[str], str, list[str]]], runs: int) -> list[list[float]]:
    """Run every command ``runs`` times, interleaved so that machine noise hits all alike."""
    times: list[list[float]] = [[] for _ in range(2 * len(pairs))]
    for cmd in (c for _, base, _, target in pairs for c in (base, target)):
        timed(cmd)  # warm the file cache
    for _ in range(runs):
        for i, (_, base, _, target) in enumerate(pairs):
            times[2 * i].append(timed(base))
            times[2 * i + 1].append(timed(target))
    return times


def imports(cmd: list[str]) -> dict[str, int]:
    """Module → self import time in µs, from ``python -X importtime``."""
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)
    out: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            out[m.group(2)] = int(m.group(1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "cnncalc"), quiet=1)
    py = sys.executable
    cnn = cnncalc_command()
    pairs = [('python -c "import yaml, click, rich"', [py, "-c", "import yaml, click, rich"],
              "cnncalc summary specs/alexnet.yaml", [*cnn, "summary", "specs/alexnet.yaml"])]
    skipped = []
    if has_command("conv"):
        pairs.append(("python -c pass", [py, "-c", "pass"],
                      "cnncalc conv 224 -k 7 -s 2 -p 3",
                      [*cnn, "conv", "224", "-k", "7", "-s", "2", "-p", "3"]))
    else:
        skipped.append("cnncalc conv 224 -k 7 -s 2 -p 3: skipped, there is no `conv` command yet "
                       "(the calculators of issue 6)")
    times = measure(pairs, args.runs)
    print(f"Start-up, {args.runs} interleaved runs each, Python "
          f"{sys.version.split()[0]} on {sys.platform}, bytecode compiled; stdout piped.\n")
    print(f"| {'command':<40} | {'min ms':>7} | {'median ms':>9} |")
    print(f"|{'-' * 42}|{'-' * 9}|{'-' * 11}|")
    for i, (base_name, _, target_name, _) in enumerate(pairs):
        base, target = times[2 * i], times[2 * i + 1]
        for name, t in ((base_name, base), (target_name, target)):
            print(f"| {name:<40} | {min(t) * 1000:>7.1f} | {statistics.median(t) * 1000:>9.1f} |")
        ratio = statistics.median(target) / statistics.median(base)
        verdict = "meets" if ratio <= TARGET else "misses"
        print(f"| {'ratio (medians)':<40} | {min(target) / min(base):>6.2f}× | {ratio:>8.2f}× |"
              f"  {verdict} the ≤ {TARGET}× target")
    for line in skipped:
        print(line)
    base_mods = imports([py, "-c", "import yaml, click, rich"])
    summary_mods = imports([py, "-m", "cnncalc", "summary", "specs/alexnet.yaml"])
    extra = {m: t for m, t in summary_mods.items() if m not in base_mods}
    rich = sorted(m for m in summary_mods if m == "rich" or m.startswith("rich."))
    print(f"\nThe piped summary imports rich: {'yes: ' + ', '.join(rich) if rich else 'no'}.")
    print(f"Beyond the baseline it imports {len(extra)} modules, {sum(extra.values()) / 1000:.1f} "
          f"ms of self time under -X importtime; the slowest:")
    for name, us in sorted(extra.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {us / 1000:6.2f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
