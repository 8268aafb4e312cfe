"""A pytest plugin for ``make test``: each notebook's execution time under nbval, and a budget test.

nbval runs a notebook as one test per cell; this plugin adds up the cells' durations per notebook (kernel
start included), adds one test per notebook, ``<notebook>::execution time``, that fails when the total is
over the budget (60 s by default, ``--notebook-budget S``), and prints a table of the times at the end.
The course's targets are stricter (CONTRIBUTING.md: ≤ 20 s, ≤ 45 s for a notebook training on a real
corpus); 60 s is the line no notebook may cross even on a loaded 2-core machine.

    pytest -p nlpcourse.course.nbtime --nbval ... notebooks/      (the Makefile's NBVAL flags include it)
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

BUDGET_S = 60.0
_times: dict[str, float] = defaultdict(float)


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
        if took > budget:
            raise NotebookTooSlow(f"{self.notebook} took {took:.1f} s, over the {budget:g} s budget "
                                  "(targets: ≤ 20 s, ≤ 45 s when it trains on a real corpus)")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None) -> str:
        if isinstance(excinfo.value, NotebookTooSlow):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.notebook}: execution time"


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
    for nb, took in sorted(_times.items()):
        flag = "  OVER BUDGET" if took > budget else ""
        terminalreporter.write_line(f"{took:7.1f} s  {nb}{flag}")
    terminalreporter.write_line(f"(budget {budget:g} s per notebook; targets ≤ 20 s, ≤ 45 s on a real corpus)")
