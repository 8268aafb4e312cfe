"""Helpers of the browser tests (the fixtures are in conftest.py): the system chromium, an offline browser
context, a page's errors, the JupyterLab server's handle and how it is stopped."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

def chromium_path() -> str:
    """The system chromium (``CHROMIUM`` overrides); Playwright's own browser download is never used."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("no chromium on PATH: `make test-browser` installs Debian's (apt-get install chromium)")
    return path


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
        # ERR_ABORTED: a load cut short by leaving the page (a click on a link), not a missing file
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} ({r.failure})")
                if "ERR_ABORTED" not in (r.failure or "") else None)
        page.on("response", lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)


def free_port() -> int:
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


def write_settings(folder: Path) -> None:
    """User settings for the test server: no autosave, no news or update checks (there is no network)."""
    for plugin, values in {
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        # JupyterLab's default, as a student has it: every cell in the DOM, the browser skips drawing those out of
        # view (CSS content-visibility); "full" would attach only the cells near the viewport
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "contentVisibility"},
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


def server_status(server: Lab) -> int | None:
    try:
        return server.get("/api/status", token=server.token)
    except OSError:
        return None
