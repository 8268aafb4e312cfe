"""The student edition: every ``solution`` cell removed, the answers' outputs cleared, the student's work kept.

``make student`` (``python -m coursetools.student``) turns each instructor notebook ``notebooks/NN_*.ipynb``
into ``build/student/NN_*.ipynb`` through nbconvert's ``NotebookExporter``. The cells say what they are with
tags, as nbgrader's do (CONTRIBUTING.md, "Exercises"): ``exercise`` (the stub; optional
``metadata.nlpcourse.points``, default 1), ``solution`` (the instructor's answer, the next cell), ``check``
(the cells after it that check the answer) and ``reveals-answer`` (a cell whose source or output gives an
answer away: a derivation, a table of the values, ``show_source`` of the reference).

1. ``ExercisePreprocessor`` (ours) reads the tags, stamps ``metadata["nlpcourse"]`` on stubs and checks (the
   exercise's id, its names and points, which the grader uses), folds ``reveals-answer`` markdown into an
   "open after you try" block, strips lint comments (``# noqa``) and lists what breaks the convention;
   ``NotesPreprocessor`` removes the speaker notes (markdown cells of ``slideshow.slide_type`` "notes": the
   instructor's, shown in the decks' speaker view).
2. nbconvert's ``TagRemovePreprocessor`` removes the ``solution`` cells and clears the outputs of the
   ``exercise``, ``check`` and ``reveals-answer`` cells; prompt numbers are renumbered 1, 2, ... over what
   is left. Every other output stays as in the instructor version. A stored output that shows a line of a
   solution in a cell not tagged ``reveals-answer`` is cleared too, with a warning to tag it.

Students' work is never lost: the build remembers (in ``build/student/.manifest.json``) the sha256 of what it
last wrote to each file. A file whose content differs from that (the student edited it) is never overwritten;
when the course changed, a new version goes beside it as ``NN_*.updated.ipynb`` and a message says so.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import re
import sys
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

EXERCISE, SOLUTION, CHECK, REVEALS = "exercise", "solution", "check", "reveals-answer"
NOTES = "notes"  # the slideshow.slide_type of a speaker note: the instructor's, left out of the student's editions
META = "nlpcourse"  # the key of our cell and notebook metadata
MANIFEST = ".manifest.json"
UPDATED = ".updated.ipynb"


def tags(cell: dict) -> list[str]:
    """The cell's ``metadata.tags`` (an empty list when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def is_notes(cell: dict) -> bool:
    """True for a speaker-notes cell (``metadata.slideshow.slide_type == "notes"``)."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == NOTES


def output_texts(cell: dict) -> list[str]:
    """The text a reader sees in a code cell's outputs: each stream (its messages joined), text/plain,
    text/markdown, text/latex, and errors as ``ename: evalue``."""
    streams: dict[str, str] = {}
    texts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            streams[out["name"]] = streams.get(out["name"], "") + out["text"]
        elif kind in ("execute_result", "display_data"):
            texts += [v for k, v in out.get("data", {}).items() if k in ("text/plain", "text/markdown", "text/latex")]
        elif kind == "error":
            texts.append(f"{out['ename']}: {out['evalue']}")
    return [*streams.values(), *texts]


def code_lines(source: str) -> set[str]:
    """The lines of ``source`` without comments, whitespace normalised, that are long enough to be telling
    (>= 12 characters): what may not be shown of a solution."""
    lines = {" ".join(line.split("#")[0].split()) for line in source.splitlines()}
    return {line for line in lines if len(line) >= 12}


def telling_lines(solution: str, stub: str) -> set[str]:
    """The ``code_lines`` of a solution that its stub does not give away already (a signature, a comment
    ``# your code: return dX, dW, db``): those may be shown nowhere in the student edition."""
    given = " ".join(stub.split())
    return {line for line in code_lines(solution) if line not in given}


def course_notebooks(source: Path) -> list[Path]:
    """The instructor notebooks ``NN_*.ipynb`` of ``source``, in course order (whatever notebooks exist)."""
    return sorted(p for p in Path(source).glob("[0-9][0-9]_*.ipynb") if not p.name.endswith(UPDATED))


# --- the exercises of a notebook, from its tags -----------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A place where a notebook breaks the exercise convention (reported by the build and the tests)."""

    notebook: str
    cell: int  # index in the instructor notebook (0-based, as nbformat counts)
    message: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell}: {self.message}"


@dataclass(frozen=True)
class Exercise:
    """One exercise: its stub, the instructor's answer and the cells that check it (indices: instructor notebook).

    ``id`` is the names the stub asks for (``"A_line, det_line"``): the grader's column and the key of
    ``metadata["nlpcourse"]`` in the student edition.
    """

    id: str
    names: tuple[str, ...]
    exercise_cell: int
    solution_cell: int
    check_cells: tuple[int, ...]
    solution: str  # the solution cell's source
    points: float = 1


def bound_names(source: str) -> list[str]:
    """The names a stub's top-level statements bind (``a = ...``, ``a, b = ...``, ``def f``, ``class C``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets: list[ast.AST] = [ast.Name(node.name)]
        elif isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        for target in targets:
            found += [n.id for n in ast.walk(target) if isinstance(n, ast.Name) and n.id not in found]
    return found


def points(cell: dict) -> float | str:
    """The exercise cell's points (``metadata.nlpcourse.points``, default 1; 0 for an ungraded warm-up), or a
    message saying what is wrong."""
    value = cell.get("metadata", {}).get(META, {}).get("points", 1)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        return f"metadata.nlpcourse.points: expected a number >= 0, got {value!r}"
    return value


def analyse(nb: nbformat.NotebookNode, notebook: str) -> tuple[list[Exercise], list[Problem]]:
    """The exercises of an instructor notebook (from its tags) and where it breaks the convention.

    ``notebook`` names it in messages (``"04_backprop"``). An ``exercise`` cell is followed by its ``solution``
    cell; its checks are the ``check`` cells after that, up to the next exercise.
    """
    cells = nb.cells
    exercises: list[Exercise] = []
    problems: list[Problem] = []
    starts = [k for k, c in enumerate(cells) if EXERCISE in tags(c)]
    for k, cell in enumerate(cells):
        kinds = {EXERCISE, SOLUTION, CHECK} & set(tags(cell))
        if len(kinds) > 1:
            problems.append(Problem(notebook, k, f"tagged {' and '.join(sorted(kinds))}: one role per cell"))
        if kinds and cell.cell_type != "code":
            problems.append(Problem(notebook, k, f"a markdown cell tagged `{kinds.pop()}`: only code cells can be"))
        if SOLUTION in tags(cell) and not (k > 0 and EXERCISE in tags(cells[k - 1])):
            problems.append(Problem(notebook, k, "a `solution` cell must directly follow its `exercise` cell"))
        if CHECK in tags(cell) and not any(s + 1 < k for s in starts):
            problems.append(Problem(notebook, k, "a `check` cell before any exercise's solution"))
    seen: dict[str, int] = {}
    for i, k in enumerate(starts):
        stub = cells[k]
        if k + 1 >= len(cells) or SOLUTION not in tags(cells[k + 1]):
            problems.append(Problem(notebook, k, "an `exercise` cell must be followed by its `solution` cell"))
            continue
        written = bound_names(stub.source)
        if not written:
            problems.append(Problem(notebook, k, "the exercise stub assigns no name for the check to read"))
            continue
        end = starts[i + 1] if i + 1 < len(starts) else len(cells)
        checks = tuple(j for j in range(k + 2, end) if CHECK in tags(cells[j]))
        if not checks:
            problems.append(Problem(notebook, k, f"exercise {', '.join(written)} has no `check` cell after its "
                                                 "solution (tag the cell that calls checks.check_...)"))
        score = points(stub)
        if isinstance(score, str):
            problems.append(Problem(notebook, k, score))
            score = 1
        ex_id = ", ".join(written)
        seen[ex_id] = seen.get(ex_id, 0) + 1
        if seen[ex_id] > 1:
            ex_id = f"{ex_id} #{seen[ex_id]}"
        exercises.append(Exercise(ex_id, tuple(written), k, k + 1, checks, cells[k + 1].source, score))
    return exercises, problems


def revealing(nb: nbformat.NotebookNode, exercises: list[Exercise], notebook: str) -> list[Problem]:
    """The code cells not tagged ``reveals-answer`` whose stored output shows a line of a solution that its
    stub does not give (e.g. ``show_source`` of the package's reference after the exercise)."""
    notes = []
    for ex in exercises:
        telling = sorted(telling_lines(ex.solution, nb.cells[ex.exercise_cell].source))
        for k, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or {SOLUTION, EXERCISE, CHECK, REVEALS} & set(tags(cell)):
                continue
            shown = " ".join(" ".join(output_texts(cell)).split())
            line = next((ln for ln in telling if ln in shown), None)
            if line:
                notes.append(Problem(notebook, k, f"its stored output shows `{line}` of the solution of {ex.id} "
                                                  f"(cell {ex.solution_cell}): cleared; tag it `{REVEALS}`"))
    return notes


_LINT = re.compile(r"#\s*(?:noqa|type:\s*ignore|fmt:\s*(?:on|off|skip)|pragma)\b", re.IGNORECASE)


def strip_lint(source: str) -> str:
    """``source`` without lint comments (``# noqa: F811 (...)``, ``# type: ignore``): no reader needs them.

    Only real comments (Python's tokenizer says which) are touched; a cell that does not tokenize is left as is.
    """
    try:
        comments = [tok for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                    if tok.type == tokenize.COMMENT and _LINT.match(tok.string)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source
    lines = source.splitlines(keepends=True)
    for tok in reversed(comments):
        row, col = tok.start
        line = lines[row - 1]
        ending = line[len(line.rstrip("\r\n")):]
        lines[row - 1] = line[:col].rstrip() + ending
    return "".join(lines)


FOLD = "<details><summary>Open after you try the exercise</summary>\n\n{}\n\n</details>"


def prepare(nb: nbformat.NotebookNode, name: str) -> tuple[list[Exercise], list[Problem], list[Problem]]:
    """Mark ``nb`` (in place) for the student's eyes and return (exercises, problems, notes).

    Stamps ``metadata["nlpcourse"]`` on stubs (``{"exercise": id, "names": [...], "points": p}``), checks
    (``{"check": id}``) and the notebook (``{"edition": "student", "notebook": name, "exercises": [ids]}``);
    tags ``reveals-answer`` a cell whose output shows a solution's line (a note says so); folds
    ``reveals-answer`` markdown into an "open after you try" block; strips lint comments from code.
    """
    exercises, problems = analyse(nb, name)
    for ex in exercises:
        nb.cells[ex.exercise_cell].metadata[META] = {"exercise": ex.id, "names": list(ex.names), "points": ex.points}
        for k in ex.check_cells:
            nb.cells[k].metadata[META] = {"check": ex.id}
    notes = revealing(nb, exercises, name)
    for k in sorted({note.cell for note in notes}):
        nb.cells[k].metadata["tags"] = [*tags(nb.cells[k]), REVEALS]
    for cell in nb.cells:
        if cell.cell_type == "markdown" and REVEALS in tags(cell) and not cell.source.startswith("<details>"):
            cell.source = FOLD.format(cell.source)
        elif cell.cell_type == "code":
            cell.source = strip_lint(cell.source)
            if REVEALS in tags(cell):  # its code may show the answer too: collapsed until the student opens it
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    nb.metadata[META] = {"edition": "student", "notebook": name, "exercises": [ex.id for ex in exercises]}
    return exercises, problems, notes


def renumber(nb: nbformat.NotebookNode) -> None:
    """Prompt numbers 1, 2, ... over the code cells that keep outputs (as if run top to bottom); none elsewhere."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            count += 1
            cell.execution_count = count
            for out in cell.outputs:
                if out.get("output_type") == "execute_result":
                    out["execution_count"] = count
        else:
            cell.execution_count = None


def student_view(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """What a student may see of an instructor notebook (a copy): the student edition's cells and outputs
    (``prepare``, solutions and speaker notes removed, answers' outputs cleared, prompts renumbered); for the site."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    prepare(nb, name)
    nb, _ = NotesPreprocessor().preprocess(nb, {})
    nb, _ = remover().preprocess(nb, {})
    renumber(nb)
    return nb


class ExercisePreprocessor(Preprocessor):
    """Mark the exercises for the student edition (``prepare``); ``resources["exercises"]``,
    ``resources["problems"]`` and ``resources["notes"]`` (revealing outputs, cleared) receive the analysis."""

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict) -> tuple[nbformat.NotebookNode, dict]:
        name = resources.get("metadata", {}).get("name", "notebook")
        resources["exercises"], resources["problems"], resources["notes"] = prepare(nb, name)
        return nb, resources


class NotesPreprocessor(Preprocessor):
    """Remove the speaker notes (``is_notes``): what the instructor says in class (timing, the question to ask the
    room, the mistake to expect) is for the decks and the instructor's notebooks, not for the student."""

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict) -> tuple[nbformat.NotebookNode, dict]:
        nb.cells = [cell for cell in nb.cells if not is_notes(cell)]
        return nb, resources


class RenumberPreprocessor(Preprocessor):
    """Prompt numbers 1, 2, ... over what the student sees (``renumber``), after the removals."""

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict) -> tuple[nbformat.NotebookNode, dict]:
        renumber(nb)
        return nb, resources


def remover() -> TagRemovePreprocessor:
    """nbconvert's TagRemovePreprocessor as the student's editions use it: solutions out, answers' outputs cleared."""
    return TagRemovePreprocessor(remove_cell_tags={SOLUTION}, remove_all_outputs_tags={EXERCISE, CHECK, REVEALS})


def exporter() -> NotebookExporter:
    """The nbconvert exporter of the student edition: ours to mark, TagRemove to remove and clear, renumber."""
    exp = NotebookExporter()
    for pre in (ExercisePreprocessor(), NotesPreprocessor(), remover(), RenumberPreprocessor()):
        exp.register_preprocessor(pre, enabled=True)
    return exp


class Edition(NamedTuple):
    """The student edition of one notebook."""

    text: str  # the notebook's JSON
    exercises: list[Exercise]
    problems: list[Problem]  # where the notebook breaks the exercise convention
    notes: list[Problem]  # stored outputs cleared because they show a solution


def student_edition(path: Path) -> Edition:
    """The student edition of one instructor notebook (``notebooks/NN_name.ipynb``)."""
    path = Path(path)
    text, resources = exporter().from_filename(str(path), resources={"metadata": {"name": path.stem}})
    nbformat.validate(nbformat.reads(text, as_version=4))
    return Edition(text, resources["exercises"], resources["problems"], resources["notes"])


# --- filling stubs (the solved edition; test submissions) --------------------------------------------------------


def solutions(path: Path) -> dict[str, str]:
    """The instructor's answer of each exercise of ``path``: ``{exercise id: solution source}``."""
    nb = nbformat.read(path, as_version=4)
    exercises, _ = analyse(nb, Path(path).stem)
    return {ex.id: ex.solution for ex in exercises}


def fill(nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of a student notebook with the stub of each exercise in ``answers`` replaced by its source.

    Args:
        nb: a student edition (stubs carry ``metadata["nlpcourse"]["exercise"]``).
        answers: ``{exercise id: code}``; ids not in the notebook raise KeyError.
    """
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    stubs = {c.metadata[META]["exercise"]: c for c in nb.cells if "exercise" in c.get("metadata", {}).get(META, {})}
    unknown = set(answers) - set(stubs)
    if unknown:
        raise KeyError(f"answers: expected exercise ids among {sorted(stubs)}, got {sorted(unknown)}")
    for ex_id, source in answers.items():
        stubs[ex_id].source = source
    return nb


# --- building, never overwriting a student's edits -----------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class BuildReport:
    """What ``build`` did: paths written, left unchanged, kept (edited) with the new version beside them."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[tuple[Path, Path]] = field(default_factory=list)  # (the student's file, the new version beside it)
    blocked: list[Path] = field(default_factory=list)  # edited file whose .updated is edited too: nothing written
    current: list[Path] = field(default_factory=list)  # edited files whose course version has not changed
    problems: list[Problem] = field(default_factory=list)


def _read_manifest(target: Path) -> dict[str, str]:
    path = target / MANIFEST
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("files", {}))


def _place(path: Path, data: bytes, manifest: dict[str, str]) -> str:
    """Write ``data`` to ``path`` unless the file there is not what the build last wrote to it.

    Returns "unchanged" (already this content), "written", or "edited" (left alone: the content differs from
    the manifest's, or the build never wrote it).
    """
    new = sha256(data)
    if path.exists():
        current = sha256(path.read_bytes())
        if current == new:
            manifest[path.name] = new
            return "unchanged"
        if manifest.get(path.name) != current:
            return "edited"
    path.write_bytes(data)
    manifest[path.name] = new
    return "written"


def build(source: Path = Path("notebooks"), target: Path = Path("build/student"),
          echo: Callable[[str], None] = print) -> BuildReport:
    """Build the student edition of every course notebook of ``source`` into ``target``.

    A notebook the student has edited (its bytes differ from what the build last wrote, per the manifest) is
    never overwritten: when the course changed, the new version is written beside it as ``NN_*.updated.ipynb``
    and ``echo`` says so.

    Args:
        source: the instructor notebooks' folder.
        target: the student edition's folder (created).
        echo: where messages go (``print``; tests pass a collector).
    Returns:
        a BuildReport.
    """
    source, target = Path(source), Path(target)
    notebooks = course_notebooks(source)
    if not notebooks:
        raise ValueError(f"source: expected a folder with NN_*.ipynb notebooks, got {str(source)!r} with none")
    target.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(target)
    report = BuildReport()
    for path in notebooks:
        text, _, problems, notes = student_edition(path)
        report.problems.extend(problems)
        for problem in problems:
            echo(f"warning: {problem}")
        for note in notes:
            echo(f"note: {note}")
        dest = target / path.name
        data = text.encode("utf-8")
        outcome = _place(dest, data, manifest)
        beside = dest.with_name(dest.stem + UPDATED)
        if outcome in ("written", "unchanged"):
            (report.written if outcome == "written" else report.unchanged).append(dest)
            if beside.exists() and manifest.get(beside.name) == sha256(beside.read_bytes()) == sha256(data):
                beside.unlink()  # an .updated the build wrote, untouched and now the same as the file: not needed
                manifest.pop(beside.name)
        elif manifest.get(dest.name) == sha256(data) and not beside.exists():
            report.current.append(dest)  # edited by the student, and the course has not changed since: nothing to do
        else:
            if _place(beside, data, manifest) == "edited":
                report.blocked.append(dest)
                echo(f"{dest} and {beside} both have your edits; nothing was overwritten. Rename {beside.name} "
                     f"and run `make student` again to get the new version.")
            else:
                report.kept.append((dest, beside))
                echo(f"{dest} has your edits, so it was left as it is. The course's new version is beside it: "
                     f"{beside} (copy your answers into it, or its new cells into yours).")
    for page in pages(source):
        dest = target / page.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if _place(dest, page.read_bytes(), manifest) == "edited":
            echo(f"{dest} has your edits, so it was left as it is (the course's version: {page})")
    (target / MANIFEST).write_text(json.dumps({"format": 1, "files": dict(sorted(manifest.items()))}, indent=1)
                                   + "\n", encoding="utf-8")
    echo(f"student edition: {len(report.written)} written, {len(report.unchanged)} unchanged, "
         f"{len(report.current)} with your edits (the course's version unchanged), "
         f"{len(report.kept) + len(report.blocked)} with your edits and a new version beside them, in {target}/")
    return report


_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|(?:href|src)=\"([^\"]+)\"")


def relative_links(text: str) -> list[str]:
    """The relative links of a markdown text (``[x](NOTATION.md#theta)`` -> ``NOTATION.md``), in order."""
    found = []
    for match in _LINK.finditer(text):
        link = (match.group(1) or match.group(2)).split("#")[0].split("?")[0]
        if link and not re.match(r"^[a-z][a-z0-9+.-]*:", link, re.IGNORECASE) and not link.startswith("/"):
            found.append(link)
    return found


def pages(source: Path) -> list[Path]:
    """The files beside the notebooks a student needs: the markdown pages of ``source`` (the notation page) and
    every file of ``source`` a notebook or page links to."""
    source = Path(source)
    found = set(source.glob("*.md"))
    texts = [p.read_text(encoding="utf-8") for p in found]
    texts += ["\n".join(c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "markdown")
              for p in course_notebooks(source)]
    for text in texts:
        for link in relative_links(text):
            target = (source / link).resolve()
            if target.is_file() and source.resolve() in target.parents and target.suffix != ".ipynb":
                found.add(source / target.relative_to(source.resolve()))
    return sorted(found)


def exit_code(action: Callable[[], object]) -> int:
    """Run a command-line action: 0 when it succeeds, 2 (with the message on stderr) on a ValueError."""
    try:
        action()
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the student edition of the course notebooks.")
    parser.add_argument("--source", type=Path, default=Path("notebooks"), help="instructor notebooks (notebooks/)")
    parser.add_argument("--out", type=Path, default=Path("build/student"), help="output folder (build/student/)")
    args = parser.parse_args(argv)
    return exit_code(lambda: build(args.source, args.out))


if __name__ == "__main__":
    sys.exit(main())
