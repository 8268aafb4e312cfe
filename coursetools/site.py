"""``make site``: the whole course as static HTML in ``build/site/`` — what a student opens without a kernel.

Every executed notebook is rendered with its stored outputs, figures and widget states by nbconvert's HTML exporter
(the same renderer as ``jupyter nbconvert --to html``). The site is the student's: it shows what the student edition
shows (``student.student_view``: solutions and speaker notes removed, the outputs of checks and of cells tagged
``reveals-answer`` cleared and their code left out, prompts renumbered, lint comments stripped), widgets with a
"live in JupyterLab" badge (their stored state does not run on a static page), with a bar linking the index, the
notation page and the previous / next notebook. ``index.html`` is the README's title, opening paragraph and notebook
table, each notebook linked (notebooks not yet in the table get a row of their own). Markdown pages in
``notebooks/`` (the notation page) are rendered too. Links between pages are rewritten (``NN_x.ipynb`` ->
``NN_x.html``, ``X.md`` -> ``X.html``); a link to another file of the repository (a module) gets a copy of that file
under ``_source/``; a link that resolves to nothing fails the build. MathJax and the widget renderer come from npm
(``offline``), so the site works from ``file://`` with no network.

Why nbconvert and not Jupyter Book: the site must show the *stored* outputs exactly as nbval checks them and
work offline. nbconvert is already pinned in requirements.txt and renders stored outputs as they are;
Jupyter Book 2 (mystmd) is a Node application that fetches its site theme from the network at build time, and
Jupyter Book 1 would add Sphinx and a dozen packages for a table of contents we can write in 30 lines.

    python -m coursetools.site [--out build/site]
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from coursetools import offline
from coursetools.slides import ROOT, add_live_badges, cli
from coursetools.student import REVEALS, student_view
from nlpcourse import validate

__all__ = ["check_executed", "title", "readme_index", "exporter", "build_site", "main"]

SOURCE = "_source"
_HREF = re.compile(r'(<a\s[^>]*?href=")([^"]*)(")')
_NOTEBOOK_PATH = re.compile(r"`?(?:notebooks/)?(\d\d_\w+)\.ipynb`?")


def check_executed(nb: nbformat.NotebookNode, name: str) -> None:
    """ValueError unless every code cell of ``nb`` has been run (the site shows stored outputs)."""
    unrun = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()
             and c.get("execution_count") is None]
    if unrun:
        raise ValueError(f"{name}: code cells {unrun[:5]} have never been run; `make execute` first")


def title(nb: nbformat.NotebookNode, default: str) -> str:
    """The first markdown heading of ``nb`` (without the #s), else ``default``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return default


def readme_index(readme: str, pages: dict[str, str]) -> str:
    """The index page's markdown: the README's title, first paragraph and notebook table, notebooks linked.

    Args:
        readme: the README's markdown text.
        pages: ``{"00_linear_maps": "Linear maps ...", ...}``: every notebook on the site and its title.
    Rows naming a notebook not on the site are kept unlinked; a "— *(planned)*" row whose number is now on
    the site gets the link; notebooks in no row get a row at the end.
    """
    validate.string(readme, "readme")
    lines = readme.splitlines()
    head = [ln for ln in lines if ln.startswith("# ")][:1]
    body = lines[lines.index(head[0]) + 1:] if head else lines
    paragraph = []
    for ln in body:
        if ln.strip():
            paragraph.append(ln)
        elif paragraph:
            break
    table_start = next((i for i, ln in enumerate(lines) if ln.startswith("|") and "notebook" in ln.lower()), None)
    table: list[str] = []
    if table_start is not None:
        for ln in lines[table_start:]:
            if not ln.startswith("|"):
                break
            table.append(ln)
    else:
        table = ["| # | notebook | topic |", "|---|---|---|"]
    linked = set()

    def link(match: re.Match) -> str:
        stem = match.group(1)
        if stem not in pages:
            return match.group(0)
        linked.add(stem)
        return f"[{stem}]({stem}.html)"

    by_number = {stem[:2]: stem for stem in pages}

    def planned(row: str) -> str:
        """A row "| 06 | — | attention *(planned)* |" whose notebook now exists gets its link."""
        cells = row.split("|")
        if len(cells) > 3 and cells[2].strip() == "—" and (stem := by_number.get(cells[1].strip())) \
                and stem not in linked:
            linked.add(stem)
            cells[2] = f" [{stem}]({stem}.html) "
            cells[3] = cells[3].replace("*(planned)*", "").rstrip() + " "
        return "|".join(cells)

    rows = [planned(_NOTEBOOK_PATH.sub(link, ln)) for ln in table]
    columns = rows[0].count("|") - 1
    for stem in sorted(set(pages) - linked):
        cells = [stem[:2], f"[{stem}]({stem}.html)", pages[stem]] + [""] * max(columns - 3, 0)
        rows.append("| " + " | ".join(cells[:max(columns, 3)]) + " |")
    return "\n".join([*head, "", *paragraph, "", *rows, ""])


def _nav(order: list[str], stem: str, extra: list[str]) -> str:
    """The bar on top of each notebook page: index, notation, previous / next notebook."""
    i = order.index(stem)
    parts = ["[course index](index.html)", *(f"[{Path(p).stem.lower()}]({Path(p).stem}.html)" for p in extra)]
    if i > 0:
        parts.append(f"[← {order[i - 1]}]({order[i - 1]}.html)")
    if i + 1 < len(order):
        parts.append(f"[{order[i + 1]} →]({order[i + 1]}.html)")
    return " · ".join(parts)


def exporter() -> HTMLExporter:
    """nbconvert's HTMLExporter for the site, with offline assets (give it ``student_view`` notebooks)."""
    config = offline.exporter_config(template="lab")
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {REVEALS}  # its code may show an answer (collapsed for students)
    return HTMLExporter(config=config)


def _markdown_page(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text)]
    return nb


class _Links:
    """Rewrites the relative links of a page rendered from ``source_dir`` so that they work on the site."""

    def __init__(self, out: Path, pages: dict[Path, str]):
        self.out, self.pages, self.broken = out, pages, []
        self.names = set(pages.values()) | {"index.html"}

    def rewrite(self, html: str, source_dir: Path, page: str) -> str:
        def one(match: re.Match) -> str:
            href = match.group(2)
            if not href or href.startswith("#") or re.match(r"^[a-z][a-z0-9+.-]*:", href, re.IGNORECASE):
                return match.group(0)
            path, _, fragment = href.partition("#")
            if path in self.names or path.startswith((offline.STATIC + "/", SOURCE + "/")):
                return match.group(0)  # already a link between pages of the site
            target = (source_dir / path).resolve()
            if target in self.pages:
                new = self.pages[target]
            elif target.is_file() and ROOT in target.parents:
                rel = target.relative_to(ROOT)
                copy = self.out / SOURCE / rel
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(target, copy)
                new = f"{SOURCE}/{rel.as_posix()}"
            else:
                self.broken.append(f"{page}: {href}")
                return match.group(0)
            return match.group(1) + new + (f"#{fragment}" if fragment else "") + match.group(3)

        return _HREF.sub(one, html)


def build_site(paths: list[Path], out: Path, readme: Path = ROOT / "README.md") -> list[Path]:
    """Render the notebooks ``paths`` (and the markdown pages beside them) plus ``index.html`` into ``out``.

    Returns the pages written. Raises ValueError for an unexecuted notebook, a link that resolves to nothing,
    or a page that would load anything from the network.
    """
    paths = [Path(p).resolve() for p in validate.non_empty(list(paths), "paths", what="notebooks")]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    offline.vendor(out)
    folders = sorted({p.parent for p in paths})
    extra = sorted(md.resolve() for folder in folders for md in folder.glob("*.md"))
    pages = {p: f"{p.stem}.html" for p in [*paths, *extra]}
    links = _Links(out, pages)
    export = exporter()
    order = [p.stem for p in paths]
    titles, written = {}, []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        check_executed(nb, path.name)
        nb = student_view(nb, path.stem)
        add_live_badges(nb)
        titles[path.stem] = title(nb, path.stem)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(_nav(order, path.stem, [p.name for p in extra])))
        body, _ = export.from_notebook_node(nb, resources={"metadata": {"name": titles[path.stem]}})
        written.append(_write(out / pages[path], links.rewrite(body, path.parent, path.name)))
    for md in extra:
        body, _ = export.from_notebook_node(_markdown_page(md.read_text(encoding="utf-8")),
                                            resources={"metadata": {"name": md.stem}})
        written.append(_write(out / pages[md], links.rewrite(body, md.parent, md.name)))
    readme = Path(readme)
    index_md = readme_index(readme.read_text(encoding="utf-8"), titles)
    index_md += "\n" + " · ".join(f"[{md.stem.lower()}]({md.stem}.html)" for md in extra) + "\n"
    body, _ = export.from_notebook_node(_markdown_page(index_md), resources={"metadata": {"name": "nlpcourse"}})
    written.append(_write(out / "index.html", links.rewrite(body, readme.parent, "index")))
    if links.broken:
        raise ValueError(f"links that resolve to no file: {links.broken}")
    offline.check_offline(out)
    for page in written:
        print(f"site: {page}")
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    cli(argv, __doc__, build_site, ROOT / "build" / "site", "pages (no kernel needed either)")


if __name__ == "__main__":
    main()
