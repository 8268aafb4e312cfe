"""course.nbtime: nbval's cell times add up per notebook; a notebook over the budget fails its own test."""

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


def test_budget_and_times(pytester: pytest.Pytester) -> None:
    _notebook(pytester.path / "00_fast.ipynb", 0.0)
    _notebook(pytester.path / "01_slow.ipynb", 6.0)
    _notebook(pytester.path / "02_waits.ipynb", 6.0, busy=False)  # wall time over, CPU time not
    result = pytester.runpytest_subprocess("-p", "coursetools.nbtime", "--nbval", "--nbval-current-env",
                                           "--notebook-budget", "4.5", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8, failed=1)  # 2 cells + 1 budget test each; the slow one's budget fails
    out = result.stdout.str()
    assert "01_slow.ipynb took" in out and "over the 4.5 s budget" in out and "s of kernel CPU time" in out
    assert "02_waits.ipynb  (wall over budget: a busy machine, CPU within)" in out
    assert "notebook execution times" in out
    lines = [ln for ln in out.splitlines() if ln.strip().endswith(("00_fast.ipynb", "01_slow.ipynb  OVER BUDGET"))]
    assert len(lines) == 2, out
