"""coursetools.nbtime: nbval's cell times add up per notebook; a notebook over the machine's budget fails its
own test in CI and is only flagged elsewhere."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

pytest_plugins = ["pytester"]


def _notebook(path: Path, seconds: float, busy: bool = True) -> None:
    """A notebook whose first cell computes for ``seconds`` of CPU time (or sleeps them, ``busy=False``)."""
    nb = nbformat.v4.new_notebook()
    work = (f"t0 = time.process_time()\nwhile time.process_time() - t0 < {seconds}:\n    pass" if busy
            else f"time.sleep({seconds})")
    cell = nbformat.v4.new_code_cell(f"import time\n{work}\nprint('done')", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="done\n")]
    nb.cells = [cell, nbformat.v4.new_code_cell("print(1)", execution_count=2,
                                                outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")])]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_budget_and_times_in_ci(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    _notebook(pytester.path / "00_fast.ipynb", 0.0)
    _notebook(pytester.path / "01_slow.ipynb", 6.0)
    _notebook(pytester.path / "02_waits.ipynb", 6.0, busy=False)  # wall time over, CPU time not
    result = pytester.runpytest_subprocess("-p", "coursetools.nbtime", "--nbval", "--nbval-current-env",
                                           "--notebook-budget", "4.5", "--notebook-budget-scale", "1",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8, failed=1)  # 2 cells + 1 budget test each; the slow one's budget fails
    out = result.stdout.str()
    assert "01_slow.ipynb took" in out and "over the 4 s budget" in out and "s of kernel CPU time" in out
    assert "02_waits.ipynb  (wall over budget: a busy machine, CPU within)" in out
    assert "notebook execution times" in out and "a test fails over it (CI is set)" in out
    lines = [ln for ln in out.splitlines() if ln.strip().endswith(("00_fast.ipynb", "01_slow.ipynb  OVER BUDGET"))]
    assert len(lines) == 2, out
    assert "in all (3 notebooks); the whole course's target" in out and "✓  20 s  00_fast.ipynb" in out


def test_outside_ci_a_slow_notebook_is_reported_not_failed(pytester: pytest.Pytester,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    _notebook(pytester.path / "01_slow.ipynb", 6.0)
    result = pytester.runpytest_subprocess("-p", "coursetools.nbtime", "--nbval", "--nbval-current-env",
                                           "--notebook-budget", "4.5", "--notebook-budget-scale", "1",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    out = result.stdout.str()
    assert "01_slow.ipynb  OVER BUDGET" in out and "reported only: it fails tests only where CI is set" in out


def test_the_calibration_is_read_through_the_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    _notebook(pytester.path / "00_fast.ipynb", 0.0)
    _notebook(pytester.path / "04_backprop.ipynb", 0.0)  # one of the notebooks the course's target was set for
    result = pytester.runpytest_subprocess("-p", "coursetools.nbtime", "--nbval", "--nbval-current-env",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    out = result.stdout.str()
    assert "the median of 3 readings through the run" in out, out  # at the start, then after each notebook
    assert "set for the 8 notebooks that issue timed (00–07); those 8: " in out and "(1 of them ran)" in out, out


def test_targets() -> None:
    from coursetools.nbtime import COURSE_TARGET_NOTEBOOKS, COURSE_TARGET_S, target_seconds

    assert target_seconds("notebooks/05_mlp.ipynb") == 30 and target_seconds("notebooks/06_attention.ipynb") == 20
    assert 9 * 5 < COURSE_TARGET_S < 120  # the slower machine's 120 s, on the reference machine
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    assert all((notebooks / f"{stem}.ipynb").exists() for stem in COURSE_TARGET_NOTEBOOKS)


def test_the_budget_follows_the_machine() -> None:
    from coursetools.nbtime import REFERENCE_CALIBRATION_S, budget_scale, calibration_seconds, enforced

    assert budget_scale(2 * REFERENCE_CALIBRATION_S) == pytest.approx(2.0)  # twice as slow: twice the budget
    assert budget_scale(0.5 * REFERENCE_CALIBRATION_S) == 1.0  # a faster machine keeps it
    seconds = calibration_seconds(repeat=2)
    assert 0 < seconds < 100 * REFERENCE_CALIBRATION_S
    for value, expected in (("true", True), ("1", True), ("", False), ("false", False), ("0", False)):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CI", value)
            assert enforced() is expected
