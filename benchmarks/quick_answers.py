"""Start-up of the quick calculators (`cnncalc conv ...`) against a bare interpreter.

    python benchmarks/quick_answers.py [--runs 40]

The goal (issue 6): `cnncalc conv 224 -k 7 -s 2 -p 3` within 1.3× of `python -c pass` measured in
the same run. The entry point matters as much as cnncalc's own imports, so this prints each:

* ``main()``: a script that imports ``cnncalc.cli`` and calls ``main()`` — cnncalc's own cost;
* ``python -m cnncalc``: adds :mod:`runpy` and what it imports;
* the console script pip writes for ``[project.scripts]``, which imports :mod:`re` first.

To measure what a user's installation does, not this checkout's development set-up, every command
runs in a fresh virtual environment without site-packages (an editable install's import hook
loads pathlib and re at every start-up, which would hide cnncalc's cost in noise), with cnncalc
on PYTHONPATH, byte-compiled, and with PYTHONDONTWRITEBYTECODE unset. Runs are interleaved and
the median is reported; speed is never asserted by the test suite.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONV = ["conv", "224", "-k", "7", "-s", "2", "-p", "3"]
OTHERS = [
    ["deconv", "7", "-k", "4", "-s", "2", "-p", "1", "-c", "128", "-o", "64"],
    ["pool", "112", "-k", "3", "-s", "2"],
    ["chain", "224", "conv k7 s2 p3; maxpool k3 s2 p1; conv k3 p1"],
    ["solve", "--in", "227", "--out", "55", "-k", "11"],
    ["pad", "-k", "7", "-s", "2", "--in", "224"],
]
PIP_WRAPPER = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from cnncalc.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""
PLAIN_WRAPPER = """#!{python}
import sys
from cnncalc.cli import main
sys.exit(main())
"""


def median_ms(command: list[str], env: dict[str, str], cwd: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per command (default 40)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cnncalc-bench-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        python = str(venv / ("Scripts" if os.name == "nt" else "bin") / "python")
        compileall.compile_dir(str(ROOT / "cnncalc"), quiet=1)
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONSTARTUP", "PYTHONHOME")}
        env["PYTHONPATH"] = str(ROOT)
        pip_script = Path(tmp) / "cnncalc-pip"
        plain_script = Path(tmp) / "cnncalc-plain"
        pip_script.write_text(PIP_WRAPPER.format(python=python), encoding="utf-8")
        plain_script.write_text(PLAIN_WRAPPER.format(python=python), encoding="utf-8")
        conv = " ".join(CONV)
        commands: dict[str, list[str]] = {
            "python -c pass": [python, "-c", "pass"],
            f"main() {conv}": [python, str(plain_script), *CONV],
            f"python -m cnncalc {conv}": [python, "-m", "cnncalc", *CONV],
            f"pip's console script: cnncalc {conv}": [python, str(pip_script), *CONV],
            "python -c 'import re' (for reference)": [python, "-c", "import re"],
        }
        for other in OTHERS:
            commands[f"main() {other[0]} ..."] = [python, str(plain_script), *other]
        results: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so that drift hits every command alike
            for name, command in commands.items():
                results[name] += median_ms(command, env, tmp, 1)

    base = statistics.median(results["python -c pass"])
    print(f"Python {sys.version.split()[0]}, {args.runs} runs each, median wall time")
    print(f"{'command':<62} {'ms':>7} {'× bare':>7}")
    for name, times in results.items():
        m = statistics.median(times)
        print(f"{name[:62]:<62} {m:7.2f} {m / base:7.2f}")
    print("goal: main() conv within 1.30× of python -c pass")


if __name__ == "__main__":
    main()
