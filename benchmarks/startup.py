"""Start-up time of the commands people run most, against their own libraries in the same run.

    python benchmarks/startup.py              # 20 interleaved runs of each
    python benchmarks/startup.py --runs 50 --torchinfo-runs 5

Budgets (docs/performance.md, "Start-up"; ratios of medians, printed, never asserted by a test):

* ``cnncalc summary specs/alexnet.yaml`` ≤ 2.0× ``python -c "import yaml, click, rich.console,
  rich.table"`` — on a terminal (a pseudo-terminal, so cnncalc draws its rich table) and piped
  (its plain-text table);
* ``cnncalc conv 224 -k 7 -s 2 -p 3`` ≤ 1.5× ``python -c "import click"`` (piped);
* and, for scale, the ratio to torchinfo's summary of AlexNet (built in plain torch: no
  torchvision), where torchinfo is installed (``pip install torchinfo``; it is not a dependency).

``cnncalc`` is the console script next to this interpreter (what ``pip install`` makes of the
``[project.scripts]`` entry), else ``python -m cnncalc``. The package's bytecode is compiled first,
as ``pip install`` does. Each run is timed twice: wall-clock time, and the CPU time (user +
system) the command used, which a busy shared machine disturbs far less; both ratios are printed.
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import os
import pty
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUMMARY_BUDGET = 2.0
CONV_BUDGET = 1.5

TORCHINFO = """
import torch
from torch import nn
from torchinfo import summary

model = nn.Sequential(  # torchvision's AlexNet, written out
    nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
    nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
    nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
    nn.AdaptiveAvgPool2d((6, 6)), nn.Flatten(), nn.Dropout(),
    nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True), nn.Dropout(),
    nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, 1000))
summary(model, input_size=(1, 3, 224, 224))
"""


def cnncalc_command() -> list[str]:
    """How a user starts cnncalc: the console script next to this interpreter."""
    script = Path(sys.executable).with_name("cnncalc")
    if script.exists():
        return [str(script)]
    found = shutil.which("cnncalc")
    return [found] if found else [sys.executable, "-m", "cnncalc"]


Timing = tuple[float, float]
"""Wall-clock and CPU seconds of one run."""


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_piped(cmd: list[str]) -> Timing:
    cpu, started = cpu_of_children(), time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - started, cpu_of_children() - cpu


def run_on_terminal(cmd: list[str]) -> Timing:
    """Run with stdout and stderr on a fresh 120×50 pseudo-terminal, drained as it writes."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))

    def drain() -> None:
        try:
            while os.read(leader, 65536):
                pass
        except OSError:  # the terminal closed: the command has ended
            pass

    reader = threading.Thread(target=drain)
    reader.start()
    cpu, started = cpu_of_children(), time.perf_counter()
    try:
        subprocess.run(cmd, cwd=ROOT, stdout=follower, stderr=follower, check=True)
        return time.perf_counter() - started, cpu_of_children() - cpu
    finally:
        os.close(follower)
        reader.join()
        os.close(leader)


def measure(commands: dict[str, tuple[list[str], bool]], runs: int,
            every: dict[str, int]) -> dict[str, list[Timing]]:
    """Each command ``runs`` times (or every n-th round), interleaved so that noise hits all."""
    times: dict[str, list[Timing]] = {name: [] for name in commands}
    for cmd, terminal in commands.values():  # warm the file cache
        (run_on_terminal if terminal else run_piped)(cmd)
    for round_ in range(runs):
        for name, (cmd, terminal) in commands.items():
            if round_ % every.get(name, 1) == 0:
                times[name].append((run_on_terminal if terminal else run_piped)(cmd))
    return times


def has_torchinfo() -> bool:
    found = subprocess.run([sys.executable, "-c", "import torch, torchinfo"],
                           capture_output=True)
    return found.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--torchinfo-runs", type=int, default=5,
                        help="runs of torchinfo's summary (each takes seconds)")
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "cnncalc"), quiet=1)
    py = sys.executable
    cnn = cnncalc_command()
    libraries = [py, "-c", "import yaml, click, rich.console, rich.table"]
    summary = [*cnn, "summary", "specs/alexnet.yaml"]
    conv = [*cnn, "conv", "224", "-k", "7", "-s", "2", "-p", "3"]
    commands: dict[str, tuple[list[str], bool]] = {
        'python -c "import yaml, click, rich.console, rich.table" (terminal)': (libraries, True),
        "cnncalc summary specs/alexnet.yaml (terminal)": (summary, True),
        'python -c "import yaml, click, rich.console, rich.table" (piped)': (libraries, False),
        "cnncalc summary specs/alexnet.yaml (piped)": (summary, False),
        'python -c "import click"': ([py, "-c", "import click"], False),
        "cnncalc conv 224 -k 7 -s 2 -p 3": (conv, False),
    }
    every: dict[str, int] = {}
    torchinfo = "torchinfo summary(AlexNet) (terminal)"
    if has_torchinfo():
        commands[torchinfo] = ([py, "-c", TORCHINFO], True)
        every[torchinfo] = max(1, args.runs // max(1, args.torchinfo_runs))
    times = measure(commands, args.runs, every)
    wall = {name: statistics.median(t[0] for t in runs) * 1000 for name, runs in times.items()}
    cpu = {name: statistics.median(t[1] for t in runs) * 1000 for name, runs in times.items()}
    names = list(commands)

    print(f"Start-up: {args.runs} interleaved runs each, Python {sys.version.split()[0]} on "
          f"{sys.platform}, `cnncalc` = {' '.join(Path(c).name for c in cnn)}, bytecode "
          f"compiled; medians.\n")
    print(f"| {'command':<70} | {'runs':>4} | {'wall ms':>7} | {'CPU ms':>7} |")
    print(f"|{'-' * 72}|{'-' * 6}|{'-' * 9}|{'-' * 9}|")
    for name in names:
        print(f"| {name:<70} | {len(times[name]):>4} | {wall[name]:>7.1f} | {cpu[name]:>7.1f} |")
    print()
    for target, base, budget in ((names[1], names[0], SUMMARY_BUDGET),
                                 (names[3], names[2], SUMMARY_BUDGET),
                                 (names[5], names[4], CONV_BUDGET)):
        by_wall, by_cpu = wall[target] / wall[base], cpu[target] / cpu[base]
        verdict = "meets" if max(by_wall, by_cpu) <= budget else "MISSES"
        print(f"{target} / {base}: {by_wall:.2f}× wall, {by_cpu:.2f}× CPU ({verdict} the "
              f"≤ {budget}× budget)")
    if torchinfo in wall:
        by_wall, by_cpu = wall[torchinfo] / wall[names[1]], cpu[torchinfo] / cpu[names[1]]
        print(f"{torchinfo} / {names[1]}: {by_wall:.1f}× wall, {by_cpu:.1f}× CPU")
    else:
        print("torchinfo: not installed here (pip install torchinfo), no comparison")
    return 0


if __name__ == "__main__":
    sys.exit(main())
