"""``make slides``: every notebook as a reveal.js deck that works with no network.

The cells' ``slideshow.slide_type`` metadata (CONTRIBUTING.md, item 7) makes the deck: each ``#``/``##``
section a slide, ``###`` and long code a sub-slide (↓), ``fragment`` revealed step by step, ``skip`` left out.
Decks are the instructor's version (solutions included) with their stored outputs and widget states; reveal.js,
MathJax and the widget renderer are copied from npm packages into ``build/slides/_static/`` (see ``offline``).

    python -m coursetools.slides [--out build/slides] [notebooks/NN_x.ipynb ...]

Open ``build/slides/index.html`` (or a deck) in a browser: → / space advance, ↓ sub-slides, ``s`` speaker
notes, ``?`` the keys. Tall slides scroll.
"""

from __future__ import annotations

import argparse
import html
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

from coursetools import offline
from nlpcourse import validate

__all__ = ["notebooks", "deck_name", "exporter", "build_slides", "cli", "main"]

ROOT = Path(__file__).resolve().parents[1]


def notebooks(folder: Path = ROOT / "notebooks") -> list[Path]:
    """The course's notebooks ``NN_*.ipynb`` in ``folder``, in course order (whatever exist today)."""
    found = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    return validate.non_empty(found, "notebooks", what=f"notebooks NN_*.ipynb in {folder}")


def deck_name(notebook: Path) -> str:
    """``notebooks/00_linear_maps.ipynb`` -> ``00_linear_maps.slides.html``."""
    return Path(notebook).stem + ".slides.html"


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
        body, _ = export.from_notebook_node(nbformat.read(path, as_version=4))
        deck = out / deck_name(path)
        deck.write_text(body, encoding="utf-8")
        decks.append(deck)
        print(f"slides: {path.name} -> {deck}")
    index = out / "index.html"
    items = "\n".join(f'<li><a href="{d.name}">{html.escape(d.name.removesuffix(".slides.html"))}</a></li>'
                      for d in decks)
    index.write_text(f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>nlpcourse slides"
                     f"</title></head>\n<body><h1>nlpcourse slides</h1>\n<ul>\n{items}\n</ul>\n"
                     "<p>→ / space: next, ↓: sub-slide, s: speaker view, ?: keys.</p></body></html>\n",
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
