"""The page's data and its assets as one self-contained HTML file (``cnncalc report``).

The file needs no server and no network: the stylesheet, the layout library (dagre, shipped as
package data in ``assets/`` with its licence, see ``assets/dagre.json``), the page's own script
and the data are all inside it. A Content-Security-Policy with the hashes of exactly those
scripts and that stylesheet forbids everything else, including any request.

Nothing from a spec ever becomes markup: the data is JSON inside a
``<script type="application/json">`` element, with ``<``, ``>`` and ``&`` written as JSON's
``\\u003c`` escapes (so a layer named ``</script>`` cannot close the element), and the script
puts every text into the page with ``textContent``. The title, the only text written into the
HTML by Python, is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from importlib import resources
from typing import Any

ASSETS = ("page.html", "page.css", "page.js", "dagre.min.js", "dagre.json", "LICENSE.dagre",
          "LICENSE.graphlib")

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                 "\u2029": "\\u2029"}


def asset(name: str) -> str:
    """The text of one of the page's assets (package data)."""
    return (resources.files("cnncalc.page") / "assets" / name).read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&``
    (written as ``\\u003c`` ...), so no text in it can end the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text)


def inline_script(text: str) -> str:
    """An asset's code, checked to be safe inside a ``<script>`` element (the shipped assets
    are; a library update that is not is refused instead of breaking the page)."""
    text = _SOURCE_MAP.sub("", text)  # the page never loads a source map
    lowered = text.lower()
    for bad in ("</script", "<!--", "<script"):
        if bad in lowered:
            raise ValueError(f"an asset contains {bad!r} and cannot be inlined in a <script>")
    return text


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def render_page(data: dict[str, Any]) -> str:
    """The whole HTML file for the page data of :func:`cnncalc.page.data.page_data`."""
    style = asset("page.css")
    dagre = inline_script(asset("dagre.min.js"))
    script = inline_script(asset("page.js"))
    csp = (f"default-src 'none'; script-src {_hash(dagre)} {_hash(script)}; "
           f"style-src {_hash(style)}; img-src data:; base-uri 'none'; form-action 'none'")
    title = str(data.get("title", ""))
    if data.get("diff"):
        title = f"{data['diff']['old']} → {data['diff']['new']}"
    values = {
        "csp": csp,
        "version": html.escape(str(data.get("cnncalc", ""))),
        "title": html.escape(f"{title} · cnncalc report"),
        "heading": html.escape(title),
        "style": style,
        "data": script_json(data),
        "dagre": dagre,
        "script": script,
    }
    # One pass: a value is never scanned for placeholders, whatever it contains.
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], asset("page.html"))


__all__ = ["ASSETS", "asset", "inline_script", "render_page", "script_json"]
