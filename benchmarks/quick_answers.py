"""Start-up of the quick calculators (`cnncalc conv ...`) against `python -c "import click"`.

    python benchmarks/quick_answers.py [--runs 30]

The budget (docs/quick-answers.md, "Speed"; docs/performance.md): `cnncalc conv 224 -k 7 -s 2 -p
3` within 1.5× of `python -c "import click"` measured in the same run — every command is a click
command, so click is the floor. This prints each calculator, through the console script
`[project.scripts]` installs and through `python -m cnncalc`. Runs are interleaved and the median
is reported; speed is never asserted by the test suite.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time

from startup import ROOT, cnncalc_command

COMMANDS = [
    ["conv", "224", "-k", "7", "-s", "2", "-p", "3"],
    ["deconv", "7", "-k", "4", "-s", "2", "-p", "1", "-c", "128", "-o", "64"],
    ["pool", "112", "-k", "3", "-s", "2"],
    ["chain", "224", "conv k7 s2 p3; maxpool k3 s2 p1; conv k3 p1"],
    ["solve", "--in", "227", "--out", "55", "-k", "11"],
    ["pad", "-k", "7", "-s", "2", "--in", "224"],
]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per command (default 30)")
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "cnncalc"), quiet=1)
    py, cnn = sys.executable, cnncalc_command()
    commands: dict[str, list[str]] = {
        "python -c pass": [py, "-c", "pass"],
        'python -c "import click"': [py, "-c", "import click"],
    }
    for words in COMMANDS:
        commands[f"cnncalc {words[0]} ..."] = [*cnn, *words]
    commands["python -m cnncalc conv ..."] = [py, "-m", "cnncalc", *COMMANDS[0]]
    results: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        timed(command)  # warm the file cache
    for _ in range(args.runs):  # interleaved, so that drift hits every command alike
        for name, command in commands.items():
            results[name].append(timed(command))
    base = statistics.median(results['python -c "import click"'])
    print(f"Python {sys.version.split()[0]}, {args.runs} runs each, median wall time, piped")
    print(f"| {'command':<32} | {'ms':>7} | {'× import click':>14} |")
    print(f"|{'-' * 34}|{'-' * 9}|{'-' * 16}|")
    for name, times in results.items():
        m = statistics.median(times)
        print(f"| {name:<32} | {m:7.1f} | {m / base:14.2f} |")
    conv = statistics.median(results["cnncalc conv ..."]) / base
    print(f"\nbudget: cnncalc conv within 1.5× of python -c \"import click\": {conv:.2f}× "
          f"({'met' if conv <= 1.5 else 'MISSED'})")


if __name__ == "__main__":
    main()
