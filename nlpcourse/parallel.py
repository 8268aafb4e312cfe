"""Independent runs side by side on two CPU cores: ``starmap(fn, jobs)`` returns ``[fn(*job) for job in jobs]``.

Many of the course's cells train the same small model several times (seeds, folds, settings). Each run uses one
core; a laptop has at least two. On Linux with a spare core, ``starmap`` forks one second process, which inherits
everything built so far (data, models: nothing is copied or re-imported) and takes jobs from the end of the list
while this process takes them from the start, until they meet; the results come back in the jobs' order. Where
no second process can start (one core, no ``fork``, no semaphores) every job runs here. Either way the results are
the same, bit for bit, provided that:

- each job is a function of its arguments alone: it seeds what it draws (a config's ``seed``), and reads no
  random state left by an earlier job;
- it runs on one torch thread, as ``starmap`` sets in both processes (torch's OpenMP threads do not survive a
  fork, and a fixed thread count keeps float sums identical); a job that asks for more with ``torch_threads``
  gets them in this process only;
- its result pickles (numbers, arrays, tensors, ``nn.Module``s, dataclasses of those);
- it prints nothing: what the second process writes would land in the cell's output (its progress bars are
  turned off there: ``in_second_process``).

What the second process needs is best built before ``starmap``: a module a job imports on its first use, or a
vocabulary it builds, would be imported or built again there (once per process, side by side).

The kernel's CPU time is unchanged (the second process's counts as its child's); the wall time falls by up to
half. ``NLPCOURSE_PARALLEL=0`` in the environment turns it off (e.g. to profile a run).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext

from . import torch_threads

__all__ = ["starmap", "available", "in_second_process"]

_work: tuple[Callable, list[tuple]] | None = None  # what a forked second process inherits
_in_second_process = False


def in_second_process() -> bool:
    """Whether this is ``starmap``'s second process (where torch keeps to one thread, ``torch_threads``, and every
    progress bar is off)."""
    return _in_second_process


def available() -> bool:
    """Whether ``starmap`` can use a second process here: Linux (fork), two or more usable cores, not already
    inside the second process, and not turned off with ``NLPCOURSE_PARALLEL=0``."""
    if _in_second_process or os.environ.get("NLPCOURSE_PARALLEL", "1").strip() in ("0", "false", "no"):
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return sys.platform.startswith("linux") and cores > 1


def starmap(fn: Callable, jobs: Iterable[Sequence], *, progress: str | None = None) -> list:
    """``[fn(*job) for job in jobs]``, shared with a second process where ``available()``: this one takes the
    jobs from the front, the other from the back.

    ``progress``: a tqdm bar over the jobs with this label (None: no bar).
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a function, got a {type(fn).__name__}")
    if progress is not None and not isinstance(progress, str):
        raise TypeError(f"progress: expected a label (str) or None, got a {type(progress).__name__}")
    try:
        jobs = list(jobs)
    except TypeError:
        raise TypeError(f"jobs: expected a list of argument tuples, got a {type(jobs).__name__}") from None
    for job in jobs:
        if not isinstance(job, (tuple, list)):
            raise TypeError(f"jobs: expected a tuple of arguments per job, got a {type(job).__name__}")
    jobs = [tuple(job) for job in jobs]
    from tqdm.auto import tqdm

    # every job on one torch thread, here too (torch_threads imports torch: only where it is imported already)
    one_thread = torch_threads(1) if "torch" in sys.modules else nullcontext()
    with tqdm(total=len(jobs), desc=progress, disable=progress is None) as bar, one_thread:
        if len(jobs) < 2 or not available():
            return [_step(bar, fn(*job)) for job in jobs]
        return _side_by_side(fn, jobs, bar)


def _step(bar: object, result: object) -> object:
    bar.update()
    return result


class _Ends:
    """The jobs nobody has taken yet, [lo, hi): this process takes them from the front, the second from the back."""

    def __init__(self, n: int) -> None:
        self.lo, self.hi, self.lock = 0, n, threading.Lock()

    def front(self) -> int | None:
        with self.lock:
            if self.lo == self.hi:
                return None
            self.lo += 1
            return self.lo - 1


def _side_by_side(fn: Callable, jobs: list[tuple], bar: object) -> list:
    """The two processes take jobs from both ends of the list, one at a time, until they meet: this one 0, 1, 2, …,
    the forked one n − 1, n − 2, … (so a list whose jobs grow, or shrink, in cost still splits evenly). The second
    process holds one job at a time: it gets the next when it returns one."""
    global _work
    _work = (fn, jobs)
    try:
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=_start_second)
    except OSError:  # no second process here (e.g. no semaphores): every job in this one
        _work = None
        return [_step(bar, fn(*job)) for job in jobs]
    ends, there, counted = _Ends(len(jobs)), {}, set()

    def send(previous: Future | None = None) -> None:  # runs in the pool's thread when a job comes back
        if previous is not None and (previous.cancelled() or previous.exception() is not None):
            return  # that process died, or a job raised: this process takes what is left
        with ends.lock:
            if ends.lo == ends.hi:
                return
            try:
                future = pool.submit(_run_job, ends.hi - 1)
            except (OSError, RuntimeError, BrokenProcessPool):  # no second process (any more)
                return
            ends.hi -= 1
            there[ends.hi] = future
        future.add_done_callback(send)

    def count_returned() -> None:
        with ends.lock:
            returned = [j for j, f in there.items() if f.done() and j not in counted]
        counted.update(returned)
        bar.update(len(returned))

    done: dict[int, object] = {}
    try:
        send()
        while (i := ends.front()) is not None:
            done[i] = _step(bar, fn(*jobs[i]))
            count_returned()
        for j, future in sorted(there.items()):  # every job is taken: none is added to `there` any more
            done[j] = _result(future, fn, jobs[j])
        count_returned()
    finally:
        pool.shutdown(cancel_futures=True)
        _work = None
    return [done[i] for i in range(len(jobs))]


def _result(future: Future, fn: Callable, job: tuple) -> object:
    """The second process's result, or the job run here if that process died."""
    try:
        return future.result()
    except BrokenProcessPool:
        return fn(*job)


def _start_second() -> None:
    global _in_second_process
    _in_second_process = True
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)  # OpenMP's thread pool does not survive a fork: one thread
    _quiet_progress_bars()


def _quiet_progress_bars() -> None:
    """Every tqdm bar made in this (second) process is disabled, whatever its caller asked: a notebook's bar is a
    widget the kernel would have to send. (tqdm reads its ``TQDM_*`` variables at import: too late for those.)"""
    from tqdm import std

    init = std.tqdm.__init__

    def quiet(self: object, *args: object, **kwargs: object) -> None:
        init(self, *args, **{**kwargs, "disable": True})

    std.tqdm.__init__ = quiet


def _run_job(i: int) -> object:
    fn, jobs = _work
    return fn(*jobs[i])
