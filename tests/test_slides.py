"""course.offline + course.slides: offline assets, the exporter set-up, and real decks built from the notebooks.

Building needs npm (``npm ci`` of coursetools/assets/package-lock.json into build/npm on the first build, kept
there); without npm and without that install the build tests are skipped. The browser test
(tests/browser/test_offline.py) opens a deck with the network blocked.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from coursetools import offline, slides

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CACHE = ROOT / "build" / "npm"
needs_npm = pytest.mark.skipif(shutil.which("npm") is None and not CACHE.exists(),
                               reason="npm (or its install in build/npm) needed to build")


@pytest.mark.parametrize("html", [
    '<script src="https://cdn.jsdelivr.net/npm/x.js"></script>',
    '<link rel="stylesheet" href="http://example.org/a.css">',
    "<img src='//cdn.example.org/a.png'>",
    "<style>body { background: url( 'https://x.org/a.png') }</style>",
    '<style>@import "https://fonts.googleapis.com/css?family=Lato";</style>',
    "<script type=module>import mermaid from 'https://cdn.example.org/mermaid.mjs'</script>",
    '<script>const m = await import("https://cdn.example.org/m.mjs")</script>',
])
def test_external_assets_finds_every_network_load(html: str) -> None:
    assert len(offline.external_assets(html)) == 1


def test_external_assets_ignores_links_and_local_assets() -> None:
    html = ('<a href="https://mybinder.org">Binder</a> <a class="x" href="https://x.org">x</a>'
            '<script src="_static/requirejs/require.js"></script><link href="_static/reveal.js/dist/reveal.css">'
            '<img src="data:image/png;base64,AAAA"> see https://example.org in the text')
    assert offline.external_assets(html) == []
    with pytest.raises(TypeError, match="html"):
        offline.external_assets(None)


def test_check_offline_names_the_page(tmp_path: Path) -> None:
    (tmp_path / "good.html").write_text('<script src="_static/a.js"></script>')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.css").write_text("@import url(https://fonts.example.org/f.css);")
    with pytest.raises(ValueError, match="bad.css"):
        offline.check_offline(tmp_path)
    (tmp_path / "sub" / "bad.css").unlink()
    assert [p.name for p in offline.check_offline(tmp_path)] == ["good.html"]


def test_exporter_config_is_relative_and_checked() -> None:
    for template in ("lab", "reveal"):
        config = offline.exporter_config("_static", template=template)
        urls = [config.HTMLExporter[k] for k in ("mathjax_url", "require_js_url", "jquery_url", "widget_renderer_url")]
        assert all(u.startswith("_static/") for u in urls), urls
        assert config.HTMLExporter.mermaid_js_url == ""
        assert config.SlidesExporter.template_name == f"nlpcourse_{template}"
    with pytest.raises(ValueError, match="template"):
        offline.exporter_config(template="classic")


def test_packages_are_pinned_by_the_lockfile() -> None:
    manifest = json.loads((offline.ASSETS / "package.json").read_text())
    lock = json.loads((offline.ASSETS / "package-lock.json").read_text())
    assert {p.name for p in offline.PACKAGES} == set(manifest["dependencies"])
    for package in offline.PACKAGES:
        version = manifest["dependencies"][package.name]
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{package.name}: pin an exact version, not {version}"
        locked = lock["packages"][f"node_modules/{package.name}"]
        assert locked["version"] == version and locked["integrity"].startswith("sha512-"), package
        assert package.files
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"], "package-lock.json is stale"
    assert all(entry.get("integrity") for key, entry in lock["packages"].items() if key), "a package without sha512"
    assert offline.PACKAGES[-1].folder == "html-manager"  # the npm scope is dropped


def test_wanted_matches_files_folders_and_globs() -> None:
    files = ("MathJax.js", "jax/input/TeX", "dist/*.woff2")
    assert offline._wanted("MathJax.js", files)
    assert offline._wanted("jax/input/TeX/config.js", files)
    assert offline._wanted("dist/abc.woff2", files)
    assert not offline._wanted("jax/input/TeXtra.js", files)
    assert not offline._wanted("dist/abc.woff", files)


def test_install_says_when_npm_is_missing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="npm not found"):
        offline.install(tmp_path / "npm")


def _cells(*specs: tuple[str, str, str, list[str]]) -> nbformat.NotebookNode:
    """A notebook of (cell_type, source, slide_type, tags)."""
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    return nbformat.v4.new_notebook(cells=[make[t](s, metadata={"slideshow": {"slide_type": k}, "tags": tg})
                                           for t, s, k, tg in specs])


def test_deck_notebook_poses_exercises_live_and_strips_lint() -> None:
    nb = _cells(("markdown", "# Title", "slide", []), ("markdown", "### ✏️ Exercise", "subslide", []),
                ("code", "a = ...", "-", ["exercise"]), ("code", "a = 1  # noqa: F811 (replaces the stub)", "-",
                                                          ["solution"]),
                ("code", "check(a)", "-", ["check"]))
    deck = slides.deck_notebook(nb)
    kinds = [(c.cell_type, c.metadata.slideshow.slide_type) for c in deck.cells]
    assert kinds == [("markdown", "slide"), ("markdown", "subslide"), ("code", "-"), ("markdown", "subslide"),
                     ("code", "-"), ("code", "fragment")]
    assert "nlpcourse-solution" in deck.cells[3].source and deck.cells[4].source == "a = 1"
    assert nb.cells[3].source.endswith("(replaces the stub)"), "the notebook itself is not changed"


def test_deck_notebook_breaks_a_long_slide_into_sub_slides() -> None:
    long = "\n".join(f"x{i} = {i}" for i in range(12))  # 12 code lines: ~280 px
    nb = _cells(("markdown", "## Section", "slide", []), *[("code", long, "-", [])] * 5,
                ("markdown", "The next one:", "-", []), ("code", long, "-", []))
    deck = slides.deck_notebook(nb)
    starts = [k for k, c in enumerate(deck.cells) if c.metadata.slideshow.slide_type in ("slide", "subslide")]
    assert starts == [0, 3, 5], "a sub-slide starts wherever the next cell would pass the budget, with its intro"
    for a, b in zip(starts, [*starts[1:], len(deck.cells)], strict=True):
        assert sum(slides.estimate(c) for c in deck.cells[a:b]) <= slides.BUDGET


def test_estimate_reads_image_sizes_and_caps_them() -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (600).to_bytes(4, "big")
                           + (2000).to_bytes(4, "big") + b"\x08\x06\x00\x00\x00").decode()
    cell = nbformat.v4.new_code_cell("draw()", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": png, "text/plain": "<Figure>"})])
    assert slides.estimate(cell) == 26 + 21 + slides.IMAGE_MAX + 12


def test_widget_output_gets_a_live_badge() -> None:
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "m", "version_major": 2, "version_minor": 0},
            "text/plain": "VBox()"}
    nb = _cells(("code", "explorer()", "-", []))
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data=view)]
    slides.add_live_badges(nb)
    slides.add_live_badges(nb)  # once
    assert len(nb.cells[0].outputs) == 2 and "live in JupyterLab" in nb.cells[0].outputs[0].data["text/html"]


def test_notes_cells_become_speaker_notes() -> None:
    nb = _cells(("markdown", "# Title", "slide", []), ("markdown", "Say: the gradient flows back.", "notes", []),
                ("code", "x = 1", "-", []))
    body, _ = slides.exporter().from_notebook_node(slides.deck_notebook(nb))
    assert re.search(r'<aside class="notes">.*Say: the gradient flows back\..*?</aside>', body, re.S)


def test_notes_take_no_room_on_the_slide() -> None:
    """A speaker note is not on the slide (reveal.js hides ``aside.notes``): it adds no height and starts no
    sub-slide, however long, and it stays on the slide it follows."""
    long_note = "\n\n".join(["Ask the room which way the gradient flows before you run the cell."] * 40)
    code = "\n".join(f"x{i} = {i}" for i in range(12))  # ~280 px
    nb = _cells(("markdown", "## Section", "slide", []), ("code", code, "-", []), ("markdown", long_note, "notes", []),
                ("code", code, "-", []))
    assert slides.estimate(nb.cells[2]) == 0
    deck = slides.deck_notebook(nb)
    assert [c.metadata.slideshow.slide_type for c in deck.cells] == ["slide", "-", "notes", "-"]
    body, _ = slides.exporter().from_notebook_node(deck)
    sections = re.findall(r"<section.*?</section>", body, re.S)
    assert len(sections) == 1 and sections[0].count('<aside class="notes">') == 1
    nb = _cells(("markdown", "## Section", "slide", []), ("code", code, "-", []),
                ("markdown", "Say this.", "notes", []), ("markdown", "The next one:", "-", []),
                ("markdown", "And say that.", "notes", []),
                ("code", code, "-", []))
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="line\n" * 40)]  # taller than the budget alone
    assert slides.estimate(nb.cells[0]) + slides.estimate(nb.cells[1]) > slides.BUDGET
    kinds = [c.metadata.slideshow.slide_type for c in slides.deck_notebook(nb).cells]
    assert kinds == ["slide", "subslide", "notes", "subslide", "notes", "-"], "a note starts no slide, parts no intro"


def test_notebooks_and_deck_names(tmp_path: Path) -> None:
    assert slides.notebooks() == NOTEBOOKS
    assert slides.deck_name(Path("notebooks/00_linear_maps.ipynb")) == "00_linear_maps.slides.html"
    with pytest.raises(ValueError, match="notebooks"):
        slides.notebooks(tmp_path)


def _local_assets(html: str) -> set[str]:
    """Every local file a page loads: src/href attributes of non-<a> tags and the decks' require([...]) list."""
    found = set(re.findall(r'<(?!a[\s>])[a-z]+[^>]*?\s(?:src|href)="(?!https?:|data:|#)([^"?#]+)', html))
    found |= set(re.findall(r'"(_static/[^"?]+\.js)"', html))
    return found


@needs_npm
def test_build_slides(tmp_path: Path) -> None:
    decks = slides.build_slides(NOTEBOOKS[:2], tmp_path)
    assert [d.name for d in decks] == [slides.deck_name(p) for p in NOTEBOOKS[:2]]
    for deck, path in zip(decks, NOTEBOOKS[:2], strict=True):
        html = deck.read_text(encoding="utf-8")
        assert offline.external_assets(html) == []
        assets = _local_assets(html)
        assert {"_static/reveal.js/dist/reveal.js", "_static/requirejs/require.js"} <= assets
        assert any(a.startswith("_static/mathjax/MathJax.js") for a in assets)
        missing = [a for a in assets if not (tmp_path / a).is_file()]
        assert not missing, f"{deck.name} loads files that were not copied: {missing}"
        # one <section> per slide and sub-slide (reveal nests sub-slides in their slide's section)
        nb = nbformat.read(path, as_version=4)
        kinds = [c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
        assert html.count("<section") >= kinds.count("slide") + kinds.count("subslide")
        assert 'class="fragment"' in html or "fragment" not in kinds
        assert html.count('<aside class="notes">') == kinds.count("notes"), "each notes cell a speaker note"
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{d.name}"' in index for d in decks)
    mathjax = tmp_path / "_static" / "mathjax"
    assert (mathjax / "config" / "TeX-AMS_CHTML-full.js").is_file()
    assert (mathjax / "fonts" / "HTML-CSS" / "TeX" / "woff").is_dir()
    assert sum(f.stat().st_size for f in (tmp_path / "_static").rglob("*") if f.is_file()) < 20e6
