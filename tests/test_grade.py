"""Grading (coursetools.grade): honest submissions, every attack of issue 25, and the gradebook.

The course for these tests is one hand-made notebook (``00_tiny``: a function exercise worth 2 points, a value, a
function returning two things), so that each graded submission costs a kernel start and numpy. The submissions are
graded in one run, two at a time, each in its own bubblewrap sandbox; attacks that try to reach something (a host
socket, a port, a file) only get a right answer *if* they reach it, so "earns 0" proves the wall held.
Without bubblewrap (or where this machine cannot make the sandbox) those tests are skipped, saying why.
"""

from __future__ import annotations

import hashlib
import os
import socket
import textwrap
import threading
import time
import warnings
from dataclasses import asdict
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from coursetools import grade as gr
from coursetools import student as st
from coursetools import tap
from nlpcourse import exercise
from nlpcourse.functional import sigmoid, softmax

NB = "00_tiny"
SOFTMAX, TOTAL, SIG = "my_softmax", "total", "sig_and_grad"

SETUP = "import numpy as np\nfrom nlpcourse import exercise\nfrom nlpcourse.functional import sigmoid, softmax"
CHECK_SOFTMAX = ('exercise.check_function(my_softmax, "my_softmax", softmax, [(np.array([0.5, -1.0, 2.0]),), '
                 '(np.array([3.0, 3.0]),), (np.array([-700.0, 0.0, 1.0]),)])')
CHECK_TOTAL = 'exercise.check_against(total, "total", 6.0)'
CHECK_SIG = ('exercise.check_function(sig_and_grad, "sig_and_grad", lambda x: (sigmoid(x), sigmoid(x) * '
             '(1 - sigmoid(x))), [(np.linspace(-3, 3, 7),), (np.array([0.25]),)], output_names=("s", "ds"), '
             'shortcuts=())')
STUBS = {SOFTMAX: "def my_softmax(z):\n    ...  # your code", TOTAL: "total = ...  # 1 + 2 + 3",
         SIG: "def sig_and_grad(x):\n    ...  # your code"}
SOLUTIONS = {SOFTMAX: "def my_softmax(z):\n    e = np.exp(z - z.max())\n    return e / e.sum()",
             TOTAL: "total = 1 + 2 + 3",
             SIG: "def sig_and_grad(x):\n    s = 1 / (1 + np.exp(-x))\n    return s, s * (1 - s)"}
POINTS = {SOFTMAX: 2, TOTAL: 1, SIG: 1}
WRONG_ANSWERS = {SOFTMAX: "def my_softmax(z):\n    return np.exp(z)", TOTAL: "total = 5",
                 SIG: "def sig_and_grad(x):\n    s = 1 / (1 + np.exp(-x))\n    return s, s"}


def code(source: str, *tags: str, **meta) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, metadata={"tags": list(tags), **({st.META: meta} if meta else {})})


def course_notebook() -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_markdown_cell("# A tiny course"), code(SETUP)]
    for name, check in ((SOFTMAX, CHECK_SOFTMAX), (TOTAL, CHECK_TOTAL), (SIG, CHECK_SIG)):
        cells += [code(STUBS[name], "exercise", points=POINTS[name]), code(SOLUTIONS[name], "solution"),
                  code(check, "check")]
    cells.append(code("print('after the last check')"))
    return nbformat.v4.new_notebook(cells=cells)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("course") / "notebooks"
    folder.mkdir()
    nbformat.write(course_notebook(), folder / f"{NB}.ipynb")
    return folder


@pytest.fixture(scope="module")
def edition(course) -> nbformat.NotebookNode:
    return nbformat.reads(st.student_edition(course / f"{NB}.ipynb")[0], as_version=4)


def answered(edition, *, before: str = "", **answers: str) -> nbformat.NotebookNode:
    """The edition with ``answers`` (exercise id -> code; default: the stub) and a cell ``before`` the first
    exercise (the attack)."""
    nb = st.fill(edition, answers)
    if before:
        first = next(k for k, c in enumerate(nb.cells) if "exercise" in c.metadata.get(st.META, {}))
        nb.cells.insert(first, nbformat.v4.new_code_cell(before))
    return nb


def drop(nb, *exercises: str):
    nb.cells = [c for c in nb.cells if c.metadata.get(st.META, {}).get("exercise") not in exercises]
    return nb


# --- pieces that need no sandbox -----------------------------------------------------------------------------------


def test_grading_copy_wraps_the_courses_checks_in_the_recorder(edition):
    nb = answered(edition, **SOLUTIONS)
    for cell in nb.cells:
        if cell.metadata.get(st.META, {}).get("check") == TOTAL:
            cell.source = "print('✅ Correct: mine')"
    nb = drop(nb, SOFTMAX)
    nb.cells.append(nbformat.v4.new_code_cell("print('after the last check')"))
    copy = gr.grading_copy(nb, edition)
    checks = [c for c in copy.cells if "check" in c.metadata.get(st.META, {})]
    assert [c.metadata[st.META]["check"] for c in checks] == [SOFTMAX, TOTAL, SIG]
    assert all(gr.GRADER in c.metadata.tags and "_nlpcourse_recorded" in c.source for c in checks)
    assert CHECK_TOTAL in checks[1].source and "mine" not in "".join(c.source for c in copy.cells)
    assert copy.cells[-1] is not None and "after the last check" not in copy.cells[-1].source
    first_stub = next(k for k, c in enumerate(copy.cells) if "exercise" in c.metadata.get(st.META, {}))
    assert copy.cells[first_stub - 1].metadata[st.META]["check"] == SOFTMAX  # put back before the next exercise


def record_of(check, *answers, names):
    """Run ``check(*answers)`` under the recorder, as the sandbox does; the record, through JSON."""
    import json

    recorder = tap.Recorder()
    previous, exercise._tap = exercise._tap, recorder
    try:
        check(*answers)
    finally:
        exercise._tap = previous
    record = {"exercise": "x", "done": True, "names": {n: tap.describe(a, True) for n, a in zip(names, answers,
                                                                                               strict=True)},
              "calls": recorder.calls, "reports": recorder.reports}
    return json.loads(json.dumps(record))


def test_replay_judges_recorded_outputs_and_flags_the_courses_own_code(capsys):
    cases = "[(np.array([0.5, -1.0, 2.0]),), (np.array([3.0, 3.0]),)]"
    source = f'exercise.check_function(f, "f", softmax, {cases})'
    setup = SETUP.splitlines()
    ns = {"np": np, "exercise": exercise, "softmax": softmax}

    def run(f):
        return record_of(lambda g: eval(source, {**ns, "f": g}), f, names=["f"])

    def mine(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    def calls_it(z):
        return softmax(z) + 0.0

    assert gr.judge(run(mine), source, ["f"], setup)[0] == "passed"
    assert gr.judge(run(lambda z: np.exp(z)), source, ["f"], setup)[0] == "failed"
    for shortcut in (softmax, calls_it):
        status, message = gr.judge(run(shortcut), source, ["f"], setup)
        assert status == "failed" and "course's own" in message
    forged = run(mine)
    forged["calls"][0]["cases"][0]["key"] = "0" * 32  # outputs for inputs the grader did not ask about
    assert gr.judge(forged, source, ["f"], setup)[0] == "error"
    forged = run(lambda z: np.exp(z))
    forged["reports"] = [{"status": "passed", "message": "trust me"}]
    forged["calls"][0]["cases"][0]["outputs"] = [{"shape": [3], "data": ["nan", 1, {"x": 1}]}]
    assert gr.judge(forged, source, ["f"], setup)[0] == "error"  # malformed data: never a pass
    unfinished = run(mine)
    unfinished["done"] = False
    assert gr.judge(unfinished, source, ["f"], setup)[0] == "error"
    assert gr.judge({"names": {"f": {"kind": "undefined"}}}, source, ["f"], setup)[0] == "not answered"
    capsys.readouterr()


def test_values_travel_as_data_with_their_types():
    import torch

    value = (np.eye(2, dtype=np.float32), [1, 2.5, True], "relu", {"k": None}, np.int64(3), torch.ones(2), ...)
    back = tap.decode(tap.encode(value))
    assert type(back) is tuple and back[1:5] == ([1, 2.5, True], "relu", {"k": None}, np.int64(3))
    assert back[0].dtype == np.float32 and np.array_equal(back[0], np.eye(2)) and back[6] is ...
    assert type(back[4]) is np.int64 and torch.equal(back[5], torch.ones(2)) and back[5].dtype == torch.float32
    assert type(tap.decode(tap.encode(AlwaysEqual()))).__name__ == "AlwaysEqual"  # a stand-in: no method of its
    with pytest.raises(ValueError):
        tap.decode({"t": "numpy", "shape": [2], "data": [1.0]})


class AlwaysEqual:
    def __eq__(self, other):
        return True


def test_the_tanh_gate_that_calls_value_tanh_is_flagged(capsys):
    from nlpcourse.autograd import Value, checks

    def honest(x):
        import math

        t = math.tanh(x.data)
        return x.gate(t, (x,), "tanh", lambda: (1 - t * t,))

    source = "checks.check_tanh_gate(tanh_gate)"
    setup = ["from nlpcourse.autograd import checks"]
    assert gr.judge(record_of(checks.check_tanh_gate, honest, names=["tanh_gate"]), source, ["tanh_gate"],
                    setup)[0] == "passed"
    status, message = gr.judge(record_of(checks.check_tanh_gate, lambda x: x.tanh(), names=["tanh_gate"]),
                               source, ["tanh_gate"], setup)
    assert status == "failed" and "Value.tanh" in message
    status, _ = gr.judge(record_of(checks.check_tanh_gate, Value.tanh, names=["tanh_gate"]), source,
                         ["tanh_gate"], setup)
    assert status == "failed"
    capsys.readouterr()


def test_the_gradebook_one_row_per_student_points_and_totals():
    rows = [gr.Grade("ann", NB, SOFTMAX, "passed", "", "ann/00_tiny.ipynb", 2.0, 2.0),
            gr.Grade("ann", NB, TOTAL, "failed", "", "ann/00_tiny.ipynb", 0.0, 1.0),
            gr.Grade("ann", NB, SOFTMAX, "not answered", "", "ann/00_copy.ipynb", 0.0, 2.0),
            gr.Grade("ann", NB, TOTAL, "passed", "", "ann/00_copy.ipynb", 1.0, 1.0),
            gr.Grade("ben", NB, SOFTMAX, "failed", "", "ben.ipynb", 0.0, 2.0),
            gr.Grade("ben", NB, TOTAL, "passed", "", "ben.ipynb", 1.0, 1.0),
            gr.Grade("ben", "04_backprop", "grads_fork", "passed", "", "ben04.ipynb", 1.0, 1.0)]
    book, taken = gr.gradebook(pd.DataFrame([asdict(g) for g in rows]))
    assert list(book["student_id"]) == ["ann", "ben"]
    assert list(book.columns) == ["student_id", f"{NB}: {SOFTMAX}", f"{NB}: {TOTAL}", "04_backprop: grads_fork",
                                  "total", "max_points", "files"]
    assert list(book.set_index("student_id").loc["ann"])[:5] == [2.0, 0.0, 0.0, 2.0, 4.0]
    assert list(book.set_index("student_id").loc["ben"])[:5] == [0.0, 1.0, 1.0, 2.0, 4.0]
    assert taken == [f"ann · {NB}: 2 files; counted ann/00_tiny.ipynb (2 points), not ann/00_copy.ipynb"]


# --- end to end, in the sandbox ------------------------------------------------------------------------------------

needs_sandbox = pytest.mark.skipif(bool(gr.sandbox_problem()), reason=f"no grading sandbox here: "
                                                                     f"{gr.sandbox_problem()}")
if gr.sandbox_problem():  # said in pytest's warnings summary too, not only with -rs
    warnings.warn(f"the grading sandbox tests are skipped: {gr.sandbox_problem()} (`make grade-sandbox`)",
                  stacklevel=1)


def serve(kind: str, address) -> None:
    """A server that answers "6" (the value of `total`) to whoever connects: reaching it gives the right answer."""
    family = socket.AF_UNIX if kind == "unix" else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind(address)
    server.listen(8)

    def loop():
        while True:
            conn, _ = server.accept()
            conn.sendall(b"6")
            conn.close()

    threading.Thread(target=loop, daemon=True).start()


def reach(connect: str) -> str:
    """An answer to `total` that is right only if ``connect`` (code making `s`) reaches the test's server."""
    return (f"import socket\ntry:\n    {connect}\n    total = float(s.recv(8))\nexcept OSError:\n"
            f"    total = 0.0")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(course, edition, tmp_path_factory):
    if gr.sandbox_problem():
        pytest.skip(f"no grading sandbox here: {gr.sandbox_problem()}")
    base = tmp_path_factory.mktemp("attack")
    folder, out = base / "submissions", base / "grades"
    folder.mkdir()
    unix, abstract = base / "host.sock", f"\0nlpcourse-test-{os.getpid()}"
    serve("unix", str(unix))
    serve("unix", abstract)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    serve("tcp", ("127.0.0.1", port))
    wrong = WRONG_ANSWERS
    exercise_py = Path(exercise.__file__)
    solutions_finder = (
        "import glob, json, nlpcourse, pathlib\nroot = pathlib.Path(nlpcourse.__file__).parents[1]\n"
        "found = [p for p in glob.glob('/**/*.ipynb', recursive=True) if 'graded' not in p]\n"
        "found += glob.glob(str(root / 'notebooks' / '*.ipynb'))\n"
        "for p in found:\n    try:\n        nb = json.load(open(p))\n    except Exception:\n        continue\n"
        "    for c in nb.get('cells', []):\n        if 'solution' in c.get('metadata', {}).get('tags', []):\n"
        "            try:\n                exec(''.join(c['source']))\n            except Exception:\n"
        "                pass\n")
    made = {
        "ann/00_tiny.ipynb": answered(edition, **SOLUTIONS),
        "bob.ipynb": answered(edition),
        "cat.ipynb": answered(edition, **{**SOLUTIONS, SOFTMAX: wrong[SOFTMAX]}),
        "dan/00_tiny.ipynb": answered(edition),
        "dan/00_tiny_final.ipynb": answered(edition, **SOLUTIONS),
        "del.ipynb": drop(answered(edition, **{SOFTMAX: SOLUTIONS[SOFTMAX]}), TOTAL, SIG),
        "err.ipynb": answered(edition, **{**SOLUTIONS, SOFTMAX: "import numpy as np\nnp.linalg.inv(np.zeros((2, 2)))"}),
        # attacks: every answer wrong, plus the attack
        "x_rebind.ipynb": answered(edition, before=(
            "exercise.check_function = lambda *a, **k: exercise.report(True, 'ok')\n"
            "exercise.check_against = lambda *a, **k: exercise.report(True, 'ok')"), **wrong),
        "x_patch.ipynb": answered(edition, before=(
            "np.allclose = lambda *a, **k: True\nimport coursetools.tap as t\n"
            "exercise.report = lambda ok, m: print('✅ Correct: ' + m) or exercise.Verdict('passed', m)\n"
            "t.Recorder.cases = lambda self, s, n, cases, sh: [exercise.Outcome('ok', (np.zeros(1),))] * len(cases)"),
            **wrong),
        "x_exit.ipynb": answered(edition, before=(
            "import os\ndef _cheat(*a, **k):\n    print('✅ Correct: yes', flush=True)\n    os._exit(0)\n"
            "exercise.check_function = exercise.check_against = _cheat"), **wrong),
        "x_forge.ipynb": answered(edition, before=(
            "import json, os, signal\nnb = json.load(open('/grading/graded.ipynb'))\n"
            "for c in nb['cells']:\n    if c['cell_type'] == 'code':\n"
            "        c['outputs'] = [{'output_type': 'stream', 'name': 'stdout', 'text': '✅ Correct: yes\\n'},\n"
            f"            {{'output_type': 'display_data', 'metadata': {{}}, 'data': {{'{tap.MIME}': {{'exercise': "
            "c['metadata'].get('nlpcourse', {}).get('check'), 'done': True, 'names': {}, 'calls': [], "
            "'reports': [{'status': 'passed', 'message': 'yes'}]}}}]\n"
            "        c['execution_count'] = 1\n"
            "json.dump(nb, open('/grading/executed.ipynb', 'w'))\nos.kill(os.getppid(), signal.SIGKILL)"), **wrong),
        "x_solutions.ipynb": answered(edition, before=solutions_finder),
        "x_identity.ipynb": answered(edition, **{**wrong, SOFTMAX: "from nlpcourse.functional import softmax as "
                                                                   "my_softmax"}),
        "x_calls.ipynb": answered(edition, **{**wrong, SOFTMAX: "def my_softmax(z):\n    return 1.0 * softmax(z)"}),
        # harm: append to the package, overwrite classmates, leave a process behind to rewrite the gradebook
        "x_harm.ipynb": answered(edition, before=(
            "import glob, subprocess\ntry:\n"
            "    open(exercise.__file__, 'a').write('\\nreport = lambda ok, m: True\\n')\n"
            f"except OSError:\n    pass\nfor p in glob.glob({str(folder)!r} + '/**/*.ipynb', recursive=True) + "
            "glob.glob('/**/ann*.ipynb', recursive=True):\n    try:\n        open(p, 'w').write('{}')\n"
            "    except OSError:\n        pass\n"
            "subprocess.Popen(['sh', '-c', 'sleep 6; echo forged > "
            f"{out}/grades.csv; echo forged > /grading/executed.ipynb'], start_new_session=True)"), **wrong),
        "x_tmp.ipynb": answered(edition, **{**wrong, TOTAL: (
            "import glob\nfound = [p for p in glob.glob('/tmp/**/*.ipynb', recursive=True)]\n"
            f"found += glob.glob({str(Path(gr.tempfile.gettempdir()))!r} + '/nlpcourse-grade-*/**', recursive=True)\n"
            "total = 6.0 if found else 0.0")}),
        # reach the host: a Unix socket's file, an abstract Unix socket, a 127.0.0.1 port (each answer is right
        # only if it gets through)
        "x_sockets.ipynb": answered(edition, **{
            TOTAL: reach(f"s = socket.socket(socket.AF_UNIX); s.connect({str(unix)!r})"),
            SOFTMAX: "def my_softmax(z):\n" + textwrap.indent(reach(
                f"s = socket.socket(socket.AF_UNIX); s.connect({abstract!r})"), "    ")
                     + "\n    return np.exp(z) / np.exp(z).sum() if total == 6 else z",
            SIG: "def sig_and_grad(x):\n" + textwrap.indent(reach(
                f"s = socket.create_connection(('127.0.0.1', {port}), timeout=5)"), "    ")
                 + "\n    s = 1 / (1 + np.exp(-x))\n    return (s, s * (1 - s)) if total == 6 else (s, s)"}),
        "x_memory.ipynb": answered(edition, **{**SOLUTIONS, SOFTMAX: (
            "hog = bytearray(3 << 30)\ndef my_softmax(z):\n    e = np.exp(z - z.max())\n    return e / e.sum()")}),
    }
    for name, nb in made.items():
        (folder / name).parent.mkdir(exist_ok=True)
        nbformat.write(nb, folder / name)
    before = {p: digest(p) for p in folder.rglob("*.ipynb")}
    package = digest(exercise_py)
    said: list[str] = []
    t0 = time.monotonic()
    details = gr.grade(folder, course, out, timeout=120, cell_timeout=30, jobs=2, echo=said.append,
                       limits=gr.Limits(memory=2 << 30))
    seconds = time.monotonic() - t0
    book = (out / "grades.csv").read_bytes()
    time.sleep(8)  # what a left-behind process would have done by now
    return {"details": details, "out": out, "said": "\n".join(said), "before": before, "folder": folder,
            "package": package, "book": book, "seconds": seconds}


def status(graded, student: str) -> dict[str, str]:
    d = graded["details"]
    return dict(zip(d[d["student"] == student]["exercise"], d[d["student"] == student]["status"], strict=True))


def message(graded, student: str, ex: str) -> str:
    d = graded["details"]
    return d[(d["student"] == student) & (d["exercise"] == ex)]["message"].iloc[0]


@needs_sandbox
def test_honest_submissions_grade_as_before(graded):
    assert status(graded, "ann") == {SOFTMAX: "passed", TOTAL: "passed", SIG: "passed"}
    assert status(graded, "bob") == dict.fromkeys((SOFTMAX, TOTAL, SIG), "not answered")
    assert status(graded, "cat") == {SOFTMAX: "failed", TOTAL: "passed", SIG: "passed"}
    assert status(graded, "err")[SOFTMAX] == "error" and "LinAlgError" in message(graded, "err", SOFTMAX)
    # two exercises deleted: both "not answered" (the second was reported "error" before)
    assert status(graded, "del") == {SOFTMAX: "passed", TOTAL: "not answered", SIG: "not answered"}
    assert "the exercise cell was deleted" in message(graded, "del", SIG)
    assert "0.0" not in message(graded, "cat", SOFTMAX)  # the check's hint, never the values


@needs_sandbox
def test_the_gradebook_an_lms_imports(graded):
    book = pd.read_csv(graded["out"] / "grades.csv")
    assert list(book.columns) == ["student_id", f"{NB}: {SOFTMAX}", f"{NB}: {TOTAL}", f"{NB}: {SIG}", "total",
                                  "max_points", "files"]
    assert list(book["student_id"]) == sorted(book["student_id"]) and book["student_id"].is_unique
    row = book.set_index("student_id")
    assert row.loc["ann", "total"] == 4 and row.loc["ann", "max_points"] == 4 and row.loc["bob", "total"] == 0
    assert row.loc["cat", f"{NB}: {SOFTMAX}"] == 0 and row.loc["cat", "total"] == 2
    assert row.loc["dan", "total"] == 4 and row.loc["dan", "files"] == "dan/00_tiny_final.ipynb"
    assert "dan · 00_tiny: 2 files; counted dan/00_tiny_final.ipynb" in graded["said"]
    assert "message" in pd.read_csv(graded["out"] / "details.csv").columns


ATTACKS = ["x_rebind", "x_patch", "x_exit", "x_forge", "x_solutions", "x_identity", "x_calls", "x_harm", "x_tmp",
           "x_sockets"]


@needs_sandbox
@pytest.mark.parametrize("student", ATTACKS)
def test_every_attack_earns_nothing(graded, student):
    book = pd.read_csv(graded["out"] / "grades.csv").set_index("student_id")
    assert book.loc[student, "total"] == 0, (student, status(graded, student))
    assert "passed" not in status(graded, student).values()


@needs_sandbox
def test_the_attacks_are_told_apart(graded):
    assert "course's own" in message(graded, "x_identity", SOFTMAX)
    assert "course's own implementation" in message(graded, "x_calls", SOFTMAX)
    assert "reaches into the grader (coursetools)" in message(graded, "x_patch", TOTAL)
    assert set(status(graded, "x_exit").values()) == {"error"}  # the kernel died in the first check
    assert status(graded, "x_memory")[SOFTMAX] == "error" and "MemoryError" in message(graded, "x_memory", SOFTMAX)
    assert status(graded, "x_memory")[TOTAL] == "passed"  # the limit stopped one cell, not the grading


@needs_sandbox
def test_the_attacks_harm_nothing(graded):
    assert digest(Path(exercise.__file__)) == graded["package"]  # nlpcourse/exercise.py untouched
    assert {p: digest(p) for p in graded["folder"].rglob("*.ipynb")} == graded["before"]  # no submission changed
    assert (graded["out"] / "grades.csv").read_bytes() == graded["book"]  # nothing rewrote it after the grader
    assert b"forged" not in graded["book"]
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) in range(61000, 65000)]
    assert not left, "a sandboxed process outlived its sandbox"
    assert status(graded, "ann") == {SOFTMAX: "passed", TOTAL: "passed", SIG: "passed"}  # graded after the attacks


def _uid(proc: Path) -> int:
    try:
        line = next(ln for ln in (proc / "status").read_text().splitlines() if ln.startswith("Uid:"))
        return int(line.split()[1])
    except (OSError, StopIteration):
        return -1


@needs_sandbox
def test_the_kernel_runs_offline_as_nobody_in_particular(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, socket\nfor x in (os.getuid(), sorted(n for _, n in socket.if_nameindex()),"
        " sorted(os.listdir('/')),"
        " sorted(os.listdir('/course'))):\n    print(x)")])
    nbformat.write(nb, tmp_path / "net.ipynb")
    (tmp_path / "run").mkdir()
    executed, stopped = gr.run_sandboxed(tmp_path / "net.ipynb", tmp_path / "run", timeout=120, cell_timeout=60,
                                         limits=gr.Limits(), uid=61999)
    assert stopped is None
    uid, nets, top, course = executed.cells[0].outputs[0].text.strip().splitlines()
    assert int(uid) != 0 and nets == "['lo']"  # no interface but its own loopback
    assert set(eval(top)) <= {"bin", "course", "dev", "etc", "grading", "lib", "lib64", "proc", "root", "sbin",
                              "tmp", "usr", "venv"}  # /root: only where Python is installed under it
    assert eval(course) == ["coursetools", "data", "nlpcourse"]  # no notebooks, no build/, no tests


@needs_sandbox
def test_a_run_over_time_is_stopped_with_everything_it_started(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\nwhile True:\n    pass")])
    nbformat.write(nb, tmp_path / "loop.ipynb")
    (tmp_path / "run").mkdir()
    executed, stopped = gr.run_sandboxed(tmp_path / "loop.ipynb", tmp_path / "run", timeout=20, cell_timeout=600,
                                         limits=gr.Limits(), uid=61998)
    assert stopped == "the notebook ran longer than 20 s and was stopped"
    time.sleep(1)
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) == 61998]


def test_refuses_without_a_sandbox_unless_told(monkeypatch, tmp_path, course, edition):
    nbformat.write(answered(edition), tmp_path / "bob.ipynb")
    monkeypatch.setattr(gr, "sandbox_problem", lambda: "`bwrap` is not installed")
    with pytest.raises(gr.SandboxUnavailable, match="cannot grade safely: `bwrap` is not installed.*--no-sandbox"):
        gr.grade(tmp_path, course, None)
    assert gr.main([str(tmp_path), "--notebooks", str(course), "--out", str(tmp_path / "o")]) == 2


def test_no_sandbox_grades_honest_work_and_says_so_loudly(tmp_path, course, edition):
    nbformat.write(answered(edition, **SOLUTIONS), tmp_path / "ann.ipynb")
    said: list[str] = []
    details = gr.grade(tmp_path, course, None, timeout=120, cell_timeout=60, echo=said.append, sandbox=False)
    assert list(details["status"]) == ["passed"] * 3 and list(details["points"]) == [2.0, 1.0, 1.0]
    assert said[0] == said[-1] == gr.NO_SANDBOX and "WITHOUT isolation" in gr.NO_SANDBOX


def test_bad_arguments(tmp_path, course):
    with pytest.raises(ValueError, match="submissions: expected a folder"):
        gr.grade(tmp_path / "missing", course, None)
    with pytest.raises(ValueError, match="found none"):
        gr.grade(tmp_path, course, None)
    with pytest.raises(ValueError, match="timeout, cell_timeout"):
        gr.grade(tmp_path, course, None, timeout=0)
    with pytest.raises(ValueError, match="jobs: expected an int >= 1, got 0"):
        gr.grade(tmp_path, course, None, jobs=0)
    (tmp_path / "99_other.ipynb").write_text("{}")
    assert gr.grade_one("x", tmp_path / "99_other.ipynb", {NB: course / f"{NB}.ipynb"}, timeout=1,
                        cell_timeout=1, workdir=tmp_path / "w")[0].status == "error"


def test_code_that_reaches_into_the_grader_is_named():
    nb = nbformat.v4.new_notebook(cells=[
        code("import sys\nsys.setprofile(None)  # no tracing"), code("# coursetools is only mentioned here"),
        code("from nlpcourse import exercise\nexercise._tap = None"), nbformat.v4.new_markdown_cell("settrace")])
    assert gr.tampering(nb) == ["setprofile", "_tap"]
    assert gr.tampering(answered(nbformat.reads(st.student_edition(course_path())[0], as_version=4))) == []


def course_path() -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    nbformat.write(course_notebook(), folder / f"{NB}.ipynb")
    return folder / f"{NB}.ipynb"


def test_verdicts_join_split_stream_messages():
    cell = nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("stream", text="✅ Corr"),
                                                  nbformat.v4.new_output("stream", text="ect: yes\nnoise\n")])
    assert gr.verdicts(cell) == ["✅ Correct: yes"]


def test_points_come_from_the_exercise_cell(course):
    _, points = gr._edition(course / f"{NB}.ipynb", (course / f"{NB}.ipynb").stat().st_mtime_ns)
    assert points == {SOFTMAX: 2.0, TOTAL: 1.0, SIG: 1.0}
    assert sigmoid(0.0) == 0.5 and softmax(np.zeros(2))[0] == 0.5
