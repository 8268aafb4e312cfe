"""A pytest plugin for ``make test``: each notebook's execution time under nbval, and a budget that never fails
a student's machine.

nbval runs a notebook as one test per cell; this plugin adds up the cells' durations per notebook (kernel
start included), adds one test per notebook, ``<notebook>::execution time``, and prints a table of the times
(wall and the kernel's CPU time) at the end. The course's targets are stricter (CONTRIBUTING.md: ≤ 20 s, ≤ 30 s
for a notebook training on a real corpus); the budget (60 s by default, ``--notebook-budget S``) is the line
no notebook may cross on the developers' machine.

The budget follows the machine: a fixed numpy/torch/interpreter workload is timed (CPU time, best of a few runs,
``calibration_seconds``) at the start of the session and again after each notebook, and the median of these
readings is the machine's speed during the run (a VM's speed can drift by a fifth within minutes; one reading at
the start missed that); a machine on which it takes twice as long as on the reference machine
(``REFERENCE_CALIBRATION_S``) gets twice the budget, a faster one keeps it (``--notebook-budget-scale`` fixes the
factor instead). And the budget *fails* a test only where the environment variable ``CI`` is set
(CI runs ``.ci/run`` with ``CI=true``): on a student's or a developer's machine a notebook over it is only
flagged in the table, so ``make test`` never goes red for time alone. "Over the budget" means over it in wall
time *and* in the kernel's own CPU time (user + system, all its threads, from /proc where there is one): one
that only waited for a CPU on a machine busy with other work (wall time up, CPU time not) passes.

    pytest -p coursetools.nbtime --nbval ... notebooks/      (the Makefile's NBVAL flags include it)
"""

from __future__ import annotations

import os
import statistics
import time
import timeit
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

__all__ = ["BUDGET_S", "COURSE_TARGET_S", "COURSE_TARGET_NOTEBOOKS", "REFERENCE_CALIBRATION_S", "target_seconds",
           "NotebookTime", "NotebookTooSlow", "budget_scale",
           "calibration_seconds", "enforced", "kernel_cpu_seconds"]  # + the pytest hooks

BUDGET_S = 60.0
TARGET_S, CORPUS_TARGET_S = 20.0, 30.0  # a notebook's target; one that trains on a real corpus (CORPUS_NOTEBOOKS)
CORPUS_NOTEBOOKS = ("01_word2vec", "03_fasttext", "05_mlp")
# the course's target: 120 s on the slower 2-core Xeon of issue 24, where the course took 1.65x as long as on the
# reference machine (180 s vs 109 s), so 120 / 1.65 on the reference machine; set for the eight notebooks that
# issue timed (COURSE_TARGET_NOTEBOOKS), before 08 was written: the summary prints their subtotal beside the total
COURSE_TARGET_S = 73.0
COURSE_TARGET_NOTEBOOKS = ("00_linear_maps", "01_word2vec", "02_hierarchical_softmax", "03_fasttext", "04_backprop",
                           "05_mlp", "06_attention", "07_beam_search")
# calibration_seconds() on the developers' machine (2-core Intel Xeon, AVX-512; torch 2.13, numpy's OpenBLAS)
REFERENCE_CALIBRATION_S = 0.07
_times: dict[str, float] = defaultdict(float)
_cpu: dict[str, float | None] = {}
_readings: list[float] = []  # calibration_seconds() at the start and after each notebook (no fixed scale)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--notebook-budget", type=float, default=BUDGET_S,
                     help=f"a notebook's time budget on the reference machine (seconds, default {BUDGET_S:g}); "
                          "scaled by this machine's speed, failing a test only where CI is set")
    parser.addoption("--notebook-budget-scale", type=float, default=None,
                     help="the budget's factor for this machine (default: timed with a calibration workload)")


def calibration_seconds(repeat: int = 5) -> float:
    """CPU seconds of a fixed workload like the notebooks' (numpy ufuncs and a sort, small matrix products in
    torch on one thread, an interpreter loop): the best of ``repeat`` runs. No BLAS call from numpy: its
    threads spin while they wait, and on a busy machine that CPU time would be counted as work."""
    import torch

    x = np.random.default_rng(0).standard_normal(100_000)
    t = torch.from_numpy(x[:96 * 96].reshape(96, 96)).float()

    def work() -> None:
        for _ in range(10):
            np.sort(np.tanh(x) + np.exp(-x * x))
        u = t
        for _ in range(300):
            u = torch.tanh(u @ t / 10.0)
        sum(i * i for i in range(300_000))

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return min(timeit.repeat(work, number=1, repeat=repeat, timer=time.process_time))
    finally:
        torch.set_num_threads(threads)


def budget_scale(seconds: float, reference: float = REFERENCE_CALIBRATION_S) -> float:
    """The budget's factor: how many times slower than the reference machine this one is, at least 1."""
    return max(1.0, seconds / reference)


def target_seconds(notebook: str) -> float:
    """A notebook's target on the reference machine: ``CORPUS_TARGET_S`` where it trains on a real corpus."""
    return CORPUS_TARGET_S if Path(notebook).stem in CORPUS_NOTEBOOKS else TARGET_S


def enforced() -> bool:
    """The budget fails tests only in CI (``CI`` set, as GitHub Actions, GitLab and ``.ci/run`` set it)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.getoption("--nbval", default=False) and _calibrated(session.config):
        _readings.append(calibration_seconds(repeat=5))


def _calibrated(config: pytest.Config) -> bool:
    """Whether the factor comes from calibration readings (no ``--notebook-budget-scale``)."""
    return config.getoption("--notebook-budget-scale") is None


def _factor(config: pytest.Config) -> float:
    """This machine's factor: ``--notebook-budget-scale``, else from the median of the readings so far."""
    if not _calibrated(config):
        return float(config.getoption("--notebook-budget-scale"))
    return budget_scale(statistics.median(_readings)) if _readings else 1.0


def _budget(config: pytest.Config) -> float:
    return config.getoption("--notebook-budget") * _factor(config)


def _notebook(nodeid: str) -> str | None:
    file = nodeid.split("::")[0]
    return file if file.endswith(".ipynb") else None


class NotebookTime(pytest.Item):
    """The budget test of one notebook: fails in CI when its cells took more than the (scaled) budget."""

    def __init__(self, *, notebook: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.notebook = notebook

    def runtest(self) -> None:
        if _calibrated(self.config):
            _readings.append(calibration_seconds(repeat=3))  # the kernel is idle now: the speed after this notebook
        budget = _budget(self.config)
        took = _times[self.notebook]
        cpu = _cpu[self.notebook] = kernel_cpu_seconds(self.parent)
        if enforced() and took > budget and (cpu is None or cpu > budget):
            used = "" if cpu is None else f" ({cpu:.1f} s of kernel CPU time)"
            raise NotebookTooSlow(f"{self.notebook} took {took:.1f} s{used}, over the {budget:.0f} s budget "
                                  "(targets: ≤ 20 s, ≤ 30 s when it trains on a real corpus)")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None) -> str:
        if isinstance(excinfo.value, NotebookTooSlow):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.notebook}: execution time"


def kernel_cpu_seconds(collector: object) -> float | None:
    """CPU seconds (user + system, with its finished children) used so far by nbval's kernel for ``collector``.

    None where it cannot be read (no /proc, another nbval version, the kernel already gone).
    """
    try:
        pid = collector.kernel.km.provisioner.process.pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (AttributeError, OSError, IndexError):
        return None
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


class NotebookTooSlow(AssertionError):
    """A notebook over its time budget."""


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    last: dict[str, int] = {}
    for i, item in enumerate(items):
        if (nb := _notebook(item.nodeid)) is not None:
            last[nb] = i
    for nb, i in sorted(last.items(), key=lambda kv: -kv[1]):  # insert from the end: indices stay valid
        parent = items[i].parent
        items.insert(i + 1, NotebookTime.from_parent(parent, name="execution time", notebook=nb))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if (nb := _notebook(report.nodeid)) is not None and not report.nodeid.endswith("::execution time"):
        _times[nb] += report.duration


def pytest_terminal_summary(terminalreporter: object, exitstatus: int, config: pytest.Config) -> None:
    if not _times:
        return
    budget = _budget(config)
    terminalreporter.section("notebook execution times")
    factor = _factor(config)
    terminalreporter.write_line(f"   wall  kernel CPU  target  notebook   (targets × {factor:.2f}, this machine's "
                                "speed factor; the wall time is what counts)")
    for nb, took in sorted(_times.items()):
        cpu, target = _cpu.get(nb), target_seconds(nb) * factor
        over = took > budget and (cpu is None or cpu > budget)
        flag = ("  OVER BUDGET" if over else "  (wall over budget: a busy machine, CPU within)" if took > budget
                else "  over target" if took > target else "")
        cpu_text = "       ?" if cpu is None else f"{cpu:8.1f}"
        terminalreporter.write_line(f"{took:7.1f} s {cpu_text} s  {'✓' if took <= target else '✗'} {target:3.0f} s  "
                                    f"{nb}{flag}")
    total, course = sum(_times.values()), COURSE_TARGET_S * factor
    timed = [took for nb, took in _times.items() if Path(nb).stem in COURSE_TARGET_NOTEBOOKS]
    scope = ("" if not timed else f"; those {len(COURSE_TARGET_NOTEBOOKS)}: {sum(timed):.1f} s"
             + ("" if len(timed) == len(COURSE_TARGET_NOTEBOOKS) else f" ({len(timed)} of them ran)"))
    terminalreporter.write_line(f"{total:7.1f} s in all ({len(_times)} notebooks); the whole course's target: "
                                f"≤ {course:.0f} s here (120 s on issue 24's slower machine), set for the "
                                f"{len(COURSE_TARGET_NOTEBOOKS)} notebooks that issue timed "
                                f"({COURSE_TARGET_NOTEBOOKS[0][:2]}–{COURSE_TARGET_NOTEBOOKS[-1][:2]}){scope}")
    base = config.getoption("--notebook-budget")
    how = (f"calibration workload {statistics.median(_readings):.2f} s here, the median of {len(_readings)} readings "
           f"through the run ({min(_readings):.2f}–{max(_readings):.2f} s), {REFERENCE_CALIBRATION_S:.2f} s on the "
           f"reference machine" if _readings else "--notebook-budget-scale")
    where = "a test fails over it (CI is set)" if enforced() else "reported only: it fails tests only where CI is set"
    terminalreporter.write_line(f"budget {budget:.0f} s per notebook = {base:g} s × {factor:.2f} "
                                f"({how}); {where}. Targets ≤ {TARGET_S:.0f} s, ≤ {CORPUS_TARGET_S:.0f} s on a real "
                                "corpus, never enforced")
