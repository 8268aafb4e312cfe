"""Fixtures of the browser tests (``make test-browser``): Debian's chromium through Playwright, a JupyterLab server.

These tests need Playwright (requirements-browser.txt) and a system chromium, which ``make test-browser``
installs; they are collected only when ``NLPCOURSE_BROWSER=1`` (set by that target), so ``make test`` and a
plain ``pytest tests`` never start a browser.

The JupyterLab server serves a *copy* of ``notebooks/`` (autosave off as well), so running every cell in the
browser never rewrites a committed notebook; it listens on a free localhost port with a random token, and is
stopped at the end — its whole process group, by its own PID — whatever happened.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from browserkit import ROOT, Lab, chromium_path, free_port, server_status, stop, write_settings

if os.environ.get("NLPCOURSE_BROWSER") != "1":
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Root (containers, CI) cannot use chromium's sandbox.
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=args)
        yield b
        b.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns("artifacts", ".ipynb_checkpoints"))
    write_settings(base / "settings")
    port, token = free_port(), secrets.token_hex(24)
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
