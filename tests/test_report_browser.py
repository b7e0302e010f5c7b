"""cnncalc report in a real browser: headless Chromium driven by Playwright (tests/browser.py).

Each page is opened from file:// with every request other than the page itself recorded: the
page must work offline. Checked: no console errors, node and edge counts against the report,
click → row and row → node, collapse/expand, sorting and filtering, the diff colours, hostile
names shown as text, and a screenshot that is not blank.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cnncalc
from cnncalc.page.data import page_data
from cnncalc.page.html import render_page
from cnncalc.spec import bundled

from .browser import chromium_path, missing
from .test_report import HOSTILE_NAMES, hostile_page

VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        missing("Playwright is not installed")
    path = chromium_path()
    if path is None:
        missing("no Chromium on PATH")
    with sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(executable_path=path)
        except Error as exc:
            missing(f"Chromium at {path} does not start: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()


class Page:
    """A page of cnncalc report opened in the browser, with what it logged and requested."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport=VIEWPORT)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_function("document.documentElement.dataset.ready", timeout=60_000)

    def count(self, selector: str) -> int:
        return int(self.page.locator(selector).count())

    def js(self, code: str) -> Any:
        return self.page.evaluate(code)

    def close(self) -> None:
        assert self.errors == []
        assert self.requests == [self.url]  # nothing but the file itself: offline
        self.page.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[Path], Page]]:
    pages: list[Page] = []

    def opener(path: Path) -> Page:
        pages.append(Page(browser, path))
        return pages[-1]

    yield opener
    for page in pages:
        page.close()


def write_page(folder: Path, name: str) -> Path:
    network = cnncalc.load(name)
    path = folder / f"{name}.html"
    path.write_text(render_page(page_data(network.summary(), network.text)), encoding="utf-8")
    return path


def edges(name: str) -> int:
    return sum(len(r.inputs) for r in cnncalc.load(name).summary().layers)


VISIBLE = 200
"""page.js: groups open at first while the boxes shown stay under this many."""


@pytest.mark.parametrize("name", bundled.names())
def test_every_bundled_spec_draws_every_layer_and_edge(
        name: str, open_page: Callable[[Path], Page], tmp_path: Path) -> None:
    page = open_page(write_page(tmp_path, name))
    layers = len(cnncalc.load(name).summary().layers)
    if layers + 1 >= VISIBLE:  # DenseNet-121, EfficientNet-B0...: some groups start closed
        assert page.count("#graph .group") > 0
        assert page.count("#graph .node") + page.count("#graph .group") <= VISIBLE
        return
    assert page.count("#graph .node") == layers + 1  # every layer and the input
    assert page.count("#graph .edge") == edges(name)
    assert page.count("#graph .group") == 0


def test_googlenet_opens_with_all_142_layers_and_its_inception_modules(
        open_page: Callable[[Path], Page], tmp_path: Path) -> None:
    page = open_page(write_page(tmp_path, "googlenet"))
    assert page.count("#graph .node") == 143
    assert page.count("#graph .edge") == edges("googlenet") == 169
    assert page.count("#graph .frame") == 9  # every inception module drawn open
    # the branches of a concat are numbered in the spec's order, from left to right
    xs = page.js("""[...document.querySelectorAll('#graph .edge .slot')].slice(0, 4)
                    .map(t => [t.textContent, +t.getAttribute('x')])""")
    assert [label for label, _ in xs] == ["1", "2", "3", "4"]
    assert [x for _, x in xs] == sorted(x for _, x in xs)


def test_click_a_node_selects_its_row_and_a_row_selects_its_node(
        open_page: Callable[[Path], Page], tmp_path: Path) -> None:
    page = open_page(write_page(tmp_path, "googlenet"))
    report = cnncalc.load("googlenet").summary()
    index = 1 + [r.name for r in report.layers].index("inception_4a.conv3")
    page.page.locator("#fit").click()  # the whole graph in view, so the box can be clicked
    page.page.locator(f'#graph [data-node="{index}"]').click()
    assert page.js("document.querySelector('#table tr.selected').dataset.node") == str(index)
    assert page.page.locator("#details h2").text_content() == "inception_4a.conv3"
    details = page.page.locator("#details").text_content()
    assert "179,920 = 179,712 weights + 208 biases" in details
    assert "inception_4a.relu2 · 96×14×14" in details and "spec line 18" in details
    # a row far down the table: its node becomes selected (and is centred in the graph)
    page.page.locator("#filter").fill("classifier")
    page.page.locator("#table tbody tr[data-node]").first.click()
    assert page.js("document.querySelector('#graph .node.selected').dataset.node") == "142"
    assert page.page.locator("#details h2").text_content() == "classifier"


def test_collapse_and_expand_groups(open_page: Callable[[Path], Page], tmp_path: Path) -> None:
    page = open_page(write_page(tmp_path, "googlenet"))
    page.js("window.cnncalc.collapseAll()")
    assert page.count("#graph .group") == 9 and page.count("#graph .frame") == 0
    assert page.count("#graph .node") == 143 - 9 * 14
    page.page.locator('#graph [data-group="0"]').click()  # open one module
    assert page.count("#graph .group") == 8 and page.count("#graph .frame") == 1
    assert page.count("#graph .node") == 143 - 8 * 14
    page.page.locator('#graph .frame[data-group="0"] .frame-title').click()  # and close it
    assert page.count("#graph .group") == 9
    page.js("window.cnncalc.expandAll()")
    assert page.count("#graph .node") == 143 and page.count("#graph .edge") == 169


def test_sort_and_filter_the_table(open_page: Callable[[Path], Page], tmp_path: Path) -> None:
    page = open_page(write_page(tmp_path, "vgg16"))
    report = cnncalc.load("vgg16").summary()
    page.page.locator("#table th", has_text="Params").click()  # largest first
    first = page.js("document.querySelector('#table tbody tr[data-node]').cells[1].textContent")
    assert first == max(report.layers, key=lambda r: r.params).name == "fc6"
    page.page.locator("#filter").fill("relu")
    relus = sum(1 for r in report.layers if "relu" in r.name or "relu" in r.description)
    assert page.page.locator("#filter-count").text_content() == \
        f"{relus} of {len(report.layers)} layers"


def test_a_large_network_opens_with_groups_collapsed_and_a_row_opens_its_groups(
        open_page: Callable[[Path], Page], tmp_path: Path) -> None:
    blocks = "\n".join("  - res: {c: 8}" for _ in range(200))
    text = ("name: deep\ninput: [8, 8, 8]\nblocks:\n  res:\n    params: {c: 8}\n    layers:\n"
            "      - add:\n          - []\n          - [conv: {out: $c, kernel: 3, padding: 1}, "
            "relu, conv: {out: $c, kernel: 3, padding: 1}]\n      - relu\n"
            f"layers:\n{blocks}\n")
    report = cnncalc.load(text).summary()
    path = tmp_path / "deep.html"
    path.write_text(render_page(page_data(report, text)), encoding="utf-8")
    page = open_page(path)
    shown = page.count("#graph .node") + page.count("#graph .group")
    assert page.count("#graph .group") > 0 and shown <= 200
    page.page.locator("#filter").fill(report.layers[-1].name)
    page.page.locator("#table tbody tr[data-node]").first.click()
    assert page.js("document.querySelector('#graph .node.selected').dataset.node") == \
        str(len(report.layers))


def test_profiles_hover_and_click_select_a_layer(
        open_page: Callable[[Path], Page], tmp_path: Path) -> None:
    page = open_page(write_page(tmp_path, "alexnet"))
    canvas = page.page.locator('canvas[data-profile="macs"]')
    box = canvas.bounding_box()
    assert box is not None
    canvas.click(position={"x": 2, "y": box["height"] - 2})  # the first layer's bar
    assert page.page.locator("#details h2").text_content() == "conv1"
    assert page.js("document.querySelector('#table tr.selected').dataset.node") == "1"


def test_diff_page_colours_layers(open_page: Callable[[Path], Page], tmp_path: Path,
                                  cli: Callable[..., Any]) -> None:
    path = tmp_path / "diff.html"
    assert cli("report", "alexnet", "alexnet_torchvision", "-o", str(path)).code == 0
    page = open_page(path)
    counts = page.js("""(() => { const c = {};
        for (const s of ['added', 'removed', 'changed'])
          c[s] = document.querySelectorAll('#graph .node.' + s).length;
        return c; })()""")
    assert counts == {"added": 1, "removed": 2, "changed": 13}  # as `cnncalc diff` says
    # the removed layers are the table's last rows: scrolled there, they are drawn
    page.js("document.getElementById('table-box').scrollTop = 1e9")
    page.page.wait_for_function("document.querySelectorAll('#table tbody tr.removed').length")
    assert page.count("#table tbody tr.removed") == 2
    assert "13 changed · 1 added · 2 removed" in (page.page.locator("#diff").text_content() or "")


def test_hostile_names_are_shown_as_text(open_page: Callable[[Path], Page],
                                         tmp_path: Path) -> None:
    page = open_page(hostile_page(tmp_path))
    assert page.js("window.pwned") is None  # no injected script or handler ran
    assert page.count("#graph img") == 0 and page.count("img") == 0
    labels = page.js("[...document.querySelectorAll('#graph .node .name')].map(t => t.textContent)")
    assert "</script>" in labels and HOSTILE_NAMES["d.b"] in labels
    assert page.js("document.title").startswith("</script><script>window.pwned = 1</script>")


def test_screenshot_is_not_blank(open_page: Callable[[Path], Page], tmp_path: Path) -> None:
    import matplotlib.image

    page = open_page(write_page(tmp_path, "resnet18"))
    png = page.page.locator("#graph").screenshot()
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    colours = {tuple(p) for row in pixels[::4] for p in row[::4]}
    assert len(colours) > 20  # boxes, text and edges, not one flat background
    assert pixels.std() > 0.02
