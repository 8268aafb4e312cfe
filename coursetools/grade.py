"""Grading, for instructors: run every submitted notebook, read each exercise's check, write one table.

``make grade SUBMISSIONS=dir/`` (``python -m coursetools.grade dir/``) grades ``dir/<student>/*.ipynb``
(or ``dir/<student>.ipynb``, one notebook per student) and writes ``build/grades/grades.csv`` (student ×
exercise → passed / failed / not answered / error, the way otter-grader and nbgrader report) and
``build/grades/details.csv`` (one row per student × exercise with the check's message), and prints the table.

How one submission is graded:

1. It is matched to its course notebook (the ``metadata["nlpcourse"]["notebook"]`` the student edition carries,
   else the ``NN_`` of its file name), and a grading copy is made: the student's cells, with every check cell
   replaced by the course's own (a check the student deleted or changed is put back right after its exercise;
   the grader never trusts a check it did not write), the cells after the last check dropped (they cannot change
   a grade), outputs cleared, and a first cell that switches Python's sockets off (no network while grading).
2. The copy runs in a worker process through nbclient, in a fresh kernel (the student's code never runs in the
   grader's process), offline (a network namespace of its own where Linux allows one, see ``OFFLINE``;
   Python's sockets switched off in any case), in a scratch folder: ``cell_timeout`` seconds per cell (a cell
   over it is interrupted and its exercise reported, the next cells still run) and ``timeout`` seconds for the
   whole notebook (the worker and its kernel are killed; what ran before keeps its result). A kernel that dies
   is reported the same way.
3. Each exercise gets its status from its own cells, by the verdict lines ``nlpcourse.exercise`` prints
   (✅ / ❌ / ✏️): an error in the exercise cell is ``error``; a ❌ line ``failed``; a ✏️ line, or the answer's
   name undefined because the exercise cell was deleted, ``not answered``; only ✅ lines ``passed``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
import pandas as pd
from nbclient import NotebookClient
from nbconvert.preprocessors import ClearOutputPreprocessor

from coursetools.student import META, course_notebooks, exit_code, student_edition
from nlpcourse.exercise import MISSING, RIGHT, WRONG

STATUSES = ("passed", "failed", "not answered", "error")
GRADER = "nlpcourse-grader"  # tag of the cell the grader adds

NO_NETWORK = """\
# added by the grader: no network while grading
import socket as _socket


def _no_network(*args, **kwargs):
    raise OSError("network access is disabled while grading")


_socket.socket.connect = _socket.socket.connect_ex = _no_network
_socket.create_connection = _socket.getaddrinfo = _no_network
del _socket, _no_network
"""


@dataclass(frozen=True)
class Grade:
    """The grade of one exercise of one student."""

    student: str
    notebook: str
    exercise: str
    status: str  # one of STATUSES
    message: str
    file: str  # the submitted file, relative to the submissions folder


# --- the grading copy ----------------------------------------------------------------------------------------------


def _meta(cell: dict) -> dict:
    return dict(cell.get("metadata", {}).get(META, {}))


def grading_copy(submission: nbformat.NotebookNode, template: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook the grader runs: the student's cells with the course's checks, cut after the last check.

    Args:
        submission: the student's notebook (any edits).
        template: the current student edition of the same course notebook (its checks are the trusted ones).
    Returns:
        a new notebook: the no-network cell, the student's cells without their check cells, each exercise's
        trusted check cells after the student's (last) cell of that exercise, or, when the student deleted the
        exercise cell, before the next exercise present (else at the end); outputs cleared.
    """
    order = [c.metadata[META]["exercise"] for c in template.cells if "exercise" in _meta(c)]
    trusted = {ex: [nbformat.from_dict(json.loads(json.dumps(c))) for c in template.cells
                    if _meta(c).get("check") == ex] for ex in order}
    cells = [nbformat.from_dict(json.loads(json.dumps(c))) for c in submission.cells if "check" not in _meta(c)]
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
    guard = nbformat.v4.new_code_cell(NO_NETWORK, metadata={"tags": [GRADER]})
    nb = nbformat.v4.new_notebook(cells=[guard, *out], metadata=json.loads(json.dumps(submission.metadata)))
    nb, _ = ClearOutputPreprocessor().preprocess(nb, {})
    return nb


# --- running one notebook (in a worker process) ----------------------------------------------------------------


def run_notebook(src: Path, dest: Path, cell_timeout: int, cwd: Path) -> None:
    """Execute ``src`` in a fresh kernel, saving the executed notebook to ``dest`` after every cell.

    Runs inside the worker process (``python -m coursetools.grade --run-one``). Errors in cells are
    recorded as outputs (``allow_errors``); a cell over ``cell_timeout`` seconds is interrupted. Writes
    ``dest.with_suffix(".status.json")``: ``{"kernel_pgid": ...}`` as soon as the kernel runs (so the grader can
    kill it), then ``{"error": ...}`` if the run stopped early (the kernel died).
    """
    status_path = dest.with_suffix(".status.json")
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(nb, timeout=cell_timeout, interrupt_on_timeout=True, allow_errors=True,
                            kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(cwd)}})
    status: dict[str, object] = {}

    def started(**_: object) -> None:
        status["kernel_pgid"] = getattr(client.km.provisioner, "pgid", None)
        status_path.write_text(json.dumps(status))

    def save(**_: object) -> None:
        nbformat.write(client.nb, dest)

    client.on_notebook_start = started
    client.on_cell_executed = save
    try:
        client.execute()
    except Exception as err:  # the kernel died (os._exit, a segfault, out of memory): report, keep what ran
        status["error"] = f"the kernel stopped ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
    nbformat.write(client.nb, dest)
    status_path.write_text(json.dumps(status))


def _kill(pgid: object) -> None:
    if isinstance(pgid, int) and pgid > 0:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


# The worker and its kernel in a network namespace of their own (only a loopback, which they talk over), where
# Linux lets an unprivileged user make one; the kernel's sockets are switched off in any case (NO_NETWORK).
OFFLINE = ["unshare", "--net", "--map-root-user", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]


@functools.cache
def offline_prefix() -> tuple[str, ...]:
    """The command prefix that runs a process without network (``OFFLINE``), or () where this system cannot."""
    if not (shutil.which("unshare") and shutil.which("ip")):
        return ()
    try:
        ok = subprocess.run([*OFFLINE, "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return tuple(OFFLINE) if ok else ()


def execute(src: Path, dest: Path, *, timeout: int, cell_timeout: int, cwd: Path) -> str | None:
    """Run ``src`` in a worker process and its own kernel, offline; the executed notebook lands in ``dest``.

    Returns:
        None when the notebook ran to its end, else why it stopped (timeout, dead kernel, worker failure).
    """
    # offline anyway; these make Hugging Face libraries not even try the hub
    env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1"}
    worker = subprocess.Popen([*offline_prefix(), sys.executable, "-m", "coursetools.grade", "--run-one",
                               str(src), str(dest), "--cell-timeout", str(cell_timeout), "--cwd", str(cwd)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    status_path = dest.with_suffix(".status.json")
    try:
        log, _ = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        status = json.loads(status_path.read_text()) if status_path.exists() else {}
        _kill(status.get("kernel_pgid"))  # the kernel first (its own session: killing the worker would orphan it)
        _kill(worker.pid)
        worker.communicate()
        return f"the notebook ran longer than {timeout} s and was stopped"
    status = json.loads(status_path.read_text()) if status_path.exists() else {}
    _kill(status.get("kernel_pgid"))  # normally gone already; a kernel that outlived its worker is not left running
    if "error" in status:
        return str(status["error"])
    if worker.returncode != 0 or not dest.exists():
        tail = log.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return f"the grader's worker failed (exit {worker.returncode}: {tail[0]})"
    return None


# --- reading the results -----------------------------------------------------------------------------------------


def verdicts(cell: dict) -> list[str]:
    """The verdict lines (✅ / ❌ / ✏️, as ``nlpcourse.exercise`` prints them) in a cell's stream outputs."""
    streams: dict[str, str] = {}  # a line may arrive in two stream messages: join them per stream first
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            streams[out["name"]] = streams.get(out["name"], "") + out["text"]
    return [ln.strip() for text in streams.values() for ln in text.splitlines()
            if ln.strip().startswith((RIGHT, WRONG, MISSING))]


def _error(cell: dict) -> dict | None:
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


def classify(nb: nbformat.NotebookNode, exercise: str, names: list[str], *, cell_timeout: int,
             stopped: str | None) -> tuple[str, str]:
    """(status, message) of one exercise in an executed grading copy.

    Args:
        nb: the executed (possibly partly executed) grading copy.
        exercise: the exercise id.
        names: the names its stub assigns (a NameError on one of them means the exercise cell was deleted).
        cell_timeout: the per-cell limit (for the message of an interrupted cell).
        stopped: why the run stopped early, or None.
    """
    stubs = [c for c in nb.cells if _meta(c).get("exercise") == exercise]
    checks = [c for c in nb.cells if _meta(c).get("check") == exercise]
    for cell in stubs:
        err = _error(cell)
        if err and err["ename"] == "KeyboardInterrupt":
            return "error", f"the exercise cell ran longer than {cell_timeout} s and was stopped"
        if err:
            return "error", f"the exercise cell raised {err['ename']}: {err['evalue']}"
    if not checks or any(c.get("execution_count") is None and not c.get("outputs") for c in checks):
        return "error", f"not graded: {stopped or 'the check did not run'}"
    lines = [ln for c in checks for ln in verdicts(c)]
    for cell in checks:
        err = _error(cell)
        if err and err["ename"] == "NameError" and any(f"'{n}'" in err["evalue"] for n in names):
            before = [e for c in nb.cells[: nb.cells.index(cell)] if (e := _error(c))]
            if before:  # the answer is missing because an earlier cell of the student's failed
                cause = ("ran too long and was stopped" if before[0]["ename"] == "KeyboardInterrupt"
                         else f"raised {before[0]['ename']}: {before[0]['evalue']}")
                return "error", f"{err['evalue']}: an earlier cell {cause}"
            where = "" if stubs else " (the exercise cell was deleted)"
            return "not answered", f"{err['evalue']}{where}"
        if err and err["ename"] == "KeyboardInterrupt":
            return "error", f"the check ran longer than {cell_timeout} s and was stopped"
        if err:
            return "error", f"the check raised {err['ename']}: {err['evalue']}"
    wrong = [ln for ln in lines if ln.startswith(WRONG)]
    missing = [ln for ln in lines if ln.startswith(MISSING)]
    if wrong:
        return "failed", " | ".join(wrong)
    if missing:
        return "not answered", " | ".join(missing)
    if lines:
        return "passed", " | ".join(lines)
    return "error", "the check printed no verdict"


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
    name = (nb.metadata.get(META, {}) if nb is not None else {}).get("notebook")
    if name in course:
        return name
    prefix = path.name[:3]
    return next((stem for stem in course if stem[:3] == prefix and prefix[:2].isdigit()), None)


@functools.lru_cache(maxsize=64)
def _edition(path: Path, mtime_ns: int) -> str:
    """The student edition's text of a course notebook, built once per version of the file."""
    return student_edition(path)[0]


def grade_one(student: str, path: Path, course: dict[str, Path], *, timeout: int, cell_timeout: int,
              workdir: Path, file: str | None = None) -> list[Grade]:
    """Grade one submitted notebook: one Grade per exercise of its course notebook.

    Args:
        student: the student's name (the table's row).
        path: the submitted notebook.
        course: {notebook name: instructor notebook path}.
        timeout, cell_timeout: seconds for the notebook, for one cell.
        workdir: where the grading copy, the executed notebook and the scratch folder go.
        file: how the file is named in the table (default: its name).
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
                      file)]
    template = nbformat.reads(_edition(course[name], course[name].stat().st_mtime_ns), as_version=4)
    exercises = [(c.metadata[META]["exercise"], c.metadata[META]["names"]) for c in template.cells
                 if "exercise" in _meta(c)]
    if problem:
        return [Grade(student, name, ex, "error", problem, file) for ex, _ in exercises]
    run = workdir / f"{student}-{name}"
    for k in range(2, 10_000):  # a student may hand in two copies of one notebook: each is graded
        if not run.exists():
            break
        run = workdir / f"{student}-{name}-{k}"
    run.mkdir(parents=True)
    src, dest = run / "graded.ipynb", run / "executed.ipynb"
    nbformat.write(grading_copy(nb, template), src)
    (run / "cwd").mkdir()
    stopped = execute(src, dest, timeout=timeout, cell_timeout=cell_timeout, cwd=run / "cwd")
    executed = nbformat.read(dest, as_version=4) if dest.exists() else nbformat.read(src, as_version=4)
    return [Grade(student, name, ex, *classify(executed, ex, names, cell_timeout=cell_timeout, stopped=stopped),
                  file) for ex, names in exercises]


def grade(folder: Path, notebooks: Path = Path("notebooks"), out: Path | None = Path("build/grades"), *,
          timeout: int = 600, cell_timeout: int = 120, jobs: int = 1, echo=print) -> pd.DataFrame:
    """Grade every submission of ``folder``; write ``out/grades.csv`` and ``out/details.csv``; print the table.

    Args:
        folder: the submissions (``<student>/*.ipynb`` or ``<student>.ipynb``).
        notebooks: the instructor notebooks (the trusted checks come from their student edition).
        out: where the CSV files go (None: write nothing).
        timeout: seconds for one whole notebook.
        cell_timeout: seconds for one cell.
        jobs: how many notebooks run at once (each in its own kernel).
        echo: where the summary goes.
    Returns:
        the long table: one row per student × exercise (columns of ``Grade``).
    """
    if timeout < 1 or cell_timeout < 1:
        raise ValueError(f"timeout, cell_timeout: expected seconds >= 1, got {timeout}, {cell_timeout}")
    if jobs < 1:
        raise ValueError(f"jobs: expected an int >= 1, got {jobs}")
    course = {p.stem: p for p in course_notebooks(notebooks)}
    found = submissions(folder)
    if not found:
        raise ValueError(f"submissions: expected .ipynb files in {str(folder)!r}, found none")
    folder = Path(folder)
    with tempfile.TemporaryDirectory(prefix="nlpcourse-grade-") as tmp:
        def one(k: int) -> list[Grade]:
            student, path = found[k]
            echo(f"grading {student}: {path.relative_to(folder)}")
            return grade_one(student, path, course, timeout=timeout, cell_timeout=cell_timeout,
                             workdir=Path(tmp) / f"{k:04d}", file=str(path.relative_to(folder)))

        with ThreadPoolExecutor(max_workers=jobs) as pool:  # threads only wait: the work is in the kernels
            grades = [g for graded in pool.map(one, range(len(found))) for g in graded]
    details = pd.DataFrame([asdict(g) for g in grades], columns=list(Grade.__dataclass_fields__))
    table = wide(details)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        table.to_csv(Path(out) / "grades.csv")
        details.to_csv(Path(out) / "details.csv", index=False)
    echo(summary(details, table))
    if out is not None:
        echo(f"written: {Path(out) / 'grades.csv'} (the table), {Path(out) / 'details.csv'} (with the messages)")
    return details


def wide(details: pd.DataFrame) -> pd.DataFrame:
    """student × "notebook: exercise" → status, in course order, with a "passed" count column.

    A student who handed in several files of one notebook gets a row per file ("ann · ann/04_copy.ipynb").
    """
    columns = list(dict.fromkeys(details["notebook"] + ": " + details["exercise"]))
    files = details.groupby(["student", "notebook"])["file"].transform("nunique")
    row = details["student"].where(files == 1, details["student"] + " · " + details["file"])
    table = (details.assign(column=details["notebook"] + ": " + details["exercise"], row=row)
             .pivot_table(index="row", columns="column", values="status", aggfunc="first")
             .reindex(columns=columns).fillna("—"))
    table["passed"] = [f"{(row == 'passed').sum()}/{len(columns)}" for _, row in table.iterrows()]
    table.columns.name = None
    table.index.name = "student"
    return table


def summary(details: pd.DataFrame, table: pd.DataFrame) -> str:
    """The printed summary: the table one notebook at a time (columns: its exercises; it stays readable in a
    terminal), each student's passed count, then why each error happened (timeouts, crashes, exceptions)."""
    lines = []
    for notebook in dict.fromkeys(details["notebook"]):
        prefix = f"{notebook}: "
        part = table[[c for c in table.columns if c.startswith(prefix)]]
        part.columns = [c[len(prefix):] for c in part.columns]
        lines += [f"{notebook}:", part.to_string(), ""]
    lines.append(table[["passed"]].to_string())
    errors = details[details["status"] == "error"]
    if len(errors):
        lines.append("\nerrors:")
        lines += [f"  {r.student} · {r.notebook}: {r.exercise}: {r.message}" for r in errors.itertuples()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade submitted course notebooks (student × exercise table).")
    parser.add_argument("submissions", type=Path, nargs="?", help="folder: <student>/*.ipynb or <student>.ipynb")
    parser.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="instructor notebooks")
    parser.add_argument("--out", type=Path, default=Path("build/grades"), help="folder for grades.csv, details.csv")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per notebook (default 600)")
    parser.add_argument("--cell-timeout", type=int, default=120, help="seconds per cell (default 120)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default 1)")
    parser.add_argument("--run-one", nargs=2, type=Path, metavar=("SRC", "DEST"), help=argparse.SUPPRESS)
    parser.add_argument("--cwd", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        run_notebook(*args.run_one, cell_timeout=args.cell_timeout, cwd=args.cwd or Path.cwd())
        return 0
    if args.submissions is None:
        parser.error("give the submissions folder: make grade SUBMISSIONS=dir/")
    return exit_code(lambda: grade(args.submissions, args.notebooks, args.out, timeout=args.timeout,
                                   cell_timeout=args.cell_timeout, jobs=args.jobs))


if __name__ == "__main__":
    sys.exit(main())
