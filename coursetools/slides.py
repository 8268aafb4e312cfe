"""``make slides``: every notebook as a reveal.js deck for a 1280×720 projector that works with no network.

The cells' ``slideshow.slide_type`` metadata (CONTRIBUTING.md, item 7) makes the deck: each ``#``/``##``
section a slide, ``###`` a sub-slide (↓), ``fragment`` revealed step by step, ``notes`` a speaker note (``s``),
``skip`` left out. On top of that, ``deck_notebook`` makes each slide fit the frame by construction:

- a slide whose cells would not fit 1280×720 (heights estimated from the source's lines, the outputs' lines
  and the images' pixel sizes, ``estimate``) continues on a sub-slide (↓) before the cell that would overflow
  (with the short text introducing that cell); images are capped in height (and shrink further, in the
  browser, on a slide that is still too tall), a single code or output box taller than the frame scrolls inside
  the slide, wide output is set in a smaller font to the slide's width (the template);
- each exercise's ``solution`` cell starts a sub-slide of its own, "Solution", after the stub's slide: pose
  the exercise, then ↓ (or space) reveals the answer, and → its check's verdict (a fragment);
- lint comments (``# noqa``) are stripped; widget output, which a static page cannot run, carries a
  "live in JupyterLab" badge.

Decks are the instructor's version (solutions included) with their stored outputs and widget states; reveal.js,
MathJax and the widget renderer are copied from npm packages into ``build/slides/_static/`` (see ``offline``).

    python -m coursetools.slides [--out build/slides] [notebooks/NN_x.ipynb ...]

Open ``build/slides/index.html`` (or a deck) in a browser: → / space advance, ↓ sub-slides, ``s`` speaker
notes, ``?`` the keys.
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import math
import struct
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

from coursetools import offline
from coursetools.student import CHECK, SOLUTION, strip_lint, tags
from nlpcourse import validate

__all__ = ["notebooks", "deck_name", "estimate", "deck_notebook", "live_badge", "exporter", "build_slides", "cli",
           "main"]

WIDTH, HEIGHT = 1280, 720  # the frame every slide must fit (a projector's 720p)
BUDGET = 650  # px of content a slide holds: the frame less reveal's margins and the slide number
WIDGET_IMAGE_MAX = 400  # a widget's figure (an ipywidgets Image) is capped lower: controls and badge share the slide
IMAGE_MAX, BOX_MAX = 500, 500  # the template caps an image's height, and scrolls a code/output box, at these
LIVE = "nlpcourse-live"
WIDGET = "application/vnd.jupyter.widget-view+json"

ROOT = Path(__file__).resolve().parents[1]


def notebooks(folder: Path = ROOT / "notebooks") -> list[Path]:
    """The course's notebooks ``NN_*.ipynb`` in ``folder``, in course order (whatever exist today)."""
    found = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    return validate.non_empty(found, "notebooks", what=f"notebooks NN_*.ipynb in {folder}")


def deck_name(notebook: Path) -> str:
    """``notebooks/00_linear_maps.ipynb`` -> ``00_linear_maps.slides.html``."""
    return Path(notebook).stem + ".slides.html"


# --- fitting 1280×720 by construction ------------------------------------------------------------------------

TEXT_LINE, CODE_LINE, OUT_LINE = 29, 21, 20  # px per line at the template's font sizes (19 px text, 15 px code)
TEXT_CHARS, CODE_CHARS = 105, 130  # characters per line before a paragraph wraps / a code line scrolls sideways
HEADINGS = {1: 75, 2: 62, 3: 52, 4: 42}


def _png_size(data: str) -> tuple[int, int]:
    """(width, height) in pixels of a base64 PNG (from its IHDR chunk)."""
    head = base64.b64decode(data[:64])
    return struct.unpack(">II", head[16:24])


def _markdown_height(source: str) -> int:
    height, paragraph = 0, 0

    def flush() -> int:
        return math.ceil(paragraph / TEXT_CHARS) * TEXT_LINE + 12 if paragraph else 0

    in_math = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("$$") and not (in_math or stripped.endswith("$$") and len(stripped) > 2):
            height, paragraph, in_math = height + flush(), 0, True
            continue
        if in_math:
            in_math = not stripped.endswith("$$")
            height += 0 if in_math else 70
            continue
        level = len(stripped) - len(stripped.lstrip("#"))
        if level and stripped[level:level + 1] == " ":
            height, paragraph = height + flush() + HEADINGS.get(level, 40), 0
        elif stripped.startswith("|"):
            height, paragraph = height + flush() + (0 if set(stripped) <= set("|-: ") else 34), 0
        elif stripped.startswith(("* ", "- ", "1. ", "2. ", "3. ", "4. ", "5. ")):
            height, paragraph = height + flush(), len(stripped)
        elif stripped.startswith("$$"):
            height, paragraph = height + flush() + 70, 0
        elif not stripped:
            height, paragraph = height + flush(), 0
        else:
            paragraph += len(stripped) + 1
    return height + flush()


def _output_height(out: dict) -> int:
    kind = out.get("output_type")
    if kind == "stream":
        text = out.get("text", "")
        return min(len(text.rstrip("\n").splitlines()) * OUT_LINE, BOX_MAX) + 12
    if kind == "error":
        return min(len(out.get("traceback", [])) * OUT_LINE * 3, BOX_MAX) + 12
    data = out.get("data", {})
    if WIDGET in data:
        return 470  # controls, badge and the figure they redraw (an image ≤ WIDGET_IMAGE_MAX)
    if "image/png" in data:
        width, height = _png_size(data["image/png"])
        meta = out.get("metadata", {}).get("image/png", {})
        width, height = meta.get("width", width), meta.get("height", height)
        scale = min(1.0, (WIDTH - 80) / width)
        return min(int(height * scale), IMAGE_MAX) + 12
    if "text/html" in data:
        rows = data["text/html"].count("<tr")
        if rows:
            return rows * 30 + 20
    for key in ("text/markdown", "text/latex"):
        if key in data:
            return _markdown_height(data[key])
    if "text/plain" in data:
        return min(len(data["text/plain"].splitlines()) * OUT_LINE, BOX_MAX) + 12
    return 0


def estimate(cell: dict) -> int:
    """The height in px a cell takes on a 1280-wide slide at the deck's font sizes (a generous estimate).

    Markdown: headings, paragraphs wrapped at ~105 characters, display formulas, table rows; code: its lines
    (a box taller than the frame scrolls inside the slide); outputs: their lines, images at their size
    (capped), tables by rows, a widget as its controls and figure.
    """
    if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") in ("skip", "notes"):
        return 0
    if cell["cell_type"] == "markdown":
        return _markdown_height(cell["source"])
    if cell["cell_type"] != "code":
        return 0
    lines = cell["source"].rstrip("\n").splitlines()
    height = (min(len(lines) * CODE_LINE, BOX_MAX) + 26) if lines else 0
    return height + sum(_output_height(out) for out in cell.get("outputs", []))


def _slide_type(cell: dict) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def _set_slide_type(cell: dict, kind: str) -> None:
    cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = kind


def live_badge() -> dict:
    """The output put before a widget's stored view: it does not run on a static page; JupyterLab runs it."""
    return nbformat.v4.new_output("display_data", data={
        "text/html": f'<div class="{LIVE}">▶ live in JupyterLab: here the controls show their saved state; '
                     "run the notebook to move them</div>",
        "text/plain": "(live in JupyterLab)"})


def add_live_badges(nb: nbformat.NotebookNode) -> None:
    """Put ``live_badge`` before the first widget view of every cell that shows one (in place)."""
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        first = next((i for i, out in enumerate(outputs) if WIDGET in out.get("data", {})), None)
        if first is not None and not any(LIVE in str(out.get("data", {}).get("text/html", "")) for out in outputs):
            outputs.insert(first, live_badge())


def deck_notebook(nb: nbformat.NotebookNode, budget: int = BUDGET) -> nbformat.NotebookNode:
    """A copy of ``nb`` laid out to fit the frame (module docstring): lint comments stripped, solutions on a
    sub-slide of their own, widgets badged, and a sub-slide break wherever the estimated height would pass
    ``budget``."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_lint(cell.source)
        if CHECK in tags(cell) and _slide_type(cell) == "-":
            _set_slide_type(cell, "fragment")  # the verdict steps in after the solution (→)
        if SOLUTION in tags(cell):
            if _slide_type(cell) not in ("slide", "subslide"):
                _set_slide_type(cell, "-")
            heading = nbformat.v4.new_markdown_cell('#### <span class="nlpcourse-solution">Solution</span>',
                                                    metadata={"slideshow": {"slide_type": "subslide"}})
            cells.append(heading)
        cells.append(cell)
    nb.cells = cells
    add_live_badges(nb)
    used = 0
    for k, cell in enumerate(nb.cells):
        kind, height = _slide_type(cell), estimate(cell)
        if kind in ("skip", "notes"):  # not on the slide: never starts one (a note stays with the slide it follows)
            continue
        if kind in ("slide", "subslide") or k == 0:
            used = height
            continue
        if used + height > budget and used > 0:
            previous = nb.cells[max((j for j in range(k) if _slide_type(nb.cells[j]) != "notes"), default=k - 1)]
            intro = (previous.cell_type == "markdown" and _slide_type(previous) in ("-", "fragment")
                     and estimate(previous) < 150 and cell.cell_type == "code" and used - estimate(previous) > 0
                     and estimate(previous) + height <= budget)  # the intro and its code fit one slide together
            if intro:
                _set_slide_type(previous, "subslide")
                used = estimate(previous) + height
            else:
                _set_slide_type(cell, "subslide")
                used = height
            continue
        used += height
    return nb


def exporter() -> SlidesExporter:
    """nbconvert's SlidesExporter set up for offline decks (assets under ``_static/``, tall slides scroll)."""
    config = offline.exporter_config(template="reveal")
    config.SlidesExporter.reveal_theme = "white"  # its font ships with reveal.js (other themes load web fonts)
    config.SlidesExporter.reveal_scroll = True
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.reveal_transition = "none"  # instant: a lecture steps through many fragments
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    return SlidesExporter(config=config)


def build_slides(paths: list[Path], out: Path) -> list[Path]:
    """Write one deck per notebook in ``paths`` into ``out`` (plus ``index.html``); returns the decks.

    Raises ValueError if a deck would still load anything from the network.
    """
    paths = [Path(p) for p in validate.non_empty(list(paths), "paths", what="notebooks")]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    offline.vendor(out)
    export = exporter()
    decks = []
    for path in paths:
        body, _ = export.from_notebook_node(deck_notebook(nbformat.read(path, as_version=4)),
                                            resources={"nlpcourse_image_max": IMAGE_MAX, "nlpcourse_box_max": BOX_MAX,
                                                       "nlpcourse_widget_image_max": WIDGET_IMAGE_MAX,
                                                       "nlpcourse_width": WIDTH, "nlpcourse_height": HEIGHT})
        deck = out / deck_name(path)
        deck.write_text(body, encoding="utf-8")
        decks.append(deck)
        print(f"slides: {path.name} -> {deck}")
    index = out / "index.html"
    items = "\n".join(f'<li><a href="{d.name}">{html.escape(d.name.removesuffix(".slides.html"))}</a></li>'
                      for d in decks)
    index.write_text(f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>nlpcourse slides"
                     f"</title></head>\n<body><h1>nlpcourse slides</h1>\n<ul>\n{items}\n</ul>\n"
                     "<p>→: next slide, ↓: next sub-slide (an exercise's solution is the sub-slide after it), "
                     "space: everything in order, s: speaker view with the notes, ?: keys.</p></body></html>\n",
                     encoding="utf-8")
    offline.check_offline(out)
    return decks


def cli(argv: list[str] | None, doc: str, build: Callable[[list[Path], Path], list[Path]], out: Path,
        what: str) -> None:
    """The command line of ``slides`` and ``site``: ``[notebooks ...] [--out DIR]``, then ``build(paths, out)``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--out", type=Path, default=out)
    args = parser.parse_args(argv)
    built = build(args.notebooks or notebooks(), args.out)
    print(f"{len(built)} {what} in {args.out}/ (open index.html; no network needed)")


def main(argv: list[str] | None = None) -> None:
    cli(argv, __doc__, build_slides, ROOT / "build" / "slides", "decks")


if __name__ == "__main__":
    main()
