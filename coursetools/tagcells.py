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
import ast
import json
import sys
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from coursetools.student import CHECK, EXERCISE, REVEALS, SOLUTION, analyse, bound_names, revealing, tags


def checks_names(source: str, names: list[str]) -> bool:
    """True when the cell calls a ``check*`` function and reads one of ``names`` (``checks.check_fork(g)``)."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return False
    calls = any(isinstance(n, ast.Call) and getattr(n.func, "attr", getattr(n.func, "id", "")).startswith("check")
                for n in ast.walk(tree))
    return calls and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(tree))


def suggested(nb: nbformat.NotebookNode, name: str) -> dict[int, list[str]]:
    """{cell index: tags to add} for ``nb``: ``check`` on the code cells right after each solution that call a
    ``check*`` function on a name the stub assigns; ``reveals-answer`` on the cells whose stored output shows a
    line of a solution."""
    cells, add = nb.cells, {}
    for k, cell in enumerate(cells):
        if EXERCISE not in tags(cell) or k + 1 >= len(cells) or SOLUTION not in tags(cells[k + 1]):
            continue
        for j in range(k + 2, len(cells)):
            if cells[j].cell_type != "code" or not checks_names(cells[j].source, bound_names(cell.source)):
                break
            add.setdefault(j, []).append(CHECK)
    marked = nbformat.from_dict(json.loads(json.dumps(nb)))
    for k, new in add.items():
        marked.cells[k].metadata["tags"] = [*tags(marked.cells[k]), *new]
    exercises, _ = analyse(marked, name)
    for note in revealing(marked, exercises, name):
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
