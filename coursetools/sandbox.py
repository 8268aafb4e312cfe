"""The grading sandbox: one submission's notebook executed by bubblewrap, confined, and read back as data.

:func:`run_sandboxed` runs ``coursetools.worker`` (nbclient and the kernel) in a sandbox of its own
(:func:`sandbox_command`): a uid of its own without capabilities or new privileges; new PID, network, IPC and
UTS namespaces (no interface but its own loopback; every process dies with the run); a read-only view of /usr,
the Python installation and environment, and ``nlpcourse/``, ``coursetools/``, ``data/`` of this checkout (no
notebooks, so no solutions; no other submission); a private size-limited /tmp; one writable folder, its own.
Memory and tasks are bounded by a cgroup where the machine lets us make one, and by rlimits in any case (address
space, tasks, CPU seconds, file size). :func:`sandbox_problem` says why a machine cannot make it.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SHARED = ("nlpcourse", "coursetools", "data")  # what of the checkout the sandbox sees (read-only)
MAX_NOTEBOOK = 64 << 20  # bytes: an executed notebook larger than this is not read


@dataclass(frozen=True)
class Limits:
    """What one submission may use in its sandbox."""

    memory: int = 4 << 30  # bytes: the sandbox's memory (cgroup) and each process's address space
    tasks: int = 256  # processes and threads
    cpu: int = 1200  # CPU seconds per process
    file_size: int = MAX_NOTEBOOK  # bytes per file written
    tmp: int = 256 << 20  # bytes of the private /tmp


DEFAULT_LIMITS = Limits()


def kill_group(pgid: object) -> None:
    """SIGKILL process group ``pgid`` if it is one and still there."""
    if isinstance(pgid, int) and pgid > 0:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def course_environment() -> dict[str, str]:
    """The environment every graded run gets: fixed hash seed, offline, one thread."""
    return {"PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"), "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1"}


def _ro(path: Path, inside: str | None = None) -> list[str]:
    """bwrap arguments binding ``path`` read-only (at ``inside``, default its own path), parents made 0755."""
    inside = inside or str(path)
    parents = [str(p) for p in reversed(Path(inside).parents) if str(p) != "/"]
    return [*(a for p in parents for a in ("--perms", "0755", "--dir", p)), "--ro-bind", str(path), inside]


def sandbox_command(run: Path, uid: int, argv: list[str], limits: Limits) -> list[str]:
    """The bwrap command line that runs ``argv`` (paths as the sandbox sees them) for one submission.

    The sandbox sees: /usr (and the /bin, /lib links), the dynamic loader's cache and fonts of /etc, the Python
    installation and its environment (read-only, at their own paths / ``/venv``), ``/course/{nlpcourse,
    coursetools,data}`` (read-only), ``/grading`` = ``run`` (its own folder, writable), a private ``/tmp``, its own
    /proc and a minimal /dev. It runs as ``uid`` (no capabilities, no new privileges) in new PID, network, IPC, UTS
    and cgroup namespaces; it dies with the grader.
    """
    args = ["bwrap", *([] if os.geteuid() == 0 else ["--unshare-user"]), "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        if Path(f"/{link}").is_symlink():
            args += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
        elif Path(f"/{link}").is_dir():
            args += ["--ro-bind", f"/{link}", f"/{link}"]
    for etc in ("/etc/ld.so.cache", "/etc/fonts", "/etc/localtime"):
        if Path(etc).exists():
            args += ["--ro-bind", etc, etc]
    base = Path(sys.base_prefix).resolve()
    if not str(base).startswith("/usr"):
        args += _ro(base)
    if sys.prefix != sys.base_prefix:
        args += _ro(Path(sys.prefix), "/venv")
    for name in SHARED:
        if (ROOT / name).exists():
            args += _ro(ROOT / name, f"/course/{name}")
    args += ["--bind", str(run), "/grading", "--perms", "1777", "--size", str(limits.tmp), "--tmpfs", "/tmp",
             "--proc", "/proc", "--dev", "/dev", "--chdir", "/grading/cwd", "--clearenv"]
    python_bin = "/venv/bin" if sys.prefix != sys.base_prefix else str(Path(sys.executable).parent)
    env = {**course_environment(), "PYTHONPATH": "/course", "HOME": "/tmp", "PATH": f"{python_bin}:/usr/bin:/bin",
           "MPLCONFIGDIR": "/grading/mplconfig", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter", "IPYTHONDIR": "/tmp/ipython",
           "MPLBACKEND": "agg", "LANG": "C.UTF-8"}
    for key, value in env.items():
        args += ["--setenv", key, value]
    if os.geteuid() != 0:  # bwrap in a user namespace already runs it as this user, without capabilities
        return [*args, *argv]
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
               "--inh-caps=-all", "--bounding-set=-all", "--"]
    return [*args, *setpriv, *argv]


def _cgroup_roots() -> dict[str, Path]:
    """Writable cgroup v1 ``memory`` and ``pids`` hierarchies (or the v2 root), where this system has them."""
    v2 = Path("/sys/fs/cgroup")
    if (v2 / "cgroup.controllers").exists() and os.access(v2, os.W_OK):
        return {"v2": v2}
    found = {name: v2 / name for name in ("memory", "pids") if os.access(v2 / name, os.W_OK)}
    return found if len(found) == 2 else {}


class Cgroup:
    """A cgroup for one sandbox: its memory (no swap) and task count bounded; every task killed on ``close``."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.paths: list[Path] = []
        roots = _cgroup_roots()
        try:
            if "v2" in roots:
                path = roots["v2"] / name
                path.mkdir()
                self.paths.append(path)
                (path / "memory.max").write_text(str(limits.memory))
                (path / "memory.swap.max").write_text("0")
                (path / "pids.max").write_text(str(limits.tasks))
            elif roots:
                for kind, files in (("memory", {"memory.limit_in_bytes": limits.memory}),
                                    ("pids", {"pids.max": limits.tasks})):
                    path = roots[kind] / name
                    path.mkdir()
                    self.paths.append(path)
                    for file, value in files.items():
                        (path / file).write_text(str(value))
                swap = roots["memory"] / name / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(str(limits.memory))
        except OSError:
            self.close()
            self.paths = []

    def join(self) -> None:
        """Move the calling process (the sandbox's first, before exec) into the cgroup."""
        for path in self.paths:
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def close(self) -> None:
        for path in self.paths:
            for _ in range(50):
                try:
                    pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


@functools.cache
def sandbox_problem() -> str | None:
    """Why this machine cannot make the grading sandbox (None when it can): bwrap and setpriv present, a sandbox
    with an unprivileged uid and no network that starts Python."""
    for tool, package in (("bwrap", "bubblewrap"), ("setpriv", "util-linux"))[: 2 if os.geteuid() == 0 else 1]:
        if not shutil.which(tool):
            return f"`{tool}` is not installed (Debian package `{package}`; `make grade` installs it)"
    uid = PROBE_UID if os.geteuid() == 0 else os.getuid()
    with tempfile.TemporaryDirectory(prefix="nlpcourse-probe-") as tmp:
        run = Path(tmp)
        (run / "cwd").mkdir()
        _give(run, uid)
        code = "import json, os, socket; print(json.dumps([os.getuid(), [n for _, n in socket.if_nameindex()]]))"
        try:
            done = subprocess.run(sandbox_command(run, uid, [_python(), "-c", code], DEFAULT_LIMITS),
                                  capture_output=True, timeout=60)
            seen_uid, interfaces = json.loads(done.stdout.decode() or "null") or (None, None)
        except (OSError, subprocess.TimeoutExpired, ValueError, TypeError) as err:
            return f"bwrap could not start Python in the sandbox ({type(err).__name__}: {err})"
        if done.returncode != 0:
            return f"bwrap could not make the sandbox: {done.stderr.decode(errors='replace').strip()[-300:]}"
        if seen_uid == 0:
            return "the sandbox would run as root"
        if interfaces != ["lo"]:
            return f"the sandbox sees network interfaces {interfaces}, not only its own loopback"
    return None


PROBE_UID = 61999  # the uid of the probe's sandbox (submissions get 61000 + their index)


def _give(run: Path, uid: int) -> None:
    """Make ``run`` and what is in it the sandbox's (its one writable place), when we may (as root)."""
    if os.geteuid() == 0:
        for path in [run, *run.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)


def _python() -> str:
    return "/venv/bin/python" if sys.prefix != sys.base_prefix else sys.executable


def run_sandboxed(src: Path, run: Path, *, timeout: int, cell_timeout: int, limits: Limits, uid: int,
                  sandbox: bool = True) -> tuple[nbformat.NotebookNode | None, str | None]:
    """Execute the grading copy ``src`` in a sandbox of its own (``run``: its folder); return (the executed
    notebook as read back, or None; why the run stopped early, or None).

    The executed notebook is read only after every process of the sandbox is gone, from a file no other
    submission could write, and only as data.
    """
    for folder in ("cwd", "mplconfig"):
        (run / folder).mkdir(exist_ok=True)
    mpl = ROOT / ".venv" / "mplconfig"
    if mpl.is_dir():
        shutil.copytree(mpl, run / "mplconfig", dirs_exist_ok=True)
    shutil.copy(src, run / "graded.ipynb")
    if sandbox:
        _give(run, uid)
        argv = [_python(), "-m", "coursetools.worker", "/grading/graded.ipynb",
                "/grading/executed.ipynb", "--cell-timeout", str(cell_timeout), "--cwd", "/grading/cwd"]
        cmd = sandbox_command(run, uid if os.geteuid() == 0 else os.getuid(), argv, limits)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    else:
        cmd = [sys.executable, "-m", "coursetools.worker", str(run / "graded.ipynb"),
               str(run / "executed.ipynb"), "--cell-timeout", str(cell_timeout), "--cwd", str(run / "cwd")]
        env = {**os.environ, **course_environment()}
    group = Cgroup(f"nlpcourse-grade-{os.getpid()}-{uid}", limits) if sandbox else None

    def confine() -> None:  # in the child, before exec: limits that every process of the sandbox inherits
        import resource

        if group is not None:
            group.join()
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu, limits.cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.tasks, limits.tasks))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    stopped = None
    log = tempfile.TemporaryFile()  # the grader's own file (its size capped by RLIMIT_FSIZE on the writers)
    worker = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              start_new_session=True, env=env, preexec_fn=confine, cwd=run)
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(worker.pid)  # bwrap: its PID namespace, and every process in it, dies with it
        worker.wait()
        stopped = f"the notebook ran longer than {timeout} s and was stopped"
    finally:
        if group is not None:
            group.close()
        if not sandbox:
            status = run / "executed.status.json"
            try:
                kill_group(json.loads(status.read_text()).get("kernel_pgid"))
            except (OSError, ValueError, AttributeError):
                pass
    executed = _read_back(run / "executed.ipynb")
    log.seek(max(0, log.seek(0, os.SEEK_END) - 2000))
    last = log.read().decode(errors="replace").strip().splitlines()[-1:]
    log.close()
    if stopped is None and worker.returncode != 0:
        tail = last or ["no output"]
        stopped = f"the run stopped (exit {worker.returncode}: {tail[0][:200]})"
    if stopped is None:
        try:
            status = json.loads((run / "executed.status.json").read_text()[:10_000])
            stopped = str(status["error"])[:300] if isinstance(status, dict) and "error" in status else None
        except (OSError, ValueError):
            stopped = "the run left no status"
    if executed is None and stopped is None:
        stopped = "the run left no readable notebook"
    return executed, stopped


def _read_back(path: Path) -> nbformat.NotebookNode | None:
    """A notebook the sandbox wrote, read as data: a regular file (no link), at most MAX_NOTEBOOK bytes."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_NOTEBOOK:
            return None
        with open(path, "rb") as f:
            return nbformat.reads(f.read(MAX_NOTEBOOK).decode("utf-8", errors="replace"), as_version=4)
    except Exception:  # anything the student's code may have left there
        return None
