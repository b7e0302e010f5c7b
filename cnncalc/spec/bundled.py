"""The network specs shipped with cnncalc (the repository's ``specs/`` folder, installed as the
package data ``cnncalc.specs``), found by name: ``cnncalc summary vgg16``."""

from __future__ import annotations

from pathlib import Path


def specs_dir() -> Path | None:
    """The folder holding the bundled specs: ``cnncalc/specs`` in an installed package (the
    package data ``cnncalc.specs``), else ``specs/`` beside the package in a source checkout
    (an editable install included). Plain paths: ``importlib.resources.files`` returns a
    MultiplexedPath for this data-only folder, whose ``str`` is not a path."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "specs", package.parent / "specs"):
        if folder.is_dir() and any(folder.glob("*.yaml")):
            return folder
    return None


def names() -> list[str]:
    folder = specs_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder else []


def find(name: str) -> Path | None:
    """The bundled spec called ``name`` (with or without ``.yaml``), if there is one."""
    folder = specs_dir()
    if folder is None or "/" in name or "\\" in name:
        return None
    stem = name[:-5] if name.endswith(".yaml") else name
    path = folder / f"{stem}.yaml"
    return path if path.is_file() else None
