"""Every figure of notebook 03: a word's n-grams and buckets, collisions vs bucket count, trainers side by side.

Each ``draw_*`` returns a ``matplotlib.figure.Figure`` made outside pyplot (one PNG per notebook cell).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from nlpcourse import validate
from nlpcourse.plotting import TEXT_TO_PATH, new_figure
from nlpcourse.subwords import SubwordVectors, char_ngrams, ngram_ids

__all__ = ["ngram_groups", "ngram_panel", "draw_ngrams", "draw_collisions", "draw_trainers", "draw_neighbours"]


def ngram_groups(word: str, minn: int = 3, maxn: int = 6, bucket: int = 2_000_000) -> pd.DataFrame:
    """A word's n-grams with their bucket ids, in fastText's order: DataFrame[n, ngram, bucket_id], a row per
    n-gram (sort by n to group them)."""
    grams = char_ngrams(word, minn, maxn)
    return pd.DataFrame({"n": [len(g) for g in grams], "ngram": grams,
                         "bucket_id": ngram_ids(word, minn, maxn, bucket)})


def ngram_panel(word: str, minn: int = 3, maxn: int = 6, bucket: int = 2_000_000,
                model: SubwordVectors | None = None) -> tuple[str, str]:
    """``draw_ngrams``'s left panel as (title, table): the word's n-grams grouped by n with their bucket ids, a
    line of text per (up to 4) n-grams, at most 15 lines; the title says how many and, given a model, whether
    the word was seen in training."""
    table = ngram_groups(word, minn, maxn, bucket)
    seen = model is not None and word in model.vocab
    title = (f'"<{word}>": {len(table)} n-grams, n = {minn}..{maxn}, bucket = {bucket:,}'
             + ("" if model is None else (" · in vocabulary" if seen else " · never seen in training")))
    lines, per_line = [], 4 if maxn <= 6 else 3  # n-grams per line: longer ones, fewer (the panel's width)
    for n, group in table.groupby("n", sort=True):
        cells = [f"{g} {i}" for g, i in zip(group["ngram"], group["bucket_id"], strict=True)]
        for start in range(0, len(cells), per_line):
            lines.append(f"{f'n={n}' if start == 0 else '':5s}" + "   ".join(cells[start : start + per_line]))
    if len(lines) > 15:  # what the figure's height holds
        lines = [*lines[:15], f"      ... {len(lines) - 15} more lines"]
    return title, "\n".join(lines) or "(no n-gram of these lengths)"


def draw_ngrams(word: str, minn: int = 3, maxn: int = 6, bucket: int = 2_000_000,
                model: SubwordVectors | None = None, k: int = 6) -> Figure:
    """The widget's view: the word's n-grams grouped by n with their bucket ids (``ngram_panel``), and (given a
    trained model) its nearest in-vocabulary neighbours as bars of cosine similarity.

    Fixed margins (no constrained layout): a redraw takes a few tens of ms.
    """
    title, table = ngram_panel(word, minn, maxn, bucket, model)
    k = validate.positive_int(k, "k")
    fig, axes = new_figure(2 if model is not None else 1, size=(10.0 if model is not None else 7.0, 4.2),
                           layout=None, squeeze=False)
    ax = axes[0, 0]
    ax.axis("off")
    ax.set_title(title, fontsize=10, loc="left")
    # one text artist for the whole table: a redraw stays well under 100 ms
    ax.text(0.0, 0.97, table, fontsize=9, family="DejaVu Sans Mono", transform=ax.transAxes, va="top",
            linespacing=1.35)
    if model is not None:
        ax2 = axes[0, 1]
        neighbours = model.most_similar(word, k=k)
        names, sims = [w for w, _ in neighbours][::-1], [s for _, s in neighbours][::-1]
        ax2.barh(range(len(names)), sims, color="#1f77b4")
        ax2.set_yticks(range(len(names)), names)
        ax2.set_xlim(min(0.0, min(sims, default=0.0)), 1.0)
        ax2.set_xlabel("cosine similarity")
        ax2.set_title(f"nearest in-vocabulary words (of {len(model.vocab):,})", fontsize=10)
        fig.subplots_adjust(left=0.02, right=0.98, wspace=0.45, bottom=0.12, top=0.9)
    else:
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.9)
    return fig


def draw_collisions(table: pd.DataFrame, n_ngrams: int, ax: object = None) -> Figure:
    """``collision_table``'s collision rate (measured and expected) against the bucket count, and the input
    matrix's size, for ``n_ngrams`` distinct n-grams."""
    n_ngrams = validate.positive_int(n_ngrams, "n_ngrams")
    if ax is None:
        fig, ax = new_figure(size=(7.0, 4.0))
    else:
        fig = ax.figure
    b = table["bucket"].to_numpy()
    ax.semilogx(b, 100 * table["collision_rate"], "o-", label="measured (fastText's hash)")
    ax.semilogx(b, 100 * table["expected"], "--", color="0.4", label="a uniform random hash")
    ax.set_xlabel("bucket count")
    ax.set_ylabel("% of n-grams sharing a bucket")
    ax.set_title(f"{n_ngrams:,} distinct n-grams into fewer and fewer buckets")
    twin = ax.twinx()
    twin.semilogx(b, table["parameters"] / 1e6, "s:", color="#2ca02c", label="input matrix (millions)")
    twin.set_ylabel("parameters (millions)", color="#2ca02c")
    twin.spines["right"].set_visible(True)
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(lines, [h.get_label() for h in lines], fontsize=9, loc="center right")
    return fig


def draw_trainers(runs: pd.DataFrame, sets: Sequence[str] = ("wordsim353", "simlex999")) -> Figure:
    """Spearman correlation per trainer (mean over seeds, bar; each seed a dot), one panel per evaluation set.

    The dots are the noise level: a difference between bars smaller than their spread is not a result. Each
    trainer's share of out-of-vocabulary pairs is written along the top (a grey bar: it scored only some)."""
    trainers = list(dict.fromkeys(runs["trainer"]))
    fig, axes = new_figure(len(sets), size=(4.2 * len(sets), 3.6), squeeze=False)
    for ax, name in zip(axes[0], sets, strict=True):
        top = max(0.0, float(runs[name].max()))
        bottom = min(0.0, float(runs[name].min()))
        for x, trainer in enumerate(trainers):
            values = runs.loc[runs["trainer"] == trainer, name].to_numpy()
            oov = runs.loc[runs["trainer"] == trainer, f"oov_{name}"].iloc[0]
            ax.bar(x, values.mean(), color="#1f77b4" if oov == 0 else "0.7", alpha=0.8)
            ax.plot(np.full(len(values), x), values, "k.", ms=5)
            ax.text(x, 0.97, f"OOV {oov:.0%}", ha="center", va="top", fontsize=9,
                    transform=ax.get_xaxis_transform())  # x in data, y in axes coordinates: along the top
        span = top - bottom or 1.0
        ax.set_ylim(bottom - 0.05 * span * (bottom < 0), top + 0.25 * span)  # room for the OOV line
        ax.set_xlim(-0.6, len(trainers) - 0.4)
        ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_xticks(range(len(trainers)), [t.replace(" ", "\n") for t in trainers], fontsize=9)  # upright
        ax.set_title(name)
        ax.set_ylabel("Spearman ρ")
    return fig


def draw_neighbours(models: dict[str, SubwordVectors], words: Sequence[str], k: int = 5) -> Figure:
    """A grid of text: for each word (rows) and model (columns), its k nearest in-vocabulary words.

    Neighbour lists can swap places on near-ties between machines, so they are shown as a figure. A list that
    would make the grid wider than 10 in (a laptop shows wider figures scaled down) wraps onto two lines."""
    validate.non_empty(models, "models", what="models")
    words = list(validate.non_empty(words, "words", what="words"))
    names = list(models)
    near = [[[w for w, _ in models[name].most_similar(word, k=k)] for name in names] for word in words]
    font, bold = FontProperties(size=9), FontProperties(size=9, weight="bold")

    def width(text: str, prop: FontProperties = font) -> float:  # points
        return max(TEXT_TO_PATH.get_text_width_height_descent(line, prop, ismath=False)[0]
                   for line in text.split("\n"))

    def cell(ws: list[str], lines: int) -> str:
        per = -(-len(ws) // lines)
        return ",\n".join(", ".join(ws[i : i + per]) for i in range(0, len(ws), per))

    gap = 18.0  # points between columns
    for lines in (1, 2):
        cells = [[cell(ws, lines) for ws in row] for row in near]
        widths = [max(width(words[i], bold) for i in range(len(words)))] + [
            max(width(name, bold), *(width(row[j]) for row in cells)) for j, name in enumerate(names)]
        total = sum(widths) + gap * len(names) + 12.0
        if total <= 10.0 * 72:
            break
    row_h = 13.0 * lines + 7.0  # points
    height = row_h * len(words) + 24.0
    fig = Figure(figsize=(total / 72, height / 72))
    x = np.concatenate([[6.0], 6.0 + np.cumsum([w + gap for w in widths[:-1]])]) / total  # figure fractions
    fig.text(x[0], 1 - 6.0 / height, "word", fontsize=9, fontweight="bold", va="top")
    for j, name in enumerate(names):
        fig.text(x[j + 1], 1 - 6.0 / height, name, fontsize=9, fontweight="bold", va="top")
    for i, word in enumerate(words):
        y = 1 - (24.0 + row_h * i) / height
        fig.text(x[0], y, word, fontsize=9, fontweight="bold", va="top")
        for j in range(len(names)):
            fig.text(x[j + 1], y, cells[i][j], fontsize=9, va="top", linespacing=1.2)
    return fig
