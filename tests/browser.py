"""How the browser tests (and benchmarks/report_speed.py) get a browser: Playwright driving the
system's Chromium (Debian: ``apt-get install -y chromium``), never Playwright's own download,
which cannot work on the project's machines.

Where the browser is missing the tests *fail* in CI (``CI`` set, as ``.ci/run`` runs, or
``CNNCALC_REQUIRE_BROWSER=1``) and are skipped elsewhere with the reason and the fix, so CI can
never pass by skipping them (docs/visualising.md#testing-the-page).
"""

from __future__ import annotations

import os
import shutil

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL = ("install Chromium (Debian: apt-get install -y chromium) and Playwright "
           "(pip install -e '.[test]'), or point CNNCALC_CHROMIUM at a Chromium binary")


def chromium_path() -> str | None:
    """The Chromium to launch: ``CNNCALC_CHROMIUM``, else the first of :data:`CANDIDATES` on
    PATH."""
    chosen = os.environ.get("CNNCALC_CHROMIUM")
    if chosen:
        return chosen
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_required() -> bool:
    """Whether a missing browser is a failure (CI) rather than a skip (a developer's machine)."""
    ci = os.environ.get("CI", "").strip().lower()
    return ci not in ("", "0", "false", "no") or os.environ.get("CNNCALC_REQUIRE_BROWSER") == "1"


def missing(reason: str) -> None:
    """Fail in CI, skip elsewhere, saying why and what to install."""
    message = f"browser tests need a browser: {reason}; {INSTALL}"
    if browser_required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
