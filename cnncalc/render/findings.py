"""``cnncalc check`` output: text, JSON, GitHub workflow commands and SARIF 2.1.0.

Renderers take the finished :class:`CheckedFile` results and return a string; they decide
nothing (severities, ``--strict`` and exit codes are settled before they run). The JSON and SARIF
shapes are documented in docs/ci.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from cnncalc.checks.codes import CODES
from cnncalc.checks.expectations import CheckedFile
from cnncalc.model.errors import Diagnostic

JSON_SCHEMA_VERSION = 1


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def total_line(files: Sequence[CheckedFile]) -> str:
    """``7 files checked: no problems`` / ``2 files checked, 1 failed: 3 errors, 1 warning``."""
    errors = sum(f.errors for f in files)
    warnings = sum(f.warnings for f in files)
    failed = sum(1 for f in files if not f.ok)
    head = f"{_plural(len(files), 'file')} checked" + (f", {failed} failed" if failed else "")
    if not errors and not warnings:
        return f"{head}: no problems"
    return f"{head}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"


def render_text(files: Sequence[CheckedFile],
                excerpt: Callable[[Diagnostic], str] | None = None) -> str:
    """One line per finding, ``file:line:col: error|warning: [code] message``, then the total.
    ``excerpt`` (``--show-source``) formats a finding with its source line and a caret."""
    lines = []
    for f in files:
        for d in f.findings:
            if excerpt is not None:
                lines.append(excerpt(d))
                continue
            lines.append(d.headline())
            lines += [f"      note: {note}" for note in d.all_notes]
    lines.append(total_line(files))
    return "\n".join(lines) + "\n"


def finding_dict(d: Diagnostic) -> dict[str, Any]:
    return {"path": d.mark.path if d.mark else None,
            "line": d.mark.line if d.mark else None,
            "column": d.mark.column if d.mark else None,
            "severity": d.severity, "code": d.code, "message": d.message, "layer": d.layer,
            "notes": list(d.all_notes)}


def render_json(files: Sequence[CheckedFile], *, strict: bool, version: str) -> str:
    data = {
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": "cnncalc", "version": version},
        "ok": all(f.ok for f in files),
        "strict": strict,
        "files": [{
            "path": f.path,
            "name": f.name,
            "ok": f.ok,
            "errors": f.errors,
            "warnings": f.warnings,
            "totals": dict(f.totals) if f.totals is not None else None,
            "budgets": [b.to_dict() for b in f.budgets],
            "findings": [finding_dict(d) for d in f.findings],
        } for f in files],
        "totals": {
            "files": len(files),
            "failed": sum(1 for f in files if not f.ok),
            "errors": sum(f.errors for f in files),
            "warnings": sum(f.warnings for f in files),
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    """GitHub workflow-command escaping of a message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(files: Sequence[CheckedFile]) -> str:
    """``::error file=F,line=L,col=C,title=cnncalc [code]::message`` annotations (GitHub Actions
    shows them on the pull request's diff), then the total as a plain log line."""
    lines = []
    for f in files:
        for d in f.findings:
            level = "error" if d.severity == "error" else "warning"
            props = []
            if d.mark is not None:
                props += [f"file={_escape_property(d.mark.path)}", f"line={d.mark.line}",
                          f"col={d.mark.column}"]
            props.append(f"title={_escape_property(f'cnncalc [{d.code}]')}")
            text = "\n".join((d.message, *(f"note: {n}" for n in d.all_notes)))
            lines.append(f"::{level} {','.join(props)}::{_escape_data(text)}")
    lines.append(total_line(files))
    return "\n".join(lines) + "\n"


def render_sarif(files: Sequence[CheckedFile], *, version: str) -> str:
    """A SARIF 2.1.0 log (GitHub code scanning, IDEs): one run, every code as a rule."""
    rules = [{
        "id": c.code,
        "name": "".join(part.capitalize() for part in c.code.split("-")),
        "shortDescription": {"text": c.summary},
        "defaultConfiguration": {"level": c.severity},
        "properties": {"stage": c.stage},
    } for c in CODES.values()]
    index = {c: i for i, c in enumerate(CODES)}
    results = []
    for f in files:
        for d in f.findings:
            result: dict[str, Any] = {
                "ruleId": d.code,
                "level": "error" if d.severity == "error" else "warning",
                "message": {"text": d.message},
            }
            if d.code in index:
                result["ruleIndex"] = index[d.code]
            path = d.mark.path if d.mark else f.path
            location: dict[str, Any] = {"artifactLocation": {"uri": quote(path.replace("\\",
                                                                                       "/"))}}
            if d.mark is not None:
                location["region"] = {"startLine": d.mark.line, "startColumn": d.mark.column}
            result["locations"] = [{"physicalLocation": location}]
            if d.mark is not None and d.mark.uses:  # the block uses that led here
                result["relatedLocations"] = [{
                    "id": i,
                    "message": {"text": f"in use of block '{block}'"},
                    "physicalLocation": {
                        "artifactLocation": {"uri": quote(at.path.replace("\\", "/"))},
                        "region": {"startLine": at.line, "startColumn": at.column}},
                } for i, (block, at) in enumerate(d.mark.uses)]
            if d.layer:
                result["properties"] = {"layer": d.layer}
            results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "cnncalc", "version": version, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
