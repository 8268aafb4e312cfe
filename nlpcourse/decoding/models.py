"""Real models as step functions: notebook 05's fixed-window neural LM, and notebook 02's hierarchical-softmax tree.

``course_lm()`` is notebook 05's model (``language_model.COURSE_LM`` settings, trained once and committed as
``data/window_lm.npz``, float32 weights exactly as trained, checked against ``data/SHA256SUMS``): loading it
takes milliseconds and gives the same model on every machine, where retraining (≈ 10 s) would not — float32
training on another CPU's kernels drifts in the last bits, and a near-tie between two beams could flip.
``window_lm_step(model)`` decodes with it; ``tree_step(tree, center, inner)`` turns the Huffman tree into a
step function whose tokens are tree nodes, so the same ``generate`` answers the lecture's inference question
(exhaustive / greedy / beam) over a hierarchical softmax. ``best_hypotheses``, ``diagnose_continuation`` and
``compare_searches`` are notebook 07's searches with the LM, one prompt or setting per call, so that
``parallel.starmap`` can run them side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import numpy as np
import torch

from .. import torch_threads, validate
from ..data import data_file, tokenize
from ..functional import log_sigmoid
from ..mlp import language_model
from . import (
    BeamConfig,
    StepFunction,
    ban,
    diagnose,
    expand,
    generate,
    greedy_decode,
    length_normalised,
    sequence_logprob,
    start,
)

__all__ = ["LM_FILE", "course_lm", "window_lm_step", "encode_prompt", "decode", "PROMPTS", "tree_step",
           "tree_prompt", "tree_leaf", "lm_step", "lm_search", "heldout_sentences", "continuation",
           "best_hypotheses", "diagnose_continuation", "compare_searches"]

LM_FILE = "window_lm.npz"

# Beginnings of sentences from the course corpus (lee_background.cor), all in the model's vocabulary.
PROMPTS = ("the government", "police said", "the united states", "he said the", "it is")


def course_lm():  # -> language_model.FixedWindowLM
    """Notebook 05's fixed-window LM, loaded from ``data/window_lm.npz`` (sha256-checked).

    Made by ``language_model.course_lm()`` with the ``COURSE_LM`` settings, weights saved as float32 (they were
    trained in float32, so nothing is lost).
    """
    return language_model.course_lm(data_file(LM_FILE))


def heldout_sentences(model, n: int = 20, max_words: int = 12, prompt_words: int = 2) -> list[tuple[str, list[str]]]:
    """Validation sentences of the LM's corpus split (never trained on) whose words are all in its vocabulary:
    up to n (prompt text, reference continuation words + "</s>"), in corpus order."""
    n = validate.positive_int(n, "n")
    max_words = validate.positive_int(max_words, "max_words")
    prompt_words = validate.positive_int(prompt_words, "prompt_words")
    lm = language_model
    cfg = lm.COURSE_LM
    _, val = lm.train_val_split(lm.load_documents(cfg["corpus"]), cfg["val_docs"])
    out: dict[tuple[str, ...], tuple[str, list[str]]] = {}  # the corpus repeats some sentences: once each
    for sent in val:
        if prompt_words < len(sent) <= max_words and all(w in model.vocab for w in sent):
            out.setdefault(tuple(sent), (" ".join(sent[:prompt_words]), [*sent[prompt_words:], lm.EOS]))
        if len(out) == n:
            break
    return list(out.values())


def window_lm_step(model) -> StepFunction:
    """The fixed-window LM as a step function: each prefix's last n ids (left-padded with <s>) -> (N, V)."""
    n, bos = model.n, model.bos_id
    # The model's forward pass, x = [E[w]…] -> tanh(W x + b) -> U h + c, in float64 torch on one thread: a
    # few beams per call are tiny matrices, for which BLAS threads on a busy machine cost 10× the work
    # (``model.logprobs`` also rebuilds its layers per call: fine for a training batch). Equal to
    # ``model.logprobs`` (tested).
    p = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in model.params.items()}
    W_t, U_t = p["W"].T.contiguous(), p["U"].T.contiguous()

    def step(prefixes: np.ndarray) -> np.ndarray:
        prefixes = np.asarray(prefixes, dtype=np.int64)
        if prefixes.shape[1] < n:
            pad = np.full((len(prefixes), n - prefixes.shape[1]), bos, dtype=np.int64)
            prefixes = np.concatenate([pad, prefixes], axis=1)
        with torch_threads(1):
            x = p["E"][torch.from_numpy(prefixes[:, -n:].copy())].reshape(len(prefixes), -1)
            return torch.log_softmax(torch.tanh(x @ W_t + p["b"]) @ U_t + p["c"], dim=-1).numpy()

    return step


def encode_prompt(model, text: str) -> np.ndarray:
    """A prompt for the LM: (1, 1 + words) ids, <s> first. Words outside the vocabulary are refused."""
    words = tokenize(validate.string(text, "text"), min_len=1)
    unknown = [w for w in words if w not in model.vocab]
    if unknown:
        raise KeyError(f"text: words not in the model's vocabulary: {unknown}")
    return np.array([[model.bos_id, *(model.vocab.stoi[w] for w in words)]], dtype=np.int64)


def decode(model, ids: Sequence[int], skip: Sequence[int] | None = None) -> str:
    """Token ids -> text, without <s> and padding (``skip``, default the <s> id); </s> is kept."""
    skip = {model.bos_id} if skip is None else set(skip)
    return " ".join(model.vocab.itos[i] for i in ids if i not in skip)


# ---------------------------------------------------------------- the hierarchical-softmax tree

def tree_prompt(tree) -> np.ndarray:
    """The prompt of a tree search: the root node, (1, 1)."""
    return np.array([[tree.root]], dtype=np.int64)


def tree_step(tree, center: np.ndarray, inner: np.ndarray) -> StepFunction:
    """An ``hsoftmax.HuffmanTree`` as a step function, center h (d,), inner θ_C (V−1, d); tokens are node ids
    0..2V−2 and EOS = 2V−1: after inner node n its left child has log σ(θ_C[n]·h), its right child log σ(−θ_C[n]·h);
    after a leaf only EOS. With ``length_penalty=0`` a search finds probable leaves (``tree_leaf`` reads them)."""
    V = tree.n_leaves
    center = validate.float_array(center, "center", ndim=1)
    inner = validate.float_array(inner, "inner", shape=(V - 1, len(center)))
    x = inner @ center  # (V-1,): every inner node's score, computed once
    eos = 2 * V - 1

    def step(prefixes: np.ndarray) -> np.ndarray:
        node = np.asarray(prefixes)[:, -1]
        out = np.full((len(node), 2 * V), -np.inf)
        leaf = node < V
        out[leaf, eos] = 0.0
        rows = np.flatnonzero(~leaf)
        j = node[rows] - V
        out[rows, tree.children[j, 0]] = log_sigmoid(x[j])
        out[rows, tree.children[j, 1]] = log_sigmoid(-x[j])
        return out

    return step


def tree_leaf(tree, sequence: Sequence[int]) -> str:
    """The word at the end of a tree path (the node before EOS)."""
    nodes = [int(t) for t in sequence if int(t) < tree.n_leaves]
    return tree.symbols[nodes[-1]] if nodes else ""


# ---------------------------------------------------------------- the LM's beam search, step by step

def lm_step(model) -> StepFunction:
    """The LM's step function as the notebook decodes with it: ``window_lm_step`` with <unk> banned."""
    return ban(window_lm_step(model), [model.unk_id])


def lm_search(model, text: str, *, num_beams: int = 3, length_penalty: float = 1.0, max_new_tokens: int = 12,
              early_stopping: bool | str = False, steps: int | None = None, step: StepFunction | None = None):
    """Beam search for the LM on one prompt, stopped after ``steps`` steps (None: to the end): its ``SearchState``."""
    cfg = BeamConfig(num_beams, max_new_tokens, model.eos_id, model.bos_id, length_penalty, early_stopping)
    if steps is not None:
        steps = validate.non_negative_int(steps, "steps")
    state = start(encode_prompt(model, text)[0])
    step = lm_step(model) if step is None else step
    V = None
    while not state.done and (steps is None or state.steps < steps):
        V = expand(step, [state], cfg, V)
    return state


# ---------------------------------------------------------------- the notebook's searches with the LM

def continuation(model, sequence: Sequence[int], prompt: np.ndarray) -> list[int]:
    """The generated tokens of a search's output row: ``sequence`` after the prompt's P ids (``prompt`` (1, P), as
    ``encode_prompt`` gives it), without padding (the <s> id)."""
    sequence = validate.int_array(sequence, "sequence", ndim=1)
    P = validate.int_array(prompt, "prompt", shape=(1, None)).shape[1]
    return [t for t in sequence[P:].tolist() if t != model.bos_id]


# The notebook's jobs for ``parallel.starmap`` (functions of their arguments alone, whose results pickle): the
# search's settings come as a ``BeamConfig`` (``generate``'s keywords), the step function is built once by the
# caller (None: ``lm_step(model)``).

def _generate_kw(cfg: object, name: str = "cfg") -> dict:
    """A ``BeamConfig`` as ``generate``'s keyword arguments (TypeError naming ``name`` for anything else)."""
    if not isinstance(cfg, BeamConfig):
        raise TypeError(f"{name}: expected a decoding.BeamConfig, got {cfg!r:.60} ({type(cfg).__name__})")
    return asdict(cfg)


def _best_continuation(model, step: StepFunction, prompt: np.ndarray, kw: dict) -> tuple[list[int], float]:
    """Beam search (``generate``'s keywords ``kw``) from one encoded prompt (1, P): the best hypothesis's generated
    tokens and its score."""
    seqs, scores = generate(step, prompt, **kw)
    return continuation(model, seqs[0], prompt), float(scores[0])


def best_hypotheses(model, texts: Sequence[str], cfg: BeamConfig,
                    step: StepFunction | None = None) -> tuple[list[int], list[float]]:
    """Beam search (``cfg``) from each prompt text: the best hypothesis's length (generated tokens, EOS
    included) and its raw log-probability Σ log p, a list each in the texts' order."""
    kw = _generate_kw(cfg)
    if isinstance(texts, str):
        raise TypeError(f"texts: expected a list of prompt texts, got a str ({texts!r})")
    step = lm_step(model) if step is None else step
    lengths, logps = [], []
    for text in validate.non_empty(texts, "texts", what="prompt texts"):
        prompt = encode_prompt(model, text)
        out, _ = _best_continuation(model, step, prompt, kw)
        lengths.append(len(out))
        logps.append(sequence_logprob(step, prompt[0], out))
    return lengths, logps


def diagnose_continuation(model, text: str, reference: Sequence[str], cfg: BeamConfig,
                          step: StepFunction | None = None) -> dict:
    """Beam search (``cfg``) continues ``text``; its output against the ``reference`` words (ending "</s>"): a
    table row (prompt, reference, log p(ref), beam output, log p(output), verdict: ``diagnose``'s)."""
    kw = _generate_kw(cfg)
    unknown = [w for w in validate.non_empty(reference, "reference", what="words") if w not in model.vocab]
    if unknown:
        raise KeyError(f"reference: words not in the model's vocabulary: {unknown}")
    step = lm_step(model) if step is None else step
    prompt = encode_prompt(model, text)
    (out, _), ref = _best_continuation(model, step, prompt, kw), [model.vocab.stoi[w] for w in reference]
    return {"prompt": text, "reference": " ".join(reference[:-1]),
            "log p(ref)": sequence_logprob(step, prompt[0], ref),
            "beam output": decode(model, out[:-1]), "log p(output)": sequence_logprob(step, prompt[0], out),
            "verdict": diagnose(step, prompt[0], out, ref)}


def compare_searches(model, text: str, configs: Sequence[BeamConfig], step: StepFunction | None = None) -> list[dict]:
    """Greedy search, then beam search with each config, from one prompt text: a row each (prompt, search,
    continuation, log p: the raw Σ log p, score: ``length_normalised``). Greedy runs with the length limit, tokens
    and α that the configs share."""
    kws = [_generate_kw(c, "configs") for c in validate.non_empty(configs, "configs", what="BeamConfigs")]
    names = ("max_new_tokens", "eos_token_id", "pad_token_id", "length_penalty")
    shared = {tuple(kw[k] for k in names) for kw in kws}
    if len(shared) > 1:
        raise ValueError(f"configs: expected the same {', '.join(names)} in every config (greedy search runs with "
                         f"them), got {sorted(shared, key=str)}")
    T, eos, pad, alpha = shared.pop()
    step = lm_step(model) if step is None else step
    prompt = encode_prompt(model, text)
    g, glp = greedy_decode(step, prompt, max_new_tokens=T, eos_token_id=eos, pad_token_id=pad)
    out = continuation(model, g[0], prompt)
    rows = [{"prompt": text, "search": "greedy", "continuation": decode(model, out), "log p": glp[0],
             "score": length_normalised(glp[0], len(out), alpha)}]
    for kw in kws:
        out, score = _best_continuation(model, step, prompt, kw)
        rows.append({"prompt": text, "search": f"beam k = {kw['num_beams']}", "continuation": decode(model, out),
                     "log p": sequence_logprob(step, prompt[0], out), "score": score})
    return rows
