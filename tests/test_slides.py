"""course.offline + course.slides: offline assets, the exporter set-up, and real decks built from the notebooks.

Building needs the pinned npm tarballs (``npm pack`` on the first build, then cached in build/npm); without
npm and without that cache the build tests are skipped. The browser test (tests/browser/test_offline.py)
opens a deck with the network blocked.
"""

from __future__ import annotations

import re
import shutil
import tarfile
from pathlib import Path

import nbformat
import pytest

from coursetools import offline, slides

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CACHE = ROOT / "build" / "npm"
needs_npm = pytest.mark.skipif(shutil.which("npm") is None and not CACHE.exists(),
                               reason="npm (or the cached tarballs in build/npm) needed to build")


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


def test_packages_are_pinned() -> None:
    for package in offline.PACKAGES:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package.version), package
        assert package.integrity.startswith("sha512-") and len(package.integrity) == 95, package
        assert package.files
    assert offline.PACKAGES[-1].folder == "html-manager"  # the npm scope is dropped


def test_wanted_matches_files_folders_and_globs() -> None:
    files = ("MathJax.js", "jax/input/TeX", "dist/*.woff2")
    assert offline._wanted("package/MathJax.js", files)
    assert offline._wanted("package/jax/input/TeX/config.js", files)
    assert offline._wanted("package/dist/abc.woff2", files)
    assert not offline._wanted("package/jax/input/TeXtra.js", files)
    assert not offline._wanted("package/dist/abc.woff", files)


def test_fetch_rejects_a_tarball_with_the_wrong_hash(tmp_path: Path) -> None:
    package = offline.Package("left-pad", "1.3.0", "sha512-" + "A" * 86 + "==", ("index.js",))
    tarball = tmp_path / "left-pad-1.3.0.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(__file__, arcname="package/index.js")
    with pytest.raises(ValueError, match=r"left-pad@1\.3\.0.*integrity"):
        offline.fetch(package, tmp_path)
    assert not tarball.exists(), "a tarball that fails its check is removed (the next build fetches it again)"


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
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{d.name}"' in index for d in decks)
    mathjax = tmp_path / "_static" / "mathjax"
    assert (mathjax / "config" / "TeX-AMS_CHTML-full.js").is_file()
    assert (mathjax / "fonts" / "HTML-CSS" / "TeX" / "woff").is_dir()
    assert sum(f.stat().st_size for f in (tmp_path / "_static").rglob("*") if f.is_file()) < 20e6
