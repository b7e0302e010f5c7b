"""The interactive HTML page of ``cnncalc report``: one self-contained file per network.

* :mod:`cnncalc.page.data` — a finished Report (and, for ``report OLD NEW``, the diff) → the
  page's data, every number formatted by the same renderers as the terminal's;
* :mod:`cnncalc.page.html` — that data and the assets (package data in ``assets/``: the page's
  template, stylesheet and script, and the pinned dagre layout library with its licence) → one
  HTML file that works offline from ``file://``.

It sits above :mod:`cnncalc.render` (whose columns, footers and palette it reuses) and below the
command line.
"""
