"""Re-render the README's picture of ``cnncalc report``: docs/images/report_googlenet.png.

    python benchmarks/report_screenshot.py          # writes docs/images/report_googlenet.png

It writes GoogLeNet's page with ``cnncalc report``, opens it in headless Chromium (Playwright and
the system Chromium, as tests/browser.py finds it), selects ``inception_4a.conv3`` as a click
would (the graph centres on it, its row is highlighted, the side panel shows its numbers) and
saves the window. Look at the picture before committing it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnncalc.cli import run  # noqa: E402
from tests.browser import chromium_path  # noqa: E402

OUTPUT = ROOT / "docs" / "images" / "report_googlenet.png"
LAYER = "inception_4a.conv3"


def main() -> None:
    from playwright.sync_api import sync_playwright

    browser_path = chromium_path()
    if browser_path is None:
        sys.exit("needs Chromium: apt-get install -y chromium (or set CNNCALC_CHROMIUM)")
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "googlenet.html"
        os.chdir(ROOT)  # the page names the spec file as given: specs/googlenet.yaml
        if run(["report", "specs/googlenet.yaml", "-o", str(page_path)]) != 0:
            sys.exit("cnncalc report failed")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=browser_path)
            page = browser.new_page(viewport={"width": 1280, "height": 760},
                                    device_scale_factor=1)
            page.goto(page_path.as_uri())
            page.wait_for_function("document.documentElement.dataset.ready")
            page.evaluate(f"window.cnncalc.select({LAYER!r})")
            page.mouse.move(5, 5)  # no hover left on the graph
            page.screenshot(path=str(OUTPUT))
            browser.close()
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
