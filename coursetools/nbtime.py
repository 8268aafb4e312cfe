"""A pytest plugin for ``make test``: each notebook's execution time under nbval, and a budget test.

nbval runs a notebook as one test per cell; this plugin adds up the cells' durations per notebook (kernel
start included), adds one test per notebook, ``<notebook>::execution time``, that fails when the notebook is
over the budget (60 s by default, ``--notebook-budget S``), and prints a table of the times at the end.
The course's targets are stricter (CONTRIBUTING.md: ≤ 20 s, ≤ 45 s for a notebook training on a real
corpus); 60 s is the line no notebook may cross.

"Over the budget" means over it in wall time *and* in the kernel's own CPU time (user + system, all its
threads, read from /proc where there is one): a notebook that needs more than 60 s fails on any machine, while
one that only waited for a CPU on a machine busy with other work (wall time up, CPU time not) is reported
but passes. A notebook on 2 threads for 40 s (80 s of CPU) is within budget: its wall time is not over.

    pytest -p coursetools.nbtime --nbval ... notebooks/      (the Makefile's NBVAL flags include it)
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pytest

__all__ = ["BUDGET_S", "NotebookTime", "NotebookTooSlow", "kernel_cpu_seconds"]  # + the pytest hooks

BUDGET_S = 60.0
_times: dict[str, float] = defaultdict(float)
_cpu: dict[str, float | None] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--notebook-budget", type=float, default=BUDGET_S,
                     help=f"fail a notebook whose cells take longer in total (seconds, default {BUDGET_S:g})")


def _notebook(nodeid: str) -> str | None:
    file = nodeid.split("::")[0]
    return file if file.endswith(".ipynb") else None


class NotebookTime(pytest.Item):
    """The budget test of one notebook: passes when its cells took at most ``--notebook-budget`` seconds."""

    def __init__(self, *, notebook: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.notebook = notebook

    def runtest(self) -> None:
        budget = self.config.getoption("--notebook-budget")
        took = _times[self.notebook]
        cpu = _cpu[self.notebook] = kernel_cpu_seconds(self.parent)
        if took > budget and (cpu is None or cpu > budget):
            used = "" if cpu is None else f" ({cpu:.1f} s of kernel CPU time)"
            raise NotebookTooSlow(f"{self.notebook} took {took:.1f} s{used}, over the {budget:g} s budget "
                                  "(targets: ≤ 20 s, ≤ 45 s when it trains on a real corpus)")

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
    budget = config.getoption("--notebook-budget")
    terminalreporter.section("notebook execution times")
    terminalreporter.write_line("   wall  kernel CPU  notebook")
    for nb, took in sorted(_times.items()):
        cpu = _cpu.get(nb)
        over = took > budget and (cpu is None or cpu > budget)
        flag = "  OVER BUDGET" if over else "  (wall over budget: a busy machine, CPU within)" if took > budget else ""
        cpu_text = "       ?" if cpu is None else f"{cpu:8.1f}"
        terminalreporter.write_line(f"{took:7.1f} s {cpu_text} s  {nb}{flag}")
    terminalreporter.write_line(f"(budget {budget:g} s per notebook; targets ≤ 20 s, ≤ 45 s on a real corpus)")
