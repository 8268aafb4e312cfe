"""course.site: the index from the README, links between pages, solutions left out, the real site built."""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from coursetools import offline, site

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CACHE = ROOT / "build" / "npm"
needs_npm = pytest.mark.skipif(shutil.which("npm") is None and not CACHE.exists(),
                               reason="npm (or its install in build/npm) needed to build")

README = """# nlpcourse — a title

An opening paragraph
on two lines.

Another paragraph that is not on the index.

| # | notebook | topic | code behind it |
|---|---|---|---|
| 00 | `notebooks/00_a.ipynb` | topic a | `nlpcourse/a.py` |
| 03 | — | planned *(planned)* | |
| 04 | `notebooks/04_missing.ipynb` | not built | |

## Next section
"""


def test_readme_index_links_the_notebooks_it_has() -> None:
    md = site.readme_index(README, {"00_a": "A", "07_new": "Beam search", "03_arrived": "fastText"})
    lines = md.splitlines()
    assert lines[0] == "# nlpcourse — a title"
    assert "An opening paragraph" in md and "on two lines." in md and "Another paragraph" not in md
    assert "| 00 | [00_a](00_a.html) | topic a | `nlpcourse/a.py` |" in lines
    assert "| 03 | [03_arrived](03_arrived.html) | planned | |" in lines, "a planned row gets its notebook"
    assert "| 04 | `notebooks/04_missing.ipynb` | not built | |" in lines, "no page: no link"
    assert "| 07 | [07_new](07_new.html) | Beam search |  |" in lines, "a notebook not in the table gets a row"
    assert "Next section" not in md
    with pytest.raises(TypeError, match="readme"):
        site.readme_index(None, {})


def test_readme_index_without_a_table() -> None:
    md = site.readme_index("# T\n\nText.\n", {"00_a": "A"})
    assert "| 00 | [00_a](00_a.html) | A |" in md


def _nb(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _code(source: str, text: str, count: int, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, execution_count=count, metadata={"tags": list(tags)})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return cell


def test_check_executed_and_title() -> None:
    nb = _nb(nbformat.v4.new_markdown_cell("intro\n\n## 07 · Beam search"), nbformat.v4.new_code_cell("x = 1"))
    with pytest.raises(ValueError, match=r"07_x.ipynb.*\[1\].*make execute"):
        site.check_executed(nb, "07_x.ipynb")
    nb.cells[1].execution_count = 1
    site.check_executed(nb, "07_x.ipynb")
    assert site.title(nb, "07_x") == "07 · Beam search"
    assert site.title(_nb(), "07_x") == "07_x"


def test_nav_links_neighbours() -> None:
    order = ["00_a", "01_b", "02_c"]
    assert site._nav(order, "00_a", ["NOTATION.md"]) == \
        "[course index](index.html) · [notation](NOTATION.html) · [01_b →](01_b.html)"
    assert site._nav(order, "01_b", []).endswith("[← 00_a](00_a.html) · [02_c →](02_c.html)")


def _small_course(folder: Path) -> list[Path]:
    folder.mkdir()
    module = os.path.relpath(ROOT / "nlpcourse" / "validate.py", folder)
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    first = _nb(nbformat.v4.new_markdown_cell("# 00 · First\n\nSee [the second](01_b.ipynb#part-2), "
                                              f"[the symbols](NOTATION.md) and [the checks]({module}). $x^2$"),
                _code("print('question')", "question\n", 1, ("exercise",)),
                _code("print('SECRET ANSWER')", "SECRET ANSWER\n", 2, ("solution",)),
                _code("fig", "", 3))
    first.cells[-1].outputs = [nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "F"})]
    second = _nb(nbformat.v4.new_markdown_cell("# 01 · Second\n\n## Part 2\nBack to [the first](00_a.ipynb)."),
                 nbformat.v4.new_markdown_cell("SPEAKER NOTE: ask the room first.",
                                               metadata={"slideshow": {"slide_type": "notes"}}),
                 _code("print(1)", "1\n", 1))
    paths = [folder / "00_a.ipynb", folder / "01_b.ipynb"]
    for nb, path in zip((first, second), paths, strict=True):
        nbformat.write(nb, path)
    (folder / "NOTATION.md").write_text("# Notation\n\n$\\theta_W$: input embeddings. [first](00_a.ipynb)\n")
    return paths


@needs_npm
def test_build_site_small_course(tmp_path: Path) -> None:
    paths = _small_course(tmp_path / "nb")
    readme = tmp_path / "README.md"
    readme.write_text(README.replace("00_a.ipynb", "00_a.ipynb"))
    out = tmp_path / "site"
    pages = site.build_site(paths, out, readme=readme)
    assert sorted(p.name for p in pages) == ["00_a.html", "01_b.html", "NOTATION.html", "index.html"]
    first = (out / "00_a.html").read_text(encoding="utf-8")
    assert "SECRET ANSWER" not in first, "solution cells are not on the student's site"
    assert "question" in first and "data:image/png;base64," in first
    assert 'href="01_b.html#part-2"' in first and 'href="NOTATION.html"' in first
    assert 'href="_source/nlpcourse/validate.py"' in first
    assert (out / "_source" / "nlpcourse" / "validate.py").read_text() == (ROOT / "nlpcourse/validate.py").read_text()
    assert 'href="00_a.html"' in (out / "NOTATION.html").read_text(encoding="utf-8")
    assert "SPEAKER NOTE" not in (out / "01_b.html").read_text(encoding="utf-8"), "speaker notes are the instructor's"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="00_a.html"' in index and 'href="01_b.html"' in index and 'href="NOTATION.html"' in index
    assert "<title>nlpcourse</title>" in index
    assert offline.external_assets(first) == []


@needs_npm
def test_build_site_refuses_broken_links_and_unrun_notebooks(tmp_path: Path) -> None:
    paths = _small_course(tmp_path / "nb")
    nb = nbformat.read(paths[1], as_version=4)
    nb.cells[0].source += "\n[gone](06_gone.ipynb)"
    nbformat.write(nb, paths[1])
    with pytest.raises(ValueError, match=r"01_b.ipynb: 06_gone.ipynb"):
        site.build_site(paths, tmp_path / "site", readme=tmp_path / "nb" / "NOTATION.md")
    nb.cells.append(nbformat.v4.new_code_cell("never run"))
    nbformat.write(nb, paths[1])
    with pytest.raises(ValueError, match="01_b.ipynb.*never been run"):
        site.build_site(paths, tmp_path / "site", readme=tmp_path / "nb" / "NOTATION.md")


@needs_npm
def test_build_the_course_site(tmp_path: Path) -> None:
    pages = site.build_site(NOTEBOOKS, tmp_path)
    names = {p.name for p in pages}
    assert {f"{p.stem}.html" for p in NOTEBOOKS} | {"index.html", "NOTATION.html"} <= names
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f'href="{path.stem}.html"' in index, f"{path.stem} is not on the index"
        nb = nbformat.read(path, as_version=4)
        hidden = {"solution", "exercise", "check", "reveals-answer"}  # removed, or outputs cleared for students
        shown = [c for c in nb.cells if not hidden & set(c.metadata.get("tags", []))]
        pngs = sum("image/png" in o.get("data", {}) for c in shown if c.cell_type == "code" for o in c.outputs)
        html = (tmp_path / f"{path.stem}.html").read_text(encoding="utf-8")
        assert html.count("data:image/png;base64,") >= pngs, f"{path.stem}: a stored figure is missing"
        assert 'href="index.html"' in html
        notes = [c.source for c in nb.cells if c.metadata.get("slideshow", {}).get("slide_type") == "notes"]
        assert not [n for n in notes if n.splitlines()[-1] in html], f"{path.stem}: a speaker note is on the site"
    for page in pages:  # every link between pages lands on a page of the site
        html = page.read_text(encoding="utf-8")
        for href in re.findall(r'<a\s[^>]*?href="([^"#:]+)', html):
            assert (tmp_path / href).is_file(), f"{page.name}: broken link {href}"
