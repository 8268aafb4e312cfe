"""Every widget's fast redraw (it moves the artists of a kept figure) draws what a fresh ``draw_*`` draws.

For each widget: draw state A, update the figure to state B, and compare its pixels with a fresh draw of
state B (the static cell's function, through ``ui.figure_png``), the updated one through ``ui.FigureView``: the
widget's own image path, which draws again only what changed.
"""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from nlpcourse.ui import FigureView, figure_png


def pixels(fig_or_png) -> np.ndarray:
    png = fig_or_png if isinstance(fig_or_png, bytes) else figure_png(fig_or_png)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def assert_same_picture(updated, fresh) -> None:
    a, b = pixels(updated), pixels(fresh)
    assert a.shape == b.shape, f"the updated figure is {a.shape[:2]} px, a fresh draw {b.shape[:2]} px"
    differ = (np.abs(a - b).max(axis=2) > 64).mean()
    assert differ < 0.002, f"{differ:.2%} of the pixels differ from a fresh draw"


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_linear_map_update_draws_what_draw_layer_draws(activation):
    from nlpcourse.linear_maps.figures import draw_layer
    from nlpcourse.linear_maps.widgets import DEFAULT, update_layer

    fig = draw_layer(DEFAULT["A"], DEFAULT["b"], DEFAULT["activation"])
    view = FigureView()
    view.png(fig)  # the widget's first image (it pins the titles)
    held = 0
    for A, b in [([[0.2, -1.9], [1.1, 0.4]], [-1.5, 2.0]), ([[2.0, 0.0], [0.0, 0.1]], [0.0, 0.0]),
                 ([[2.0, 0.1], [0.0, 0.1]], [0.1, 0.0]), ([[2.0, 0.1], [0.0, 0.2]], [0.1, 0.1])]:
        before = [(*ax.get_xlim(), *ax.get_ylim()) for ax in fig.axes]
        update_layer(fig, A, b, activation)
        limits = [(*ax.get_xlim(), *ax.get_ylim()) for ax in fig.axes]
        held += sum(a == b for a, b in zip(before[1:], limits[1:], strict=True))
        assert_same_picture(view.png(fig), draw_layer(A, b, activation, limits=[None, *limits[1:]]))
    assert held >= 2  # a small step keeps the panels' view: the grid moves on screen


def test_linear_map_update_refits_a_panel_its_grid_left_or_shrank_in():
    from nlpcourse.linear_maps import layer, make_grid
    from nlpcourse.linear_maps.figures import draw_layer, still_fits
    from nlpcourse.linear_maps.widgets import DEFAULT, update_layer

    fig = draw_layer(DEFAULT["A"], DEFAULT["b"], DEFAULT["activation"])
    xs, ys = make_grid(2.0, 11)
    for A, b in [([[1.5, 0.5], [0.5, -1.0]], [2.0, 2.0]), ([[0.2, 0.0], [0.0, 0.2]], [0.0, 0.0])]:
        before = fig.axes[1].get_xlim()
        update_layer(fig, A, b, "identity")
        assert fig.axes[1].get_xlim() != before and still_fits(fig.axes[1], *layer(A, b, xs, ys, "identity"))


@pytest.mark.parametrize("order", [1, -1])  # -1: the rarest words first, so the α bars can outgrow the unigram's
def test_noise_alpha_update_draws_what_draw_noise_distribution_draws(order):
    from nlpcourse.data import Vocab, load_corpus
    from nlpcourse.word2vec.figures import draw_noise_distribution
    from nlpcourse.word2vec.widgets import update_noise_distribution

    vocab = Vocab.build(load_corpus("lee_background.cor"), min_count=5)
    words, counts = vocab.itos[::order], vocab.counts[::order]
    fig = draw_noise_distribution(words, counts, 0.75)
    view = FigureView()
    view.png(fig)
    for alpha in (0.0, 0.3, 1.0, 0.5):
        update_noise_distribution(fig, counts, alpha)
        assert_same_picture(view.png(fig), draw_noise_distribution(words, counts, alpha))


@pytest.mark.parametrize("name", ["Thinking Machines", "random weights"])
def test_attention_update_draws_what_draw_explorer_draws(name):
    from nlpcourse.attention.figures import draw_explorer, explorer_examples
    from nlpcourse.attention.widgets import update_explorer

    example = explorer_examples()[name]
    fig = draw_explorer(example)
    view = FigureView()
    view.png(fig)
    for settings in [(len(example.q) - 1, False, 1.0, False), (0, True, 0.1, True), (0, True, 10.0, False)]:
        update_explorer(fig, example, *settings)
        assert_same_picture(view.png(fig), draw_explorer(example, *settings))


def test_hsoftmax_update_draws_what_a_fresh_toy_draw_draws():
    from nlpcourse.hsoftmax.figures import toy_example
    from nlpcourse.hsoftmax.widgets import update_path

    toy = toy_example()
    fig = toy.draw("language", "natural", 0.0)
    view = FigureView()
    view.png(fig)
    for state in [("the", "natural", 0.0), ("language", "the", 1.5), ("processing", "language", -3.0),
                  ("processing", "language", -2.75)]:
        update_path(fig, toy, *state)
        assert_same_picture(view.png(fig), toy.draw(*state))
    texts = {t: t.get_text() for t in fig.axes[0].texts}
    update_path(fig, toy, "processing", "language", -2.75)
    assert not fig.axes[0].stale and {t: t.get_text() for t in fig.axes[0].texts} == texts  # nothing to redraw


def test_tree_update_draws_what_draw_tree_draws_also_with_codes():
    from nlpcourse.hsoftmax.figures import draw_tree, toy_example, update_tree

    tree = toy_example().tree
    fig = draw_tree(tree, word="the")
    view = FigureView()
    view.png(fig)
    for word in ("huffman", "model"):
        update_tree(fig.axes[0], tree, word)
        assert_same_picture(view.png(fig), draw_tree(tree, word=word))
    ax = Figure(figsize=(8, 5)).subplots()  # an axes of the caller's: the tree drawn into it, then moved
    draw_tree(tree, word="the", ax=ax)
    update_tree(ax, tree, "model")
    fresh = Figure(figsize=(8, 5)).subplots()
    assert_same_picture(ax.figure, draw_tree(tree, word="model", ax=fresh))


@pytest.mark.parametrize("dataset", ["moons", "spirals"])
def test_training_update_draws_what_the_stepper_draws(dataset):
    from nlpcourse.mlp.stepper import TrainingStepper
    from nlpcourse.mlp.widgets import update_training

    stepper = TrainingStepper(dataset)
    fig = stepper.draw()  # no step yet: a note in the loss panel
    view = FigureView()
    view.png(fig)
    for action in (lambda: stepper.set(lr=0.1), stepper.step, stepper.epoch, lambda: stepper.set(lr=0.2),
                   stepper.step, lambda: stepper.set(alpha=0.5), stepper.epoch, stepper.reset,
                   stepper.step, lambda: stepper.history.step_loss.append(np.nan), stepper.step):  # (a divergence)
        action()
        update_training(fig, stepper)
        assert_same_picture(view.png(fig), stepper.draw())
    other = TrainingStepper(dataset, hidden=4)  # another model on the same data: the same figure
    update_training(fig, other)
    assert_same_picture(view.png(fig), other.draw())
    other = TrainingStepper("spirals" if dataset == "moons" else "moons")  # other points, classes and box
    other.epoch()
    update_training(fig, other)
    assert fig.axes[0].get_xlim() == fig.axes[0].get_ylim() == (0, 1)  # the box's coordinates: the limits stay
    assert_same_picture(view.png(fig), other.draw())


def test_sgd_step_update_draws_what_draw_sgd_step_draws():
    from nlpcourse.word2vec import SGDStepDemo
    from nlpcourse.word2vec.figures import draw_sgd_step
    from nlpcourse.word2vec.widgets import update_sgd_step

    state = SGDStepDemo(lr=0.3)
    fig = draw_sgd_step(state)
    view = FigureView()
    view.png(fig)
    for action in (lambda: state.step(1), lambda: state.step(5), state.reset, lambda: state.step(30)):
        action()
        update_sgd_step(fig, state)
        assert_same_picture(view.png(fig), draw_sgd_step(state))


@pytest.mark.parametrize("trained", [False, True])
def test_ngram_table_update_draws_what_draw_ngrams_draws(trained):
    from nlpcourse.data import load_corpus
    from nlpcourse.subwords import train
    from nlpcourse.subwords.widgets import safe_draw_ngrams, update_ngram_table

    model = train.train_subword_sgns(load_corpus()[:30], train.SubwordConfig(dim=8, epochs=1, bucket=1000),
                                     progress=False) if trained else None
    fig = safe_draw_ngrams("where", 3, 6, 1000, model)
    view = FigureView()
    view.png(fig)
    for minn, maxn in [(4, 6), (4, 7), (1, 8), (3, 3)]:
        assert update_ngram_table(fig, "where", minn, maxn, 1000, model)
        assert_same_picture(view.png(fig), safe_draw_ngrams("where", minn, maxn, 1000, model))
    assert not update_ngram_table(fig, "where", 6, 3, 1000, model)  # minn > maxn: drawn as an error
    error = safe_draw_ngrams("where", 6, 3, 1000, model)
    assert not update_ngram_table(error, "where", 3, 6, 1000, model)  # an error figure shown: a new one


def test_graph_update_draws_what_the_stepper_draws():
    from nlpcourse.autograd import EXAMPLES, build_example
    from nlpcourse.autograd.stepper import BackpropStepper
    from nlpcourse.autograd.widgets import update_graph

    name = next(iter(EXAMPLES))
    stepper = BackpropStepper(build_example(name, EXAMPLES[name][1]))
    fig = stepper.draw()
    view = FigureView()
    view.png(fig)
    other = {k: v + 1.5 for k, v in EXAMPLES[name][1].items()}  # other inputs, the same graph
    for action in (stepper.forward_step, stepper.forward_step, stepper.run_all, stepper.backward_step,
                   lambda: None, stepper.reset):
        action()
        update_graph(fig, stepper)
        assert_same_picture(view.png(fig), stepper.draw())
    stepper = BackpropStepper(build_example(name, other))
    stepper.run_all()
    update_graph(fig, stepper)
    assert_same_picture(view.png(fig), stepper.draw())


def test_beam_tree_drawn_into_the_kept_figure_draws_what_a_new_one_draws():
    """07's widget draws each tree into the figure it showed (emptied, resized): the pixels of a new figure."""
    from nlpcourse.decoding import models
    from nlpcourse.decoding.widgets import BeamStepper

    s = BeamStepper(models.course_lm(), prompt="police said", num_beams=3)
    view = FigureView(kept=False)  # the widget's image path
    fig = s.draw()
    view.png(fig)
    for action in (s.step, s.step, lambda: None, s.run, s.reset, s.step):
        action()
        assert s.draw(fig) is fig
        assert_same_picture(view.png(fig), s.draw())


def test_decoder_step_update_draws_what_draw_step_draws():
    from nlpcourse.transformer.figures import draw_step
    from nlpcourse.transformer.task import number_task
    from nlpcourse.transformer.train import Seq2Seq, Seq2SeqConfig
    from nlpcourse.transformer.translate import trace
    from nlpcourse.transformer.widgets import update_step

    task = number_task()
    model = Seq2Seq(Seq2SeqConfig(vocab=len(task), d_model=8, num_heads=2, dim_feedforward=16))
    tr = trace(model, task, "three hundred twenty one", max_new_tokens=6)
    fig = draw_step(tr, 0, task.itos)
    view = FigureView()
    view.png(fig)
    other = trace(model, task, "forty seven", max_new_tokens=6)  # another sentence: other columns
    for shown, t in ((tr, 2), (tr, 1), (tr, len(tr.output) - 1), (other, 1), (other, 0), (tr, 1)):
        update_step(fig, shown, t, task.itos)
        assert_same_picture(view.png(fig), draw_step(shown, t, task.itos))
