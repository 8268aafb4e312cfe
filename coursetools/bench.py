"""``make bench``: run every script in ``benchmarks/`` and collect their results into one markdown table.

The convention every benchmark script follows (benchmarks/README.md):

* it measures ours and the reference side by side in one run and prints whatever a reader wants to see;
* for each headline number it also prints one machine-readable line, through ``emit``::

      BENCH {"measure": "...", "value": 23.4, "unit": "×", "ours": "...", "reference": "...", "meaning": "..."}

  ``value`` is a ratio (``unit`` ``"×"``) or a difference (``unit`` names it, e.g. ``"Spearman"``);
  ``meaning`` says which way is better ("reference time / our time: > 1 means ours is faster");
* it accepts ``--quick``: a smoke-sized run (CI checks that the script works; its ratios mean little).

    python -m coursetools.bench [--quick] [--out build/bench.md] [benchmarks/x.py ...]

A script that fails or prints no ``BENCH`` line fails the run (after the others have run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from nlpcourse import validate

__all__ = ["emit", "parse", "table", "run", "main"]

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "BENCH "
FIELDS = ("measure", "value", "unit", "ours", "reference", "meaning")


def emit(measure: str, value: float, *, ours: str, reference: str, meaning: str, unit: str = "×") -> str:
    """Print (and return) one ``BENCH`` line for ``make bench``'s table.

    Args:
        measure: what was compared, with its setting ("loss + gradient, |V| = 100,000").
        value: the ratio (or difference) measured in this run.
        ours, reference: the two sides, as a reader would name them.
        meaning: how to read ``value`` ("reference time / our time: > 1 means ours is faster").
        unit: ``"×"`` for a ratio, else the unit of a difference.
    """
    record = {"measure": validate.string(measure, "measure"), "value": validate.number(value, "value"),
              "unit": validate.string(unit, "unit"), "ours": validate.string(ours, "ours"),
              "reference": validate.string(reference, "reference"), "meaning": validate.string(meaning, "meaning")}
    line = PREFIX + json.dumps(record, ensure_ascii=False)
    print(line, flush=True)
    return line


def parse(output: str, script: str = "?") -> list[dict]:
    """The ``BENCH`` records in a script's stdout (ValueError naming the script for a malformed one)."""
    records = []
    for n, line in enumerate(output.splitlines(), 1):
        if not line.startswith(PREFIX):
            continue
        try:
            record = json.loads(line[len(PREFIX):])
        except json.JSONDecodeError as err:
            raise ValueError(f"{script}, line {n}: a BENCH line must be JSON, got {line!r} ({err})") from None
        validate.keys(record, f"{script}, line {n}", FIELDS)
        records.append(record)
    return records


def _value(record: dict) -> str:
    v = float(record["value"])
    text = f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}" if abs(v) >= 0.01 or v == 0 else f"{v:.2e}"
    return f"{text}×" if record["unit"] == "×" else f"{v:+.3f} {record['unit']}"


def table(results: dict[str, list[dict]]) -> str:
    """The markdown table of every script's records (``results``: script name -> its records)."""
    rows = ["| benchmark | measure | value | ours | reference | how to read it |", "|---|---|---|---|---|---|"]
    for script, records in results.items():
        for r in records:
            cells = [f"`{script}`", r["measure"], _value(r), r["ours"], r["reference"], r["meaning"]]
            rows.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def run(script: Path, quick: bool, timeout_s: float) -> tuple[list[dict], str]:
    """Run one benchmark script (its output streamed through); returns its records and its full stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, str(script), *(["--quick"] if quick else [])]
    print(f"\n=== {script.name} {'--quick' if quick else ''}", flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    lines = []
    deadline = time.monotonic() + timeout_s
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError(f"{script.name} ran over {timeout_s:.0f} s")
    if proc.wait() != 0:
        raise RuntimeError(f"{script.name} exited with status {proc.returncode}")
    output = "".join(lines)
    records = parse(output, script.name)
    if not records:
        raise ValueError(f"{script.name} printed no BENCH line (see benchmarks/README.md)")
    return records, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="*", type=Path, help="default: every benchmarks/*.py")
    parser.add_argument("--quick", action="store_true", help="smoke-sized runs (CI)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench.md")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per script")
    args = parser.parse_args(argv)
    scripts = args.scripts or sorted((ROOT / "benchmarks").glob("*.py"))
    validate.non_empty(scripts, "scripts", what="benchmark scripts")
    results, failures = {}, []
    for script in scripts:
        try:
            results[script.name], _ = run(script, args.quick, args.timeout)
        except (RuntimeError, ValueError, TimeoutError) as err:
            failures.append(str(err))
    import torch

    head = (f"# Benchmarks{' (--quick: smoke-sized, ratios not meaningful)' if args.quick else ''}\n\n"
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, torch {torch.__version__}; each ratio measured side by side in one run.\n")
    text = head + "\n" + table(results) + "\n" + "".join(f"\n**failed**: {f}\n" for f in failures)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"\n{text}\nwritten to {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
