"""The grader's worker: execute one notebook in a fresh kernel (``python -m coursetools.worker SRC DEST``).

It runs where the notebook must run (inside the grading sandbox for a submission), so it imports only what
executing needs. The executed notebook is saved to DEST after every cell; ``DEST.status.json`` says which kernel
runs (``kernel_pgid``, for an unsandboxed caller to kill) and, if the run stopped early, why (``error``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run_notebook(src: Path, dest: Path, cell_timeout: int, cwd: Path) -> None:
    """Execute ``src`` in a fresh kernel, saving the executed notebook to ``dest`` after every cell.

    Errors in cells are recorded as
    outputs (``allow_errors``); a cell over ``cell_timeout`` seconds is interrupted. Writes
    ``dest.with_suffix(".status.json")``: ``{"kernel_pgid": ...}`` as soon as the kernel runs (so an unsandboxed
    caller can kill it), then ``{"error": ...}`` if the run stopped early (the kernel died).
    """
    status_path = dest.with_suffix(".status.json")
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(nb, timeout=cell_timeout, interrupt_on_timeout=True, allow_errors=True,
                            kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(cwd)}})
    status: dict[str, object] = {}

    def started(**_: object) -> None:
        status["kernel_pgid"] = getattr(client.km.provisioner, "pgid", None)
        status_path.write_text(json.dumps(status))

    def save(**_: object) -> None:
        nbformat.write(client.nb, dest)

    client.on_notebook_start = started
    client.on_cell_executed = save
    try:
        client.execute()
    except Exception as err:  # the kernel died (os._exit, a segfault, out of memory): report, keep what ran
        status["error"] = f"the kernel stopped ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
    nbformat.write(client.nb, dest)
    status_path.write_text(json.dumps(status))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute one notebook for the grader.")
    parser.add_argument("src", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--cell-timeout", type=int, default=120)
    parser.add_argument("--cwd", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    run_notebook(args.src, args.dest, args.cell_timeout, args.cwd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
