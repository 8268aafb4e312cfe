"""Notebook 03's widget: type a word, see its n-grams, bucket ids and nearest neighbours.

The view is :func:`nlpcourse.subwords.figures.draw_ngrams`; this module only lays out the controls.
"""

from __future__ import annotations

import ipywidgets as W
from matplotlib.figure import Figure
from matplotlib.text import Text

from nlpcourse import validate
from nlpcourse.plotting import new_figure
from nlpcourse.subwords import SubwordVectors
from nlpcourse.subwords.figures import draw_ngrams, ngram_panel
from nlpcourse.ui import interactive_figure

__all__ = ["safe_draw_ngrams", "ngram_explorer", "update_ngram_table"]


def safe_draw_ngrams(word: str, minn: int, maxn: int, bucket: int, model: SubwordVectors | None = None) -> Figure:
    """``draw_ngrams``, or a figure saying what is wrong with the input (a text box can hold anything).

    What the controls can produce (any word, minn > maxn) is drawn as its error message; settings no control
    makes (minn, maxn or bucket not an int >= 1) raise TypeError/ValueError like ``draw_ngrams``.
    """
    for value, name in ((minn, "minn"), (maxn, "maxn"), (bucket, "bucket")):
        validate.positive_int(value, name)
    try:
        return draw_ngrams(word, minn, maxn, bucket, model)
    except (TypeError, ValueError) as e:
        fig, ax = new_figure(size=(7.0, 1.2), layout=None)
        ax.axis("off")
        ax.text(0.0, 0.5, f"{type(e).__name__}: {e}", fontsize=9, transform=ax.transAxes, wrap=True)
        return fig


def update_ngram_table(fig: Figure, word: str, minn: int, maxn: int, bucket: int,
                       model: SubwordVectors | None = None) -> bool:
    """Turn ``draw_ngrams(word, ...)``'s figure (of the same word, bucket and model) into the one for ``minn`` and
    ``maxn``: its n-gram table and title (``figures.ngram_panel``); the neighbours panel stays as it is (the
    widget's redraw when only minn or maxn moved). False where it cannot: an error figure shown, or settings
    that ``safe_draw_ngrams`` draws as an error."""
    ax = fig.axes[0]
    title = next((t for t in ax.get_children() if isinstance(t, Text) and t.get_text()
                  and t.get_text() == ax.get_title(loc="left")), None)
    if title is None or len(ax.texts) != 1:  # (an error figure: no title)
        return False
    try:
        title_text, table = ngram_panel(word, minn, maxn, bucket, model)
    except (TypeError, ValueError):
        return False
    title.set_text(title_text)
    ax.texts[0].set_text(table)
    return True


def ngram_explorer(model: SubwordVectors | None = None, word: str = "where", bucket: int | None = None) -> W.Widget:
    """A text box for any word and sliders for minn / maxn; the figure shows its n-grams by n with their bucket
    ids and, given a trained ``model``, its nearest in-vocabulary neighbours (the model's own n-gram settings
    are used for the neighbours; the sliders change the n-grams shown).
    """
    if bucket is not None:
        bucket = validate.positive_int(bucket, "bucket")
    else:
        bucket = model.bucket if model is not None else 2_000_000
    controls = {
        "word": W.Text(value=word, description="word", continuous_update=False),
        "minn": W.IntSlider(value=3, min=1, max=8, description="minn", continuous_update=False),
        "maxn": W.IntSlider(value=6, min=1, max=8, description="maxn", continuous_update=False),
    }
    shown = {}  # the word the kept figure shows: for it, a minn / maxn change moves the n-gram table only

    def draw(word: str, minn: int, maxn: int) -> Figure:
        shown["word"] = word
        return safe_draw_ngrams(word, minn, maxn, bucket, model)

    def update(fig: Figure, word: str, minn: int, maxn: int) -> bool:
        return word == shown["word"] and update_ngram_table(fig, word, minn, maxn, bucket, model)

    return interactive_figure(draw, controls, update=update)
