"""Every figure notebooks 01, 02, 03, 04 and 08 show, built from small inputs, is readable on a 1366×768 laptop
and a projector (``plotting.layout_problems``): text ≥ 9 pt at display size, nothing outside the figure, nothing
cut off by the axes, no two labels overlapping. The inputs mimic the notebooks' (same words, sizes, settings);
widgets' figures are checked at their controls' extremes."""

import numpy as np
import pandas as pd
import pytest

from nlpcourse.plotting import layout_problems

RNG = np.random.default_rng(0)


def fits(fig):
    problems = layout_problems(fig)
    assert problems == [], problems
    return fig


# ---------------------------------------------------------------- 01: word2vec

def _lee_like_counts():
    words = ["the", ",", ".", "to", "of", "and", "in", "a", "said", "that", "is", "for", "on", "with"]
    words += [f"word{i}" for i in range(60)]
    counts = np.concatenate([np.linspace(2000, 300, 14).round(), np.full(60, 3.0)])
    return words, counts


def _topic_embeddings():
    """Four topics like notebook 01's PCA, in 3 loose clusters (two topics share one: labels crowd)."""
    topics = {"countries": ["australia", "afghanistan", "israel", "pakistan", "india", "britain"],
              "weekdays": ["monday", "tuesday", "wednesday", "friday", "sunday"],
              "bushfires": ["fire", "fires", "firefighters", "blaze"],
              "cricket": ["cricket", "wickets", "runs"]}
    centres = {"countries": 0, "weekdays": 1, "bushfires": 2, "cricket": 2}
    base = RNG.standard_normal((3, 20))
    words = [w for ws in topics.values() for w in ws]
    vectors = np.stack([base[centres[t]] + 0.15 * RNG.standard_normal(20) for t, ws in topics.items() for _ in ws])
    from nlpcourse.evaluation import Embeddings

    return Embeddings(vectors, words), topics


def _sgd_demo(lr, steps):
    from nlpcourse.word2vec import SGDStepDemo

    demo = SGDStepDemo(lr=lr)
    if steps:
        demo.step(steps)
    return demo


@pytest.mark.parametrize("lr, steps", [(0.3, 0), (0.3, 5), (0.05, 1), (2.0, 30)])  # the slider's ends, many steps
def test_word2vec_sgd_step_fits(lr, steps):
    from nlpcourse.word2vec import figures

    fits(figures.draw_sgd_step(_sgd_demo(lr, steps)))


@pytest.mark.parametrize("alpha", [0.0, 0.75, 1.0])
def test_word2vec_noise_distribution_fits_also_after_the_sliders_update(alpha):
    from nlpcourse.word2vec import figures
    from nlpcourse.word2vec.widgets import update_noise_distribution

    words, counts = _lee_like_counts()
    fits(figures.draw_noise_distribution(words, counts, alpha=alpha))
    fig = figures.draw_noise_distribution(words, counts, alpha=0.75)
    update_noise_distribution(fig, counts, alpha)
    fits(fig)


def test_word2vec_cost_curve_and_pca_fit():
    from nlpcourse.word2vec import figures

    v = np.array([1_000, 4_000, 16_000, 64_000, 256_000])
    fits(figures.draw_cost_curve(pd.DataFrame({"vocab_size": v, "ms_per_pair": 2e-5 * v + 0.01})))
    emb, topics = _topic_embeddings()
    fits(figures.draw_embedding_pca(emb, topics))
    fits(figures.draw_embedding_pca(emb, topics["weekdays"] + topics["cricket"]))


# ---------------------------------------------------------------- 02: hierarchical softmax

def test_hsoftmax_trees_and_speed_fit():
    from nlpcourse import hsoftmax as hs
    from nlpcourse.hsoftmax import figures

    fits(figures.draw_tree(hs.HuffmanTree.from_tokens(hs.LECTURE_SENTENCE), word="x"))
    fits(figures.draw_tree(hs.HuffmanTree.build(np.ones(8, dtype=int), [f"w{i}" for i in range(8)]), word="w5"))
    fits(figures.draw_lecture_path(hs.LECTURE_BRANCHES, word="language", center="natural"))
    v = np.array([1_000, 10_000, 100_000])
    fits(figures.draw_speed(pd.DataFrame({"V": v, "softmax_ms": 1e-3 * v, "hs_ms": np.log2(v),
                                          "speedup": 1e-3 * v / np.log2(v)})))


@pytest.mark.parametrize("word, center, perturb", [("language", "natural", 0.0), ("huffman", "the", -3.0),
                                                   ("the", "huffman", 3.0), ("softmax", "softmax", 1.25)])
def test_hsoftmax_widget_tree_fits(word, center, perturb):
    from nlpcourse.hsoftmax import figures

    fits(figures.toy_example().draw(word, center=center, perturb=perturb))


# ---------------------------------------------------------------- 03: subwords

def _subword_model(bucket=1000):
    from nlpcourse.data import Vocab
    from nlpcourse.subwords import SubwordVectors

    words = ["where", "there", "here", "firefighters", "overnight", "blazes", "government", "secretary",
             "environment", "attacking", "afghanistan", "witnesses", "interview", "police", "israelis"]
    vocab = Vocab(words, np.arange(len(words), 0, -1))
    return SubwordVectors(RNG.standard_normal((len(words) + bucket, 8)), vocab, bucket=bucket)


def test_subwords_neighbours_trainers_and_collisions_fit():
    from nlpcourse import subwords as sw
    from nlpcourse.subwords import figures

    models = {"ours": _subword_model(), "gensim FastText": _subword_model(), "fastText": _subword_model()}
    unseen = ["firefighter", "bushfires", "afghans", "policemen", "governments", "israelites", "attacker"]
    fig = fits(figures.draw_neighbours(models, unseen, k=5))
    assert fig.get_figwidth() <= 10.0  # shown unscaled
    fits(figures.draw_neighbours({"ours": models["ours"]}, unseen[:2], k=3))
    runs = pd.DataFrame([{"trainer": t, "wordsim353": m + 0.02 * RNG.standard_normal(),
                          "simlex999": m2 + 0.02 * RNG.standard_normal(), "oov_wordsim353": o, "oov_simlex999": o}
                         for t, m, m2, o in [("ours", 0.3, 0.1, 0.0), ("gensim FastText", 0.28, 0.12, 0.0),
                                             ("fastText", 0.31, 0.09, 0.0), ("word2vec", 0.2, -0.05, 0.83)]
                         for _ in range(3)])
    fits(figures.draw_trainers(runs))
    grams = sw.distinct_ngrams(["where", "there", "government", "firefighters"] * 3, 3, 6)
    fits(figures.draw_collisions(sw.collision_table(grams, [10, 100, 1_000, 10_000], 4, 8), len(grams)))


@pytest.mark.parametrize("word, minn, maxn", [("where", 3, 6), ("internationalisation", 1, 8), ("a", 5, 6),
                                              ("where", 6, 3)])
def test_subwords_ngram_explorer_fits_at_its_extremes(word, minn, maxn):
    from nlpcourse.subwords.widgets import safe_draw_ngrams

    fits(safe_draw_ngrams(word, minn, maxn, 1000, _subword_model()))
    fits(safe_draw_ngrams(word, minn, maxn, 2_000_000))


# ---------------------------------------------------------------- 04: autograd

@pytest.mark.parametrize("name", ["(x+y)z", "logistic neuron", "tanh neuron", "collapsed sigmoid"])
def test_autograd_graphs_fit_at_every_stepper_state(name):
    from nlpcourse import autograd
    from nlpcourse.autograd import figures
    from nlpcourse.autograd.stepper import BackpropStepper

    root = autograd.logistic_neuron(collapsed=True) if name == "collapsed sigmoid" else autograd.build_example(name)
    stepper = BackpropStepper(root)
    fig = fits(stepper.draw())
    assert fig.get_figwidth() <= 10.0  # shown unscaled: 9 pt stays 9 pt
    stepper.forward_step()
    fits(stepper.draw())
    stepper.run_all()
    fits(stepper.draw())
    root = autograd.logistic_neuron(collapsed=True) if name == "collapsed sigmoid" else autograd.build_example(name)
    root.backward()
    fits(figures.draw_graph(root))


def test_autograd_training_figure_fits():
    from nlpcourse.autograd import figures

    fits(figures.draw_training(list(np.geomspace(4.0, 1e-3, 60)), [0.9, -0.9, -0.8, 0.85], [1.0, -1.0, -1.0, 1.0]))


# ---------------------------------------------------------------- 08: transformer

@pytest.fixture(scope="module")
def number_trace():
    from nlpcourse.transformer import task as tk
    from nlpcourse.transformer.train import Seq2Seq, Seq2SeqConfig
    from nlpcourse.transformer.translate import trace

    task = tk.number_task()
    model = Seq2Seq(Seq2SeqConfig(vocab=len(task), d_model=8, num_heads=2, dim_feedforward=16))
    return task, trace(model, task, "three hundred twenty one")


def test_transformer_figures_fit(number_trace):
    from nlpcourse.transformer import figures
    from nlpcourse.transformer.train import Curves

    task, tr = number_trace
    fits(figures.draw_causal_mask(["<s>", "drei", "hundert", "ein", "und", "zwanzig"]))  # german(321)
    norms = {"post-LN": np.geomspace(1.0, 1e-3, 6) * RNG.uniform(0.8, 1.2, (3, 6)),
             "pre-LN": RNG.uniform(0.5, 1.0, (3, 6))}
    fits(figures.draw_gradient_norms(norms))
    def curves(train_end, val_end, best):
        return Curves(list(np.geomspace(3, train_end, 12)), list(np.geomspace(3, val_end, 12)), best)
    fits(figures.draw_curves({"no smoothing": curves(0.05, 0.2, 9), "ε = 0.1": curves(0.5, 0.15, 12)}))
    human = np.eye(len(tr.output) - 1, len(tr.source))
    fig = fits(figures.draw_alignment(tr, human))
    assert len(fig.axes) == 4  # two heatmaps, each with its colour bar
    for t in (0, len(tr.output) - 1):  # the first step (nothing written yet) and the last
        fig = fits(figures.draw_step(tr, t, task.itos))
    assert len(fig.axes) == 3  # the heatmap's colour bar
