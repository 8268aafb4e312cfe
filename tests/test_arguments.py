"""Every public function and class of the package, walked: wrong types and values for each int, shape and
probability argument raise a ValueError/KeyError/TypeError whose message names the argument.

The walk is automatic (``inspect`` over each module's ``__all__``); ``VALID`` only supplies valid values for the
arguments that have no default. For each argument the test passes

- an int argument (annotated ``int``): a float (2.5) and a bool (True) -> TypeError; for the sizes in
  ``POSITIVE`` also 0 -> ValueError, for ``NON_NEGATIVE`` -1 -> ValueError;
- a probability (``PROBABILITIES``): 1.5 -> ValueError;
- a shape argument (an array in ``VALID``): an array of the wrong number of dimensions -> ValueError/TypeError;

and checks the error names the argument. ``nlpcourse.attention`` and ``nlpcourse.decoding`` (notebooks 06 and 07)
are not walked yet: they arrived with their own argument tests while this walk was written; adding them here
means adding their required arguments to ``VALID``. ``nlpcourse.validate`` is the checker itself.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable

import numpy as np
import pytest
import torch

import nlpcourse

SKIP_MODULES = {"nlpcourse.decoding", "nlpcourse.attention", "nlpcourse.subwords", "nlpcourse.validate"}
# results, not inputs: dataclasses that the package fills in
SKIP_CALLABLES = {"nlpcourse.torch_threads",  # a context manager: checks on entry (tests/test_package.py)
                  "nlpcourse.evaluation.SimilarityResult", "nlpcourse.evaluation.AnalogyResult",
                  "nlpcourse.mlp.train.History"}
# (callable, argument) pairs where the generic bad value is valid there
VALUE_OK = {("nlpcourse.mlp.stepper.TrainingStepper", "hidden"),  # 0 hidden units: the linear classifier
            ("nlpcourse.mlp.train.TrainConfig", "epochs"),  # 0 epochs: nothing to do
            ("nlpcourse.mlp.check_labels", "n"),  # 0 labels expected: y's shape is then what is wrong
            ("nlpcourse.mlp.train.TrainConfig", "batch_size")}  # 1 <= batch_size <= N is checked by train
POSITIVE = {"dim", "window", "epochs", "negative", "batch_size", "vocab_size", "size", "k", "n", "top", "repeats",
            "hidden", "d", "d_in", "d_out", "folds", "starts", "n_words", "n_outputs", "workers", "columns", "ncols",
            "nrows", "threads", "min_count", "scale_int", "beam_size", "resolution", "val_docs", "V"}
NON_NEGATIVE = {"seed", "steps", "pool_size"}
PROBABILITIES = {"alpha", "progress_fraction", "momentum", "probability"}
# int-annotated arguments that are not sizes: any int is valid (a padding id, a class count's bound)
ANY_INT = {"pad"}
# functions whose array argument takes any shape (elementwise), so no shape is wrong
ANY_SHAPE = {"nlpcourse.mlp.d_relu", "nlpcourse.mlp.d_sigmoid", "nlpcourse.mlp.d_tanh", "nlpcourse.mlp.relu",
             "nlpcourse.mlp.sigmoid", "nlpcourse.functional.sigmoid", "nlpcourse.functional.log_sigmoid",
             "nlpcourse.functional.logsumexp", "nlpcourse.functional.softmax", "nlpcourse.functional.log_softmax",
             "nlpcourse.mlp.language_model.perplexity",
             # the torch references of layer 2 take tensors and leave the checking to the numpy versions
             "nlpcourse.word2vec.naive_softmax_loss_torch", "nlpcourse.word2vec.cbow_naive_softmax_loss_torch",
             "nlpcourse.word2vec.neg_sampling_loss_torch", "nlpcourse.word2vec.cbow_neg_sampling_loss_torch"}


def _w2v_example() -> dict:
    from nlpcourse import word2vec as w2v

    return {"center_vec": w2v.EXERCISE_CENTER, "outside_vectors": w2v.EXERCISE_OUTSIDE,
            "context_vectors": w2v.EXERCISE_OUTSIDE[:2], "target": 0, "negatives": np.array([2, 3])}


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


# required arguments of each walked callable (a function returning kwargs: built only when used)
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
    "nlpcourse.mlp.language_model.FixedWindowLM": lambda: {"vocab": _lm()[0], "n": 2, "dim": 2, "hidden": 3},
    "nlpcourse.mlp.language_model.LMTrainConfig": lambda: {},
    "nlpcourse.mlp.sentiment.stratified_folds": lambda: {"y": np.array([0, 1] * 6), "folds": 3},
    "nlpcourse.mlp.stepper.TrainingStepper": lambda: {},
    "nlpcourse.mlp.train.TrainConfig": lambda: {},
    "nlpcourse.mlp.train.optimizer_path": lambda: {"optimizer": nlpcourse.mlp.train.SGD(0.1), "steps": 3},
    "nlpcourse.mlp.train.Momentum": lambda: {},
    "nlpcourse.word2vec.train.SGNSConfig": lambda: {},
    "nlpcourse.hsoftmax.train.HSConfig": lambda: {},
    "nlpcourse.corpus.TrainConfig": lambda: {},
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
}
# shape arguments (with a wrong-dimensional replacement) of the callables above
SHAPES = {"center_vec", "outside_vectors", "context_vectors", "negatives", "ids", "counts", "probs", "grad",
          "center", "inner", "rows", "codes", "A", "b", "y", "contexts", "targets", "keep", "sentence_id"}


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
                      and qual not in ANY_SHAPE]
            for p in checked:
                if _kind(p) == "int":
                    cases += [(qual, p.name, 2.5, TypeError), (qual, p.name, True, TypeError)]
                    if (qual, p.name) in VALUE_OK:
                        continue
                    if p.name in POSITIVE:
                        cases.append((qual, p.name, 0, ValueError))
                    elif p.name in NON_NEGATIVE:
                        cases.append((qual, p.name, -1, ValueError))
                else:
                    cases.append((qual, p.name, 1.5, ValueError))
            for p in shapes:
                cases.append((qual, p.name, np.zeros((2, 2, 2, 2)), (ValueError, TypeError)))
    return cases


CASES = _cases()
_OBJECTS = {qual: obj for mod in _modules() for qual, obj in _public(mod)}


def test_the_walk_covers_the_topics_and_every_required_argument_has_a_valid_value():
    walked = {qual for qual, *_ in CASES}
    for topic in ("linear_maps", "word2vec", "hsoftmax", "mlp", "corpus", "data", "evaluation"):  # autograd: floats
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
    assert)."""
    if VALID.get(qual, 1) is None:
        pytest.skip(f"{qual} is constructed through a classmethod")
    kwargs = VALID[qual]() if qual in VALID else {}
    kwargs[name] = bad
    with pytest.raises((ValueError, KeyError, TypeError)) as info:
        _OBJECTS[qual](**kwargs)
    message = info.value.args[0] if isinstance(info.value, KeyError) and info.value.args else str(info.value)
    assert re.search(rf"\b{re.escape(name)}\b", message), f"{qual}({name}={bad!r}) raised {message!r}"


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
