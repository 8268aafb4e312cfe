"""Fixtures of the browser tests (``make test-browser``): Debian's chromium through Playwright, a JupyterLab server.

These tests need Playwright (requirements-browser.txt) and a system chromium, which ``make test-browser``
installs; they are collected only when ``NLPCOURSE_BROWSER=1`` (set by that target), so ``make test`` and a
plain ``pytest tests`` never start a browser.

The JupyterLab server serves a *copy* of ``notebooks/`` (autosave off as well), so running every cell in the
browser never rewrites a committed notebook; it listens on a free localhost port with a random token, and is
stopped at the end — its whole process group, by its own PID — whatever happened.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

if os.environ.get("NLPCOURSE_BROWSER") != "1":
    collect_ignore_glob = ["test_*.py"]


def chromium_path() -> str:
    """The system chromium (``CHROMIUM`` overrides); Playwright's own browser download is never used."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("no chromium on PATH: `make test-browser` installs Debian's (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Root (containers, CI) cannot use chromium's sandbox.
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=args)
        yield b
        b.close()


def offline_context(browser: object, allow: str = "file:", **kwargs: object) -> tuple[object, list[str]]:
    """A browser context in which every request not starting with ``allow`` is aborted (and recorded)."""
    context = browser.new_context(**kwargs)
    blocked: list[str] = []

    def route(r: object) -> None:
        if r.request.url.startswith(allow) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context, blocked


class PageErrors:
    """Collects a page's uncaught exceptions, console errors, failed requests and HTTP error responses."""

    def __init__(self, page: object):
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    url: str  # http://127.0.0.1:PORT
    token: str
    root: Path  # the served copy of notebooks/
    pid: int

    def get(self, path: str, token: str | None = None) -> int:
        """HTTP status of GET ``path`` (with ``token`` as the query's token, if given)."""
        return self.fetch(path, token)[0]

    def fetch(self, path: str, token: str | None = None) -> tuple[int, str]:
        """(HTTP status, final URL after redirects) of GET ``path``."""
        query = f"{'&' if '?' in path else '?'}token={token}" if token is not None else ""
        try:
            with urllib.request.urlopen(self.url + path + query, timeout=10) as response:
                return response.status, response.url
        except urllib.error.HTTPError as err:
            return err.code, err.url

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None


def _settings(folder: Path) -> None:
    """User settings for the test server: no autosave, no news or update checks (there is no network)."""
    for plugin, values in {
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        # every cell in the DOM (JupyterLab 4 otherwise renders only those near the viewport)
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    }.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _children(pid: int) -> list[int]:
    """PIDs of the processes whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def stop(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """Stop the server by its own PID (SIGTERM: it shuts its kernels down), then SIGKILL whatever is left of it
    and of the kernels it started (each kernel runs in a session of its own, so each by its PID too)."""
    kernels = _children(proc.pid)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=grace)
    for pid in kernels:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:  # already gone: the server shut it down
            pass


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns("artifacts", ".ipynb_checkpoints"))
    _settings(base / "settings")
    port, token = _free_port(), secrets.token_hex(24)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0",
           "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "JUPYTER_CONFIG_DIR": str(base / "config")}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True", "--LabApp.news_url=",
           "--ServerApp.open_browser=False"]
    log = (base / "server.log").open("w")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}", token, root, proc.pid)
    # A CI time-out or a `kill` sends SIGTERM: turn it into an exit so that the `finally` below still runs.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        deadline = time.monotonic() + 120
        while server_status(server) != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start (exit {proc.poll()}):\n{(base / 'server.log').read_text()}")
            time.sleep(0.5)
        yield server
    finally:
        stop(proc)
        log.close()
        signal.signal(signal.SIGTERM, previous)


def server_status(server: Lab) -> int | None:
    try:
        return server.get("/api/status", token=server.token)
    except OSError:
        return None
