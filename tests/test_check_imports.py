"""`cnncalc check` stays light: the pure core it adds imports no click, rich, yaml or numpy, and
the check command itself never loads numpy (that is for the forward kernels)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def loaded_after(code: str) -> set[str]:
    script = (f"import sys\n{code}\n"
              "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return set(out.split())


def test_core_check_modules_are_pure() -> None:
    loaded = loaded_after("import cnncalc.checks.expectations, cnncalc.checks.lint, "
                          "cnncalc.checks.codes, cnncalc.model.quantity")
    assert not loaded & {"click", "rich", "yaml", "numpy"}


def test_check_command_does_not_load_numpy() -> None:
    loaded = loaded_after("import contextlib, io\nfrom cnncalc.cli import run\n"
                          "with contextlib.redirect_stdout(io.StringIO()):\n"
                          "    assert run(['check', 'specs/', '--format', 'sarif']) == 0")
    assert "click" in loaded and "yaml" in loaded
    assert "numpy" not in loaded
