"""The architecture rules of docs/architecture.md, checked: a pure core, dependencies pointing one
way, numpy only for the kernels."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

from .conftest import ROOT

PURE = ("cnncalc/model", "cnncalc/quick", "cnncalc/layers", "cnncalc/analysis", "cnncalc/checks")
FORBIDDEN = {"click", "rich", "yaml", "numpy", "torch"}

# The parts of the package from the bottom up (docs/architecture.md). A module may import its own
# part and the parts below it, never one above: dependencies point one way. The parts on one
# line sit side by side and do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("model",),                        # primitives: arithmetic, shapes, attributes, graph, errors
    ("quick",),                        # the one-layer calculators, chains and inverse questions
    ("layers",),                       # one class per kind, and the registry of kinds
    ("analysis",),                     # walk, report, memory, roll-up, sweep
    ("checks",),                       # finding codes, lint, expectations and budgets, diff
    ("spec",),                         # YAML with line/column marks → graph
    ("importers",),                    # ONNX, Caffe, Keras, PyTorch models → the same graph
    ("api",),                          # load(), Network: the Python API
    ("render", "export", "kernels"),   # renderers, exporters, NumPy forward kernels
    ("page",),                         # the interactive HTML page (cnncalc report), from render
    ("cli",),                          # the click front end: the only place exit codes are decided
    ("__main__",),                     # python -m cnncalc
)
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


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


def runtime_cnncalc_imports(path: pathlib.Path) -> set[str]:
    """The cnncalc modules a file imports when it runs (``if TYPE_CHECKING:`` blocks aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and ast.unparse(node.test) == "TYPE_CHECKING" for n in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("cnncalc.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("cnncalc"):
            if node.module == "cnncalc":
                found |= {f"cnncalc.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
    return found


def part_of(module: str) -> str:
    return module.split(".")[1]


@pytest.mark.parametrize("path", sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "cnncalc").rglob("*.py")
    if p.parent != ROOT / "cnncalc" or p.name in ("api.py", "__main__.py")))
def test_dependencies_point_one_way(path: str) -> None:
    own = pathlib.Path(path).relative_to("cnncalc").parts[0].removesuffix(".py")
    wrong = sorted(module for module in runtime_cnncalc_imports(ROOT / path)
                   if part_of(module) in RANK and part_of(module) != own
                   and RANK[part_of(module)] >= RANK[own])
    assert not wrong, f"{path} ({own}) imports {wrong}, which are not below it"


def test_every_part_is_placed() -> None:
    parts = {p.name for p in (ROOT / "cnncalc").iterdir() if p.is_dir() and p.name != "__pycache__"}
    parts |= {p.stem for p in (ROOT / "cnncalc").glob("*.py") if p.stem not in ("__init__",)}
    assert parts - {"specs"} <= set(RANK), parts - set(RANK)


@pytest.mark.parametrize("folder", sorted(
    p.name for p in (ROOT / "cnncalc").iterdir() if p.is_dir() and p.name != "__pycache__"))
def test_no_folder_above_sixteen_modules(folder: str) -> None:
    assert len(list((ROOT / "cnncalc" / folder).glob("*.py"))) <= 16


def _modules_after(code: str) -> set[str]:
    script = code + "\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return set(out.stdout.split())


def test_summary_path_does_not_import_numpy() -> None:
    """numpy is imported only when a forward kernel runs (cnncalc validate)."""
    loaded = _modules_after(
        "import io, contextlib\nfrom cnncalc.cli import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert run(['summary', 'specs/googlenet.yaml', '--format', 'text']) == 0")
    assert "numpy" not in loaded


def test_import_cnncalc_loads_no_front_end() -> None:
    """The Python API needs neither click, rich nor numpy; its names load on first use."""
    loaded = _modules_after("import cnncalc\ncnncalc.load")
    assert "cnncalc.api" in loaded
    assert not {"click", "rich", "numpy"} & loaded


def test_quick_calculators_do_not_load_the_analysis_core() -> None:
    """`cnncalc conv` needs the quick calculators only (docs/performance.md, "Start-up")."""
    loaded = _modules_after(
        "import io, contextlib\nfrom cnncalc.cli import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert run(['conv', '224', '-k', '7', '-s', '2', '-p', '3']) == 0")
    assert "cnncalc.quick.calc" in loaded
    assert not {"cnncalc.api", "cnncalc.analysis.walk", "cnncalc.layers", "yaml", "rich",
                "numpy"} & loaded


def test_every_public_name_resolves() -> None:
    import importlib

    import cnncalc

    assert sorted(cnncalc.__all__) == sorted(cnncalc.EXPORTS)
    for name, module in cnncalc.EXPORTS.items():
        assert getattr(cnncalc, name) is getattr(importlib.import_module(module), name)
    assert set(cnncalc.__all__) <= set(dir(cnncalc))
