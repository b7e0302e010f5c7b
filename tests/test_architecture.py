"""The architecture rules of docs/architecture.md, checked: a pure core, lazy heavy imports."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from .conftest import ROOT

PURE = ("cnncalc/core", "cnncalc/layers")
FORBIDDEN = {"click", "rich", "yaml", "numpy", "torch"}


def imported_modules(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted(
    str(p.relative_to(ROOT)) for folder in PURE for p in (ROOT / folder).rglob("*.py")))
def test_core_is_pure(path: str) -> None:
    assert not imported_modules(path) & FORBIDDEN, f"{path} imports {imported_modules(path)}"


def _modules_after(code: str) -> set[str]:
    script = code + "\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return set(out.stdout.split())


def test_summary_path_does_not_import_numpy() -> None:
    loaded = _modules_after(
        "import io, contextlib\nfrom cnncalc.cli import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert run(['summary', 'specs/googlenet.yaml', '--format', 'text']) == 0")
    assert "numpy" not in loaded
    assert "rich.table" not in loaded  # plain text when piped


def test_import_cnncalc_is_lazy() -> None:
    loaded = _modules_after("import cnncalc")
    assert not {"yaml", "click", "rich", "numpy", "cnncalc.api", "dataclasses"} & loaded
