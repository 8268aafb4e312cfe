"""The student-facing API, walked: wrong types and values for each int, shape and probability argument raise a
ValueError/KeyError/TypeError whose message names the argument.

Arguments are checked at the boundary only (CONTRIBUTING, "Errors at the boundary"): the functions a notebook
calls, the exercise checks and the configs. ``STUDENT_API`` lists them explicitly, one row each, by topic — built
from the notebooks' calls (``test_student_api_covers_what_the_notebooks_call`` keeps it so), every
``checks.check_*`` and every config; each topic's owner amends its rows. Internal helpers are not walked: they
trust their callers. ``VALID`` supplies valid values for the arguments that have no default. For each argument
the test passes

- an int argument (annotated ``int``): a float (2.5) and a bool (True) -> TypeError; for the sizes in
  ``POSITIVE`` also 0 -> ValueError, for ``NON_NEGATIVE`` -1 -> ValueError;
- a probability (``PROBABILITIES``): 1.5 -> ValueError;
- a shape argument (an array in ``VALID``): an array of the wrong number of dimensions -> ValueError/TypeError
  (4-D zeros, or the wrong value in ``WRONG_SHAPE`` where 4-D is right, e.g. the batched attention's ``q``);

and checks the error names the argument. The heavy inputs (the course LM, a TinyTransformer) are built once per
session (``functools.cache``).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

import nlpcourse

STUDENT_API = (
    # ---- 00 linear maps (nb0004)
    "nlpcourse.linear_maps.checks.check_rotation_matrix",
    "nlpcourse.linear_maps.checks.check_separating_layer",
    "nlpcourse.linear_maps.figures.draw_gallery",
    "nlpcourse.linear_maps.figures.draw_layer",
    "nlpcourse.linear_maps.figures.draw_linear_map",
    "nlpcourse.linear_maps.figures.draw_separation",
    "nlpcourse.linear_maps.layer",
    "nlpcourse.linear_maps.make_grid",
    "nlpcourse.linear_maps.map_points",
    "nlpcourse.linear_maps.matrix_str",
    "nlpcourse.linear_maps.projection",
    "nlpcourse.linear_maps.real_eigenvectors",
    "nlpcourse.linear_maps.reflection",
    "nlpcourse.linear_maps.rotation",
    "nlpcourse.linear_maps.scaling",
    "nlpcourse.linear_maps.separating_line",
    "nlpcourse.linear_maps.shear",
    "nlpcourse.linear_maps.stripe",
    "nlpcourse.linear_maps.unit_square_area_after",
    "nlpcourse.linear_maps.widgets.linear_map_explorer",
    # ---- 01 word2vec (nb01)
    "nlpcourse.word2vec.SGDStepDemo",
    "nlpcourse.word2vec.cbow_examples",
    "nlpcourse.word2vec.cbow_naive_softmax_loss_and_grad",
    "nlpcourse.word2vec.changed_rows",
    "nlpcourse.word2vec.check_cbow_gradients",
    "nlpcourse.word2vec.check_naive_softmax_gradients",
    "nlpcourse.word2vec.check_neg_sampling_gradients",
    "nlpcourse.word2vec.checks.check_naive_softmax",
    "nlpcourse.word2vec.checks.check_neg_sampling",
    "nlpcourse.word2vec.checks.check_sgd",
    "nlpcourse.word2vec.checks.check_skipgram",
    "nlpcourse.word2vec.context_words",
    "nlpcourse.word2vec.figures.draw_cost_curve",
    "nlpcourse.word2vec.figures.draw_embedding_pca",
    "nlpcourse.word2vec.figures.draw_noise_distribution",
    "nlpcourse.word2vec.figures.draw_sgd_step",
    "nlpcourse.word2vec.init_params",
    "nlpcourse.word2vec.naive_softmax_loss_and_grad",
    "nlpcourse.word2vec.neg_sampling_loss_and_grad",
    "nlpcourse.word2vec.one_hot",
    "nlpcourse.word2vec.sgd",
    "nlpcourse.word2vec.sgns_window_examples",
    "nlpcourse.word2vec.skipgram_pairs",
    "nlpcourse.word2vec.skipgram_pairs_corpus",
    "nlpcourse.word2vec.skipgram_window",
    "nlpcourse.word2vec.softmax_cost",
    "nlpcourse.word2vec.time_naive_softmax",
    "nlpcourse.word2vec.train.SGNSConfig",
    "nlpcourse.word2vec.train.compare_at_best_lr",
    "nlpcourse.word2vec.train.comparison_verdict",
    "nlpcourse.word2vec.train.format_sweep",
    "nlpcourse.word2vec.train.gender_direction",
    "nlpcourse.word2vec.train.oov_by_min_count",
    "nlpcourse.word2vec.train.topic_cohesion",
    "nlpcourse.word2vec.train.train_sgns",
    "nlpcourse.word2vec.vectors_per_window",
    "nlpcourse.word2vec.widgets.noise_alpha_explorer",
    "nlpcourse.word2vec.widgets.sgd_step_explorer",
    "nlpcourse.word2vec.window_objective",
    # ---- 01 corpus.py (nb01)
    "nlpcourse.corpus.NegativeSampler",
    "nlpcourse.corpus.WordVectorConfig",
    "nlpcourse.corpus.keep_probabilities",
    "nlpcourse.corpus.unigram_noise",
    # ---- 02 hierarchical softmax (nb0203)
    "nlpcourse.hsoftmax.HuffmanTree.build",
    "nlpcourse.hsoftmax.HuffmanTree.from_tokens",
    "nlpcourse.hsoftmax.branch_probabilities",
    "nlpcourse.hsoftmax.checks.check_hs_gradient",
    "nlpcourse.hsoftmax.checks.check_huffman",
    "nlpcourse.hsoftmax.checks.check_path_walk",
    "nlpcourse.hsoftmax.figures.draw_lecture_path",
    "nlpcourse.hsoftmax.figures.draw_speed",
    "nlpcourse.hsoftmax.figures.draw_tree",
    "nlpcourse.hsoftmax.figures.toy_example",
    "nlpcourse.hsoftmax.gradient_exercise",
    "nlpcourse.hsoftmax.leaf_probabilities",
    "nlpcourse.hsoftmax.path_loss_and_grad",
    "nlpcourse.hsoftmax.path_loss_torch",
    "nlpcourse.hsoftmax.path_probability",
    "nlpcourse.hsoftmax.search.exhaustive_search",
    "nlpcourse.hsoftmax.skipgram_hs_loss_and_grad",
    "nlpcourse.hsoftmax.skipgram_hs_loss_torch",
    "nlpcourse.hsoftmax.train.HSConfig",
    "nlpcourse.hsoftmax.train.gensim_tree_comparison",
    "nlpcourse.hsoftmax.train.measure_speed",
    "nlpcourse.hsoftmax.train.search_agreement",
    "nlpcourse.hsoftmax.train.train_hs",
    "nlpcourse.hsoftmax.train.zipf_counts",
    "nlpcourse.hsoftmax.widgets.hsoftmax_path_explorer",
    # ---- 03 fastText n-grams (nb0203)
    "nlpcourse.subwords.char_ngrams",
    "nlpcourse.subwords.check_subword_gradients",
    "nlpcourse.subwords.checks.check_char_ngrams",
    "nlpcourse.subwords.checks.check_fasttext_step",
    "nlpcourse.subwords.collision_table",
    "nlpcourse.subwords.distinct_ngrams",
    "nlpcourse.subwords.figures.draw_collisions",
    "nlpcourse.subwords.figures.draw_neighbours",
    "nlpcourse.subwords.figures.draw_ngrams",
    "nlpcourse.subwords.figures.draw_trainers",
    "nlpcourse.subwords.figures.ngram_groups",
    "nlpcourse.subwords.fnv1a_32",
    "nlpcourse.subwords.ngram_ids",
    "nlpcourse.subwords.subword_rows",
    "nlpcourse.subwords.train.SubwordConfig",
    "nlpcourse.subwords.train.compare_trainers",
    "nlpcourse.subwords.train.fasttext_subword_vectors",
    "nlpcourse.subwords.train.gensim_subword_vectors",
    "nlpcourse.subwords.train.train_fasttext",
    "nlpcourse.subwords.train.train_fasttext_and_gensim",
    "nlpcourse.subwords.train.train_gensim_fasttext",
    "nlpcourse.subwords.train.train_subword_sgns",
    "nlpcourse.subwords.train.train_word2vec",
    "nlpcourse.subwords.widgets.ngram_explorer",
    # ---- 04 backprop (nb0004)
    "nlpcourse.autograd.Value",
    "nlpcourse.autograd.backward",
    "nlpcourse.autograd.check_with_torch",
    "nlpcourse.autograd.checks.check_backward",
    "nlpcourse.autograd.checks.check_fork_gradient",
    "nlpcourse.autograd.checks.check_gate_patterns",
    "nlpcourse.autograd.checks.check_neuron_gradients",
    "nlpcourse.autograd.checks.check_tanh_gate",
    "nlpcourse.autograd.figures.draw_graph",
    "nlpcourse.autograd.figures.draw_training",
    "nlpcourse.autograd.lecture_example",
    "nlpcourse.autograd.logistic_neuron",
    "nlpcourse.autograd.nn.MLP",
    "nlpcourse.autograd.nn.train_mlp",
    "nlpcourse.autograd.stepper.BackpropStepper",
    "nlpcourse.autograd.steps_table",
    "nlpcourse.autograd.topological_order",
    "nlpcourse.autograd.value_and_grad",
    "nlpcourse.autograd.widgets.backprop_stepper",
    # ---- 05 MLP (nb05)
    "nlpcourse.mlp.BatchNorm",
    "nlpcourse.mlp.Linear",
    "nlpcourse.mlp.MeanPool",
    "nlpcourse.mlp.ReLU",
    "nlpcourse.mlp.Sequential",
    "nlpcourse.mlp.SoftmaxCrossEntropy",
    "nlpcourse.mlp.Tanh",
    "nlpcourse.mlp.checks.check_linear_backward",
    "nlpcourse.mlp.checks.check_softmax_ce_backward",
    "nlpcourse.mlp.checks.check_torch_lr",
    "nlpcourse.mlp.d_relu",
    "nlpcourse.mlp.d_sigmoid",
    "nlpcourse.mlp.d_tanh",
    "nlpcourse.mlp.figures.draw_activations",
    "nlpcourse.mlp.figures.draw_decision_boundaries",
    "nlpcourse.mlp.figures.draw_early_stopping",
    "nlpcourse.mlp.figures.draw_loss_curves",
    "nlpcourse.mlp.figures.draw_paths",
    "nlpcourse.mlp.gradient_check_functions",
    "nlpcourse.mlp.language_model.FixedWindowLM",
    "nlpcourse.mlp.language_model.FixedWindowLM.load",
    "nlpcourse.mlp.language_model.KneserNeyLM",
    "nlpcourse.mlp.language_model.LMTrainConfig",
    "nlpcourse.mlp.language_model.NGramLM",
    "nlpcourse.mlp.language_model.encode",
    "nlpcourse.mlp.language_model.lm_vocab",
    "nlpcourse.mlp.language_model.load_documents",
    "nlpcourse.mlp.language_model.train_val_split",
    "nlpcourse.mlp.language_model.train_window_lm",
    "nlpcourse.mlp.language_model.windows",
    "nlpcourse.mlp.make_moons",
    "nlpcourse.mlp.make_spirals",
    "nlpcourse.mlp.mlp",
    "nlpcourse.mlp.sentiment.pooling_matrix",
    "nlpcourse.mlp.sentiment.sentiment_cv",
    "nlpcourse.mlp.stepper.TrainingStepper",
    "nlpcourse.mlp.train.Adam",
    "nlpcourse.mlp.train.Momentum",
    "nlpcourse.mlp.train.SGD",
    "nlpcourse.mlp.train.TrainConfig",
    "nlpcourse.mlp.train.accuracy",
    "nlpcourse.mlp.train.dead_relu_units",
    "nlpcourse.mlp.train.evaluate",
    "nlpcourse.mlp.train.minibatches",
    "nlpcourse.mlp.train.nudged_loss_curves",
    "nlpcourse.mlp.train.optimizer_path",
    "nlpcourse.mlp.train.torch_sgd_arguments",
    "nlpcourse.mlp.train.train",
    "nlpcourse.mlp.train.valley",
    "nlpcourse.mlp.train.train_runs",
    "nlpcourse.mlp.widgets.training_stepper",
    # ---- 06 attention (nb0607)
    "nlpcourse.attention.LayerNorm",
    "nlpcourse.attention.causal_mask",
    "nlpcourse.attention.checks.check_attention_backward",
    "nlpcourse.attention.checks.check_self_attention_backward",
    "nlpcourse.attention.checks.check_split_heads",
    "nlpcourse.attention.dot_product_attention",
    "nlpcourse.attention.dot_product_variance",
    "nlpcourse.attention.encoder_layer",
    "nlpcourse.attention.figures.draw_attention_maps",
    "nlpcourse.attention.figures.draw_attention_panels",
    "nlpcourse.attention.figures.draw_decoder_step",
    "nlpcourse.attention.figures.draw_explorer",
    "nlpcourse.attention.figures.draw_gradient_through_depth",
    "nlpcourse.attention.figures.draw_loss",
    "nlpcourse.attention.figures.draw_norms",
    "nlpcourse.attention.figures.draw_positional_encoding",
    "nlpcourse.attention.figures.draw_scaling",
    "nlpcourse.attention.figures.explorer_examples",
    "nlpcourse.attention.multi_head_attention",
    "nlpcourse.attention.padding_mask",
    "nlpcourse.attention.positional_encoding",
    "nlpcourse.attention.scaled_dot_product_attention",
    "nlpcourse.attention.sdpa_backward",
    "nlpcourse.attention.signal.cross_entropy",
    "nlpcourse.attention.signal.entropy",
    "nlpcourse.attention.signal.kl_divergence",
    "nlpcourse.attention.signal.token_cross_entropy",
    "nlpcourse.attention.softmax_saturation",
    "nlpcourse.attention.thinking_machines",
    "nlpcourse.attention.train.TinyConfig",
    "nlpcourse.attention.train.gradient_through_depth",
    "nlpcourse.attention.train.sequence_accuracy",
    "nlpcourse.attention.train.train",
    "nlpcourse.attention.widgets.attention_explorer",
    # ---- 07's sampling section (nb08)
    "nlpcourse.decoding.figures.draw_filtered",
    "nlpcourse.decoding.sampling.SamplingConfig",
    "nlpcourse.decoding.sampling.diversity_vs_likelihood",
    "nlpcourse.decoding.sampling.apply_temperature",
    "nlpcourse.decoding.sampling.filtered_distribution",
    "nlpcourse.decoding.sampling.sample",
    "nlpcourse.decoding.sampling.sampling_agreement",
    "nlpcourse.decoding.sampling.tied_gpt2",
    "nlpcourse.decoding.sampling.top_k_filter",
    "nlpcourse.decoding.sampling.top_p_filter",
    "nlpcourse.decoding.sampling.warp",
    # ---- 07 beam search (nb0607)
    "nlpcourse.decoding.BeamConfig",
    "nlpcourse.decoding.checks.check_greedy",
    "nlpcourse.decoding.checks.check_normalised",
    "nlpcourse.decoding.checks.check_beam_step",
    "nlpcourse.decoding.count_sequences",
    "nlpcourse.decoding.diagnose",
    "nlpcourse.decoding.exhaustive_decode",
    "nlpcourse.decoding.figures.draw_beam_tree",
    "nlpcourse.decoding.figures.draw_search_cost",
    "nlpcourse.decoding.figures.search_tree",
    "nlpcourse.decoding.generate",
    "nlpcourse.decoding.greedy_decode",
    "nlpcourse.decoding.hf.TinyGPT2",
    "nlpcourse.decoding.hf.agreement",
    "nlpcourse.decoding.length_normalised",
    "nlpcourse.decoding.models.best_hypotheses",
    "nlpcourse.decoding.models.compare_searches",
    "nlpcourse.decoding.models.continuation",
    "nlpcourse.decoding.models.course_lm",
    "nlpcourse.decoding.models.decode",
    "nlpcourse.decoding.models.diagnose_continuation",
    "nlpcourse.decoding.models.encode_prompt",
    "nlpcourse.decoding.models.heldout_sentences",
    "nlpcourse.decoding.models.lm_step",
    "nlpcourse.decoding.models.tree_leaf",
    "nlpcourse.decoding.models.tree_prompt",
    "nlpcourse.decoding.models.tree_step",
    "nlpcourse.decoding.sequence_logprob",
    "nlpcourse.decoding.step.counting",
    "nlpcourse.decoding.step.random_step",
    "nlpcourse.decoding.step.toy_step",
    "nlpcourse.decoding.widgets.BeamStepper",
    "nlpcourse.decoding.widgets.beam_stepper",
    # ---- 08 transformer (nb08); its exercise's solution calls 06's head split and merge
    "nlpcourse.attention.merge_heads",
    "nlpcourse.attention.split_heads",
    "nlpcourse.transformer.checks.check_cross_attention_step",
    "nlpcourse.transformer.cross_attention_step",
    "nlpcourse.transformer.decode",
    "nlpcourse.transformer.decoder_layer",
    "nlpcourse.transformer.encode",
    "nlpcourse.transformer.feed_forward",
    "nlpcourse.transformer.figures.draw_alignment",
    "nlpcourse.transformer.figures.draw_causal_mask",
    "nlpcourse.transformer.figures.draw_curves",
    "nlpcourse.transformer.figures.draw_gradient_norms",
    "nlpcourse.transformer.figures.draw_step",
    "nlpcourse.transformer.layer_count",
    "nlpcourse.transformer.sublayer",
    "nlpcourse.transformer.task.NumberTask",
    "nlpcourse.transformer.task.alignment",
    "nlpcourse.transformer.task.english",
    "nlpcourse.transformer.task.german",
    "nlpcourse.transformer.task.number_task",
    "nlpcourse.transformer.train.DecoderLayer",
    "nlpcourse.transformer.train.EncoderDecoder",
    "nlpcourse.transformer.train.Seq2Seq",
    "nlpcourse.transformer.train.Seq2SeqConfig",
    "nlpcourse.transformer.train.Stack",
    "nlpcourse.transformer.train.Seq2SeqTrainConfig",
    "nlpcourse.transformer.train.layer_gradient_norms",
    "nlpcourse.transformer.train.overfit_batch",
    "nlpcourse.transformer.train.smoothed_kl",
    "nlpcourse.transformer.train.teacher_forced",
    "nlpcourse.transformer.train.torch_agreement",
    "nlpcourse.transformer.train.train",
    "nlpcourse.transformer.transformer",
    "nlpcourse.transformer.translate.alignment_agreement",
    "nlpcourse.transformer.translate.exact_match",
    "nlpcourse.transformer.translate.prompts",
    "nlpcourse.transformer.translate.trace",
    "nlpcourse.transformer.translate.translate",
    "nlpcourse.transformer.translate.translation_step",
    "nlpcourse.transformer.widgets.decoder_stepper",
    # ---- shared modules (repro)
    "nlpcourse.data.Vocab",
    "nlpcourse.data.Vocab.build",
    "nlpcourse.data.load_corpus",
    "nlpcourse.data.load_polarity",
    "nlpcourse.data.load_similarity",
    "nlpcourse.data.load_toy_sentences",
    "nlpcourse.data.porter_stem",
    "nlpcourse.evaluation.Embeddings.from_gensim",
    "nlpcourse.evaluation.binomial_interval",
    "nlpcourse.evaluation.welch_pvalue",
    "nlpcourse.evaluation.word_similarity",
    "nlpcourse.functional.log_sigmoid",
    "nlpcourse.functional.logsumexp",
    "nlpcourse.functional.sigmoid",
    "nlpcourse.functional.softmax",
    "nlpcourse.gradcheck.check_gradients",
    "nlpcourse.parallel.starmap",
    "nlpcourse.validate.Config.make",
    "nlpcourse.gradcheck.error_bound",
    "nlpcourse.gradcheck.finite_difference",
    "nlpcourse.plotting.new_figure",
    "nlpcourse.plotting.plot_grid",
    "nlpcourse.plotting.plot_points",
    "nlpcourse.plotting.square_axes",
    "nlpcourse.seed_everything",
    "nlpcourse.show.claim",
    "nlpcourse.show.show_errors",
    "nlpcourse.show.show_source",
    "nlpcourse.show.table",
)
# notebook calls that are not walked: results and state objects the package builds, or calls whose one valid
# input is costly to build (their checks are a config's, walked)
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
                  "nlpcourse.transformer.train.Curves",  # a training run's result
                  # every config's copy with overrides: its checks are the config's own (each config is walked);
                  # a wrong config or override name is tested in tests/test_validate.py
                  "nlpcourse.validate.Config.make"}
# (callable, argument) pairs where the generic bad value is valid there
VALUE_OK = {("nlpcourse.mlp.stepper.TrainingStepper", "hidden"),  # 0 hidden units: the linear classifier
            ("nlpcourse.mlp.train.TrainConfig", "epochs"),  # 0 epochs: nothing to do
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
             "nlpcourse.functional.sigmoid", "nlpcourse.functional.log_sigmoid",
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


@functools.cache
def _trace():
    from nlpcourse.transformer.translate import trace

    return trace(_seq2seq(), _number_task(), "twenty one", max_new_tokens=4)


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
    "nlpcourse.corpus.keep_probabilities": lambda: {"counts": np.array([5.0, 3.0]), "sample": 1e-3},
    "nlpcourse.corpus.unigram_noise": lambda: {"counts": np.array([5.0, 3.0])},
    "nlpcourse.corpus.NegativeSampler": lambda: {"probs": np.array([0.5, 0.5])},
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
    "nlpcourse.word2vec.train.compare_at_best_lr": lambda: {"sentences": _sentences(), "lrs": (0.025,),
                                                            "seeds": (0,), "min_count": 1, "dim": 4, "epochs": 1,
                                                            "transform": None, "progress": False},
    "nlpcourse.word2vec.figures.draw_noise_distribution": lambda: {"words": ["a", "b"], "counts": np.array([3, 1])},
    "nlpcourse.word2vec.train.train_sgns": lambda: {"sentences": _sentences(), "min_count": 1, "dim": 4,
                                                    "epochs": 1, "progress": False},
    "nlpcourse.word2vec.train.format_sweep": lambda: {"sweep": __import__("pandas").DataFrame(
        {"trainer": ["ours", "gensim"], "lr": [0.1, 0.1], "diverged": [False, False], "ws353_tune": [0.5, 0.4]})},
    "nlpcourse.word2vec.train.topic_cohesion": lambda: {"emb": _emb(), "groups": {"x": ["a", "b"], "y": ["c", "d"]}},
    "nlpcourse.word2vec.train.oov_by_min_count": lambda: {
        "sentences": _sentences(), "pairs": __import__("pandas").DataFrame({"word1": ["a"], "word2": ["b"]})},
    "nlpcourse.word2vec.widgets.noise_alpha_explorer": lambda: {"words": ["a", "b"], "counts": np.array([3, 1])},
    "nlpcourse.hsoftmax.branch_probabilities": lambda: {"tree": _tree(), "word": "a", "center": np.zeros(2),
                                                        "inner": np.zeros((3, 2))},
    "nlpcourse.hsoftmax.path_probability": lambda: {"tree": _tree(), "word": "a", "center": np.zeros(2),
                                                    "inner": np.zeros((3, 2))},
    "nlpcourse.hsoftmax.leaf_probabilities": lambda: {"tree": _tree(), "center": np.zeros(2),
                                                      "inner": np.zeros((3, 2))},
    "nlpcourse.hsoftmax.path_loss_and_grad": lambda: {"center": np.zeros(2), "rows": np.zeros((2, 2)),
                                                      "codes": np.array([0, 1])},
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
    "nlpcourse.mlp.Linear": lambda: {"d_in": 2, "d_out": 3},
    "nlpcourse.mlp.BatchNorm": lambda: {"d": 3},
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
    "nlpcourse.mlp.stepper.TrainingStepper": lambda: {},
    "nlpcourse.mlp.train.TrainConfig": lambda: {},
    "nlpcourse.mlp.train.optimizer_path": lambda: {"optimizer": nlpcourse.mlp.train.SGD(0.1), "steps": 3},
    "nlpcourse.mlp.train.Momentum": lambda: {},
    "nlpcourse.word2vec.train.SGNSConfig": lambda: {},
    "nlpcourse.hsoftmax.train.HSConfig": lambda: {},
    "nlpcourse.corpus.WordVectorConfig": lambda: {},
    "nlpcourse.plotting.new_figure": lambda: {},
    "nlpcourse.data.Vocab.build": lambda: {"sentences": _sentences()},
    "nlpcourse.mlp.sentiment.sentiment_cv": lambda: {**_pooled(), "fine_tune": False, "epochs": 1, "folds": 2},
    "nlpcourse.evaluation.welch_pvalue": lambda: {"a": np.array([1.0, 2.0, 4.0]), "b": np.array([2.0, 5.0])},
    "nlpcourse.mlp.train.torch_sgd_arguments": lambda: {"lr": 0.1, "alpha": 0.9},
    "nlpcourse.mlp.train.nudged_loss_curves": lambda: dict(zip(("X", "y"), nlpcourse.mlp.make_moons(10), strict=True))
    | {"sizes": (2, 2), "activation": "tanh", "lr": 0.1, "starts": 2, "epochs": 1, "batch_size": 5},
    "nlpcourse.functional.logsumexp": lambda: {"z": np.zeros((2, 3))},
    "nlpcourse.functional.softmax": lambda: {"z": np.zeros((2, 3))},
    "nlpcourse.linear_maps.matrix_str": lambda: {"A": np.eye(2)},
    "nlpcourse.plotting.plot_grid": lambda: dict(zip(("xs", "ys"), np.meshgrid([0.0, 1.0], [0.0, 1.0]), strict=True))
    | {"ax": __import__("matplotlib.figure").figure.Figure().add_subplot()},
    "nlpcourse.evaluation.binomial_interval": lambda: {"correct": 3, "n": 10},
    # subwords (notebook 03): tiny words, buckets and matrices (no trainer is walked: train_subword_sgns,
    # train_gensim_fasttext, train_fasttext(_and_gensim) and compare_trainers take their ints through SubwordConfig,
    # walked here)
    "nlpcourse.subwords.char_ngrams": lambda: {"word": "where"},
    "nlpcourse.subwords.ngram_ids": lambda: {"word": "where", "bucket": 100},
    "nlpcourse.subwords.distinct_ngrams": lambda: {"words": ["where", "ok"]},
    "nlpcourse.subwords.collision_table": lambda: {"ngrams": ["<wh", "whe", "her"], "buckets": [10, 100],
                                                   "nwords": 4, "dim": 2},
    "nlpcourse.subwords.subword_rows": lambda: {"word": "where", "vocab": _emb().vocab, "bucket": 100},
    "nlpcourse.subwords.check_subword_gradients": lambda: {
        "matrix": np.eye(6, 2), "outside": np.eye(4, 2), "rows": np.array([0, 4, 5]), "target": 0,
        "negatives": np.array([2, 3])},
    "nlpcourse.subwords.figures.ngram_groups": lambda: {"word": "where", "bucket": 100},
    "nlpcourse.subwords.figures.draw_ngrams": lambda: {"word": "where", "bucket": 100},
    "nlpcourse.subwords.figures.draw_collisions": lambda: {"table": nlpcourse.subwords.collision_table(
        ["<wh", "whe", "her"], [10, 100], 4, 2), "n_ngrams": 3},
    "nlpcourse.subwords.figures.draw_neighbours": lambda: {"models": {"ours": nlpcourse.subwords.SubwordVectors(
        np.eye(14, 2) + 0.5, _emb().vocab, bucket=10)}, "words": ["a", "zz"]},
    # ---- attention (notebook 06)
    "nlpcourse.attention.dot_product_attention": lambda: {"query": np.zeros(4), "states": np.zeros((3, 4))},
    "nlpcourse.attention.dot_product_variance": lambda: {"dims": [2, 4], "samples": 10},
    "nlpcourse.attention.softmax_saturation": lambda: {"dims": [2], "samples": 10},
    "nlpcourse.attention.scaled_dot_product_attention": _qkv,
    "nlpcourse.attention.figures.draw_gradient_through_depth": lambda: {
        "norms": __import__("pandas").DataFrame({"post-LN": [0.9, 0.95], "pre-LN": [1.2, 1.0]})},
    "nlpcourse.attention.sdpa_backward": lambda: {**_qkv(), "d_out": np.zeros((3, 2)), "weights": np.full((3, 5), 0.2)},
    "nlpcourse.attention.causal_mask": lambda: {"length": 3},
    "nlpcourse.attention.padding_mask": lambda: {"lengths": np.array([1, 3]), "max_length": 3},
    "nlpcourse.attention.multi_head_attention": _mha,
    "nlpcourse.attention.positional_encoding": lambda: {"length": 4, "d_model": 8},
    "nlpcourse.attention.LayerNorm": lambda: {"d": 3},
    "nlpcourse.attention.encoder_layer": lambda: {"x": np.zeros((2, 3, 8)), "state_dict": _encoder_state_dict(),
                                                  "num_heads": 2},
    "nlpcourse.attention.signal.token_cross_entropy": lambda: {"logits": np.zeros((2, 3)), "targets": np.array([0, 2])},
    "nlpcourse.attention.figures.draw_decoder_step": lambda: {
        "words": ["a", "b", "c"], "scores": np.zeros(3), "weights": np.full(3, 1 / 3), "states": np.zeros((3, 2)),
        "context": np.zeros(2)},
    "nlpcourse.attention.figures.draw_positional_encoding": lambda: {"pe": np.zeros((4, 8))},
    "nlpcourse.attention.figures.draw_explorer": lambda: {"example": _example()},
    "nlpcourse.attention.train.TinyConfig": lambda: {},
    # ---- decoding (notebook 07)
    "nlpcourse.decoding.step.random_step": lambda: {"vocab_size": 4},
    "nlpcourse.decoding.count_sequences": lambda: {"vocab_size": 3, "max_new_tokens": 2},
    "nlpcourse.decoding.greedy_decode": _toy_search,
    "nlpcourse.decoding.exhaustive_decode": _toy_search,
    "nlpcourse.decoding.generate": lambda: _toy_search(num_beams=2),
    "nlpcourse.decoding.BeamConfig": lambda: {"num_beams": 2, "max_new_tokens": 3, "eos_token_id": 1,
                                              "pad_token_id": 0},
    "nlpcourse.decoding.step.counting": lambda: {"step": nlpcourse.decoding.toy_step()},
    "nlpcourse.decoding.figures.draw_beam_tree": lambda: {
        "state": nlpcourse.decoding.figures.search_tree(**_tree_search())},
    "nlpcourse.decoding.figures.search_tree": _tree_search,
    "nlpcourse.decoding.figures.draw_search_cost": lambda: {"vocab_size": 10},
    "nlpcourse.decoding.hf.TinyGPT2": lambda: {},
    "nlpcourse.decoding.hf.agreement": lambda: {},
    "nlpcourse.decoding.models.heldout_sentences": lambda: {"model": _course_lm()},
    "nlpcourse.decoding.models.tree_step": lambda: {"tree": _tree(), "center": np.zeros(2), "inner": np.zeros((3, 2))},
    "nlpcourse.decoding.widgets.BeamStepper": lambda: {"model": _course_lm()},
    "nlpcourse.decoding.widgets.beam_stepper": lambda: {"model": _course_lm()},
    "nlpcourse.decoding.sampling.SamplingConfig": lambda: {},
    # ---- the transformer (notebook 08)
    "nlpcourse.attention.split_heads": lambda: {"x": np.zeros((2, 3, 8)), "num_heads": 2},
    "nlpcourse.attention.merge_heads": lambda: {"x": np.zeros((2, 2, 3, 4))},
    "nlpcourse.transformer.sublayer": lambda: {"x": np.zeros((2, 3)), "f": lambda h: h, "weight": np.ones(3),
                                               "bias": np.zeros(3), "norm_first": False},
    "nlpcourse.transformer.feed_forward": lambda: {"x": np.zeros((2, 3, 8)), "state_dict": _encoder_state_dict()},
    "nlpcourse.transformer.cross_attention_step": lambda: {
        "query": np.zeros((2, 8)), "memory": np.zeros((2, 3, 8)),
        "p": nlpcourse.attention.mha_weights(_state_dict(), 8), "num_heads": 2, "pad": np.zeros((2, 3), bool)},
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
    "nlpcourse.transformer.train.DecoderLayer": lambda: {"embed_dim": 8, "num_heads": 2, "dim_feedforward": 16},
    "nlpcourse.transformer.train.Stack": lambda: {"layers": [], "embed_dim": 8},
    "nlpcourse.transformer.train.EncoderDecoder": lambda: {"d_model": 8, "nhead": 2, "num_encoder_layers": 1,
                                                           "num_decoder_layers": 1, "dim_feedforward": 16},
    "nlpcourse.transformer.train.Seq2Seq": lambda: {"config": _seq2seq().config},
    "nlpcourse.transformer.train.smoothed_kl": lambda: {"logits": torch.zeros(2, 3, 5, dtype=torch.float64),
                                                        "targets": torch.ones(2, 3, dtype=torch.int64)},
    "nlpcourse.transformer.train.overfit_batch": lambda: {"model": _seq2seq(), "task": _number_task(),
                                                          "numbers": [1, 2]},
    "nlpcourse.transformer.figures.draw_alignment": lambda: {
        "trace": _trace(), "human": np.zeros((len(_trace().output) - 1, len(_trace().source)))},
    "nlpcourse.transformer.figures.draw_step": lambda: {"trace": _trace(), "t": 0, "itos": _number_task().itos},
    "nlpcourse.transformer.translate.trace": lambda: {"model": _seq2seq(), "task": _number_task(),
                                                      "text": "twenty one"},
    "nlpcourse.transformer.translate.translate": lambda: {"model": _seq2seq(), "task": _number_task(),
                                                          "numbers": [21]},
    "nlpcourse.decoding.sampling.apply_temperature": lambda: {"scores": torch.zeros(2, 5), "temperature": 2.0},
    "nlpcourse.decoding.sampling.top_k_filter": lambda: {"scores": torch.zeros(2, 5), "k": 2},
    "nlpcourse.decoding.sampling.top_p_filter": lambda: {"scores": torch.zeros(2, 5), "p": 0.5},
    "nlpcourse.decoding.sampling.warp": lambda: {"scores": torch.zeros(2, 5)},
    "nlpcourse.decoding.sampling.filtered_distribution": lambda: {"logp": np.log(np.full(4, 0.25))},
    "nlpcourse.decoding.sampling.sample": _toy_search,
    "nlpcourse.decoding.sampling.diversity_vs_likelihood": lambda: {
        "step": nlpcourse.decoding.toy_step(), "prompts": [np.array([[0]])], "settings": {"τ = 1": {}},
        "max_new_tokens": 3, "eos_token_id": 1, "pad_token_id": 0},
    "nlpcourse.decoding.figures.draw_filtered": lambda: {"logp": np.log(np.full(4, 0.25)), "words": list("abcd"),
                                                         "settings": {"τ = 2": {"temperature": 2.0}}},
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
       ("nlpcourse.attention.merge_heads", "x"): np.zeros((2, 3, 8)),
       ("nlpcourse.attention.layer_norm", "x"): np.zeros(()),
       ("nlpcourse.attention.figures.heatmap", "rows"): None,  # row labels, not an array
       # passed on to multi_head_attention, whose messages call them by torch's names (attn_mask,
       # key_padding_mask); renaming them would change encoder_layer's source, shown in notebook 06
       ("nlpcourse.attention.encoder_layer", "src_mask"): None,
       ("nlpcourse.attention.encoder_layer", "src_key_padding_mask"): None,
       # likewise, 08's stacks: their masks go to 06's encoder_layer, then multi_head_attention
       **{(f"nlpcourse.transformer.{f}", m): None for f in ("encode", "transformer")
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


def _resolve(qual: str) -> object:
    """The object named ``qual`` (a module path, then attributes: ``nlpcourse.data.Vocab.build``)."""
    parts = qual.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(qual)


def _notebook_calls() -> dict[str, set[str]]:
    """The package's callables the notebooks call (by where they are defined) -> the notebooks calling them."""
    calls: dict[str, set[str]] = {}
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        alias: dict[str, str] = {}
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            lines = "".join(cell["source"]).splitlines()
            source = "\n".join(ln for ln in lines if not ln.lstrip().startswith(("%", "!")))  # magics
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    alias |= {a.asname or a.name.split(".")[0]: a.name if a.asname else a.name.split(".")[0]
                              for a in node.names if a.name.startswith("nlpcourse")}
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nlpcourse"):
                    alias |= {a.asname or a.name: f"{node.module}.{a.name}" for a in node.names}
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                f, parts = node.func, []
                while isinstance(f, ast.Attribute):
                    parts.append(f.attr)
                    f = f.value
                if isinstance(f, ast.Name) and f.id in alias:
                    try:
                        obj = _resolve(".".join([alias[f.id], *reversed(parts)]))
                    except (ImportError, AttributeError):
                        continue
                    if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj):
                        calls.setdefault(f"{obj.__module__}.{obj.__qualname__}", set()).add(path.name)
    return calls


_OBJECTS = {qual: _resolve(qual) for qual in STUDENT_API if qual not in SKIP_CALLABLES}


def _kind(p: inspect.Parameter) -> str:
    ann = str(p.annotation)
    if p.name in PROBABILITIES and "float" in ann:
        return "probability"
    if re.fullmatch(r"int( \| None)?", ann) and p.name not in ANY_INT:
        return "int"
    return ""


def _cases() -> list[tuple[str, str, object, type | tuple]]:
    cases = []
    for qual, obj in _OBJECTS.items():
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


def test_student_api_covers_what_the_notebooks_call():
    missing = {q: sorted(nbs) for q, nbs in _notebook_calls().items() if q not in STUDENT_API}
    assert missing == {}, f"add these rows to STUDENT_API (a notebook calls them): {missing}"
    assert len(set(STUDENT_API)) == len(STUDENT_API), "a row is listed twice"


def test_valid_values_only_for_the_student_api():
    stale = sorted(set(VALID) - set(STUDENT_API))
    assert stale == [], f"VALID rows for callables no longer in STUDENT_API (remove them): {stale}"


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


def test_every_config_is_one_style():
    """nanoGPT's GPTConfig style, one for all: a frozen dataclass on validate.Config whose __post_init__ stores the
    cleaned values (a numpy int becomes an int)."""
    import dataclasses

    from nlpcourse import validate

    configs = [q for q in STUDENT_API if q.endswith("Config") or q == "nlpcourse.decoding.hf.TinyGPT2"]
    assert len(configs) >= 11, configs
    for qual in configs:
        cls = _resolve(qual)
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, qual
        assert issubclass(cls, validate.Config), qual
    beam = nlpcourse.decoding.BeamConfig(np.int64(2), np.int64(3), np.int64(1), np.int64(0))
    assert all(type(getattr(beam, f)) is int for f in ("num_beams", "max_new_tokens", "eos_token_id", "pad_token_id"))
