"""Notebook 06: attention, from one decoder step to a transformer encoder block — the math, in numpy.

Read top to bottom in the notebook's order: dot-product attention over encoder states (seq2seq), the
"Thinking Machines" example, why the scores are divided by √d_k, scaled dot-product attention and its
backward pass, masks, multi-head attention from a ``torch.nn.MultiheadAttention`` state_dict, the
sinusoidal positional encoding, LayerNorm with its backward, a whole ``TransformerEncoderLayer``, and the
training signal (cross-entropy, entropy, KL; in ``.signal``). The batched torch version and the toy transformer live in
``nlpcourse.attention.train``, the drawings in ``.figures``.

Conventions (torch's): a batch is first; queries are (..., L, d), keys (..., S, d), values (..., S, d_v).
A **mask** is either bool, ``True`` = *not allowed to attend* (as in ``nn.MultiheadAttention``; note that
``F.scaled_dot_product_attention`` uses the opposite meaning), or float, *added* to the scores (−inf
forbids). A query whose every key is masked attends to nothing: its weights are 0 and its output is 0 —
torch's ``MultiheadAttention`` returns NaN there when it returns weights, and 0 on its
``scaled_dot_product_attention`` path (``need_weights=False``, the one ``TransformerEncoderLayer`` uses);
we take the finite answer everywhere, because one NaN row spreads into every later layer and the loss.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..functional import softmax
from ..validate import float_array, int_array, keys, non_negative_int, positive_float, positive_int
from .signal import cross_entropy, entropy, kl_divergence, token_cross_entropy  # section 9, in signal.py

__all__ = [
    "dot_product_attention", "thinking_machines", "dot_product_variance", "softmax_saturation",
    "masked_softmax", "scaled_dot_product_attention", "softmax_backward", "sdpa_backward", "causal_mask",
    "padding_mask",
    "attention_bias", "split_heads", "merge_heads", "mha_weights", "multi_head_attention",
    "positional_encoding", "layer_norm", "LayerNorm", "encoder_layer", "entropy", "cross_entropy",
    "kl_divergence", "token_cross_entropy",
]

# ---------------------------------------------------------------- 1. seq2seq: one decoder step attends


def dot_product_attention(query: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One decoder step of (Luong) dot-product attention over the encoder's hidden states.

    Args:
        query: the decoder's hidden state, shape (d,).
        states: the encoder's hidden states, one per source word, shape (T, d).
    Returns:
        (scores (T,) = states · query, weights (T,) = softmax(scores), context (d,) = weightsᵀ · states).
    """
    sizes: dict[str, int] = {}
    query = float_array(query, "query", shape=("d",), sizes=sizes)
    states = float_array(states, "states", shape=("T", "d"), sizes=sizes)
    scores = states @ query
    weights = softmax(scores)
    return scores, weights, weights @ states


# ---------------------------------------------------------------- 2. "Thinking Machines", step by step


def thinking_machines(d_model: int = 512, d_k: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
    """The paper's sizes for a two-word input ("Thinking", "Machines"): embeddings and projections.

    Embeddings are N(0, 1), the projections N(0, 1/d_model) (so q, k, v have entries of size about 1).

    Returns:
        dict with ``X`` (2, d_model) and ``W_Q``, ``W_K``, ``W_V`` (d_model, d_k).
    """
    d_model, d_k = positive_int(d_model, "d_model"), positive_int(d_k, "d_k")
    rng = np.random.default_rng(non_negative_int(seed, "seed"))
    out = {"X": rng.standard_normal((2, d_model))}
    for name in ("W_Q", "W_K", "W_V"):
        out[name] = rng.standard_normal((d_model, d_k)) / np.sqrt(d_model)
    return out


# ---------------------------------------------------------------- 3. why √d_k


def dot_product_variance(dims: list[int], samples: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Measured mean and variance of q·k for q, k with independent N(0, 1) entries, for each d in ``dims``.

    Theory: mean 0, variance d (a sum of d products of variance 1); q·k/√d has variance 1.

    Returns:
        DataFrame indexed by d with columns ``mean q·k``, ``var q·k``, ``var q·k/√d``.
    """
    samples = positive_int(samples, "samples")
    rng = np.random.default_rng(non_negative_int(seed, "seed"))
    rows = []
    for d in dims:
        d = positive_int(d, "dims")
        dots = np.einsum("nd,nd->n", rng.standard_normal((samples, d)), rng.standard_normal((samples, d)))
        rows.append((d, dots.mean(), dots.var(), (dots / np.sqrt(d)).var()))
    return pd.DataFrame(rows, columns=["d", "mean q·k", "var q·k", "var q·k/√d"]).set_index("d")


def softmax_saturation(dims: list[int], keys_per_query: int = 10, samples: int = 500,
                       seed: int = 0) -> pd.DataFrame:
    """How peaked softmax(q·K) gets, and how small its gradient, with and without dividing by √d.

    For random q (d,) and K (keys_per_query, d) with N(0, 1) entries, the largest weight and the size
    ‖J‖_F of the softmax Jacobian J = diag(p) − ppᵀ (the factor every gradient through the softmax is
    multiplied by), averaged over ``samples`` draws.

    Returns:
        DataFrame indexed by d with columns ``max weight (÷√d)``, ``max weight (raw)``, ``‖J‖ (÷√d)``,
        ``‖J‖ (raw)``.
    """
    keys_per_query = positive_int(keys_per_query, "keys_per_query")
    samples = positive_int(samples, "samples")
    rng = np.random.default_rng(non_negative_int(seed, "seed"))
    rows = {}
    for d in dims:
        d = positive_int(d, "dims")
        q = rng.standard_normal((samples, 1, d))
        k = rng.standard_normal((samples, keys_per_query, d))
        raw = (q @ k.swapaxes(1, 2))[:, 0]  # (samples, keys)
        row = {}
        for how, scores in (("÷√d", raw / np.sqrt(d)), ("raw", raw)):
            p = softmax(scores)
            jac = np.eye(keys_per_query) * p[:, :, None] - p[:, :, None] * p[:, None, :]
            row[f"max weight ({how})"] = p.max(axis=1).mean()
            row[f"‖J‖ ({how})"] = np.linalg.norm(jac, axis=(1, 2)).mean()
        rows[d] = row
    df = pd.DataFrame.from_dict(rows, orient="index").rename_axis("d")
    return df[["max weight (÷√d)", "max weight (raw)", "‖J‖ (÷√d)", "‖J‖ (raw)"]]


# ---------------------------------------------------------------- 4. scaled dot-product attention


def _qkv(q: object, k: object, v: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """q (..., L, d), k (..., S, d), v (..., S, d_v) as float64, with the same leading axes."""
    q = float_array(q, "q")
    if q.ndim < 2:
        raise ValueError(f"q: expected shape (..., L, d), got {q.shape}")
    lead = q.shape[:-2]
    sizes = {"d": q.shape[-1]}
    k = float_array(k, "k", shape=(*lead, "S", "d"), sizes=sizes)
    v = float_array(v, "v", shape=(*lead, "S", None), sizes=sizes)
    return q, k, v


def _scale(scale: float | None, d: int) -> float:
    if scale is None:
        return 1.0 / np.sqrt(d)
    return positive_float(scale, "scale")


def _mask_as_bias(mask: object, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A bool (True = masked) or float (added) mask, broadcastable to ``shape``, as a float additive bias."""
    if hasattr(mask, "detach"):
        mask = mask.detach().cpu().numpy()
    mask = np.asarray(mask)
    if mask.dtype == np.bool_:
        bias = np.where(mask, -np.inf, 0.0)
    elif np.issubdtype(mask.dtype, np.floating):
        bias = mask.astype(np.float64)
        if np.any(np.isnan(bias)) or np.any(bias == np.inf):
            raise ValueError(f"{name}: a float mask may hold finite numbers and -inf, got NaN or +inf")
    else:
        raise TypeError(f"{name}: expected a bool mask (True = masked) or a float mask (added to the scores), "
                        f"got dtype {mask.dtype}")
    try:
        np.broadcast_shapes(bias.shape, shape)
    except ValueError:
        raise ValueError(f"{name}: expected a shape that broadcasts to the scores' {shape}, "
                         f"got {bias.shape}") from None
    return bias


def masked_softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax over the last axis; a row that is all −inf (every key masked) gives all zeros.

    Args:
        scores: float array (..., S), entries finite or −inf.
    Returns:
        weights, same shape, each row summing to 1 (or to 0 for a fully masked row).
    """
    scores = np.asarray(scores, dtype=np.float64)
    dead = np.all(scores == -np.inf, axis=-1, keepdims=True)
    return np.where(dead, 0.0, softmax(np.where(dead, 0.0, scores)))


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None,
                                 *, scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Attention(Q, K, V) = softmax(QKᵀ/√d + mask) V, batched over any leading axes.

    Args:
        q: queries (..., L, d); k: keys (..., S, d); v: values (..., S, d_v).
        mask: None, or bool (True = masked) / float (added) broadcastable to (..., L, S).
        scale: the factor on QKᵀ; default 1/√d.
    Returns:
        (out (..., L, d_v), weights (..., L, S)); a query with every key masked gets zero weights and out.
    """
    q, k, v = _qkv(q, k, v)
    scores = (q @ k.swapaxes(-1, -2)) * _scale(scale, q.shape[-1])
    if mask is not None:
        scores = scores + _mask_as_bias(mask, "mask", scores.shape)
    weights = masked_softmax(scores)
    return weights @ v, weights


def softmax_backward(d_weights: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The softmax's backward, row-wise: ∂L/∂S = P ⊙ (∂L/∂P − rowsum(∂L/∂P ⊙ P)).

    It is the Jacobian diag(p) − ppᵀ of each row applied to that row's upstream gradient.

    Args:
        d_weights: ∂L/∂P, shape (..., S); weights: P = softmax(S), same shape.
    Returns:
        ∂L/∂S, same shape.
    """
    d_weights = float_array(d_weights, "d_weights")
    weights = float_array(weights, "weights", shape=d_weights.shape)
    return weights * (d_weights - (d_weights * weights).sum(axis=-1, keepdims=True))


def sdpa_backward(d_out: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, weights: np.ndarray,
                  *, scale: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of :func:`scaled_dot_product_attention` (a mask only enters through ``weights``).

    With P = weights and c the scale (1/√d): dV = Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)),
    dQ = c dS K, dK = c dSᵀ Q. When Q, K and V are one tensor, its gradient is dQ + dK + dV.

    Args:
        d_out: ∂L/∂out (..., L, d_v); q (..., L, d); k (..., S, d); v (..., S, d_v);
        weights: the forward's weights (..., L, S).
        scale: as in the forward.
    Returns:
        (dq (..., L, d), dk (..., S, d), dv (..., S, d_v)).
    """
    q, k, v = _qkv(q, k, v)
    lead, L, S = q.shape[:-2], q.shape[-2], k.shape[-2]
    d_out = float_array(d_out, "d_out", shape=(*lead, L, v.shape[-1]))
    weights = float_array(weights, "weights", shape=(*lead, L, S))
    c = _scale(scale, q.shape[-1])
    dv = weights.swapaxes(-1, -2) @ d_out
    d_weights = d_out @ v.swapaxes(-1, -2)
    d_scores = softmax_backward(d_weights, weights)
    return c * d_scores @ k, c * d_scores.swapaxes(-1, -2) @ q, dv


# ---------------------------------------------------------------- 6. masks


def causal_mask(length: int, source_length: int | None = None) -> np.ndarray:
    """The decoder's mask: query i may not see keys j > i. Bool (L, S), True = masked (above the diagonal)."""
    L = positive_int(length, "length")
    S = L if source_length is None else positive_int(source_length, "source_length")
    return np.triu(np.ones((L, S), dtype=bool), k=1)


def padding_mask(lengths: list[int] | np.ndarray, max_length: int) -> np.ndarray:
    """Key-padding mask for sequences of the given lengths, padded to ``max_length``: bool (N, S), True = pad."""
    S = positive_int(max_length, "max_length")
    lengths = int_array(lengths, "lengths", ndim=1)
    if np.any((lengths < 0) | (lengths > S)):
        raise ValueError(f"lengths: expected lengths in [0, {S}], got {lengths.tolist()}")
    return np.arange(S)[None, :] >= lengths[:, None]


def attention_bias(attn_mask: object, key_padding_mask: object, batch: int, num_heads: int, target_length: int,
                   source_length: int) -> np.ndarray | None:
    """torch's two masks merged into one additive bias on the scores, as ``multi_head_attention_forward`` does.

    Args:
        attn_mask: None, (L, S) for every sequence and head, or (N·num_heads, L, S) with row n·num_heads + h
            for sequence n, head h; bool (True = masked) or float (added).
        key_padding_mask: None or (N, S), bool (True = padding) or float (added).
        batch, num_heads, target_length, source_length: N, H, L, S.
    Returns:
        None (no mask) or a float array broadcastable to (N, H, L, S).
    """
    N, H = positive_int(batch, "batch"), positive_int(num_heads, "num_heads")
    L, S = positive_int(target_length, "target_length"), positive_int(source_length, "source_length")
    bias = None
    if attn_mask is not None:
        ndim = np.ndim(attn_mask)
        want = {2: (L, S), 3: (N * H, L, S)}
        if ndim not in want or np.shape(attn_mask) != want[ndim]:
            raise ValueError(f"attn_mask: expected shape (L, S) = {(L, S)} or (N·num_heads, L, S) = "
                             f"{(N * H, L, S)}, got {tuple(np.shape(attn_mask))}")
        bias = _mask_as_bias(attn_mask, "attn_mask", want[ndim])
        bias = bias if ndim == 2 else bias.reshape(N, H, L, S)
    if key_padding_mask is not None:
        if tuple(np.shape(key_padding_mask)) != (N, S):
            raise ValueError(f"key_padding_mask: expected shape (N, S) = {(N, S)}, "
                             f"got {tuple(np.shape(key_padding_mask))}")
        pad = _mask_as_bias(key_padding_mask, "key_padding_mask", (N, S))[:, None, None, :]
        bias = pad if bias is None else bias + pad
    return bias


# ---------------------------------------------------------------- 5. multi-head attention


def split_heads(x: np.ndarray, num_heads: int) -> np.ndarray:
    """(N, L, E) -> (N, num_heads, L, E / num_heads): head h gets features h·D … (h+1)·D − 1 of every position.

    A reshape (N, L, H, D) then a transpose of the L and H axes — a reshape alone would mix positions.
    """
    x = float_array(x, "x", ndim=3)
    N, L, E = x.shape
    H = positive_int(num_heads, "num_heads")
    if E % H:
        raise ValueError(f"num_heads: embed_dim {E} is not divisible by num_heads {H}")
    return x.reshape(N, L, H, E // H).transpose(0, 2, 1, 3)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """The inverse of :func:`split_heads`: (N, H, L, D) -> (N, L, H·D), the heads concatenated per position."""
    x = float_array(x, "x", ndim=4)
    N, H, L, D = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, L, H * D)


MHA_KEYS = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")


def mha_weights(state_dict: Mapping[str, object], embed_dim: int, name: str = "state_dict",
                prefix: str = "") -> dict[str, np.ndarray]:
    """The four arrays of a ``torch.nn.MultiheadAttention(embed_dim, ...)`` state_dict, checked, as float64.

    Returns:
        dict with ``W_q``, ``W_k``, ``W_v``, ``W_o`` (E, E) and ``b_q``, ``b_k``, ``b_v``, ``b_o`` (E,):
        ``in_proj_weight`` (3E, E) is W_q, W_k, W_v stacked by rows.
    """
    E = positive_int(embed_dim, "embed_dim")
    keys(state_dict, name, [prefix + k for k in MHA_KEYS])
    shapes = {"in_proj_weight": (3 * E, E), "in_proj_bias": (3 * E,), "out_proj.weight": (E, E),
              "out_proj.bias": (E,)}
    arr = {k: float_array(state_dict[prefix + k], f"{name}[{prefix + k!r}]", shape=s) for k, s in shapes.items()}
    w, b = np.split(arr["in_proj_weight"], 3), np.split(arr["in_proj_bias"], 3)
    return {"W_q": w[0], "W_k": w[1], "W_v": w[2], "W_o": arr["out_proj.weight"],
            "b_q": b[0], "b_k": b[1], "b_v": b[2], "b_o": arr["out_proj.bias"]}


def multi_head_attention(query: np.ndarray, key: np.ndarray, value: np.ndarray, state_dict: Mapping[str, object],
                         num_heads: int, *, attn_mask: np.ndarray | None = None,
                         key_padding_mask: np.ndarray | None = None,
                         average_attn_weights: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``torch.nn.MultiheadAttention(E, num_heads, batch_first=True)``'s forward, from its ``state_dict()``.

    One E × E projection each for Q, K, V; split into num_heads heads of head_dim = E / num_heads; scaled
    dot-product attention in every head; heads concatenated and multiplied by W_O.

    Args:
        query: (N, L, E); key, value: (N, S, E).
        state_dict: ``in_proj_weight`` (3E, E), ``in_proj_bias`` (3E,), ``out_proj.weight`` (E, E),
            ``out_proj.bias`` (E,) — torch tensors or numpy arrays.
        num_heads: H, a divisor of E.
        attn_mask: None, (L, S) or (N·H, L, S); bool (True = masked) or float (added to the scores).
        key_padding_mask: None or (N, S); bool (True = padding) or float.
        average_attn_weights: return the weights averaged over heads (torch's default) or per head.
    Returns:
        (out (N, L, E), weights (N, L, S), or (N, H, L, S) when not averaged).
    """
    sizes: dict[str, int] = {}
    query = float_array(query, "query", shape=("N", "L", "E"), sizes=sizes)
    key = float_array(key, "key", shape=("N", "S", "E"), sizes=sizes)
    value = float_array(value, "value", shape=("N", "S", "E"), sizes=sizes)
    H = positive_int(num_heads, "num_heads")
    N, L, E = query.shape
    S = key.shape[1]
    if E % H:
        raise ValueError(f"num_heads: embed_dim {E} is not divisible by num_heads {H}")
    p = mha_weights(state_dict, E)
    bias = attention_bias(attn_mask, key_padding_mask, N, H, L, S)
    q = split_heads(query @ p["W_q"].T + p["b_q"], H)  # (N, H, L, D)
    k = split_heads(key @ p["W_k"].T + p["b_k"], H)  # (N, H, S, D)
    v = split_heads(value @ p["W_v"].T + p["b_v"], H)
    heads, weights = scaled_dot_product_attention(q, k, v, bias)  # (N, H, L, D), (N, H, L, S)
    out = merge_heads(heads) @ p["W_o"].T + p["b_o"]
    return out, (weights.mean(axis=1) if average_attn_weights else weights)


# ---------------------------------------------------------------- 7. positional encoding


def positional_encoding(length: int, d_model: int) -> np.ndarray:
    """The sinusoidal encoding: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same); (length, d)."""
    length, d = positive_int(length, "length"), positive_int(d_model, "d_model")
    if d % 2:
        raise ValueError(f"d_model: expected an even number (sin/cos pairs), got {d}")
    angles = np.arange(length)[:, None] / 10000.0 ** (np.arange(0, d, 2) / d)  # (length, d/2)
    pe = np.empty((length, d))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angles), np.cos(angles)
    return pe


# ---------------------------------------------------------------- 8. LayerNorm, the encoder block


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Normalise each position over its features: γ ⊙ (x − mean)/sqrt(var + ε) + β; x (..., d) -> (..., d)."""
    x = float_array(x, "x")
    if x.ndim < 1:
        raise ValueError(f"x: expected shape (..., d), got {x.shape}")
    sizes = {"d": x.shape[-1]}
    weight = float_array(weight, "weight", shape=("d",), sizes=sizes)
    bias = float_array(bias, "bias", shape=("d",), sizes=sizes)
    eps = positive_float(eps, "eps")
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return weight * (x - mean) / np.sqrt(var + eps) + bias


class LayerNorm:
    """Layer normalisation of (..., d) inputs over the last axis, with γ (d,), β (d,), as ``torch.nn.LayerNorm``.

    Unlike the MLP notebook's BatchNorm (statistics over the batch, per feature), each example is
    normalised on its own (statistics over its features): no running averages, the same in training and
    evaluation, independent of the batch size.
    """

    def __init__(self, d: int, eps: float = 1e-5) -> None:
        self.d = positive_int(d, "d")
        self.eps = positive_float(eps, "eps")
        self.params = {"gamma": np.ones(self.d), "beta": np.zeros(self.d)}
        self.grads: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return f"LayerNorm({self.d})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (..., d) -> γ ⊙ x̂ + β, x̂ = (x − μ)/sqrt(σ² + ε) with μ, σ² over the last axis."""
        x = float_array(x, "x")
        if x.ndim < 1 or x.shape[-1] != self.d:
            raise ValueError(f"x: expected shape (..., {self.d}), got {x.shape}")
        self.inv_std = 1 / np.sqrt(x.var(axis=-1, keepdims=True) + self.eps)
        self.xhat = (x - x.mean(axis=-1, keepdims=True)) * self.inv_std
        return self.params["gamma"] * self.xhat + self.params["beta"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """∂L/∂out (..., d) -> ∂L/∂x (..., d); stores ∂L/∂γ, ∂L/∂β (summed over every position).

        dx = inv_std / d · (d·dx̂ − Σ dx̂ − x̂ Σ dx̂ ⊙ x̂), the sums over the features: the same formula as
        BatchNorm's, with the roles of the batch and the feature axes swapped.
        """
        dout = float_array(dout, "dout", shape=self.xhat.shape)
        lead = tuple(range(dout.ndim - 1))
        self.grads = {"gamma": (dout * self.xhat).sum(axis=lead), "beta": dout.sum(axis=lead)}
        dxhat = dout * self.params["gamma"]
        return self.inv_std / self.d * (self.d * dxhat - dxhat.sum(axis=-1, keepdims=True)
                                        - self.xhat * (dxhat * self.xhat).sum(axis=-1, keepdims=True))


ENCODER_KEYS = ("linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
                "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")


def encoder_layer(x: np.ndarray, state_dict: Mapping[str, object], num_heads: int, *,
                  src_mask: np.ndarray | None = None, src_key_padding_mask: np.ndarray | None = None,
                  eps: float = 1e-5) -> np.ndarray:
    """``torch.nn.TransformerEncoderLayer(E, num_heads, F, dropout=0.0, batch_first=True)`` (post-norm, ReLU).

    h = LayerNorm₁(x + SelfAttention(x)); out = LayerNorm₂(h + W₂ ReLU(W₁ h + b₁) + b₂).

    Args:
        x: (N, L, E).
        state_dict: the layer's ``state_dict()``: ``self_attn.*`` (see :func:`multi_head_attention`),
            ``linear1.weight`` (F, E), ``linear1.bias`` (F,), ``linear2.weight`` (E, F), ``linear2.bias`` (E,),
            ``norm1.*``, ``norm2.*`` (E,).
        num_heads: H, a divisor of E.
        src_mask: the self-attention's attn_mask, (L, L) or (N·H, L, L); src_key_padding_mask: (N, L).
        eps: the LayerNorms' ε (torch's layer_norm_eps).
    Returns:
        (N, L, E).
    """
    x = float_array(x, "x", ndim=3)
    E = x.shape[-1]
    keys(state_dict, "state_dict", ENCODER_KEYS)
    mha_weights(state_dict, E, prefix="self_attn.")  # errors name the layer's own keys
    w1 = float_array(state_dict["linear1.weight"], "state_dict['linear1.weight']", shape=("F", E))
    F = w1.shape[0]
    b1 = float_array(state_dict["linear1.bias"], "state_dict['linear1.bias']", shape=(F,))
    w2 = float_array(state_dict["linear2.weight"], "state_dict['linear2.weight']", shape=(E, F))
    b2 = float_array(state_dict["linear2.bias"], "state_dict['linear2.bias']", shape=(E,))
    attn = {k.removeprefix("self_attn."): v for k, v in state_dict.items() if k.startswith("self_attn.")}
    sa, _ = multi_head_attention(x, x, x, attn, num_heads, attn_mask=src_mask, key_padding_mask=src_key_padding_mask)
    h = layer_norm(x + sa, state_dict["norm1.weight"], state_dict["norm1.bias"], eps)
    ff = np.maximum(h @ w1.T + b1, 0.0) @ w2.T + b2
    return layer_norm(h + ff, state_dict["norm2.weight"], state_dict["norm2.bias"], eps)
