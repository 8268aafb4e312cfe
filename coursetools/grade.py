"""Grading, for instructors: each submission run in a sandbox, its answers judged by the course's checks in the
grader's own process, one gradebook.

``make grade SUBMISSIONS=dir/`` (``python -m coursetools.grade dir/``) grades ``dir/<student>/*.ipynb`` (or
``dir/<student>.ipynb``) and writes to ``build/grades/``:

- ``grades.csv``: the gradebook an LMS imports (the shape of otter-grader's ``final_grades.csv`` and nbgrader's
  ``export``): one row per student (``student_id``), the points of each exercise in course order, ``total`` and
  ``max_points`` (over each graded notebook's own exercise list), and the file graded;
- ``details.csv``: one row per student × exercise: status (passed / failed / not answered / error), points and
  the check's message (never the expected values).

How one submission is graded:

1. It is matched to its course notebook (``metadata["nlpcourse"]["notebook"]``, else the ``NN_`` of its file
   name). The grading copy is the student's cells with every check cell replaced by the course's own, inside a
   recorder (``coursetools.tap``); the cells after the last check are dropped.
2. The copy runs in a sandbox (bubblewrap, :func:`sandbox_command`): a uid of its own without capabilities; new
   PID, network, IPC and UTS namespaces (no network at all, no host socket; when the run ends every process in it
   is killed); a read-only view of the Python environment, of ``nlpcourse/``, ``coursetools/`` and ``data/`` only
   (no instructor notebook, no solution, no other submission); a private ``/tmp``; one writable folder, its own;
   limits on memory (a cgroup where the system allows one, and each process's address space), tasks, CPU time
   and file size. Where no sandbox can be made, grading refuses (``--no-sandbox`` overrides it, loudly).
3. Nothing read back from the sandbox is trusted: the recorder's output (the answers' values, and what each
   answer function returned on each of the check's inputs, as numbers) is data. The grader runs each course check
   again, in its own process, on those numbers for its own inputs (``coursetools.tap.Replay``); only a check
   that passes there counts. A run that stopped, a check that did not finish, a record missing or malformed:
   "error", never "passed". An answer that is, or calls, the course's own implementation of the exercise is
   failed with a message saying so.
"""

from __future__ import annotations

import argparse
import ast
import functools
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import tokenize
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stdout
from dataclasses import asdict, dataclass
from io import StringIO
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert.preprocessors import ClearOutputPreprocessor

from coursetools import tap
from coursetools.sandbox import DEFAULT_LIMITS, Limits, course_environment, kill_group, run_sandboxed, sandbox_problem
from coursetools.student import META, analyse, course_notebooks, exit_code, student_edition
from nlpcourse import exercise
from nlpcourse.exercise import MISSING, RIGHT, WRONG

STATUSES = ("passed", "failed", "not answered", "error")
GRADER = "nlpcourse-grader"  # tag of the cells the grader writes


class SandboxUnavailable(ValueError):
    """This machine cannot make the grading sandbox (the message says why and what to do)."""


@dataclass(frozen=True)
class Grade:
    """The grade of one exercise of one student."""

    student: str
    notebook: str
    exercise: str
    status: str  # one of STATUSES
    message: str
    file: str  # the submitted file, relative to the submissions folder
    points: float = 0.0  # earned
    max_points: float = 1.0


# --- the grading copy ----------------------------------------------------------------------------------------------


def _meta(cell: dict) -> dict:
    return dict(cell.get("metadata", {}).get(META, {}))


RECORDED = """\
# added by the grader: the course's check, its answers recorded
from coursetools.tap import recorded as _nlpcourse_recorded
with _nlpcourse_recorded({exercise!r}, {names!r}, globals()):
{body}
"""


def recording_cell(check: dict, names: list[str]) -> nbformat.NotebookNode:
    """A trusted check cell wrapped in the recorder (``coursetools.tap.recorded``)."""
    ex = _meta(check)["check"]
    body = textwrap.indent(check["source"].strip() or "pass", "    ")
    return nbformat.v4.new_code_cell(RECORDED.format(exercise=ex, names=list(names), body=body),
                                     metadata={"tags": [GRADER], META: {"check": ex}})


def grading_copy(submission: nbformat.NotebookNode, template: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook the grader runs: the student's cells with the course's checks, cut after the last check.

    ``template`` is the current student edition of the same course notebook (its checks are the trusted ones).
    The student's check cells are dropped; each exercise's trusted checks (recorded) go after the student's (last)
    cell of that exercise, or, when the student deleted the exercise cell, before the next exercise present
    (else at the end); outputs cleared.
    """
    names = {_meta(c)["exercise"]: list(_meta(c).get("names", [])) for c in template.cells if "exercise" in _meta(c)}
    order = list(names)
    trusted = {ex: [recording_cell(c, names[ex]) for c in template.cells if _meta(c).get("check") == ex]
               for ex in order}
    cells = [nbformat.from_dict(json.loads(json.dumps(c))) for c in submission.cells
             if "check" not in _meta(c) and GRADER not in c.get("metadata", {}).get("tags", [])]
    last = {_meta(c)["exercise"]: k for k, c in enumerate(cells) if _meta(c).get("exercise") in trusted}
    out: list = []
    for k, cell in enumerate(cells):
        out.append(cell)
        ex = _meta(cell).get("exercise")
        if last.get(ex) == k:
            out.extend(trusted[ex])
    for i, ex in enumerate(order):
        if ex in last:
            continue
        later = [e for e in order[i + 1:] if e in last]
        at = (next(k for k, c in enumerate(out) if _meta(c).get("exercise") == later[0]) if later else len(out))
        out[at:at] = trusted[ex]
    checks = [k for k, c in enumerate(out) if "check" in _meta(c)]
    out = out[: checks[-1] + 1] if checks else out
    nb = nbformat.v4.new_notebook(cells=out, metadata=json.loads(json.dumps(submission.metadata)))
    nb, _ = ClearOutputPreprocessor().preprocess(nb, {})
    return nb


# --- running one notebook ----------------------------------------------------------------------------------------


def execute(src: Path, dest: Path, *, timeout: int, cell_timeout: int, cwd: Path) -> str | None:
    """Run a *trusted* notebook ``src`` (the course's own: tests, the solved edition) in a worker process and its
    own kernel, without a sandbox; the executed notebook lands in ``dest``.

    Returns None when the notebook ran to its end, else why it stopped (timeout, dead kernel, worker failure).
    """
    env = {**os.environ, **course_environment()}
    worker = subprocess.Popen([sys.executable, "-m", "coursetools.worker", str(src), str(dest),
                               "--cell-timeout", str(cell_timeout), "--cwd", str(cwd)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    status_path = dest.with_suffix(".status.json")
    try:
        log, _ = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        status = json.loads(status_path.read_text()) if status_path.exists() else {}
        kill_group(status.get("kernel_pgid"))  # the kernel first (its own session: killing the worker would orphan it)
        kill_group(worker.pid)
        worker.communicate()
        return f"the notebook ran longer than {timeout} s and was stopped"
    status = json.loads(status_path.read_text()) if status_path.exists() else {}
    kill_group(status.get("kernel_pgid"))  # normally gone already; a kernel outliving its worker is not left running
    if "error" in status:
        return str(status["error"])
    if worker.returncode != 0 or not dest.exists():
        tail = log.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return f"the grader's worker failed (exit {worker.returncode}: {tail[0]})"
    return None


# --- judging the record ------------------------------------------------------------------------------------------


def verdicts(cell: dict) -> list[str]:
    """The verdict lines (✅ / ❌ / ✏️, as ``nlpcourse.exercise`` prints them) in a cell's stream outputs."""
    streams: dict[str, str] = {}  # a line may arrive in two stream messages: join them per stream first
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            streams[out["name"]] = streams.get(out["name"], "") + out["text"]
    return [ln.strip() for text in streams.values() for ln in text.splitlines()
            if ln.strip().startswith((RIGHT, WRONG, MISSING))]


def _error(cell: dict) -> dict | None:
    return next((o for o in cell.get("outputs", []) if isinstance(o, dict) and o.get("output_type") == "error"),
                None)


def _records(cell: dict) -> list[dict]:
    return [o["data"][tap.MIME] for o in cell.get("outputs", []) if isinstance(o, dict)
            and o.get("output_type") == "display_data" and isinstance(o.get("data"), dict)
            and isinstance(o["data"].get(tap.MIME), dict)]


def imports(template: nbformat.NotebookNode) -> list[str]:
    """The import statements of the course notebook's code cells (trusted: the template is the course's)."""
    found = []
    for cell in template.cells:
        if cell.cell_type != "code" or "check" in _meta(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        found += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return list(dict.fromkeys(found))


def judge(record: dict, check_source: str, names: list[str], setup: list[str]) -> tuple[str, str]:
    """(status, message) of one check cell, from its record: the course's check re-run in this process on the
    recorded values and outputs (``coursetools.tap.Replay``); nothing the student wrote is executed."""
    if tap.size(record) > tap.MAX_VALUES:
        return "error", "the recorded answers are too large to judge"
    if str(record.get("raised", "")).startswith("KeyboardInterrupt"):
        return "error", "the check ran longer than the cell's time limit and was stopped"
    described = record.get("names") if isinstance(record.get("names"), dict) else {}
    namespace: dict = {}
    for statement in setup:
        try:
            exec(statement, namespace)
        except Exception:  # an import the grader does not need
            pass
    for name in names:
        d = described.get(name)
        kind = d.get("kind") if isinstance(d, dict) else None
        if kind == "undefined":
            return "not answered", f"name '{name}' is not defined (the exercise cell was deleted or did not run)"
        if kind == "missing":
            namespace[name] = ... if d.get("ellipsis") else None
        elif kind == "function":
            namespace[name] = tap.Stand(name)
        elif kind == "value":
            try:
                namespace[name] = tap.decode(d.get("value"))
            except (ValueError, TypeError, OverflowError):
                return "error", f"the recorded value of `{name}` is malformed"
        else:
            return "error", f"the check did not record `{name}` (the run stopped before it)"
    replay, previous = tap.Replay(record), exercise._tap
    exercise._tap = replay
    printed = StringIO()
    try:
        with redirect_stdout(printed):
            exec(compile(check_source, "<check>", "exec"), namespace)
    except tap.Unrecorded:
        replay.incomplete.append("?")
    except Exception as e:  # the course's check failing on recorded data: the grader's problem, not a pass
        return "error", f"the check raised {type(e).__name__} in the grader: {str(e)[:200]}"
    finally:
        exercise._tap = previous
    if replay.shortcuts:
        return "failed", (f"{WRONG}: the answer is, or calls, `{replay.shortcuts[0]}`, the course's own "
                          "implementation of this exercise: write it yourself (0 points).")
    sandbox = [r for r in record.get("reports") or [] if isinstance(r, dict)]
    own = [v for v in replay.verdicts]
    failed = [v.message for v in own if v.status == "failed"]
    if replay.incomplete:  # the check stopped before its comparison in the sandbox: its own words say why
        told = [str(r.get("message"))[:300] for r in sandbox if r.get("status") in ("failed", "not answered")]
        if any(r.get("status") == "failed" for r in sandbox):
            return "failed", " | ".join(f"{WRONG}: {m}" for m in told)
        if told:
            return "not answered", " | ".join(told)
        return "error", "the check did not run on every input (the run stopped, or the record is incomplete)"
    if failed:
        return "failed", " | ".join(f"{WRONG}: {m}" for m in failed)
    if any(v.status == "not answered" for v in own):
        return "not answered", " | ".join(v.message for v in own if v.status == "not answered")
    if not own:
        return "error", "the check gave no verdict"
    if record.get("done") is not True:
        return "error", "the check did not finish in the sandbox"
    if any(r.get("status") == "failed" for r in sandbox):  # a failure the sandbox saw and the replay could not
        return "failed", " | ".join(f"{WRONG}: {str(r.get('message'))[:300]}" for r in sandbox
                                    if r.get("status") == "failed")
    return "passed", " | ".join(f"{RIGHT}: {v.message}" for v in own)


RANK = {"passed": 0, "not answered": 1, "failed": 2, "error": 3}


def classify(nb: nbformat.NotebookNode | None, template: nbformat.NotebookNode, exercise_id: str,
             names: list[str], *, cell_timeout: int, stopped: str | None) -> tuple[str, str]:
    """(status, message) of one exercise of an executed grading copy (read back from the sandbox: data only).

    The exercise cell's own error is "error"; each trusted check cell is judged from its record (``judge``); a
    name left undefined is "not answered" unless one of the student's own cells before it raised.
    """
    if nb is None:
        return "error", f"not graded: {stopped or 'no notebook came back'}"
    cells = [c for c in nb.cells if isinstance(c, dict)]
    for cell in cells:
        if _meta(cell).get("exercise") == exercise_id and (err := _error(cell)):
            if err.get("ename") == "KeyboardInterrupt":
                return "error", f"the exercise cell ran longer than {cell_timeout} s and was stopped"
            return "error", f"the exercise cell raised {err.get('ename')}: {str(err.get('evalue'))[:300]}"
    checks = [c for c in template.cells if _meta(c).get("check") == exercise_id]
    ran = [k for k, c in enumerate(cells) if _meta(c).get("check") == exercise_id
           and GRADER in c.get("metadata", {}).get("tags", [])]
    if not checks:
        return "error", "the course has no check for this exercise"
    setup = imports(template)
    results = []
    for check, k in zip(checks, ran + [None] * len(checks), strict=False):
        records = _records(cells[k]) if k is not None else []
        record = next((r for r in records if r.get("exercise") == exercise_id), None)
        if record is None:
            err = _error(cells[k]) if k is not None else None
            if err and err.get("ename") == "KeyboardInterrupt":
                results.append(("error", f"the check ran longer than {cell_timeout} s and was stopped"))
            else:
                results.append(("error", f"not graded: {stopped or 'the check did not run'}"))
            continue
        status, message = judge(record, check.source, names, setup)
        if status == "not answered" and "is not defined" in message:
            before = [e for c in cells[:k] if not _meta(c).get("check") and (e := _error(c))]
            if before:
                cause = ("ran too long and was stopped" if before[0].get("ename") == "KeyboardInterrupt"
                         else f"raised {before[0].get('ename')}: {str(before[0].get('evalue'))[:200]}")
                status, message = "error", f"{message.split(' (')[0]}: an earlier cell {cause}"
            elif not any(_meta(c).get("exercise") == exercise_id for c in cells):
                message = message.replace("was deleted or did not run", "was deleted")
        results.append((status, message))
    return max(results, key=lambda r: RANK[r[0]])


# --- grading a folder --------------------------------------------------------------------------------------------


def submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, notebook path) pairs: ``folder/<student>/*.ipynb`` and ``folder/<student>.ipynb``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"submissions: expected a folder of submitted notebooks, got {str(folder)!r}")
    found = [(p.stem, p) for p in sorted(folder.glob("*.ipynb"))]
    found += [(d.name, p) for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith(".")
              for p in sorted(d.glob("*.ipynb"))]
    return found


def _course_notebook(path: Path, nb: nbformat.NotebookNode | None, course: dict[str, Path]) -> str | None:
    meta = nb.metadata.get(META, {}) if nb is not None else {}
    name = meta.get("notebook") if isinstance(meta, dict) else None
    if name in course:
        return name
    prefix = path.name[:3]
    return next((stem for stem in course if stem[:3] == prefix and prefix[:2].isdigit()), None)


@functools.lru_cache(maxsize=64)
def _edition(path: Path, mtime_ns: int) -> tuple[str, dict[str, float]]:
    """The student edition's text of a course notebook and each exercise's points (the exercise cell's
    ``metadata.nlpcourse.points`` in the instructor notebook, default 1), built once per version of the file."""
    instructor = nbformat.read(path, as_version=4)
    points = {}
    for ex in analyse(instructor, path.stem)[0]:
        value = instructor.cells[ex.exercise_cell].metadata.get(META, {}).get("points", 1)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{path.name}: exercise {ex.id}: points: expected a number >= 0, got {value!r}")
        points[ex.id] = float(value)
    return student_edition(path)[0], points


def grade_one(student: str, path: Path, course: dict[str, Path], *, timeout: int, cell_timeout: int,
              workdir: Path, file: str | None = None, limits: Limits = DEFAULT_LIMITS, uid: int = 61000,
              sandbox: bool = True) -> list[Grade]:
    """Grade one submitted notebook: one Grade per exercise of its course notebook.

    ``course``: {notebook name: instructor notebook path}; ``timeout``, ``cell_timeout``: seconds for the
    notebook, for one cell; ``workdir``: this submission's own folder (the sandbox's only writable place);
    ``uid``: the sandbox's user id; ``file``: how the file is named in the table (default: its name).
    """
    file = file or path.name
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # not JSON, not a notebook: report it, grade the others
        nb, problem = None, f"cannot read {path.name}: {type(err).__name__}: {str(err).splitlines()[0]}"
    else:
        problem = None
    name = _course_notebook(path, nb, course)
    if name is None:
        return [Grade(student, path.stem, "—", "error", problem or f"{path.name} is not one of the course notebooks",
                      file, 0.0, 0.0)]
    text, points = _edition(course[name], course[name].stat().st_mtime_ns)
    template = nbformat.reads(text, as_version=4)
    exercises = [(c.metadata[META]["exercise"], c.metadata[META]["names"]) for c in template.cells
                 if "exercise" in _meta(c)]
    if problem:
        return [Grade(student, name, ex, "error", problem, file, 0.0, points.get(ex, 1.0)) for ex, _ in exercises]
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir.parent / f"{workdir.name}.graded.ipynb"
    try:
        nbformat.write(grading_copy(nb, template), src)
    except Exception as err:  # a notebook nbformat reads but cannot rewrite
        return [Grade(student, name, ex, "error", f"cannot prepare {path.name}: {type(err).__name__}", file, 0.0,
                      points.get(ex, 1.0)) for ex, _ in exercises]
    executed, stopped = run_sandboxed(src, workdir, timeout=timeout, cell_timeout=cell_timeout, limits=limits,
                                      uid=uid, sandbox=sandbox)
    grades, touched = [], tampering(nb)
    for ex, names in exercises:
        status, message = classify(executed, template, ex, names, cell_timeout=cell_timeout, stopped=stopped)
        if touched and status in ("passed", "failed"):  # whatever the outputs: 0, and the instructor told why
            status, message = "failed", (f"{WRONG}: the notebook reaches into the grader ({', '.join(touched)}): "
                                         f"no points; ask your instructor. | {message}")
        worth = points.get(ex, 1.0)
        grades.append(Grade(student, name, ex, status, message, file, worth if status == "passed" else 0.0, worth))
    return grades


TAMPERING = re.compile(r"\b(coursetools|_tap|setprofile|settrace|_nlpcourse_recorded)\b")


def tampering(nb: nbformat.NotebookNode) -> list[str]:
    """The grader's own names that the student's code cells mention (outside comments): the recorder's module,
    the exercise tap, Python's tracing hooks. Read from the submitted source in the grader: nothing runs."""
    found: list[str] = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        try:
            tokens = tokenize.generate_tokens(io.StringIO(cell["source"]).readline)
            code = " ".join(t.string for t in tokens if t.type != tokenize.COMMENT)
        except (tokenize.TokenError, SyntaxError, IndentationError):
            code = cell["source"]
        found += [m for m in TAMPERING.findall(code) if m not in found]
    return found


NO_SANDBOX = ("WARNING: --no-sandbox: submissions run WITHOUT isolation, as this user, with this machine's files, "
              "network and memory: a submission can read the solutions and the other submissions, change files, "
              "and harm the machine. Use it only for notebooks you trust.")


def grade(folder: Path, notebooks: Path = Path("notebooks"), out: Path | None = Path("build/grades"), *,
          timeout: int = 600, cell_timeout: int = 120, jobs: int = 1, echo=print, limits: Limits = DEFAULT_LIMITS,
          sandbox: bool = True) -> pd.DataFrame:
    """Grade every submission of ``folder``; write ``out/grades.csv`` (the gradebook) and ``out/details.csv``;
    print the table. Returns the long table: one row per submitted file × exercise (columns of ``Grade``).

    ``notebooks``: the instructor notebooks (the trusted checks come from their student edition); ``timeout``,
    ``cell_timeout``: seconds for one notebook, one cell; ``jobs``: submissions graded at once; ``limits``: the
    sandbox's; ``sandbox=False`` runs submissions unisolated (refused unless asked for, and said loudly).
    """
    if timeout < 1 or cell_timeout < 1:
        raise ValueError(f"timeout, cell_timeout: expected seconds >= 1, got {timeout}, {cell_timeout}")
    if jobs < 1:
        raise ValueError(f"jobs: expected an int >= 1, got {jobs}")
    course = {p.stem: p for p in course_notebooks(notebooks)}
    found = submissions(folder)
    if not found:
        raise ValueError(f"submissions: expected .ipynb files in {str(folder)!r}, found none")
    if sandbox and (why := sandbox_problem()):
        raise SandboxUnavailable(f"cannot grade safely: {why}. Grading runs each submission in a bubblewrap sandbox; "
                           "install it (make grade does) or, for notebooks you trust only, pass --no-sandbox.")
    if not sandbox:
        echo(NO_SANDBOX)
    folder = Path(folder)
    with tempfile.TemporaryDirectory(prefix="nlpcourse-grade-") as tmp:
        os.chmod(tmp, 0o711)  # the sandboxes reach their own folder, nobody lists the others

        def one(k: int) -> list[Grade]:
            student, path = found[k]
            echo(f"grading {student}: {path.relative_to(folder)}")
            return grade_one(student, path, course, timeout=timeout, cell_timeout=cell_timeout,
                             workdir=Path(tmp) / f"{k:04d}", file=str(path.relative_to(folder)), limits=limits,
                             uid=61000 + k % 4000, sandbox=sandbox)

        with ThreadPoolExecutor(max_workers=jobs) as pool:  # threads only wait: the work is in the sandboxes
            grades = [g for graded in pool.map(one, range(len(found))) for g in graded]
    details = pd.DataFrame([asdict(g) for g in grades], columns=list(Grade.__dataclass_fields__))
    book, taken = gradebook(details)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        book.to_csv(Path(out) / "grades.csv", index=False)
        details.to_csv(Path(out) / "details.csv", index=False)
    echo(summary(details, book, taken))
    if out is not None:
        echo(f"written: {Path(out) / 'grades.csv'} (the gradebook), {Path(out) / 'details.csv'} (the messages)")
    if not sandbox:
        echo(NO_SANDBOX)
    return details


def gradebook(details: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per student (``student_id``, sorted), a column of points per "notebook: exercise" in course order,
    ``total``, ``max_points`` (the points of every exercise of the notebooks graded: each notebook's own list,
    whoever handed it in; a notebook a student did not hand in counts 0) and ``files``; and what was decided for
    students who handed in one notebook twice.

    Of two files of one notebook, the one with more points counts (ties: the later file name); the other is listed.
    """
    students = sorted(set(details["student"]))  # also those whose file matched no course notebook: 0 points
    details = details[details["exercise"] != "—"] if len(details) else details
    taken, notes = [], []
    for (student, notebook), part in details.groupby(["student", "notebook"], sort=False):
        files = list(dict.fromkeys(part["file"]))
        if len(files) > 1:
            score = {f: part.loc[part["file"] == f, "points"].sum() for f in files}
            best = max(sorted(files), key=lambda f: score[f])
            notes.append(f"{student} · {notebook}: {len(files)} files; counted {best} ({score[best]:g} points), "
                         f"not {', '.join(f for f in files if f != best)}")
            part = part[part["file"] == best]
        taken.append(part)
    chosen = pd.concat(taken) if taken else details
    order = list(dict.fromkeys(chosen["notebook"] + ": " + chosen["exercise"])) if len(chosen) else []
    columns = sorted(order, key=lambda c: (c.split(": ")[0], order.index(c)))  # course order
    book = (chosen.assign(column=chosen["notebook"] + ": " + chosen["exercise"])
            .pivot_table(index="student", columns="column", values="points", aggfunc="first")
            .reindex(columns=columns)) if len(chosen) else pd.DataFrame(columns=columns)
    book = book.fillna(0.0)
    per = chosen.drop_duplicates(["student", "notebook", "exercise"])
    worth = per.drop_duplicates(["notebook", "exercise"]).set_index(["notebook", "exercise"])["max_points"]
    book = book.reindex(students).fillna(0.0)
    book["total"] = book[columns].sum(axis=1)
    book["max_points"] = float(worth.sum())  # every exercise of every notebook graded: the same for everyone
    book["files"] = (per.groupby("student")["file"].agg(lambda f: " ".join(dict.fromkeys(f)))
                     .reindex(book.index).fillna(""))
    book.index.name = "student_id"
    book.columns.name = None
    return book.reset_index(), notes


def summary(details: pd.DataFrame, book: pd.DataFrame, taken: list[str]) -> str:
    """The printed summary: the statuses one notebook at a time (a terminal stays readable), the points per
    student, which file counted for a student who handed in twice, and why each error happened."""
    lines = []
    for notebook in dict.fromkeys(details["notebook"]):
        part = details[details["notebook"] == notebook]
        table = part.pivot_table(index="student", columns="exercise", values="status", aggfunc="first")
        table = table.reindex(columns=list(dict.fromkeys(part["exercise"]))).fillna("—")
        lines += [f"{notebook}:", table.to_string(), ""]
    lines.append(book[["student_id", "total", "max_points"]].to_string(index=False))
    if taken:
        lines += ["", "handed in twice:", *(f"  {t}" for t in taken)]
    errors = details[details["status"] == "error"]
    if len(errors):
        lines.append("\nerrors:")
        lines += [f"  {r.student} · {r.notebook}: {r.exercise}: {r.message}" for r in errors.itertuples()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade submitted course notebooks, each in a sandbox (gradebook).")
    parser.add_argument("submissions", type=Path, nargs="?", help="folder: <student>/*.ipynb or <student>.ipynb")
    parser.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="instructor notebooks")
    parser.add_argument("--out", type=Path, default=Path("build/grades"), help="folder for grades.csv, details.csv")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per notebook (default 600)")
    parser.add_argument("--cell-timeout", type=int, default=120, help="seconds per cell (default 120)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default 1)")
    parser.add_argument("--memory-gib", type=float, default=4.0, help="memory per submission (default 4 GiB)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="DANGEROUS: run submissions without isolation (only where no sandbox can be made, "
                             "for notebooks you trust)")
    args = parser.parse_args(argv)
    if args.submissions is None:
        parser.error("give the submissions folder: make grade SUBMISSIONS=dir/")
    limits = Limits(memory=int(args.memory_gib * (1 << 30)))
    return exit_code(lambda: grade(args.submissions, args.notebooks, args.out, timeout=args.timeout,
                                   cell_timeout=args.cell_timeout, jobs=args.jobs, limits=limits,
                                   sandbox=not args.no_sandbox))


if __name__ == "__main__":
    sys.exit(main())
