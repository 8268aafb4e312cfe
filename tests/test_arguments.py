"""Every public function and class of the package, walked: wrong types and values for each int, shape and
probability argument raise a ValueError/KeyError/TypeError whose message names the argument.

The walk is automatic (``inspect`` over each module's ``__all__``); ``VALID`` only supplies valid values for the
arguments that have no default. For each argument the test passes

- an int argument (annotated ``int``): a float (2.5) and a bool (True) -> TypeError; for the sizes in
  ``POSITIVE`` also 0 -> ValueError, for ``NON_NEGATIVE`` -1 -> ValueError;
- a probability (``PROBABILITIES``): 1.5 -> ValueError;
- a shape argument (an array in ``VALID``): an array of the wrong number of dimensions -> ValueError/TypeError
  (4-D zeros, or the wrong value in ``WRONG_SHAPE`` where 4-D is right, e.g. the batched attention's ``q``);

and checks the error names the argument. Every topic is walked, subwords (03), attention (06) and decoding (07)
included; ``nlpcourse.validate`` is the checker itself. The heavy inputs (the course LM, a TinyTransformer) are
built once per session (``functools.cache``); of the callables that take inputs, ``hf.hf_generate`` is the one
left out, because its only valid input is a transformers model (seconds to import and build) — its checks are
``BeamConfig``'s, walked here, and ``tests/test_decoding.py`` checks its bad arguments on the model it builds.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable

import numpy as np
import pytest
import torch

import nlpcourse

# nlpcourse.validate is the checker itself; coursetools.grade / .student are the instructor's build and
# grading tools (paths, notebooks and nbformat cells as arguments, no sizes or probabilities), tested end to end
# in tests/test_grade.py and tests/test_student.py.
SKIP_MODULES = {"nlpcourse.validate", "coursetools.grade", "coursetools.student"}
# results, not inputs: dataclasses that the package fills in
SKIP_CALLABLES = {"nlpcourse.torch_threads",  # a context manager: checks on entry (tests/test_package.py)
                  "nlpcourse.evaluation.SimilarityResult", "nlpcourse.evaluation.AnalogyResult",
                  "nlpcourse.mlp.train.History",
                  # a search's state, built by decoding.start / advance (their ints are node ids and counters)
                  "nlpcourse.decoding.Beam", "nlpcourse.decoding.Node", "nlpcourse.decoding.SearchState",
                  # its one valid input is a transformers model (≈ 5 s to import and build); its checks are
                  # BeamConfig's (walked), its bad arguments are tested in test_decoding.py on the model built there
                  "nlpcourse.decoding.hf.hf_generate",
                  # likewise (its checks are SamplingConfig's, walked; tests/test_sampling.py runs it)
                  "nlpcourse.decoding.sampling.hf_sample",
                  "nlpcourse.transformer.train.Curves"}  # a training run's result
# (callable, argument) pairs where the generic bad value is valid there
VALUE_OK = {("nlpcourse.mlp.stepper.TrainingStepper", "hidden"),  # 0 hidden units: the linear classifier
            ("nlpcourse.mlp.train.TrainConfig", "epochs"),  # 0 epochs: nothing to do
            ("nlpcourse.mlp.check_labels", "n"),  # 0 labels expected: y's shape is then what is wrong
            ("nlpcourse.mlp.train.TrainConfig", "batch_size"),  # 1 <= batch_size <= N is checked by train
            ("nlpcourse.decoding.checks.reference_normalised", "alpha")}  # a length penalty: any number
POSITIVE = {"dim", "window", "epochs", "negative", "batch_size", "vocab_size", "size", "k", "n", "top", "repeats",
            "hidden", "d", "d_in", "d_out", "folds", "starts", "n_words", "n_outputs", "workers", "columns", "ncols",
            "nrows", "threads", "min_count", "scale_int", "beam_size", "resolution", "val_docs", "V",
            # attention (06) and decoding (07)
            "d_model", "d_k", "samples", "keys_per_query", "length", "source_length", "max_length", "batch",
            "num_heads", "target_length", "embed_dim", "dim_feedforward", "layers", "train_size", "test_size",
            "vocab", "max_new_tokens", "num_return_sequences", "num_beams", "max_nodes", "max_len", "n_embd",
            "n_head", "n_layer", "n_positions", "max_words", "prompt_words", "max_steps",
            # the transformer (08)
            "nhead", "num_encoder_layers", "num_decoder_layers", "encoder_layers", "decoder_layers",
            # subwords (03)
            "minn", "maxn", "bucket", "n_ngrams"}
# prompt_length: >= 0 for table_step, >= 1 for hf.reference_problem, so -1 is the value wrong for both
NON_NEGATIVE = {"seed", "steps", "pool_size", "eos_token_id", "pad_token_id", "n_rows", "prompt_length", "head",
                "layer", "nwords"}
PROBABILITIES = {"alpha", "progress_fraction", "momentum", "probability", "top_p", "p"}
# int-annotated arguments that are not sizes: any int is valid (a padding id, a class count's bound)
ANY_INT = {"pad"}
# functions whose array argument takes any shape (elementwise), so no shape is wrong
ANY_SHAPE = {"nlpcourse.word2vec.sgd",  # x: any array of parameters
             "nlpcourse.mlp.d_relu", "nlpcourse.mlp.d_sigmoid", "nlpcourse.mlp.d_tanh", "nlpcourse.mlp.relu",
             "nlpcourse.mlp.sigmoid", "nlpcourse.functional.sigmoid", "nlpcourse.functional.log_sigmoid",
             "nlpcourse.functional.logsumexp", "nlpcourse.functional.softmax", "nlpcourse.functional.log_softmax",
             "nlpcourse.mlp.language_model.perplexity",
             # the torch references of layer 2 take tensors and leave the checking to the numpy versions
             "nlpcourse.subwords.subword_loss_torch",
             "nlpcourse.word2vec.naive_softmax_loss_torch", "nlpcourse.word2vec.cbow_naive_softmax_loss_torch",
             "nlpcourse.word2vec.neg_sampling_loss_torch", "nlpcourse.word2vec.cbow_neg_sampling_loss_torch",
             "nlpcourse.attention.train.multi_head_attention"}


def _w2v_example() -> dict:
    outside = np.array([[0.4, -0.6, 0.2], [0.1, 0.3, -0.5], [-0.7, 0.2, 0.6], [0.3, 0.8, -0.1]])
    return {"center_vec": np.array([0.5, -1.0, 0.25]), "outside_vectors": outside,
            "context_vectors": outside[:2], "target": 0, "negatives": np.array([2, 3])}


def _torch_example(*names: str) -> dict:
    ex = _w2v_example()
    return {k: torch.tensor(ex[k]) if k != "target" else ex[k] for k in names}


def _tree():
    from nlpcourse.hsoftmax import HuffmanTree

    return HuffmanTree.build([5, 3, 2, 1], ["a", "b", "c", "d"])


def _sentences() -> list[list[str]]:
    return [["a", "b", "c", "a", "b", "d"], ["b", "c", "a"]] * 10


def _emb():
    from nlpcourse.evaluation import Embeddings

    return Embeddings(np.eye(4), nlpcourse.data.Vocab(["a", "b", "c", "d"], [4, 3, 2, 1]))


def _pooled() -> dict:
    P = np.eye(6)[np.arange(20) % 6]
    return {"P": P, "y": np.arange(20) % 2, "vectors": np.random.default_rng(0).standard_normal((6, 3))}


def _lm():
    from nlpcourse.mlp import language_model as lm

    vocab = lm.lm_vocab(_sentences(), min_count=1)
    C, T = lm.windows(lm.encode(_sentences(), vocab), 2, vocab.stoi[lm.BOS])
    return vocab, C, T


def _state_dict(embed_dim: int = 8) -> dict:
    return torch.nn.MultiheadAttention(embed_dim, 2, batch_first=True).state_dict()


def _encoder_state_dict(embed_dim: int = 8) -> dict:
    return torch.nn.TransformerEncoderLayer(embed_dim, 2, 16, dropout=0.0, batch_first=True).state_dict()


@functools.cache
def _course_lm():
    from nlpcourse.decoding.models import course_lm

    return course_lm()  # milliseconds: loaded from data/window_lm.npz


@functools.cache
def _number_task():
    from nlpcourse.transformer.task import number_task

    return number_task()


@functools.cache
def _seq2seq():
    from nlpcourse.transformer.train import Seq2Seq, Seq2SeqConfig

    return Seq2Seq(Seq2SeqConfig(vocab=len(_number_task()), d_model=8, num_heads=2, dim_feedforward=8))


def _nn_transformer_state_dict() -> dict:
    return torch.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True).state_dict()


def _decoder_state_dict(embed_dim: int = 8) -> dict:
    return torch.nn.TransformerDecoderLayer(embed_dim, 2, 16, dropout=0.0, batch_first=True).state_dict()


@functools.cache
def _tiny_transformer():
    from nlpcourse.attention.train import TinyConfig, TinyTransformer

    return TinyTransformer(TinyConfig(length=4, vocab=5, embed_dim=8, layers=1, dim_feedforward=16))


def _logp(rows: int = 2, V: int = 3) -> np.ndarray:
    return np.log(np.full((rows, V), 1.0 / V))


def _toy_search(**extra) -> dict:
    from nlpcourse.decoding import toy_step

    return {"step": toy_step(), "input_ids": [[0]], "max_new_tokens": 3, "eos_token_id": 1, "pad_token_id": 0,
            **extra}


def _beam_config():
    from nlpcourse.decoding import BeamConfig

    return BeamConfig(num_beams=2, max_new_tokens=3, eos_token_id=1, pad_token_id=0)


def _states_problem() -> dict:
    return {"start": "", "expand": lambda s: [(s + "a", -0.1), (s + "b", -2.0)], "is_final": lambda s: len(s) == 2}


def _qkv() -> dict:
    return {"q": np.zeros((3, 4)), "k": np.zeros((5, 4)), "v": np.zeros((5, 2))}


def _mha() -> dict:
    return {"query": np.zeros((2, 3, 8)), "key": np.zeros((2, 4, 8)), "value": np.zeros((2, 4, 8)),
            "state_dict": _state_dict(), "num_heads": 2}


def _example():
    from nlpcourse.attention.figures import explorer_examples

    return explorer_examples()["Thinking Machines"]


def _tree_search(**extra) -> dict:
    return {**{k: v for k, v in _toy_search().items() if k != "input_ids"}, "prompt": [0], **extra}


# required arguments of each walked callable (a function returning kwargs: built only when used)
def _autograd_mlp():
    from nlpcourse.autograd.nn import MLP
    return MLP((3, 2, 1))


VALID: dict[str, Callable[[], dict]] = {
    "nlpcourse.corpus.encode_corpus": lambda: {"sentences": _sentences(),
                                               "vocab": nlpcourse.data.Vocab.build(_sentences())},
    "nlpcourse.corpus.keep_probabilities": lambda: {"counts": np.array([5.0, 3.0]), "sample": 1e-3},
    "nlpcourse.corpus.epoch_pairs": lambda: {"corpus": np.array([0, 1, 0], np.int32),
                                             "sentence_id": np.zeros(3, np.int32), "keep": np.ones(2, np.float32),
                                             "window": 2, "rng": np.random.default_rng(0)},
    "nlpcourse.corpus.unigram_noise": lambda: {"counts": np.array([5.0, 3.0])},
    "nlpcourse.corpus.NegativeSampler": lambda: {"probs": np.array([0.5, 0.5])},
    "nlpcourse.corpus.linear_lr": lambda: {"lr": 0.1, "min_lr": 0.0, "progress": 0.5},
    "nlpcourse.corpus.init_embeddings": lambda: {"n_words": 4, "n_outputs": 3, "dim": 2},
    "nlpcourse.word2vec.context_words": lambda: {"tokens": ["a", "b", "c"], "position": 1, "window": 1},
    "nlpcourse.word2vec.skipgram_pairs": lambda: {"ids": np.array([1, 2, 3]), "window": 1},
    "nlpcourse.word2vec.skipgram_pairs_corpus": lambda: {"sentences": [np.array([1, 2, 3])], "window": 1},
    "nlpcourse.word2vec.cbow_examples": lambda: {"ids": np.array([1, 2, 3]), "window": 1},
    "nlpcourse.word2vec.init_params": lambda: {"vocab_size": 4, "dim": 3},
    "nlpcourse.word2vec.one_hot": lambda: {"i": 1, "size": 4},
    "nlpcourse.word2vec.naive_softmax_loss_and_grad": lambda: {k: _w2v_example()[k] for k in
                                                               ("center_vec", "outside_vectors", "target")},
    "nlpcourse.word2vec.cbow_naive_softmax_loss_and_grad": lambda: {k: _w2v_example()[k] for k in
                                                                    ("context_vectors", "outside_vectors", "target")},
    "nlpcourse.word2vec.neg_sampling_loss_and_grad": lambda: {k: _w2v_example()[k] for k in
                                                              ("center_vec", "outside_vectors", "target", "negatives")},
    "nlpcourse.word2vec.cbow_neg_sampling_loss_and_grad": lambda: {
        k: _w2v_example()[k] for k in ("context_vectors", "outside_vectors", "target", "negatives")},
    "nlpcourse.word2vec.check_naive_softmax_gradients": lambda: {
        k: _w2v_example()[k] for k in ("center_vec", "outside_vectors", "target")},
    "nlpcourse.word2vec.check_cbow_gradients": lambda: {
        k: _w2v_example()[k] for k in ("context_vectors", "outside_vectors", "target")},
    "nlpcourse.word2vec.check_neg_sampling_gradients": lambda: {
        k: _w2v_example()[k] for k in ("center_vec", "outside_vectors", "target", "negatives")},
    "nlpcourse.word2vec.time_naive_softmax": lambda: {"vocab_sizes": [10], "dim": 4, "repeats": 1},
    "nlpcourse.word2vec.changed_rows": lambda: {"grad": np.zeros((3, 2))},
    "nlpcourse.word2vec.sgns_window_examples": lambda: {"tokens": ["a", "b", "c"], "position": 1, "window": 1,
                                                       "negative": 1, "noise_words": ["x", "y"]},
    "nlpcourse.word2vec.vectors_per_window": lambda: {"window": 2, "negative": 2},
    "nlpcourse.word2vec.skipgram_window": lambda: {"center": 0, "outside_ids": np.array([1]), "theta_w": np.eye(3, 2),
                                                   "theta_c": np.eye(3, 2),
                                                   "pair_loss": nlpcourse.word2vec.naive_softmax_loss_and_grad},
    "nlpcourse.word2vec.sgd": lambda: {"f": lambda x: (0.0, x), "x": np.zeros(2), "lr": 0.1, "steps": 2},
    "nlpcourse.word2vec.window_objective": lambda: {"sentences": [np.array([0, 1])], "vocab_size": 2, "window": 1,
                                                    "pair_loss": nlpcourse.word2vec.naive_softmax_loss_and_grad},
    "nlpcourse.word2vec.softmax_cost": lambda: {"vocab_size": 10, "dim": 3},
    "nlpcourse.word2vec.train.lr_sweep": lambda: {"sentences": _sentences(), "lrs": (0.025,), "min_count": 1,
                                                  "dim": 4, "epochs": 1, "transform": None, "progress": False},
    "nlpcourse.word2vec.train.compare_at_best_lr": lambda: {"sentences": _sentences(), "lrs": (0.025,),
                                                            "seeds": (0,), "min_count": 1, "dim": 4, "epochs": 1,
                                                            "transform": None, "progress": False},
    "nlpcourse.word2vec.figures.draw_noise_distribution": lambda: {"words": ["a", "b"], "counts": np.array([3, 1])},
    "nlpcourse.word2vec.train.train_sgns": lambda: {"sentences": _sentences(), "min_count": 1, "dim": 4,
                                                    "epochs": 1, "progress": False},
    "nlpcourse.word2vec.train.oov_by_min_count": lambda: {
        "sentences": _sentences(), "pairs": __import__("pandas").DataFrame({"word1": ["a"], "word2": ["b"]})},
    "nlpcourse.word2vec.widgets.noise_alpha_explorer": lambda: {"words": ["a", "b"], "counts": np.array([3, 1])},
    "nlpcourse.hsoftmax.HuffmanTree": None,  # built through HuffmanTree.build (its constructor is internal)
    "nlpcourse.hsoftmax.branch_probabilities": lambda: {"tree": _tree(), "word": "a", "center": np.zeros(2),
                                                        "inner": np.zeros((3, 2))},
    "nlpcourse.hsoftmax.path_probability": lambda: {"tree": _tree(), "word": "a", "center": np.zeros(2),
                                                    "inner": np.zeros((3, 2))},
    "nlpcourse.hsoftmax.leaf_probabilities": lambda: {"tree": _tree(), "center": np.zeros(2),
                                                      "inner": np.zeros((3, 2))},
    "nlpcourse.hsoftmax.path_loss_and_grad": lambda: {"center": np.zeros(2), "rows": np.zeros((2, 2)),
                                                      "codes": np.array([0, 1])},
    "nlpcourse.hsoftmax.hs_loss_and_grad": lambda: {"center": np.zeros(2), "inner": np.zeros((3, 2)), "tree": _tree(),
                                                    "word": "a"},
    "nlpcourse.hsoftmax.search.tree_search": lambda: {"tree": _tree(), "center": np.zeros(2),
                                                      "inner": np.zeros((3, 2))},
    "nlpcourse.hsoftmax.search.exhaustive_search": lambda: {"tree": _tree(), "center": np.zeros(2),
                                                            "inner": np.zeros((3, 2))},
    "nlpcourse.hsoftmax.train.train_hs": lambda: {"sentences": _sentences(), "min_count": 1, "dim": 4, "epochs": 1,
                                                  "progress": False},
    "nlpcourse.hsoftmax.train.zipf_counts": lambda: {"V": 5},
    "nlpcourse.hsoftmax.train.measure_speed": lambda: {"sizes": [20], "dim": 4, "batch": 4, "repeats": 1},
    "nlpcourse.hsoftmax.train.gensim_tree_comparison": lambda: {"sentences": _sentences()},
    "nlpcourse.hsoftmax.figures.toy_example": lambda: {},
    "nlpcourse.linear_maps.make_grid": lambda: {},
    "nlpcourse.autograd.nn.train_mlp": lambda: {"model": _autograd_mlp(), "xs": [[1.0, 0.0, 0.0]], "ys": [1.0],
                                                "steps": 1},
    "nlpcourse.linear_maps.figures.draw_linear_map": lambda: {"A": np.eye(2)},
    "nlpcourse.linear_maps.figures.draw_layer": lambda: {"A": np.eye(2)},
    "nlpcourse.mlp.make_moons": lambda: {"n": 20},
    "nlpcourse.mlp.make_spirals": lambda: {"n": 30},
    "nlpcourse.mlp.linear_weights": lambda: {"d_in": 2, "d_out": 3},
    "nlpcourse.mlp.Linear": lambda: {"d_in": 2, "d_out": 3},
    "nlpcourse.mlp.BatchNorm": lambda: {"d": 3},
    "nlpcourse.mlp.check_labels": lambda: {"y": np.array([0, 1]), "k": 2},
    "nlpcourse.mlp.mlp": lambda: {"sizes": (2, 3, 2)},
    "nlpcourse.mlp.figures.draw_decision_boundaries": lambda: {
        "panels": [(nlpcourse.mlp.mlp((2, 2)), *nlpcourse.mlp.make_moons(10), "t")]},
    "nlpcourse.mlp.language_model.train_val_split": lambda: {"docs": [[["a"]], [["b"]], [["c"]]], "val_docs": 1},
    "nlpcourse.mlp.language_model.lm_vocab": lambda: {"sentences": _sentences()},
    "nlpcourse.mlp.language_model.windows": lambda: {"encoded": [np.array([3, 4, 2])], "n": 2, "bos_id": 1},
    "nlpcourse.mlp.language_model.NGramLM": lambda: {"contexts": _lm()[1], "targets": _lm()[2],
                                                     "vocab_size": len(_lm()[0])},
    "nlpcourse.mlp.language_model.KneserNeyLM": lambda: {"contexts": _lm()[1], "targets": _lm()[2],
                                                         "vocab_size": len(_lm()[0])},
    "nlpcourse.mlp.train.minibatches": lambda: {"n": 10, "batch_size": 3, "rng": np.random.default_rng(0)},
    "nlpcourse.mlp.language_model.FixedWindowLM": lambda: {"vocab": _lm()[0], "n": 2, "dim": 2, "hidden": 3},
    "nlpcourse.mlp.language_model.LMTrainConfig": lambda: {},
    "nlpcourse.mlp.sentiment.stratified_folds": lambda: {"y": np.array([0, 1] * 6), "folds": 3},
    "nlpcourse.mlp.stepper.TrainingStepper": lambda: {},
    "nlpcourse.mlp.train.TrainConfig": lambda: {},
    "nlpcourse.mlp.train.optimizer_path": lambda: {"optimizer": nlpcourse.mlp.train.SGD(0.1), "steps": 3},
    "nlpcourse.mlp.train.Momentum": lambda: {},
    "nlpcourse.word2vec.train.SGNSConfig": lambda: {},
    "nlpcourse.hsoftmax.train.HSConfig": lambda: {},
    "nlpcourse.corpus.WordVectorConfig": lambda: {},
    "nlpcourse.ui.interactive_figure": lambda: {"draw": lambda a: __import__("matplotlib.figure").figure.Figure(),
                                                "controls": {"a": __import__("ipywidgets").FloatSlider()}},
    "nlpcourse.plotting.new_figure": lambda: {},
    "nlpcourse.plotting.position_colors": lambda: {"shape": (2, 3)},
    "nlpcourse.data.Vocab.build": lambda: {"sentences": _sentences()},
    "nlpcourse.data.tokenize": lambda: {"text": "Hello world"},
    "nlpcourse.evaluation.analogy_accuracy": lambda: {
        "emb": _emb(), "analogies": __import__("pandas").DataFrame({c: [c] for c in "abcd"})},
    "nlpcourse.mlp.figures.draw_decision_boundary": lambda: dict(zip(("model", "X", "y"), (
        nlpcourse.mlp.mlp((2, 2)), *nlpcourse.mlp.make_moons(10)), strict=True)),
    "nlpcourse.mlp.sentiment.split_indices": lambda: {"y": np.array([0, 1] * 5)},
    "nlpcourse.mlp.sentiment.sentiment_run": lambda: {**_pooled(), "fine_tune": False, "epochs": 1},
    "nlpcourse.mlp.sentiment.sentiment_cv": lambda: {**_pooled(), "fine_tune": False, "epochs": 1, "folds": 2},
    "nlpcourse.mlp.train.torch_sgd_arguments": lambda: {"lr": 0.1, "alpha": 0.9},
    "nlpcourse.mlp.train.make_optimizer": lambda: {"name": "momentum", "lr": 0.1},
    "nlpcourse.mlp.train.nudged_final_losses": lambda: dict(zip(("X", "y"), nlpcourse.mlp.make_moons(10), strict=True))
    | {"sizes": (2, 2), "activation": "tanh", "lr": 0.1, "starts": 2, "epochs": 1, "batch_size": 5},
    "nlpcourse.functional.logsumexp": lambda: {"z": np.zeros((2, 3))},
    "nlpcourse.functional.softmax": lambda: {"z": np.zeros((2, 3))},
    "nlpcourse.functional.log_softmax": lambda: {"z": np.zeros((2, 3))},
    "nlpcourse.linear_maps.matrix_str": lambda: {"A": np.eye(2)},
    "nlpcourse.plotting.plot_grid": lambda: dict(zip(("xs", "ys"), np.meshgrid([0.0, 1.0], [0.0, 1.0]), strict=True))
    | {"ax": __import__("matplotlib.figure").figure.Figure().add_subplot()},
    "nlpcourse.word2vec.naive_softmax_loss_torch": lambda: _torch_example("center_vec", "outside_vectors", "target"),
    "nlpcourse.word2vec.cbow_naive_softmax_loss_torch": lambda: _torch_example("context_vectors", "outside_vectors",
                                                                               "target"),
    "nlpcourse.word2vec.neg_sampling_loss_torch": lambda: _torch_example("center_vec", "outside_vectors", "target",
                                                                         "negatives"),
    "nlpcourse.word2vec.cbow_neg_sampling_loss_torch": lambda: _torch_example("context_vectors", "outside_vectors",
                                                                              "target", "negatives"),
    "nlpcourse.word2vec.train.train_gensim": lambda: {"sentences": _sentences(), "min_count": 1, "dim": 4,
                                                      "epochs": 1},
    "nlpcourse.word2vec.train.compare_with_gensim": lambda: {"sentences": _sentences(), "min_count": 1, "dim": 4,
                                                             "epochs": 1, "seeds": (0,), "progress": False},
    "nlpcourse.evaluation.binomial_interval": lambda: {"correct": 3, "n": 10},
    # subwords (notebook 03): tiny words, buckets and matrices (no trainer is walked: train_subword_sgns,
    # train_gensim_fasttext, train_fasttext and compare_trainers take their ints through SubwordConfig, walked here)
    "nlpcourse.subwords.char_ngrams": lambda: {"word": "where"},
    "nlpcourse.subwords.ngram_ids": lambda: {"word": "where", "bucket": 100},
    "nlpcourse.subwords.ngram_ids_batch": lambda: {"words": ["where", "ok"], "bucket": 100},
    "nlpcourse.subwords.distinct_ngrams": lambda: {"words": ["where", "ok"]},
    "nlpcourse.subwords.collision_rate": lambda: {"ngrams": ["<wh", "whe", "her"], "bucket": 100},
    "nlpcourse.subwords.collision_table": lambda: {"ngrams": ["<wh", "whe", "her"], "buckets": [10, 100],
                                                   "nwords": 4, "dim": 2},
    "nlpcourse.subwords.expected_collision_rate": lambda: {"n": 10, "bucket": 100},
    "nlpcourse.subwords.subword_rows": lambda: {"word": "where", "vocab": _emb().vocab, "bucket": 100},
    "nlpcourse.subwords.SubwordVectors": lambda: {"matrix": np.zeros((4 + 10, 2)), "vocab": _emb().vocab,
                                                  "bucket": 10},
    "nlpcourse.subwords.subword_loss_and_grad": lambda: {
        "matrix": np.eye(6, 2), "outside": np.eye(4, 2), "rows": np.array([0, 4, 5]), "target": 0,
        "negatives": np.array([2, 3])},
    "nlpcourse.subwords.check_subword_gradients": lambda: {
        "matrix": np.eye(6, 2), "outside": np.eye(4, 2), "rows": np.array([0, 4, 5]), "target": 0,
        "negatives": np.array([2, 3])},
    "nlpcourse.subwords.subword_loss_torch": lambda: {
        "matrix": torch.eye(6, 2), "outside": torch.eye(4, 2), "rows": np.array([0, 4, 5]), "target": 0,
        "negatives": np.array([2, 3])},
    "nlpcourse.subwords.train.subword_bags": lambda: {"vocab": _emb().vocab, "minn": 3, "maxn": 6, "bucket": 100},
    "nlpcourse.subwords.figures.ngram_groups": lambda: {"word": "where", "bucket": 100},
    "nlpcourse.subwords.figures.draw_ngrams": lambda: {"word": "where", "bucket": 100},
    "nlpcourse.subwords.figures.draw_collisions": lambda: {"table": nlpcourse.subwords.collision_table(
        ["<wh", "whe", "her"], [10, 100], 4, 2), "n_ngrams": 3},
    "nlpcourse.subwords.figures.draw_neighbours": lambda: {"models": {"ours": nlpcourse.subwords.SubwordVectors(
        np.eye(14, 2) + 0.5, _emb().vocab, bucket=10)}, "words": ["a", "zz"]},
    "nlpcourse.subwords.widgets.safe_draw_ngrams": lambda: {"word": "where", "minn": 3, "maxn": 6, "bucket": 100},
    # ---- attention (notebook 06)
    "nlpcourse.attention.dot_product_attention": lambda: {"query": np.zeros(4), "states": np.zeros((3, 4))},
    "nlpcourse.attention.dot_product_variance": lambda: {"dims": [2, 4], "samples": 10},
    "nlpcourse.attention.softmax_saturation": lambda: {"dims": [2], "samples": 10},
    "nlpcourse.attention.scaled_dot_product_attention": _qkv,
    "nlpcourse.attention.softmax_backward": lambda: {"d_weights": np.zeros((3, 5)), "weights": np.full((3, 5), 0.2)},
    "nlpcourse.attention.sdpa_backward": lambda: {**_qkv(), "d_out": np.zeros((3, 2)), "weights": np.full((3, 5), 0.2)},
    "nlpcourse.attention.causal_mask": lambda: {"length": 3},
    "nlpcourse.attention.padding_mask": lambda: {"lengths": np.array([1, 3]), "max_length": 3},
    "nlpcourse.attention.attention_bias": lambda: {
        "attn_mask": np.zeros((3, 4), bool), "key_padding_mask": np.zeros((2, 4), bool), "batch": 2, "num_heads": 2,
        "target_length": 3, "source_length": 4},
    "nlpcourse.attention.split_heads": lambda: {"x": np.zeros((2, 3, 8)), "num_heads": 2},
    "nlpcourse.attention.merge_heads": lambda: {"x": np.zeros((2, 2, 3, 4))},
    "nlpcourse.attention.mha_weights": lambda: {"state_dict": _state_dict(), "embed_dim": 8},
    "nlpcourse.attention.multi_head_attention": _mha,
    "nlpcourse.attention.positional_encoding": lambda: {"length": 4, "d_model": 8},
    "nlpcourse.attention.layer_norm": lambda: {"x": np.zeros((2, 3)), "weight": np.ones(3), "bias": np.zeros(3)},
    "nlpcourse.attention.LayerNorm": lambda: {"d": 3},
    "nlpcourse.attention.encoder_layer": lambda: {"x": np.zeros((2, 3, 8)), "state_dict": _encoder_state_dict(),
                                                  "num_heads": 2},
    "nlpcourse.attention.signal.token_cross_entropy": lambda: {"logits": np.zeros((2, 3)), "targets": np.array([0, 2])},
    "nlpcourse.attention.figures.heatmap": lambda: {
        "ax": __import__("matplotlib.figure").figure.Figure().add_subplot(), "values": np.zeros((2, 2))},
    "nlpcourse.attention.figures.draw_attention": lambda: {"weights": np.full((2, 2), 0.5)},
    "nlpcourse.attention.figures.draw_decoder_step": lambda: {
        "words": ["a", "b", "c"], "scores": np.zeros(3), "weights": np.full(3, 1 / 3), "states": np.zeros((3, 2)),
        "context": np.zeros(2)},
    "nlpcourse.attention.figures.draw_positional_encoding": lambda: {"pe": np.zeros((4, 8))},
    "nlpcourse.attention.figures.attention_view": lambda: {"example": _example()},
    "nlpcourse.attention.figures.draw_explorer": lambda: {"example": _example()},
    "nlpcourse.attention.train.multi_head_attention": lambda: {
        **{k: torch.zeros(2, 3, 8) for k in ("query", "key", "value")}, "in_proj_weight": torch.zeros(24, 8),
        "in_proj_bias": torch.zeros(24), "out_weight": torch.zeros(8, 8), "out_bias": torch.zeros(8), "num_heads": 2},
    "nlpcourse.attention.train.MultiHeadAttention": lambda: {"embed_dim": 8, "num_heads": 2},
    "nlpcourse.attention.train.EncoderBlock": lambda: {"embed_dim": 8, "num_heads": 2, "dim_feedforward": 16},
    "nlpcourse.attention.train.TinyConfig": lambda: {},
    "nlpcourse.attention.train.toy_task": lambda: {"task": "copy", "n": 2, "length": 3, "vocab": 4, "seed": 0},
    "nlpcourse.attention.train.layer_heads": lambda: {"model": _tiny_transformer(), "tokens": [1, 2, 3, 0],
                                                      "layer": 0},
    # ---- decoding (notebook 07)
    "nlpcourse.decoding.step.check_step_output": lambda: {"out": _logp(), "n_rows": 2},
    "nlpcourse.decoding.step.check_prompts": lambda: {"input_ids": [[0, 1]]},
    "nlpcourse.decoding.step.table_step": lambda: {"table": nlpcourse.decoding.TOY_TABLE},
    "nlpcourse.decoding.step.random_step": lambda: {"vocab_size": 4},
    "nlpcourse.decoding.count_sequences": lambda: {"vocab_size": 3, "max_new_tokens": 2},
    "nlpcourse.decoding.greedy_decode": _toy_search,
    "nlpcourse.decoding.exhaustive_decode": _toy_search,
    "nlpcourse.decoding.generate": lambda: _toy_search(num_beams=2),
    "nlpcourse.decoding.prune": lambda: {"beam_scores": np.zeros(2), "logp": _logp(), "n": 2},
    "nlpcourse.decoding.BeamConfig": lambda: {"num_beams": 2, "max_new_tokens": 3, "eos_token_id": 1,
                                              "pad_token_id": 0},
    "nlpcourse.decoding.expand": lambda: {"step": nlpcourse.decoding.toy_step(),
                                          "states": [nlpcourse.decoding.start([0])], "cfg": _beam_config()},
    "nlpcourse.decoding.step.counting": lambda: {"step": nlpcourse.decoding.toy_step()},
    "nlpcourse.decoding.checks.reference_greedy": lambda: {"step": nlpcourse.decoding.toy_step(), "prompt": [0],
                                                           "max_new_tokens": 3, "eos_token_id": 1},
    "nlpcourse.decoding.checks.reference_normalised": lambda: {
        "logprob": np.array([-1.0]), "sequence_length": np.array([3]), "prompt_length": 1, "alpha": 1.0},
    "nlpcourse.decoding.figures.draw_beam_tree": lambda: {
        "state": nlpcourse.decoding.figures.search_tree(**_tree_search())},
    "nlpcourse.decoding.figures.search_tree": _tree_search,
    "nlpcourse.decoding.figures.draw_search_cost": lambda: {"vocab_size": 10},
    "nlpcourse.decoding.hf.TinyGPT2": lambda: {},
    "nlpcourse.decoding.hf.tiny_gpt2": lambda: {},  # every bad seed is refused before transformers is imported
    "nlpcourse.decoding.hf.reference_problem": lambda: {"seed": 0},  # likewise: its checks come first
    "nlpcourse.decoding.hf.agreement": lambda: {},
    "nlpcourse.decoding.models.heldout_sentences": lambda: {"model": _course_lm()},
    "nlpcourse.decoding.models.lm_search": lambda: {"model": _course_lm(), "text": "police said"},
    "nlpcourse.decoding.models.tree_step": lambda: {"tree": _tree(), "center": np.zeros(2), "inner": np.zeros((3, 2))},
    "nlpcourse.beams.beam_search": lambda: {**_states_problem(), "beam_size": 2},
    "nlpcourse.beams.greedy_search": _states_problem,
    "nlpcourse.decoding.widgets.BeamStepper": lambda: {"model": _course_lm()},
    "nlpcourse.decoding.widgets.beam_stepper": lambda: {"model": _course_lm()},
    "nlpcourse.decoding.sampling.SamplingConfig": lambda: {},
    # ---- the transformer (notebook 08)
    "nlpcourse.transformer.sublayer": lambda: {"x": np.zeros((2, 3)), "f": lambda h: h, "weight": np.ones(3),
                                               "bias": np.zeros(3), "norm_first": False},
    "nlpcourse.transformer.feed_forward": lambda: {"x": np.zeros((2, 3, 8)), "state_dict": _encoder_state_dict()},
    "nlpcourse.transformer.cross_attention_step": lambda: {
        "query": np.zeros((2, 8)), "memory": np.zeros((2, 3, 8)),
        "p": nlpcourse.attention.mha_weights(_state_dict(), 8), "num_heads": 2, "pad": np.zeros((2, 3), bool)},
    "nlpcourse.transformer.encoder_layer": lambda: {"x": np.zeros((2, 3, 8)), "state_dict": _encoder_state_dict(),
                                                    "num_heads": 2},
    "nlpcourse.transformer.decoder_layer": lambda: {"y": np.zeros((2, 3, 8)), "memory": np.zeros((2, 4, 8)),
                                                    "state_dict": _decoder_state_dict(), "num_heads": 2},
    "nlpcourse.transformer.layer_count": lambda: {"state_dict": _nn_transformer_state_dict(), "stack": "encoder"},
    "nlpcourse.transformer.encode": lambda: {"src": np.zeros((2, 3, 8)), "state_dict": _nn_transformer_state_dict(),
                                             "num_heads": 2},
    "nlpcourse.transformer.decode": lambda: {"tgt": np.zeros((2, 3, 8)), "memory": np.zeros((2, 4, 8)),
                                             "state_dict": _nn_transformer_state_dict(), "num_heads": 2},
    "nlpcourse.transformer.transformer": lambda: {"src": np.zeros((2, 4, 8)), "tgt": np.zeros((2, 3, 8)),
                                                  "state_dict": _nn_transformer_state_dict(), "num_heads": 2},
    "nlpcourse.transformer.task.english": lambda: {"n": 21},
    "nlpcourse.transformer.task.german": lambda: {"n": 21},
    "nlpcourse.transformer.task.alignment": lambda: {"n": 21},
    "nlpcourse.transformer.task.NumberTask": None,  # built by number_task
    "nlpcourse.transformer.train.EncoderLayer": lambda: {"embed_dim": 8, "num_heads": 2, "dim_feedforward": 16},
    "nlpcourse.transformer.train.DecoderLayer": lambda: {"embed_dim": 8, "num_heads": 2, "dim_feedforward": 16},
    "nlpcourse.transformer.train.Stack": lambda: {"layers": [], "embed_dim": 8},
    "nlpcourse.transformer.train.EncoderDecoder": lambda: {"d_model": 8, "nhead": 2, "num_encoder_layers": 1,
                                                           "num_decoder_layers": 1, "dim_feedforward": 16},
    "nlpcourse.transformer.train.Seq2Seq": lambda: {"config": _seq2seq().config},
    "nlpcourse.transformer.train.smoothed_kl": lambda: {"logits": torch.zeros(2, 3, 5, dtype=torch.float64),
                                                        "targets": torch.ones(2, 3, dtype=torch.int64)},
    "nlpcourse.transformer.train.overfit_batch": lambda: {"model": _seq2seq(), "task": _number_task(),
                                                          "numbers": [1, 2]},
    "nlpcourse.transformer.translate.translate": lambda: {"model": _seq2seq(), "task": _number_task(),
                                                          "numbers": [21]},
    "nlpcourse.decoding.sampling.apply_temperature": lambda: {"scores": torch.zeros(2, 5), "temperature": 2.0},
    "nlpcourse.decoding.sampling.top_k_filter": lambda: {"scores": torch.zeros(2, 5), "k": 2},
    "nlpcourse.decoding.sampling.top_p_filter": lambda: {"scores": torch.zeros(2, 5), "p": 0.5},
    "nlpcourse.decoding.sampling.warp": lambda: {"scores": torch.zeros(2, 5)},
    "nlpcourse.decoding.sampling.filtered_distribution": lambda: {"logp": np.log(np.full(4, 0.25))},
    "nlpcourse.decoding.sampling.sample": _toy_search,
    "nlpcourse.decoding.sampling.tied_gpt2": lambda: {},  # every bad argument is refused before the import
    "nlpcourse.decoding.sampling.sampling_agreement": lambda: {},  # likewise: checks first
}
# shape arguments (with a wrong-dimensional replacement) of the callables above
SHAPES = {"center_vec", "outside_vectors", "context_vectors", "negatives", "ids", "counts", "probs", "grad",
          "center", "inner", "rows", "codes", "A", "b", "y", "contexts", "targets", "keep", "sentence_id",
          # attention (06) and decoding (07)
          "query", "key", "value", "states", "q", "k", "v", "mask", "d_weights", "weights", "d_out", "lengths",
          "attn_mask", "key_padding_mask", "src_mask", "src_key_padding_mask", "x", "state_dict", "weight", "bias",
          "logits", "values", "scores", "context", "pe", "out", "input_ids", "beam_scores", "logp",
          # subwords (03)
          "matrix", "outside"}
# (callable, argument) or argument -> the wrong value where 4-D zeros are right (batched axes) or miss the point
# (a float array where ints are expected only tests the dtype); None: any shape is right there
WRONG_SHAPE: dict = {
    "input_ids": np.zeros((1, 1, 1), np.int64),
    "targets": np.zeros((2, 2, 2, 2), np.int64),
    "lengths": np.zeros((2, 2), np.int64),
    "state_dict": "another size",  # built by _wrong_shape: an embed_dim of 4 where the other arguments have 8
    **{("nlpcourse.attention.scaled_dot_product_attention", "q"): np.zeros(4),
       ("nlpcourse.attention.sdpa_backward", "q"): np.zeros(4),
       ("nlpcourse.attention.softmax_backward", "d_weights"): None,  # the reference shape; weights must match it
       ("nlpcourse.attention.merge_heads", "x"): np.zeros((2, 3, 8)),
       ("nlpcourse.attention.layer_norm", "x"): np.zeros(()),
       ("nlpcourse.attention.figures.heatmap", "rows"): None,  # row labels, not an array
       # passed on to multi_head_attention, whose messages call them by torch's names (attn_mask,
       # key_padding_mask); renaming them would change encoder_layer's source, shown in notebook 06
       ("nlpcourse.attention.encoder_layer", "src_mask"): None,
       ("nlpcourse.attention.encoder_layer", "src_key_padding_mask"): None,
       # likewise, 08's layers and stacks: their masks go to multi_head_attention as attn_mask, key_padding_mask
       **{(f"nlpcourse.transformer.{f}", m): None for f in ("encoder_layer", "encode", "transformer")
          for m in ("src_mask", "src_key_padding_mask")},
       ("nlpcourse.transformer.feed_forward", "x"): None,  # (..., E): any shape whose last axis is E
       ("nlpcourse.transformer.sublayer", "x"): None,  # (..., d): any shape whose last axis is d
       ("nlpcourse.attention.signal.token_cross_entropy", "logits"): np.zeros(()),
       # its messages name the step function the student wrote ("step: expected shape ..."): the notebook's words
       ("nlpcourse.decoding.step.check_step_output", "out"): None},
}


def _wrong_shape(qual: str, name: str) -> object:
    bad = WRONG_SHAPE.get((qual, name), WRONG_SHAPE.get(name, np.zeros((2, 2, 2, 2))))
    if isinstance(bad, str):  # a state_dict of the wrong size
        if qual.endswith(("encoder_layer", "feed_forward")):
            return _encoder_state_dict(4)
        return _decoder_state_dict(4) if qual.endswith("decoder_layer") else _state_dict(4)
    return bad


# topics whose int checks all go through nlpcourse.validate: the walk also asserts the error's type there
# (TypeError for 2.5 and True, ValueError for an out-of-range int or a wrong shape)
EXACT_ERRORS = ("nlpcourse.attention", "nlpcourse.decoding")


def _modules() -> list:
    names = ["nlpcourse"] + [m.name for m in pkgutil.walk_packages(nlpcourse.__path__, "nlpcourse.")]
    return [importlib.import_module(n) for n in names if not any(n == s or n.startswith(s + ".") for s in SKIP_MODULES)]


def _public(mod) -> list[tuple[str, object]]:
    names = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
    out = []
    for n in names:
        obj = getattr(mod, n)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == mod.__name__ \
                and f"{mod.__name__}.{n}" not in SKIP_CALLABLES:
            out.append((f"{mod.__name__}.{n}", obj))
            for m in ("build", "make"):  # public constructors
                qual = f"{mod.__name__}.{n}.{m}"
                if inspect.isclass(obj) and isinstance(vars(obj).get(m), classmethod) and qual in VALID:
                    out.append((qual, getattr(obj, m)))
    return out


def _kind(p: inspect.Parameter) -> str:
    ann = str(p.annotation)
    if p.name in PROBABILITIES and "float" in ann:
        return "probability"
    if re.fullmatch(r"int( \| None)?", ann) and p.name not in ANY_INT:
        return "int"
    return ""


def _cases() -> list[tuple[str, str, object, type | tuple]]:
    cases = []
    for mod in _modules():
        for qual, obj in _public(mod):
            try:
                sig = inspect.signature(obj)
            except (TypeError, ValueError):
                continue
            params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")
                      and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            checked = [p for p in params if _kind(p)]
            shapes = [p for p in params if p.name in SHAPES and qual in VALID and VALID[qual] is not None
                      and qual not in ANY_SHAPE and _wrong_shape(qual, p.name) is not None]
            for p in checked:
                if _kind(p) == "int":
                    cases += [(qual, p.name, 2.5, TypeError), (qual, p.name, True, TypeError)]
                    if (qual, p.name) in VALUE_OK:
                        continue
                    if p.name in POSITIVE:
                        cases.append((qual, p.name, 0, ValueError))
                    elif p.name in NON_NEGATIVE:
                        cases.append((qual, p.name, -1, ValueError))
                elif (qual, p.name) not in VALUE_OK:
                    cases.append((qual, p.name, 1.5, ValueError))
            for p in shapes:
                cases.append((qual, p.name, _wrong_shape(qual, p.name), (ValueError, TypeError)))
    return cases


CASES = _cases()
_OBJECTS = {qual: obj for mod in _modules() for qual, obj in _public(mod)}


def test_the_walk_covers_the_topics_and_every_required_argument_has_a_valid_value():
    walked = {qual for qual, *_ in CASES}
    for topic in ("linear_maps", "word2vec", "hsoftmax", "subwords", "mlp", "corpus", "data", "evaluation",
                  "attention", "decoding"):  # autograd: floats
        assert any(q.startswith(f"nlpcourse.{topic}") for q in walked), topic
    missing = []
    for qual in sorted(walked):
        obj = _OBJECTS[qual]
        required = [p.name for p in inspect.signature(obj).parameters.values() if p.default is p.empty
                    and p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if required and qual not in VALID:
            missing.append((qual, required))
    assert missing == [], f"add valid values to VALID for: {missing}"
    assert len(CASES) > 150


@pytest.mark.parametrize("qual, name, bad, error", CASES, ids=[f"{q}({n}={b!r:.12})" for q, n, b, _ in CASES])
def test_bad_argument_is_named(qual, name, bad, error):
    """Any of ValueError/KeyError/TypeError naming the argument (the issue's rule; the int checks of the topics
    raise TypeError for floats and bools, which their own tests and ``test_numpy_ints_are_sizes_everywhere``
    assert); in the ``EXACT_ERRORS`` topics the error must also be the case's type."""
    if VALID.get(qual, 1) is None:
        pytest.skip(f"{qual} is constructed through a classmethod")
    kwargs = VALID[qual]() if qual in VALID else {}
    kwargs[name] = bad
    with pytest.raises((ValueError, KeyError, TypeError)) as info:
        _OBJECTS[qual](**kwargs)
    message = info.value.args[0] if isinstance(info.value, KeyError) and info.value.args else str(info.value)
    assert re.search(rf"\b{re.escape(name)}\b", message), f"{qual}({name}={bad!r}) raised {message!r}"
    if qual.startswith(EXACT_ERRORS):  # these topics' checks all go through validate: the type is the rule's
        assert isinstance(info.value, error), f"{qual}({name}={bad!r}) raised {type(info.value).__name__}"


def test_numpy_ints_are_sizes_everywhere():
    from nlpcourse.hsoftmax.train import train_hs
    from nlpcourse.mlp import Linear
    from nlpcourse.mlp.language_model import FixedWindowLM
    from nlpcourse.word2vec.train import train_sgns

    s = _sentences()
    assert train_hs(s, dim=np.int64(4), epochs=np.int64(1), min_count=1, progress=False).W_in.shape[1] == 4
    assert train_sgns(s, dim=np.int64(4), epochs=np.int32(1), min_count=1, progress=False).vectors.shape[1] == 4
    assert Linear(np.int64(2), np.int64(3)).params["W"].shape == (3, 2)
    assert FixedWindowLM(_lm()[0], n=np.int64(2), dim=np.int64(2), hidden=np.int64(3)).n == 2
    with pytest.raises(TypeError, match="max_size"):
        nlpcourse.data.Vocab.build(s, max_size=True)
    with pytest.raises(TypeError, match="dtype"):
        train_sgns(s, min_count=1, dtype=torch.float16)


def test_numpy_ints_are_sizes_in_attention_and_decoding():
    from nlpcourse import attention as A
    from nlpcourse import decoding as dec
    from nlpcourse.attention.train import EncoderBlock, TinyConfig, toy_task

    i = np.int64
    assert A.positional_encoding(i(4), i(8)).shape == (4, 8)
    assert A.split_heads(np.zeros((2, 3, 8)), i(2)).shape == (2, 2, 3, 4)
    assert A.multi_head_attention(**{**_mha(), "num_heads": i(2)})[0].shape == (2, 3, 8)
    assert A.attention_bias(None, np.zeros((2, 4), bool), i(2), i(2), i(3), i(4)).shape == (2, 1, 1, 4)
    assert type(TinyConfig(embed_dim=i(8), num_heads=i(2), seed=i(3)).embed_dim) is int
    assert EncoderBlock(i(8), i(2), i(16)).linear1.out_features == 16
    assert toy_task("copy", i(2), i(3), i(4), i(0))[0].shape == (2, 3)
    assert [h.states for h in dec.beam_search(**{**_states_problem(), "beam_size": i(2)})] == \
        [h.states for h in dec.beam_search(**{**_states_problem(), "beam_size": 2})]
    seqs, _ = dec.generate(**_toy_search(num_beams=i(2), max_new_tokens=i(3), eos_token_id=i(1), pad_token_id=i(0)))
    assert seqs.tolist() == dec.generate(**_toy_search(num_beams=2))[0].tolist()
    for bad, error in [(2.5, TypeError), (True, TypeError), (0, ValueError)]:
        with pytest.raises(error, match="beam_size: expected an int >= 1"):
            dec.beam_search(**{**_states_problem(), "beam_size": bad})
