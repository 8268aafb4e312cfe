"""The student edition: every ``solution`` cell removed, the check outputs cleared, the student's work kept.

``make student`` (``python -m coursetools.student``) turns each instructor notebook ``notebooks/NN_*.ipynb``
into ``build/student/NN_*.ipynb`` through nbconvert's ``NotebookExporter``:

1. ``ExercisePreprocessor`` (ours: the one thing nbconvert cannot know) reads the exercise convention of
   CONTRIBUTING.md. An ``exercise`` cell (the stub) is followed by a ``solution`` cell, then by the check
   cell(s): the code cells right after the solution that read a name the stub assigns and call a ``check*``
   function. It tags those ``check``, stamps ``metadata["nlpcourse"]`` on the stub and the checks (the
   exercise's id, which the grader uses) and lists what breaks the convention (a later cell that reads the
   student's variable or a name only the solution defines).
2. nbconvert's ``TagRemovePreprocessor`` removes the ``solution`` cells and clears the outputs (and execution
   counts, as ``ClearOutputPreprocessor`` does) of the ``exercise``, ``check`` and ``uses-answer`` cells (those
   outputs show the instructor's answer being checked) and of ``reveals-answer`` cells (a stored output showing a
   line of a solution, e.g. ``show_source`` of the reference after the exercise). Every other output stays as
   in the instructor version.

Students' work is never lost: the build remembers (in ``build/student/.manifest.json``) the sha256 of what it
last wrote to each file. A file whose content differs from that (the student edited it) is never overwritten;
a new version goes beside it as ``NN_*.updated.ipynb`` and a message says so.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

EXERCISE, SOLUTION, CHECK, USES_ANSWER, REVEALS = "exercise", "solution", "check", "uses-answer", "reveals-answer"
META = "nlpcourse"  # the key of our cell and notebook metadata
MANIFEST = ".manifest.json"
UPDATED = ".updated.ipynb"


def tags(cell: dict) -> list[str]:
    """The cell's ``metadata.tags`` (an empty list when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


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


# --- which names a cell reads and writes -----------------------------------------------------------------------


class _Names(ast.NodeVisitor):
    """Names a cell reads from the notebook's namespace (before binding them itself) and the names it binds.

    Visits in evaluation order where that matters (``x = x + 1`` reads ``x``); function and class bodies and
    comprehensions are their own scopes: what they read and do not bind themselves counts as read by the cell.
    """

    def __init__(self) -> None:
        self.reads: list[str] = []
        self.writes: list[str] = []

    def _read(self, name: str) -> None:
        if name not in self.writes and name not in self.reads:
            self.reads.append(name)

    def _write(self, name: str) -> None:
        if name not in self.writes:
            self.writes.append(name)

    def visit_Name(self, node: ast.Name) -> None:
        (self._read if isinstance(node.ctx, ast.Load) else self._write)(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._read(node.target.id)
            self._write(node.target.id)
        else:
            self.visit(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._write(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self._write(alias.asname or alias.name)

    def _scope(self, body: Iterable[ast.AST], bound: Iterable[str]) -> None:
        inner = _Names()
        inner.writes.extend(bound)
        for node in body:
            inner.visit(node)
        for name in inner.reads:
            self._read(name)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)
        params = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a]
        if isinstance(node, ast.Lambda):
            self._scope([node.body], params)
            return
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._write(node.name)
        self._scope(node.body, [*params, node.name])

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self._write(node.name)
        self._scope(node.body, [node.name])

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        inner = _Names()
        for gen in node.generators:
            inner.visit(gen.iter)
            inner.visit(gen.target)
            for cond in gen.ifs:
                inner.visit(cond)
        for part in ([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]):
            inner.visit(part)
        for name in inner.reads:
            self._read(name)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension


def names(source: str) -> tuple[list[str], list[str]]:
    """(names read from outside, names bound) by a code cell's source, in order of appearance.

    IPython syntax (``%magic``, ``!cmd``) is translated to Python first. Raises SyntaxError for invalid code.
    """
    visitor = _Names()
    visitor.visit(ast.parse(TransformerManager().transform_cell(source)))
    return visitor.reads, visitor.writes


def calls_a_check(source: str) -> bool:
    """True when the cell calls a function named ``check*`` (``checks.check_rotation_30(R)``, ``check(a)``)."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")).startswith(
        "check") for node in ast.walk(tree))


# --- the exercises of a notebook -------------------------------------------------------------------------------


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


def _first_line(cell: dict) -> str:
    line = next((ln for ln in cell["source"].splitlines() if ln.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def analyse(nb: nbformat.NotebookNode, notebook: str) -> tuple[list[Exercise], list[Problem], set[int]]:
    """Find the exercises of an instructor notebook and what breaks the convention.

    Args:
        nb: the instructor notebook.
        notebook: its name (for messages), e.g. ``"04_backprop"``.
    Returns:
        (exercises in notebook order, problems, indices of the non-check cells that read an answer).
    """
    cells = nb.cells
    exercises: list[Exercise] = []
    problems: list[Problem] = []
    uses_answer: set[int] = set()
    parsed: dict[int, tuple[list[str], list[str]]] = {}
    for k, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        try:
            parsed[k] = names(cell.source)
        except SyntaxError as err:
            problems.append(Problem(notebook, k, f"cannot parse the cell ({err.msg})"))
            parsed[k] = ([], [])
    for k, cell in enumerate(cells):
        if SOLUTION in tags(cell) and not (k > 0 and EXERCISE in tags(cells[k - 1])):
            problems.append(Problem(notebook, k, "a `solution` cell must directly follow its `exercise` cell"))
    seen: dict[str, int] = {}
    live: dict[str, tuple[int, str]] = {}  # name -> (exercise cell, why reading it later is wrong)
    for k, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        reads, writes = parsed[k]
        if SOLUTION in tags(cell):
            continue
        is_check = any(k in ex.check_cells for ex in exercises)
        if not is_check:
            for name in reads:
                if name in live:
                    where, why = live[name]
                    problems.append(Problem(notebook, k, f"`{_first_line(cell)}` reads `{name}`, {why} "
                                                         f"(exercise cell {where}); use a value from the package"))
                    uses_answer.add(k)
        for name in writes:
            live.pop(name, None)
        if EXERCISE not in tags(cell):
            continue
        if k + 1 >= len(cells) or SOLUTION not in tags(cells[k + 1]):
            problems.append(Problem(notebook, k, "an `exercise` cell must be followed by its `solution` cell"))
            continue
        if not writes:
            problems.append(Problem(notebook, k, "the exercise stub assigns no name for the check to read"))
            continue
        solution_writes = parsed[k + 1][1]
        checks = []
        for j in range(k + 2, len(cells)):  # the code cells right after the solution that read the answer
            after = cells[j]
            if (after.cell_type != "code" or EXERCISE in tags(after) or SOLUTION in tags(after)
                    or not set(parsed[j][0]) & set(writes) or not calls_a_check(after.source)):
                break
            checks.append(j)
        if not checks:
            problems.append(Problem(notebook, k + 1, f"no check cell reading {', '.join(writes)} follows the solution"))
        ex_id = ", ".join(writes)
        seen[ex_id] = seen.get(ex_id, 0) + 1
        if seen[ex_id] > 1:
            ex_id = f"{ex_id} #{seen[ex_id]}"
        exercises.append(Exercise(ex_id, tuple(writes), k, k + 1, tuple(checks), cells[k + 1].source))
        for name in writes:
            live[name] = (k, "the student's answer (`...` in an unanswered notebook)")
        for name in solution_writes:
            if name not in writes:
                live[name] = (k, f"which only the solution defines (cell {k + 1}, removed for students)")
    return exercises, problems, uses_answer


def revealing(nb: nbformat.NotebookNode, exercises: list[Exercise], notebook: str) -> list[Problem]:
    """The code cells whose stored output shows a line of a solution that its stub does not give (one note each
    per exercise), e.g. ``show_source`` of the package's reference after the exercise."""
    notes = []
    for ex in exercises:
        telling = sorted(telling_lines(ex.solution, nb.cells[ex.exercise_cell].source))
        for k, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or {SOLUTION, EXERCISE, CHECK} & set(tags(cell)):
                continue
            shown = " ".join(" ".join(output_texts(cell)).split())
            line = next((ln for ln in telling if ln in shown), None)
            if line:
                notes.append(Problem(notebook, k, f"its stored output shows `{line}` of the solution of {ex.id} "
                                                  f"(cell {ex.solution_cell}): cleared in the student edition"))
    return notes


class ExercisePreprocessor(Preprocessor):
    """Mark the exercises for the student edition (what nbconvert's own preprocessors cannot know).

    Tags the check cells ``check``, the cells that (against the convention) read an answer ``uses-answer``, and
    those whose stored output shows a line of a solution (``show_source`` of the reference) ``reveals-answer``;
    stamps ``metadata["nlpcourse"]`` on stubs (``{"exercise": id, "names": [...]}``), checks
    (``{"check": id}``) and the notebook (``{"edition": "student", "notebook": name, "exercises": [ids]}``).
    ``resources["exercises"]``, ``resources["problems"]`` and ``resources["notes"]`` (revealing outputs,
    cleared) receive the analysis.
    """

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict) -> tuple[nbformat.NotebookNode, dict]:
        name = resources.get("metadata", {}).get("name", "notebook")
        exercises, problems, uses_answer = analyse(nb, name)
        for ex in exercises:
            nb.cells[ex.exercise_cell].metadata[META] = {"exercise": ex.id, "names": list(ex.names)}
            for k in ex.check_cells:
                cell = nb.cells[k]
                cell.metadata[META] = {"check": ex.id}
                cell.metadata["tags"] = [*tags(cell), CHECK] if CHECK not in tags(cell) else tags(cell)
        for k in uses_answer:
            nb.cells[k].metadata["tags"] = [*tags(nb.cells[k]), USES_ANSWER]
        notes = revealing(nb, exercises, name)
        for k in sorted({note.cell for note in notes} - {k for k, c in enumerate(nb.cells) if REVEALS in tags(c)}):
            nb.cells[k].metadata["tags"] = [*tags(nb.cells[k]), REVEALS]
        resources["notes"] = notes
        nb.metadata[META] = {"edition": "student", "notebook": name, "exercises": [ex.id for ex in exercises]}
        resources["exercises"], resources["problems"] = exercises, problems
        return nb, resources


def exporter() -> NotebookExporter:
    """The nbconvert exporter of the student edition: ours to mark, then TagRemove to remove and clear."""
    exp = NotebookExporter()
    exp.register_preprocessor(ExercisePreprocessor(), enabled=True)
    exp.register_preprocessor(TagRemovePreprocessor(
        remove_cell_tags={SOLUTION}, remove_all_outputs_tags={EXERCISE, CHECK, USES_ANSWER, REVEALS}), enabled=True)
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
    exercises, _, _ = analyse(nb, Path(path).stem)
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
        else:
            if _place(beside, data, manifest) == "edited":
                report.blocked.append(dest)
                echo(f"{dest} and {beside} both have your edits; nothing was overwritten. Rename {beside.name} "
                     f"and run `make student` again to get the new version.")
            else:
                report.kept.append((dest, beside))
                echo(f"{dest} has your edits, so it was left as it is. The course's new version is beside it: "
                     f"{beside} (copy your answers into it, or its new cells into yours).")
    (target / MANIFEST).write_text(json.dumps({"format": 1, "files": dict(sorted(manifest.items()))}, indent=1)
                                   + "\n", encoding="utf-8")
    echo(f"student edition: {len(report.written)} written, {len(report.unchanged)} unchanged, "
         f"{len(report.kept) + len(report.blocked)} kept with your edits, in {target}/")
    return report


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
