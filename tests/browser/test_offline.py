"""The built slides and site in chromium with the network blocked: decks advance, formulas are typeset, every
slide fits a 1280×720 projector, solutions stay hidden until revealed.

Every request that is not a ``file://`` URL is aborted and recorded; the tests require that there was none,
that no script failed, and that MathJax typeset every formula (one rendered frame per ``math/tex`` script).
One deck: ``NLPCOURSE_BROWSER=1 pytest tests/browser/test_offline.py -k 05_mlp``.
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


FRAME = {"width": 1280, "height": 720}
SHAPE = "() => [...document.querySelectorAll('.reveal .slides > section')].map(t => " \
        "Math.max(1, t.querySelectorAll(':scope > section').length))"
# The slide on screen: its height with everything in it laid out, and the code/output boxes wider than it.
MEASURE = """() => {
  const cur = Reveal.getCurrentSlide();
  const wide = [...cur.querySelectorAll('.jp-OutputArea-output, .jp-InputArea-editor, table')]
      .filter(b => b.scrollWidth > b.clientWidth + 2).length;
  return {height: cur.scrollHeight, wide, text: (cur.innerText || '').trim().slice(0, 50)};
}"""


# Whether the k-th solution heading is on screen: inside the frame, and no ancestor transparent or hidden (reveal.js
# keeps other slides in the page at opacity 0, which Playwright's is_visible counts as visible).
SHOWN = """(k) => {
  const el = document.querySelectorAll('.nlpcourse-solution')[k];
  const r = el.getBoundingClientRect();
  if (r.bottom <= 0 || r.top >= innerHeight || r.right <= 0 || r.left >= innerWidth) return false;
  for (let e = el; e; e = e.parentElement) {
    const cs = getComputedStyle(e);
    if (cs.display === 'none' || cs.visibility === 'hidden' || parseFloat(cs.opacity) === 0) return false;
  }
  return true;
}"""


def overflowing(page: object, height: int = FRAME["height"]) -> tuple[int, list[str]]:
    """(slides in the deck, the slides taller than ``height`` or with a box wider than the slide), visiting each
    slide and sub-slide through reveal.js's API as a presenter would."""
    bad, total = [], 0
    for h, count in enumerate(page.evaluate(SHAPE)):
        for v in range(count):
            page.evaluate(f"() => Reveal.slide({h}, {v})")
            page.wait_for_timeout(50)
            m = page.evaluate(MEASURE)
            total += 1
            if m["height"] > height + 2 or m["wide"]:
                bad.append(f"slide {h}/{v} ({m['text']!r}): {m['height']} px tall, {m['wide']} boxes too wide")
    return total, bad


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=[p.stem for p in NOTEBOOKS])
def test_deck_fits_the_frame_and_hides_solutions(browser: object, decks: list[Path], index: int) -> None:
    context, blocked = offline_context(browser, viewport=FRAME)
    page = context.new_page()
    errors = PageErrors(page)
    try:
        page.goto(decks[index].as_uri())
        page.wait_for_selector(".reveal.ready", timeout=60_000)
        _typeset(page, expect_math=_has_math(NOTEBOOKS[index]))
        # the first slide is laid out on load (the stock template did it only after → then ←)
        first = page.evaluate(MEASURE)
        assert first["height"] <= FRAME["height"] + 2, f"the title slide does not fit: {first}"
        total, bad = overflowing(page)
        print(f"{decks[index].name}: {len(bad)} of {total} slides overflow 1280×720")
        assert not bad, "\n".join(bad)
        # each exercise: the slide with its stub shows no solution; ↓ reveals it
        solutions = page.locator(".nlpcourse-solution")
        has_exercise = any("solution" in c.metadata.get("tags", []) for c in
                           nbformat.read(NOTEBOOKS[index], as_version=4).cells)
        assert solutions.count() > 0 or not has_exercise, "an exercise's solution is not on a sub-slide of its own"
        for k in range(solutions.count()):
            where = page.evaluate("(k) => { const s = document.querySelectorAll('.nlpcourse-solution')[k]"
                                  ".closest('section'); return Reveal.getIndices(s); }", k)
            page.evaluate(f"() => Reveal.slide({where['h']}, {where['v'] - 1})")
            page.wait_for_timeout(50)
            assert not page.evaluate(SHOWN, k), f"solution {k} is visible with its exercise"
            # ↓ steps through the stub slide's fragments first (reveal.js's navigateDown), then to the solution
            arrived = "(w) => Reveal.getIndices().v === w.v && Reveal.getIndices().h === w.h"
            for _ in range(12):
                page.keyboard.press("ArrowDown")
                page.wait_for_timeout(50)
                if page.evaluate(arrived, where):
                    break
            page.wait_for_function(arrived, arg=where, timeout=10_000)
            page.wait_for_timeout(50)
            assert page.evaluate(SHOWN, k), f"↓ does not reveal solution {k}"
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
        # (an image widget, ui.FigureView; an Output in a notebook stored before the widgets showed images)
        page.wait_for_selector(".jupyter-widgets .widget-output img, .jupyter-widgets img.widget-image",
                               timeout=30_000)
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
