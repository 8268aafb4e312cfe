"""Tag a notebook's exercise cells explicitly, as nbgrader does: ``check`` on the cells that check an exercise,
``reveals-answer`` on the cells whose stored output shows a line of a solution.

The student builder reads these tags (CONTRIBUTING.md, "Exercises"); this script infers them once, for a
notebook written before the tags existed or to suggest them for a new one:

    python -m coursetools.tagcells notebooks/*.ipynb            # adds the tags (metadata only), says where
    python -m coursetools.tagcells --dry-run notebooks/08_*.ipynb

Only ``metadata.tags`` changes: sources, outputs and the file's JSON layout stay as they are.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat

from coursetools.student import CHECK, REVEALS, analyse, revealing, tags


def suggested(nb: nbformat.NotebookNode, name: str) -> dict[int, list[str]]:
    """{cell index: tags to add} for ``nb``: ``check`` on each exercise's check cells, ``reveals-answer`` on the
    cells whose stored output shows a line of a solution."""
    exercises, _, _ = analyse(nb, name)
    add: dict[int, list[str]] = {}
    for ex in exercises:
        for k in ex.check_cells:
            add.setdefault(k, []).append(CHECK)
    for note in revealing(nb, exercises, name):
        if REVEALS not in add.get(note.cell, []):
            add.setdefault(note.cell, []).append(REVEALS)
    return {k: [t for t in new if t not in tags(nb.cells[k])] for k, new in add.items()
            if any(t not in tags(nb.cells[k]) for t in new)}


def tag(path: Path, dry_run: bool = False, reveals: tuple[int, ...] = ()) -> dict[int, list[str]]:
    """Add the suggested tags to the notebook at ``path`` (unless ``dry_run``), and ``reveals-answer`` to the
    cells ``reveals`` (what a reader sees there gives an answer away: a derivation, a table of the values);
    returns what was (to be) added."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    add = suggested(nbformat.reads(json.dumps(raw), as_version=4), path.stem)
    for k in reveals:
        if REVEALS not in raw["cells"][k].get("metadata", {}).get("tags", []) + add.get(k, []):
            add.setdefault(k, []).append(REVEALS)
    if add and not dry_run:
        for k, new in add.items():
            meta = raw["cells"][k].setdefault("metadata", {})
            meta["tags"] = [*meta.get("tags", []), *new]
        path.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return add


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Add check / reveals-answer tags to course notebooks.")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="say what would be tagged, change nothing")
    parser.add_argument("--reveals", type=int, nargs="*", default=[],
                        help="cell indices (0-based) to tag reveals-answer as well (one notebook)")
    args = parser.parse_args(argv)
    if args.reveals and len(args.notebooks) != 1:
        parser.error(f"--reveals: expected one notebook, got {len(args.notebooks)}")
    for path in args.notebooks:
        for k, new in sorted(tag(path, args.dry_run, tuple(args.reveals)).items()):
            print(f"{path} cell {k}: {'would add' if args.dry_run else 'added'} {', '.join(new)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
