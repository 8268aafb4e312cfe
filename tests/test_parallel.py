"""parallel.starmap: the same results as a loop, in order, with or without a second process."""

import os
import time

import numpy as np
import pytest
import torch

import nlpcourse
from nlpcourse import parallel


def _train(seed: int, steps: int) -> tuple[int, float, np.ndarray]:
    """A small seeded torch training: a function of its arguments alone."""
    with nlpcourse.torch_threads(1):
        g = torch.Generator().manual_seed(seed)
        w = torch.randn(8, 4, generator=g, dtype=torch.float64, requires_grad=True)
        x = torch.randn(32, 8, generator=g, dtype=torch.float64)
        for _ in range(steps):
            loss = (x @ w).tanh().pow(2).mean()
            (grad,) = torch.autograd.grad(loss, w)
            w = (w - 0.1 * grad).detach().requires_grad_()
        return seed, float(loss.detach()), w.detach().numpy()


def _pid(_: int) -> int:
    time.sleep(0.05)  # long enough for the second process to start and take its share
    return os.getpid()


def _fails(i: int) -> int:
    if i == 3:
        raise ValueError("job 3 fails")
    return i


@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
def test_starmap_equals_a_loop_bit_for_bit(n):
    jobs = [(seed, 5 + seed) for seed in range(n)]
    loop = [_train(*job) for job in jobs]
    got = parallel.starmap(_train, jobs)
    assert [r[:2] for r in got] == [r[:2] for r in loop]
    assert all(np.array_equal(a[2], b[2]) for a, b in zip(got, loop, strict=True))


def test_a_second_process_shares_the_work_where_available():
    pids = parallel.starmap(_pid, [(i,) for i in range(8)])
    assert pids[0] == os.getpid()  # this process works from the front, the other from the back
    if parallel.available():
        assert pids[-1] != os.getpid() and abs(pids.count(os.getpid()) - 4) <= 1  # equal jobs: half each
        assert pids == sorted(pids, key=lambda pid: pid != os.getpid())  # one block each: they meet once
    else:
        assert set(pids) == {os.getpid()}


def _slow_first(i: int) -> tuple[int, int]:
    time.sleep(0.5 if i == 0 else 0.01)
    return i, os.getpid()


def test_a_job_the_second_process_finished_is_not_run_again():
    got = parallel.starmap(_slow_first, [(i,) for i in range(3)])
    assert [i for i, _ in got] == [0, 1, 2]
    if parallel.available():  # while this process runs job 0, the other runs 2 and 1
        assert got[0][1] == os.getpid() and got[1][1] == got[2][1] != os.getpid()


def test_turned_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("NLPCOURSE_PARALLEL", "0")
    assert not parallel.available()
    assert set(parallel.starmap(_pid, [(i,) for i in range(4)])) == {os.getpid()}


def test_no_second_process_falls_back_to_this_one(monkeypatch):
    def no_process(*args, **kwargs):
        raise OSError("no semaphores here")

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_process)
    assert parallel.starmap(_pid, [(i,) for i in range(4)]) == [os.getpid()] * 4


def test_a_job_s_error_reaches_the_caller():
    with pytest.raises(ValueError, match="job 3 fails"):
        parallel.starmap(_fails, [(i,) for i in range(6)])


def test_closures_run_too():  # the second process inherits the job list: nothing is pickled on the way there
    data = np.arange(10.0)
    assert parallel.starmap(lambda k: float(data[:k].sum()), [(k,) for k in range(6)]) == [0, 0, 1, 3, 6, 10]


def test_the_second_process_keeps_torch_to_one_thread():
    def threads(k: int) -> int:
        with nlpcourse.torch_threads(k):
            return torch.get_num_threads()

    with nlpcourse.torch_threads(2):
        a = torch.randn(600, 600)
        (a @ a).sum()  # OpenMP's threads busy here before the fork: the second process must not wait for them
    got = parallel.starmap(threads, [(2,), (2,)])
    assert got[0] == 2 and got[1] == (1 if parallel.available() else 2)


@pytest.mark.parametrize("allowed", ["1", "0"])
def test_every_job_runs_on_one_torch_thread(monkeypatch, allowed):
    monkeypatch.setenv("NLPCOURSE_PARALLEL", allowed)  # with a second process, and all in this one
    with nlpcourse.torch_threads(2):
        got = parallel.starmap(lambda _: torch.get_num_threads(), [(0,), (1,), (2,)])
        assert torch.get_num_threads() == 2  # the caller's setting is back afterwards
    assert got == [1, 1, 1]


def _bar_shown(_: int) -> tuple[int, bool]:
    from tqdm.auto import tqdm

    time.sleep(0.05)  # long enough for the second process to take a share
    with open(os.devnull, "w") as sink, tqdm(total=1, disable=False, file=sink) as bar:  # asked for, explicitly
        return os.getpid(), not bar.disable


def test_the_second_process_shows_no_progress_bar():
    results = parallel.starmap(_bar_shown, [(i,) for i in range(6)])
    assert {shown for pid, shown in results if pid == os.getpid()} == {True}  # this process: as asked
    there = [shown for pid, shown in results if pid != os.getpid()]
    assert not any(there) and (bool(there) or not parallel.available())  # the second one: always off


def test_arguments_are_checked():
    with pytest.raises(TypeError, match="fn: expected a function"):
        parallel.starmap(3, [(1,)])
    with pytest.raises(TypeError, match="jobs: expected a tuple of arguments per job, got a int"):
        parallel.starmap(_pid, [1, 2])
    with pytest.raises(TypeError, match="jobs: expected a list of argument tuples, got a int"):
        parallel.starmap(_pid, 3)
    with pytest.raises(TypeError, match="progress: expected a label"):
        parallel.starmap(_pid, [(1,)], progress=True)
