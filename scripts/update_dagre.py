"""Regenerate the layout library shipped with ``cnncalc report`` from the npm registry.

    python scripts/update_dagre.py            # the pinned version (PINNED below)
    python scripts/update_dagre.py 3.2.0      # another version: then update PINNED and test

It runs ``npm pack`` (the ordinary npm client; nothing is installed) for ``@dagrejs/dagre`` and for
the ``@dagrejs/graphlib`` its build bundles, checks each tarball against the registry's
``dist.integrity``, and writes into ``cnncalc/page/assets/``:

* ``dagre.min.js`` — the package's ``dist/dagre.min.js``, byte for byte (it bundles graphlib);
* ``LICENSE.dagre`` and ``LICENSE.graphlib`` — the two packages' licence files (MIT);
* ``dagre.json`` — the versions, the tarballs' integrity and the SHA-256 of ``dagre.min.js``,
  which tests/test_report.py checks against the shipped file.

Needs ``npm`` on PATH and access to the registry; cnncalc itself never needs either.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PINNED = "3.1.4"
ASSETS = Path(__file__).resolve().parents[1] / "cnncalc" / "page" / "assets"


def npm_pack(spec: str, folder: Path) -> tuple[Path, dict[str, str]]:
    """Download ``spec``'s tarball with ``npm pack``; its path and npm's record of it."""
    done = subprocess.run(["npm", "pack", spec, "--json", "--pack-destination", str(folder)],
                          capture_output=True, text=True, check=True, cwd=folder)
    info = json.loads(done.stdout)[0]
    registry = subprocess.run(["npm", "view", spec, "dist.integrity"], capture_output=True,
                              text=True, check=True).stdout.strip()
    if info["integrity"] != registry:
        sys.exit(f"{spec}: tarball integrity {info['integrity']} is not the registry's {registry}")
    return folder / info["filename"], info


def member(tarball: Path, name: str) -> bytes:
    with tarfile.open(tarball) as tar:
        handle = tar.extractfile(f"package/{name}")
        if handle is None:
            sys.exit(f"{tarball.name} has no {name}")
        return handle.read()


def main(version: str = PINNED) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dagre, dagre_info = npm_pack(f"@dagrejs/dagre@{version}", folder)
        manifest = json.loads(member(dagre, "package.json"))
        graphlib_version = manifest["dependencies"]["@dagrejs/graphlib"]
        graphlib, graphlib_info = npm_pack(f"@dagrejs/graphlib@{graphlib_version}", folder)
        code = member(dagre, "dist/dagre.min.js")
        (ASSETS / "dagre.min.js").write_bytes(code)
        (ASSETS / "LICENSE.dagre").write_bytes(member(dagre, "LICENSE"))
        (ASSETS / "LICENSE.graphlib").write_bytes(member(graphlib, "LICENSE"))
        record = {
            "package": "@dagrejs/dagre", "version": manifest["version"],
            "license": manifest["license"], "integrity": dagre_info["integrity"],
            "file": "dist/dagre.min.js", "sha256": hashlib.sha256(code).hexdigest(),
            "bundles": {"package": "@dagrejs/graphlib", "version": graphlib_version,
                        "license": json.loads(member(graphlib, "package.json"))["license"],
                        "integrity": graphlib_info["integrity"]},
        }
        (ASSETS / "dagre.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {ASSETS}/dagre.min.js ({len(code):,} bytes), @dagrejs/dagre {version} "
          f"with @dagrejs/graphlib {graphlib_version}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
