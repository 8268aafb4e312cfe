"""Offline HTML for the course: JavaScript assets from the npm registry, copied next to what we build.

``make slides`` and ``make site`` turn notebooks into HTML with nbconvert. nbconvert's templates load
reveal.js, MathJax, require.js, jQuery, the widget renderer and mermaid from CDNs; a lecture hall or a
train has no network, so this module

1. installs the npm packages of ``assets/package.json`` at the exact versions (and sha512 integrities) of
   the committed ``assets/package-lock.json``, with ``npm ci --ignore-scripts`` into ``build/npm/`` (again
   only when the lockfile changes), and copies the files a page needs into ``<output>/_static/`` (``vendor``);
2. configures nbconvert's exporters to point at those copies through relative URLs (``exporter_config``),
   with our two small templates (``templates/``) that drop mermaid (the course has no diagrams in it);
3. checks what it built: ``external_assets(html)`` lists every http(s) URL a page would load (scripts,
   style sheets, images, CSS ``url()``/``@import``, ES ``import``); the build fails if one is left.

Bump a version: change it in ``assets/package.json``, run ``npm install --package-lock-only --ignore-scripts``
in ``coursetools/assets/`` and commit both files.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from nlpcourse import validate

__all__ = ["Package", "PACKAGES", "STATIC", "install", "vendor", "exporter_config", "external_assets",
           "check_offline"]

TEMPLATES = Path(__file__).with_name("templates")
ASSETS = Path(__file__).with_name("assets")  # package.json + package-lock.json
STATIC = "_static"


@dataclass(frozen=True)
class Package:
    """One npm package of ``assets/package.json`` and the files of it we copy: paths inside the package's
    folder: a file, a folder (everything under it) or a glob (``dist/*.woff2``)."""

    name: str
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        """Where the files go under ``_static/``: the package name without its npm scope."""
        return self.name.split("/")[-1]


PACKAGES: tuple[Package, ...] = (
    # reveal.js 4: the major version nbconvert's reveal template is written for (dist/, plugin/notes).
    Package("reveal.js", ("dist/reveal.js", "dist/reveal.css", "dist/reset.css", "dist/theme/white.css",
                          "dist/theme/fonts/source-sans-pro", "plugin/notes/notes.js", "LICENSE")),
    # MathJax 2: nbconvert's math macro configures MathJax 2 (MathJax.Hub) with the TeX-AMS_CHTML config;
    # only the TeX input, CommonHTML output and TeX web fonts are copied (5 MB of the 70 MB package).
    Package("mathjax", ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions",
                        "jax/input/TeX", "jax/output/CommonHTML", "jax/element", "localization/en",
                        "fonts/HTML-CSS/TeX/woff", "fonts/HTML-CSS/TeX/otf", "LICENSE")),
    Package("requirejs", ("require.js",)),
    Package("jquery", ("dist/jquery.min.js", "LICENSE.txt")),
    # The widget renderer nbconvert loads for notebooks with stored widget state (ipywidgets 8 => 1.x):
    # the controls come back from their saved state, the figure in each Output widget with them. Its bundle
    # is self-contained; npm installs its dependency tree too (the lockfile pins all of it).
    Package("@jupyter-widgets/html-manager", ("dist/embed-amd.js", "dist/*.woff2", "dist/*.woff")),
)


def _lock_digest() -> str:
    return hashlib.sha256((ASSETS / "package.json").read_bytes() + (ASSETS / "package-lock.json").read_bytes()
                          ).hexdigest()


def install(where: Path) -> Path:
    """``npm ci --ignore-scripts`` of ``assets/`` into ``where`` (skipped when that lockfile is installed there
    already); returns ``where/node_modules``. Raises RuntimeError when npm is missing or fails."""
    where = Path(where)
    stamp, modules = where / ".installed-lock", where / "node_modules"
    digest = _lock_digest()
    if stamp.exists() and stamp.read_text() == digest and modules.is_dir():
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm not found: the offline slides and site copy reveal.js and MathJax from the npm "
                           "registry at build time (install Node.js: apt-get install npm)")
    where.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(ASSETS / name, where / name)
    done = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                          cwd=where, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"npm ci in {where} failed:\n{done.stderr.strip()}")
    stamp.write_text(digest)
    return modules


def vendor(out: Path, cache: Path | None = None) -> Path:
    """Copy every package's files into ``out/_static/<package>/``; returns ``out/_static``.

    ``cache`` is where npm installs (default ``build/npm`` of this checkout), kept between builds.
    """
    modules = install(cache or Path(__file__).resolve().parents[1] / "build" / "npm")
    static = Path(out) / STATIC
    digest = _lock_digest()
    for package in PACKAGES:
        dest, source = static / package.folder, modules / package.name
        stamp = dest / ".version"
        if stamp.exists() and stamp.read_text() == digest:
            continue
        shutil.rmtree(dest, ignore_errors=True)
        found = [p for p in sorted(source.rglob("*")) if p.is_file() and _wanted(p.relative_to(source).as_posix(),
                                                                                 package.files)]
        for path in found:
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        missing = [f for f in package.files if not any(_wanted(p.relative_to(source).as_posix(), (f,)) for p in found)]
        if missing:
            version = json.loads((source / "package.json").read_text())["version"] if source.is_dir() else "?"
            raise ValueError(f"{package.name}@{version}: files {missing} not in the package")
        stamp.write_text(digest)
    return static


def _wanted(path: str, files: tuple[str, ...]) -> bool:
    return any(path == f or path.startswith(f + "/") or fnmatch.fnmatchcase(path, f) for f in files)


def exporter_config(static: str = STATIC, template: str = "lab") -> Config:
    """nbconvert configuration whose pages load everything from ``static`` (a URL relative to the page).

    ``template`` is ``"lab"`` (HTMLExporter, the site) or ``"reveal"`` (SlidesExporter, the decks).
    """
    validate.one_of(template, "template", ("lab", "reveal"))
    c = Config()
    for exporter in ("HTMLExporter", "SlidesExporter"):
        c[exporter].extra_template_basedirs = [str(TEMPLATES)]
        c[exporter].template_name = f"nlpcourse_{template}"
        c[exporter].mathjax_url = f"{static}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
        c[exporter].require_js_url = f"{static}/requirejs/require.js"
        c[exporter].jquery_url = f"{static}/jquery/dist/jquery.min.js"
        c[exporter].widget_renderer_url = f"{static}/html-manager/dist/embed-amd.js"
        c[exporter].mermaid_js_url = ""
        c[exporter].mermaid_layout_elk_js_url = ""
    c.SlidesExporter.reveal_url_prefix = f"{static}/reveal.js"
    return c


# Where a page names a resource it loads: src=/href= attributes (of <script>, <link>, <img>, <iframe>, ...;
# <a href> is a link the reader may follow, not an asset), CSS url() and @import, ES import / import().
_ASSET = re.compile(
    r"""<(?!a[\s>])[a-z]+[^>]*?\s(?:src|href|data)\s*=\s*["']?\s*(https?:)?//"""
    r"""|url\(\s*["']?\s*(https?:)?//"""
    r"""|@import\s+["'](https?:)?//"""
    r"""|\bimport\s*(?:\(\s*)?["'](https?:)?//"""
    r"""|\bfrom\s+["'](https?:)?//""",
    re.IGNORECASE,
)


def external_assets(html: str) -> list[str]:
    """Every place in ``html`` that loads something from the network (``http://``, ``https://`` or ``//``).

    Returns the matched snippets (with a little context) — empty for a page that works offline.
    Links in prose (``<a href="https://...">``) are not assets and are not reported.
    """
    validate.string(html, "html", allow_empty=True)
    return [html[m.start(): m.end() + 60] for m in _ASSET.finditer(html)]


def check_offline(out: Path) -> list[Path]:
    """Check every page and style sheet under ``out``; returns them, or raises ValueError naming each offender.

    Scripts are not scanned (bundles carry URLs in licences and dead code); the browser test, with the network
    blocked, checks what they load.
    """
    paths = sorted(p for p in Path(out).rglob("*") if p.suffix in (".html", ".css"))
    bad = {str(p): found for p in paths if (found := external_assets(p.read_text(encoding="utf-8")))}
    if bad:
        raise ValueError("pages that would load assets from the network: "
                         + "; ".join(f"{p}: {found[:3]}" for p, found in bad.items()))
    return paths
