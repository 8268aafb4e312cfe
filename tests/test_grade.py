"""Grading (coursetools.grade) on submissions made here from notebook 00's exercises.

The course for these tests is notebook 00 up to its last check (the same stubs, solutions and checks), so that
each graded submission costs one kernel start and a few seconds of work. On 2 shared CPU cores the module takes
about a minute: ten submissions graded in one run (two at a time), one notebook-timeout run, one offline check.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from coursetools import grade as gr
from coursetools import student as st

ROOT = Path(__file__).resolve().parents[1]
NB = "00_linear_maps"
EXERCISES = st.analyse(nbformat.read(ROOT / "notebooks" / f"{NB}.ipynb", as_version=4), NB)[0]
R, LINE = EXERCISES[0].id, EXERCISES[-1].id  # the first and the last exercise (ids: the names they ask for)
COLUMNS = [f"{NB}: {R}", f"{NB}: {LINE}"]


def wrong(exercise: st.Exercise) -> str:
    """A wrong answer to any exercise: each name a number (or a function returning one) of no use."""
    stub = nbformat.read(ROOT / "notebooks" / f"{NB}.ipynb", as_version=4).cells[exercise.exercise_cell].source
    return "\n".join(f"def {n}(*args, **kwargs):\n    return 12345.0" if re.search(rf"^def {n}\(", stub, re.M)
                     else f"{n} = 12345.0" for n in exercise.names)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """notebooks/ with notebook 00 up to its last check (the cells after it cannot change a grade; the grader
    drops them too), its opening cell without the seeding (no torch import: a faster kernel start)."""
    nb = nbformat.read(ROOT / "notebooks" / f"{NB}.ipynb", as_version=4)
    imports = [ln for ln in nb.cells[1].source.splitlines() if ln.startswith(("import ", "from "))]
    nb.cells[1].source = "\n".join(imports)
    nb.cells = nb.cells[: EXERCISES[-1].check_cells[-1] + 1]
    folder = tmp_path_factory.mktemp("course") / "notebooks"
    folder.mkdir()
    nbformat.write(nb, folder / f"{NB}.ipynb")
    return folder


@pytest.fixture(scope="module")
def edition(course) -> nbformat.NotebookNode:
    return nbformat.reads(st.student_edition(course / f"{NB}.ipynb")[0], as_version=4)


def answered(edition: nbformat.NotebookNode, course: Path, **answers: str) -> nbformat.NotebookNode:
    """The edition with the instructor's answers, except those given (exercise id → the student's code)."""
    solutions = st.solutions(course / f"{NB}.ipynb")
    return st.fill(edition, {**solutions, **{ex: answers[key] for key, ex in (("r", R), ("line", LINE))
                                             if key in answers}})


def drop(nb: nbformat.NotebookNode, *, check_of: str | None = None, exercise: str | None = None):
    def doomed(cell) -> bool:
        meta = cell.metadata.get(st.META, {})
        return (check_of is not None and meta.get("check") == check_of) or (
            exercise is not None and meta.get("exercise") == exercise)

    nb.cells = [c for c in nb.cells if not doomed(c)]
    return nb


def tamper(nb: nbformat.NotebookNode, ex: str, source: str) -> nbformat.NotebookNode:
    for cell in nb.cells:
        if cell.metadata.get(st.META, {}).get("check") == ex:
            cell.source = source
    return nb


@pytest.fixture(scope="module")
def submissions(course, edition, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("submissions")
    (folder / "alice").mkdir()
    made = {
        "alice/00_linear_maps.ipynb": answered(edition, course),
        "bob.ipynb": edition,
        # one wrong, and the check cell changed to print ✅: the grader runs its own check
        "carol.ipynb": tamper(answered(edition, course, r=wrong(EXERCISES[0])), R, 'print("✅ Correct: trust me")'),
        "dave.ipynb": answered(edition, course, r="import numpy as np\n\nnp.linalg.inv(np.zeros((2, 2)))"),
        "eve.ipynb": answered(edition, course, r="while True:\n    pass"),
        "frank.ipynb": drop(drop(answered(edition, course), check_of=R), exercise=LINE),
        "gina.ipynb": answered(edition, course, r='import socket\nsocket.create_connection(("127.0.0.1", 9))'),
        "hal.ipynb": answered(edition, course, line="import os\nos._exit(1)"),
        # the answer is in a cell of her own (the exercise cell deleted), which raises before it
        "jo.ipynb": drop(answered(edition, course), exercise=LINE),
    }
    line_answer = st.solutions(course / f"{NB}.ipynb")[LINE]
    made["jo.ipynb"].cells.append(nbformat.v4.new_code_cell("helper = 1 / 0\n" + line_answer))
    for name, nb in made.items():
        nbformat.write(nb, folder / name)
    (folder / "ivy").mkdir()
    (folder / "ivy" / f"{NB}.ipynb").write_text("{ this is not a notebook")  # known by its name, unreadable
    return folder


@pytest.fixture(scope="module")
def graded(submissions, course, tmp_path_factory):
    out, said = tmp_path_factory.mktemp("grades"), []
    details = gr.grade(submissions, course, out, timeout=120, cell_timeout=3, jobs=2, echo=said.append)
    return details, out, "\n".join(said)


EXPECTED = {  # student: (status of the first exercise, of the last one, a word of the first one's message)
    "alice": ("passed", "passed", "✅ Correct"),
    "bob": ("not answered", "not answered", "Not answered yet"),
    "carol": ("failed", "passed", "❌ Not yet"),
    "dave": ("error", "passed", "LinAlgError"),
    "eve": ("error", "passed", "ran longer than 3 s and was stopped"),
    "frank": ("passed", "not answered", "Correct"),
    "gina": ("error", "passed", "network access is disabled while grading"),
    "hal": ("passed", "error", "Correct"),
    "ivy": ("error", "error", f"cannot read {NB}.ipynb"),
    "jo": ("passed", "error", "Correct"),
}


def test_the_table_has_every_student_and_exercise(graded):
    details, out, _ = graded
    table = pd.read_csv(out / "grades.csv", index_col=0)
    assert list(table.columns) == [*COLUMNS, "passed"]
    assert sorted(table.index) == sorted(EXPECTED)
    assert {s: tuple(table.loc[s, COLUMNS]) for s in EXPECTED} == {s: e[:2] for s, e in EXPECTED.items()}
    assert table.loc["alice", "passed"] == "2/2" and table.loc["bob", "passed"] == "0/2"
    assert set(details["status"]) <= set(gr.STATUSES)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_outcome_says_why(graded, student):
    details, _, _ = graded
    row = details[(details["student"] == student) & (details["exercise"] == R)].iloc[0]
    assert EXPECTED[student][2] in row["message"]
    assert "0.87" not in row["message"]  # the grader's messages are the check's: never the answer


def test_deleted_cells_and_crashes_are_explained(graded):
    details, _, said = graded
    message = details.set_index(["student", "exercise"])["message"]
    assert "the exercise cell was deleted" in message["frank", LINE]
    assert "the kernel stopped" in message["hal", LINE]
    assert message["jo", LINE] == (f"name '{EXERCISES[-1].names[0]}' is not defined: an earlier cell raised "
                                   "ZeroDivisionError: division by zero")
    assert "errors:" in said and f"eve · {NB}: {R}: the exercise cell ran longer" in said
    assert f"{NB}:\n" in said and LINE in said and "2/2" in said  # one block per notebook, then the counts


def running(pid: int, wait: float = 10.0) -> bool:
    """Whether process ``pid`` still runs after up to ``wait`` seconds (a zombie waiting to be reaped does not)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.2)
    return True


def test_the_notebook_timeout_stops_it_and_its_kernel(submissions, course, edition, tmp_path):
    grades = gr.grade_one("eve", submissions / "eve.ipynb", {NB: course / f"{NB}.ipynb"}, timeout=15,
                          cell_timeout=600, workdir=tmp_path)
    assert [(g.status, g.message) for g in grades] == [
        ("error", "not graded: the notebook ran longer than 15 s and was stopped")] * 2
    status = json.loads((tmp_path / f"eve-{NB}" / "executed.status.json").read_text())
    assert not running(status["kernel_pgid"])  # the looping kernel is gone


def check_source(edition: nbformat.NotebookNode, ex: str) -> str:
    return next(c.source for c in edition.cells if c.metadata.get(st.META, {}).get("check") == ex)


def test_grading_copy_uses_the_courses_checks(edition, course):
    nb = tamper(drop(answered(edition, course), check_of=R), LINE, "print('✅ Correct: mine')")
    nb.cells.append(nbformat.v4.new_code_cell("print('after the last check')"))
    copy = gr.grading_copy(nb, edition)
    sources = [c.source for c in copy.cells]
    assert gr.GRADER in copy.cells[0].metadata.tags and "disabled while grading" in sources[0]
    stub = {c.metadata[st.META]["exercise"]: k for k, c in enumerate(copy.cells) if "exercise" in
            c.metadata.get(st.META, {})}
    assert sources[stub[R] + 1] == check_source(edition, R)  # the deleted check is put back
    assert sources[stub[LINE] + 1:] == [check_source(edition, LINE)]  # the course's, not hers
    assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")


def test_a_deleted_exercise_gets_its_check_before_the_next_one(edition, course):
    first = drop(answered(edition, course), exercise=R)
    sources = [c.source for c in gr.grading_copy(first, edition).cells]
    line = sources.index(st.solutions(course / f"{NB}.ipynb")[LINE])
    assert sources[line - 1] == check_source(edition, R)
    last = drop(answered(edition, course), exercise=LINE)
    last.cells.append(nbformat.v4.new_code_cell(wrong(EXERCISES[-1])))  # answered elsewhere: still checked
    assert [c.source for c in gr.grading_copy(last, edition).cells][-2:] == [
        wrong(EXERCISES[-1]), check_source(edition, LINE)]


def test_verdicts_join_split_stream_messages():
    cell = nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("stream", text="✅ Corr"),
                                                  nbformat.v4.new_output("stream", text="ect: yes\nnoise\n")])
    assert gr.verdicts(cell) == ["✅ Correct: yes"]


def test_bad_arguments(tmp_path, course):
    with pytest.raises(ValueError, match="submissions: expected a folder"):
        gr.grade(tmp_path / "missing", course, None)
    with pytest.raises(ValueError, match="found none"):
        gr.grade(tmp_path, course, None)
    with pytest.raises(ValueError, match="timeout, cell_timeout"):
        gr.grade(tmp_path, course, None, timeout=0)
    with pytest.raises(ValueError, match="jobs: expected an int >= 1, got 0"):
        gr.grade(tmp_path, course, None, jobs=0)
    shutil.copy(course / f"{NB}.ipynb", tmp_path / "99_other.ipynb")
    assert gr.grade_one("x", tmp_path / "99_other.ipynb", {NB: course / f"{NB}.ipynb"}, timeout=1,
                        cell_timeout=1, workdir=tmp_path)[0].message.endswith("is not one of the course notebooks")


def test_the_table_gives_two_copies_of_one_notebook_a_row_each():
    details = pd.DataFrame([asdict(g) for g in [
        gr.Grade("ann", NB, R, "passed", "", "ann/00_linear_maps.ipynb"),
        gr.Grade("ann", NB, R, "not answered", "", "ann/00_copy.ipynb"),
        gr.Grade("ben", NB, R, "failed", "", "ben.ipynb"),
        gr.Grade("ben", "04_backprop", "grads_fork", "passed", "", "ben04.ipynb"),
    ]])
    table = gr.wide(details)
    assert list(table.index) == ["ann · ann/00_copy.ipynb", "ann · ann/00_linear_maps.ipynb", "ben"]
    assert list(table.columns) == [f"{NB}: {R}", "04_backprop: grads_fork", "passed"]
    assert list(table.loc["ben"]) == ["failed", "passed", "1/2"]
    assert table.loc["ann · ann/00_copy.ipynb", "04_backprop: grads_fork"] == "—"


def test_the_kernel_runs_offline(tmp_path):
    if not gr.offline_prefix():
        pytest.skip("this system cannot make a network namespace (the sockets guard still applies)")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import socket\nprint(sorted(name for _, name in socket.if_nameindex()))")])
    nbformat.write(nb, tmp_path / "net.ipynb")
    assert gr.execute(tmp_path / "net.ipynb", tmp_path / "out.ipynb", timeout=120, cell_timeout=60,
                      cwd=tmp_path) is None
    assert nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0].outputs[0].text == "['lo']\n"
