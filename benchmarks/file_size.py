"""The most work a file under ``max_file_bytes`` can cause, and what a bigger one costs.

    python benchmarks/file_size.py              # at the default limit (128 KiB)
    python benchmarks/file_size.py --bytes 131072

For each kind of file that packs the most work into its bytes — values (``[relu, 1, 1, ...]``),
bare layers one per line, bare layers in one flow list (five bytes a layer), convolutions with
attributes, mappings — it writes a file just under the limit, runs ``cnncalc summary`` on it in a
fresh process, and prints the exit status, wall and CPU seconds and the peak RSS (``ru_maxrss``
of the child). Then the same for files of 20 MB and 50 MB, which are refused before they are
read. Nothing here fails: it prints (docs/performance.md, "Files up to max_file_bytes").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cnncalc.model.limits import DEFAULT_LIMITS

HEAD = "input: [3, 32, 32]\nlayers:\n"


def write(kind: str, size: int, path: Path) -> int:
    """A spec of ``kind`` at most ``size`` bytes long, written in pieces (this process stays
    small, so that a child's peak memory is its own); its length."""
    with open(path, "w", encoding="utf-8") as fh:
        if kind in ("values", "flow", "mappings"):
            item = {"values": "1,", "flow": "relu,", "mappings": "{relu: {}},"}[kind]
            head = "input: [3, 32, 32]\nlayers: [relu, "
            count = (size - len(head) - len("relu]\n")) // len(item)
            fh.write(head)
            for _ in range(count // 1000):
                fh.write(item * 1000)
            fh.write(item * (count % 1000) + "relu]\n")
        else:
            item = ("  - relu\n" if kind == "lines"
                    else "  - conv: {out: 8, kernel: 3, padding: 1}\n")
            count = (size - len(HEAD)) // len(item)
            fh.write(HEAD)
            for _ in range(count // 1000):
                fh.write(item * 1000)
            fh.write(item * (count % 1000))
    return path.stat().st_size


def run(path: Path) -> tuple[int, float, float, float]:
    """Exit status, wall and CPU seconds, and peak RSS (MiB) of one ``cnncalc summary``."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "cnncalc", "summary", str(path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bytes", type=int, default=DEFAULT_LIMITS.max_file_bytes)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print("| file | bytes | exit | wall s | CPU s | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.yaml"
        cases = [(kind, kind, args.bytes) for kind in ("values", "lines", "flow", "convs",
                                                        "mappings")]
        cases += [("20 MB one line", "values", 20_000_000), ("50 MB of lines", "lines",
                                                            50_000_000)]
        for name, kind, size in cases:
            length = write(kind, size, path)
            code, wall, cpu, rss = run(path)
            print(f"| {name} | {length:,} | {code} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
