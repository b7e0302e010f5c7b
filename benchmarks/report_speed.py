"""How fast the page of ``cnncalc report`` opens in headless Chromium, and how large it is.

    python benchmarks/report_speed.py                 # 1,000 and 10,000 layers, GoogLeNet
    python benchmarks/report_speed.py --sizes 1000 --runs 5

For each generated spec (benchmarks/scale.py's ``uniform`` residual stack: block uses of seven
layers, every fourth an inception-style concat) and for a flat chain of the same length (no
blocks at all, the worst case for the layout: only the page's segments group it), it writes the
page and prints:

* the time to write it (``cnncalc report``, in process);
* its size;
* **time to interactive**: from the start of navigation to the moment the page's script has
  drawn the graph, built the table and the profiles (``performance.now()`` when it sets
  ``data-ready``), the median of ``--runs`` fresh page loads;
* the boxes the graph shows at first (groups start collapsed when the network is large).

Targets (issue 15): 1,000 layers interactive within 2 s; 10,000 layers within 5 s; GoogLeNet's
page under 1 MB with all 142 layers shown. Benchmarks print; they never fail CI on timing.

Needs Playwright and a Chromium (``CNNCALC_CHROMIUM``, else ``chromium`` on PATH).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale import generate  # noqa: E402

from cnncalc import __version__  # noqa: E402
from cnncalc.api import load  # noqa: E402
from cnncalc.page.data import page_data  # noqa: E402
from cnncalc.page.html import render_page  # noqa: E402
from tests.browser import chromium_path  # noqa: E402


def flat_chain(n_layers: int) -> str:
    lines = ["name: flat chain", "input: [8, 16, 16]", "layers:"]
    for i in range(n_layers):
        lines.append("  - conv: {out: 8, kernel: 3, padding: 1}" if i % 2 == 0 else "  - relu")
    return "\n".join(lines) + "\n"


def write_page(text: str, folder: Path, name: str) -> tuple[Path, float, int]:
    start = time.perf_counter()
    network = load(text)
    report = network.summary()
    page = render_page(page_data(report, text, version=__version__))
    path = folder / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    return path, time.perf_counter() - start, len(report.layers)


def open_page(browser: object, path: Path, runs: int) -> tuple[float, str]:
    times = []
    phases: list[dict[str, float]] = []
    counts = ""
    for _ in range(runs):
        page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(path.as_uri())
        page.wait_for_function("document.documentElement.dataset.ready", timeout=120_000)
        times.append(float(page.evaluate("document.documentElement.dataset.ready")) / 1000)
        counts = page.evaluate("document.getElementById('graph-counts').textContent")
        phases.append(page.evaluate("window.cnncalc.timings"))
        if errors:
            raise SystemExit(f"{path.name}: page errors: {errors}")
        page.close()
    last = phases[-1]
    steps = (("script", "start"), ("data", "data"), ("graph", "graph"),
             ("profiles", "profiles"), ("table", "table"), ("paint", "painted"))
    previous = 0.0
    parts = []
    for label, key in steps:
        parts.append(f"{label} {(last[key] - previous) / 1000:.2f}")
        previous = last[key]
    return statistics.median(times), counts + " | " + ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    target = {1000: 2.0, 10000: 5.0}
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path())
        folder = Path(tmp)
        cases = [("googlenet", (ROOT / "specs" / "googlenet.yaml").read_text(), None)]
        for n in args.sizes:
            text, _ = generate(n, "uniform")
            cases.append((f"residual {n:,}", text, target.get(n)))
            cases.append((f"flat chain {n:,}", flat_chain(n), target.get(n)))
        for name, text, goal in cases:
            path, write_s, layers = write_page(text, folder, name.replace(" ", "_"))
            tti, counts = open_page(browser, path, args.runs)
            size = path.stat().st_size
            verdict = "" if goal is None else ("ok" if tti <= goal else f"OVER {goal:g} s")
            if name == "googlenet":
                verdict = "ok" if size < 2**20 and counts.startswith("143 ") else "FAILS"
            rows.append((name, f"{layers:,}", f"{write_s:.2f} s", f"{size / 1024:,.0f} KiB",
                         f"{tti:.2f} s", counts, verdict))
        browser.close()
    heads = ("spec", "layers", "write", "page size", "interactive", "shown at first", "target")
    widths = [max(len(str(r[k])) for r in [heads, *rows]) for k in range(len(heads))]
    for row in [heads, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    print(f"(median of {args.runs} page loads in headless Chromium, {chromium_path()})")


if __name__ == "__main__":
    main()
