"""Offline HTML for the course: JavaScript assets from the npm registry, copied next to what we build.

``make slides`` and ``make site`` turn notebooks into HTML with nbconvert. nbconvert's templates load
reveal.js, MathJax, require.js, jQuery, the widget renderer and mermaid from CDNs; a lecture hall or a
train has no network, so this module

1. fetches the few npm packages below at build time (``npm pack``: the registry's tarball alone, no
   dependency tree), checks each against the sha512 pinned here, and copies the files a page needs into
   ``<output>/_static/`` (``vendor``);
2. configures nbconvert's exporters to point at those copies through relative URLs (``exporter_config``),
   with our two small templates (``templates/``) that drop mermaid (the course has no diagrams in it);
3. checks what it built: ``external_assets(html)`` lists every http(s) URL a page would load (scripts,
   style sheets, images, CSS ``url()``/``@import``, ES ``import``); the build fails if one is left.

Bump a version: change it here, run ``npm pack --json NAME@VERSION`` and paste the printed integrity.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from nlpcourse import validate

__all__ = ["Package", "PACKAGES", "STATIC", "fetch", "vendor", "exporter_config", "external_assets",
           "check_offline"]

TEMPLATES = Path(__file__).with_name("templates")
STATIC = "_static"


@dataclass(frozen=True)
class Package:
    """One npm package: pinned version, the registry's sha512 integrity, and the files we copy.

    ``files`` are paths inside the tarball's ``package/`` folder: a file, a folder (everything under it) or a
    glob (``dist/*.woff2``).
    """

    name: str
    version: str
    integrity: str
    files: tuple[str, ...]

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def folder(self) -> str:
        """Where the files go under ``_static/``: the package name without its npm scope."""
        return self.name.split("/")[-1]


PACKAGES: tuple[Package, ...] = (
    # reveal.js 4: the major version nbconvert's reveal template is written for (dist/, plugin/notes).
    Package("reveal.js", "4.6.0",
            "sha512-QC80rYsZldAe95bW9VImucIPTjfsKhI0jRQrIOXU4P92ZyXb/dfw9L3EE96bN6i7UmeUl1qBieH4UNTr25erYw==",
            ("dist/reveal.js", "dist/reveal.css", "dist/reset.css", "dist/theme/white.css",
             "dist/theme/fonts/source-sans-pro", "plugin/notes/notes.js", "LICENSE")),
    # MathJax 2: nbconvert's math macro configures MathJax 2 (MathJax.Hub) with the TeX-AMS_CHTML config;
    # only the TeX input, CommonHTML output and TeX web fonts are copied (5 MB of the 70 MB package).
    Package("mathjax", "2.7.9",
            "sha512-NOGEDTIM9+MrsqnjPEjVGNx4q0GQxqm61yQwSK+/5S59i26wId5IC5gNu9/bu8+CCVl5p9G2IHcAl/wJa+5+BQ==",
            ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions", "jax/input/TeX",
             "jax/output/CommonHTML", "jax/element", "localization/en", "fonts/HTML-CSS/TeX/woff",
             "fonts/HTML-CSS/TeX/otf", "LICENSE")),
    Package("requirejs", "2.3.7",
            "sha512-DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw==",
            ("require.js",)),
    Package("jquery", "3.7.1",
            "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
            ("dist/jquery.min.js", "LICENSE.txt")),
    # The widget renderer nbconvert loads for notebooks with stored widget state (ipywidgets 8 => 1.x):
    # the controls come back from their saved state, the figure in each Output widget with them.
    Package("@jupyter-widgets/html-manager", "1.0.15",
            "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
            ("dist/embed-amd.js", "dist/*.woff2", "dist/*.woff")),
)


def _sha512_integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch(package: Package, cache: Path) -> Path:
    """The package's registry tarball in ``cache`` (fetched with ``npm pack`` once), integrity-checked.

    Raises RuntimeError if npm is missing or fails, ValueError if the tarball's sha512 is not the pinned one.
    """
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / (package.name.lstrip("@").replace("/", "-") + f"-{package.version}.tgz")
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm not found: the offline slides and site copy reveal.js and MathJax from the "
                               "npm registry at build time (install Node.js: apt-get install npm)")
        done = subprocess.run([npm, "pack", "--json", "--silent", package.spec], cwd=cache,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"npm pack {package.spec} failed:\n{done.stderr.strip()}")
        name = json.loads(done.stdout)[0]["filename"]
        if cache / name != tarball:
            (cache / name).rename(tarball)
    got = _sha512_integrity(tarball)
    if got != package.integrity:
        tarball.unlink()
        raise ValueError(f"{package.spec}: tarball integrity {got} is not the pinned {package.integrity}")
    return tarball


def vendor(out: Path, cache: Path | None = None) -> Path:
    """Copy every package's files into ``out/_static/<package>/``; returns ``out/_static``.

    ``cache`` keeps the downloaded tarballs between builds (default ``build/npm`` of this checkout).
    """
    cache = cache or Path(__file__).resolve().parents[1] / "build" / "npm"
    static = Path(out) / STATIC
    for package in PACKAGES:
        dest = static / package.folder
        stamp = dest / ".version"
        if stamp.exists() and stamp.read_text() == package.integrity:
            continue
        shutil.rmtree(dest, ignore_errors=True)
        with tarfile.open(fetch(package, cache)) as tar:
            wanted = [m for m in tar.getmembers() if m.isfile() and _wanted(m.name, package.files)]
            for member in wanted:
                target = dest / member.name.removeprefix("package/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
        missing = [f for f in package.files if not any(_wanted(m.name, (f,)) for m in wanted)]
        if missing:
            raise ValueError(f"{package.spec}: files {missing} not in its tarball")
        stamp.write_text(package.integrity)
    return static


def _wanted(member: str, files: tuple[str, ...]) -> bool:
    path = member.removeprefix("package/")
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
