"""The built slides and site in chromium with the network blocked: decks advance, formulas are typeset.

Every request that is not a ``file://`` URL is aborted and recorded; the tests require that there was none,
that no script failed, and that MathJax typeset every formula (one rendered frame per ``math/tex`` script).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from browserkit import ROOT, PageErrors, offline_context

from coursetools import site, slides

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# MathJax 2 turns each formula into a <script type="math/tex"> and puts its rendering, id "<script id>-Frame",
# in front of it: a formula is typeset when its frame exists.
TYPESET = """() => {
    const scripts = [...document.querySelectorAll('script[type^="math/tex"]')];
    const untypeset = scripts.filter(s => !document.getElementById(s.id + '-Frame')).length;
    const errors = document.querySelectorAll('.MathJax_Error, .MathJax_CHTML merror').length;
    const idle = !!(window.MathJax && MathJax.isReady && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running);
    return {formulas: scripts.length, untypeset, errors, idle};
}"""


def _has_math(path: Path) -> bool:
    """Whether the notebook's markdown has a formula ($...$, $$...$$, \\(...\\) or \\[...\\])."""
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return bool(re.search(r"\$[^$\n]+\$|\\\(|\\\[", text))


def _typeset(page: object, expect_math: bool = True) -> dict:
    """Wait until MathJax is idle with every formula on the page typeset (at least one if ``expect_math``)."""
    page.wait_for_function(f"(() => {{ const t = ({TYPESET})(); return t.idle && t.untypeset === 0 "
                           f"&& (t.formulas > 0 || {str(not expect_math).lower()}); }})", timeout=60_000, polling=250)
    return page.evaluate(TYPESET)


@pytest.fixture(scope="module")
def decks(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return slides.build_slides(NOTEBOOKS, tmp_path_factory.mktemp("slides"))


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=[p.stem for p in NOTEBOOKS])
def test_deck_offline(browser: object, decks: list[Path], index: int) -> None:
    context, blocked = offline_context(browser, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors = PageErrors(page)
    try:
        page.goto(decks[index].as_uri())
        page.wait_for_selector(".reveal.ready", timeout=60_000)
        where = page.evaluate("() => location.hash")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("(h) => location.hash !== h", arg=where, timeout=10_000)
        page.keyboard.press("ArrowRight")
        assert page.evaluate("() => location.hash") not in (where, "#/"), "the deck does not advance"
        math = _typeset(page, expect_math=_has_math(NOTEBOOKS[index]))
        assert math["errors"] == 0 and math["untypeset"] == 0, math
        assert math["formulas"] > 0 or not _has_math(NOTEBOOKS[index]), math
        assert page.locator(".reveal .slides > section").count() > 1
        assert "Error displaying widget" not in page.locator("body").inner_text()
        assert blocked == [], f"the deck tried the network: {blocked}"
        assert not errors.errors, errors.errors
    finally:
        context.close()


def test_site_offline(browser: object, tmp_path: Path) -> None:
    site.build_site(NOTEBOOKS, tmp_path)
    context, blocked = offline_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = PageErrors(page)
    try:
        page.goto((tmp_path / "index.html").as_uri())
        page.locator(f'a[href="{NOTEBOOKS[0].stem}.html"]').first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"{NOTEBOOKS[0].stem}.html")
        math = _typeset(page)
        assert math["errors"] == 0 and math["untypeset"] == 0 and math["formulas"] > 0, math
        # the widgets come back from their saved state, with the figure they showed
        page.wait_for_selector(".jupyter-widgets .widget-output img", timeout=30_000)
        assert "Error displaying widget" not in page.locator("body").inner_text()
        if len(NOTEBOOKS) > 1:  # the bar's "next" link
            page.locator(f'a[href="{NOTEBOOKS[1].stem}.html"]').first.click()
            page.wait_for_load_state("load")
            assert page.url.endswith(f"{NOTEBOOKS[1].stem}.html")
        page.goto((tmp_path / "NOTATION.html").as_uri())
        assert _typeset(page)["errors"] == 0
        assert blocked == [], f"the site tried the network: {blocked}"
        assert not errors.errors, errors.errors
    finally:
        context.close()
