"""Notebook 06: attention, from one decoder step to a transformer encoder block — the math, in numpy.

Sections in the notebook's order: 1 seq2seq attention, 2 "Thinking Machines", 3 why √d, 4 scaled dot-product
attention and its backward, 5 multi-head attention (from a ``torch.nn.MultiheadAttention`` state_dict),
6 masks, 7 positional encoding, 8 LayerNorm and the encoder block, 9 the training signal (``.signal``).
The batched torch model is in ``.train``, the drawings in ``.figures``.

Shapes are torch's, batch first: queries (..., L, d), keys (..., S, d), values (..., S, d_v); L and S are
the numbers of queries and keys (the notebook writes T_q and T_k). A mask is bool, True = *may not attend*
(``nn.MultiheadAttention``'s meaning; ``F.scaled_dot_product_attention`` uses the opposite), or float, added
to the scores. A query whose every key is masked attends to nothing: weights 0, output 0 (torch returns NaN
there when it returns weights, 0 on its fused path; one NaN row would spread into every later layer).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..functional import softmax
from ..validate import float_array, int_array, keys, non_negative_int, positive_float, positive_int
from .signal import cross_entropy, entropy, kl_divergence, token_cross_entropy  # section 9

__all__ = [
    "dot_product_attention", "thinking_machines", "dot_product_variance", "softmax_saturation",
    "masked_softmax", "scaled_dot_product_attention", "sdpa_backward", "split_heads", "merge_heads",
    "mha_weights", "multi_head_attention", "layer_norm", "causal_mask", "padding_mask", "positional_encoding",
    "LayerNorm",
    "encoder_layer", "entropy", "cross_entropy", "kl_divergence", "token_cross_entropy",
]

# ---------------------------------------------------------------- 1. seq2seq: one decoder step attends


def dot_product_attention(query: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Luong's dot-product attention: scores s = states · query (T,), a = softmax(s) (T,), context aᵀ states (d,)."""
    sizes: dict[str, int] = {}
    query = float_array(query, "query", shape=("d",), sizes=sizes)
    states = float_array(states, "states", shape=("T", "d"), sizes=sizes)
    scores = states @ query  # (T,)
    weights = softmax(scores)
    return scores, weights, weights @ states


# ---------------------------------------------------------------- 2. "Thinking Machines", step by step


def thinking_machines(d_model: int = 512, d_k: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
    """The paper's sizes for two words: ``X`` (2, d_model) ~ N(0, 1); ``W_Q``, ``W_K``, ``W_V`` (d_model, d_k)
    ~ N(0, 1/d_model), so q, k, v have entries of size about 1."""
    d_model, d_k = positive_int(d_model, "d_model"), positive_int(d_k, "d_k")
    rng = np.random.default_rng(non_negative_int(seed, "seed"))
    out = {"X": rng.standard_normal((2, d_model))}
    for name in ("W_Q", "W_K", "W_V"):
        out[name] = rng.standard_normal((d_model, d_k)) / np.sqrt(d_model)
    return out


# ---------------------------------------------------------------- 3. why √d_k


def dot_product_variance(dims: list[int], samples: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Measured mean and variance of q·k (theory: 0 and d) and of q·k/√d (theory: 1), q, k ~ N(0, I_d), per d."""
    dims = [positive_int(d, "dims") for d in dims]
    samples = positive_int(samples, "samples")
    rng = np.random.default_rng(non_negative_int(seed, "seed"))
    rows = []
    for d in dims:
        dots = np.einsum("nd,nd->n", rng.standard_normal((samples, d)), rng.standard_normal((samples, d)))
        rows.append((d, dots.mean(), dots.var(), (dots / np.sqrt(d)).var()))
    return pd.DataFrame(rows, columns=["d", "mean q·k", "var q·k", "var q·k/√d"]).set_index("d")


def softmax_saturation(dims: list[int], keys_per_query: int = 10, samples: int = 500,
                       seed: int = 0) -> pd.DataFrame:
    """Mean largest weight of softmax(q·K) and mean ‖J‖_F, J = diag(p) − ppᵀ, with and without ÷√d, per d."""
    dims = [positive_int(d, "dims") for d in dims]
    n_keys, samples = positive_int(keys_per_query, "keys_per_query"), positive_int(samples, "samples")
    rng = np.random.default_rng(non_negative_int(seed, "seed"))
    rows = {}
    for d in dims:
        q = rng.standard_normal((samples, 1, d))
        k = rng.standard_normal((samples, n_keys, d))
        raw = (q @ k.swapaxes(1, 2))[:, 0]  # (samples, keys)
        row = {}
        for how, scores in (("÷√d", raw / np.sqrt(d)), ("raw", raw)):
            p = softmax(scores)
            jac = np.eye(n_keys) * p[:, :, None] - p[:, :, None] * p[:, None, :]  # (samples, keys, keys)
            row[f"max weight ({how})"] = p.max(axis=1).mean()
            row[f"‖J‖ ({how})"] = np.linalg.norm(jac, axis=(1, 2)).mean()
        rows[d] = row
    df = pd.DataFrame.from_dict(rows, orient="index").rename_axis("d")
    return df[["max weight (÷√d)", "max weight (raw)", "‖J‖ (÷√d)", "‖J‖ (raw)"]]


# ---------------------------------------------------------------- 4. scaled dot-product attention


def _qkv(q: object, k: object, v: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """q (..., L, d), k (..., S, d), v (..., S, d_v) as float64 with the same leading axes, or a ValueError."""
    q = float_array(q, "q")
    if q.ndim < 2:
        raise ValueError(f"q: expected shape (..., L, d), got {q.shape}")
    sizes = {"d": q.shape[-1]}
    k = float_array(k, "k", shape=(*q.shape[:-2], "S", "d"), sizes=sizes)
    v = float_array(v, "v", shape=(*q.shape[:-2], "S", None), sizes=sizes)
    return q, k, v


def _mask_as_bias(mask: object, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A bool (True = masked) or float (added) mask, broadcastable to ``shape``, as a float bias (−inf = masked)."""
    mask = np.asarray(mask.detach().cpu() if hasattr(mask, "detach") else mask)
    if mask.dtype == np.bool_:
        bias = np.where(mask, -np.inf, 0.0)
    elif np.issubdtype(mask.dtype, np.floating):
        bias = mask.astype(np.float64)
        if np.any(np.isnan(bias) | (bias == np.inf)):
            raise ValueError(f"{name}: a float mask may hold finite numbers and -inf, got NaN or +inf")
    else:
        raise TypeError(f"{name}: expected a bool mask (True = masked) or a float mask (added to the scores), "
                        f"got dtype {mask.dtype}")
    try:
        np.broadcast_shapes(bias.shape, shape)
    except ValueError:
        raise ValueError(f"{name}: expected a shape that broadcasts to the scores' {shape}, got {bias.shape}") from None
    return bias


def masked_softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (..., S); a row that is all −inf (every key masked) gives all zeros."""
    dead = np.all(scores == -np.inf, axis=-1, keepdims=True)
    return np.where(dead, 0.0, softmax(np.where(dead, 0.0, scores)))


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None,
                                 *, scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """softmax(c·QKᵀ + mask) V, c = 1/√d: q (..., L, d), k (..., S, d), v (..., S, d_v) ->
    (out (..., L, d_v), weights (..., L, S)); mask bool (True = masked) or float, broadcastable to (..., L, S)."""
    q, k, v = _qkv(q, k, v)
    c = 1 / np.sqrt(q.shape[-1]) if scale is None else positive_float(scale, "scale")
    scores = c * q @ k.swapaxes(-1, -2)  # (..., L, S)
    if mask is not None:
        scores = scores + _mask_as_bias(mask, "mask", scores.shape)
    weights = masked_softmax(scores)
    return weights @ v, weights


def sdpa_backward(d_out: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, weights: np.ndarray,
                  *, scale: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward of :func:`scaled_dot_product_attention` given its ``weights`` P (..., L, S) (a mask enters
    only through P): dV = Pᵀ dO, dP = dO Vᵀ, dZ = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = c dZ K, dK = c dZᵀ Q."""
    q, k, v = _qkv(q, k, v)
    lead, L, S = q.shape[:-2], q.shape[-2], k.shape[-2]
    d_out = float_array(d_out, "d_out", shape=(*lead, L, v.shape[-1]))
    P = float_array(weights, "weights", shape=(*lead, L, S))
    c = 1 / np.sqrt(q.shape[-1]) if scale is None else positive_float(scale, "scale")
    dv = P.swapaxes(-1, -2) @ d_out  # (..., S, d_v)
    dP = d_out @ v.swapaxes(-1, -2)  # (..., L, S)
    dZ = P * (dP - (dP * P).sum(axis=-1, keepdims=True))  # each row through its softmax's Jacobian
    return c * dZ @ k, c * dZ.swapaxes(-1, -2) @ q, dv


# ---------------------------------------------------------------- 5. multi-head attention


def _heads(embed_dim: int, num_heads: object) -> int:
    H = positive_int(num_heads, "num_heads")
    if embed_dim % H:
        raise ValueError(f"num_heads: embed_dim {embed_dim} is not divisible by num_heads {H}")
    return H


def split_heads(x: np.ndarray, num_heads: int) -> np.ndarray:
    """(N, L, E) -> (N, H, L, E/H): head h gets features h·E/H … (h+1)·E/H − 1 of every position."""
    x = float_array(x, "x", ndim=3)
    N, L, E = x.shape
    H = _heads(E, num_heads)
    return x.reshape(N, L, H, E // H).transpose(0, 2, 1, 3)  # (N, H, L, D); a reshape alone would mix positions


def merge_heads(x: np.ndarray) -> np.ndarray:
    """The inverse of :func:`split_heads`: (N, H, L, D) -> (N, L, H·D), the heads concatenated per position."""
    x = float_array(x, "x", ndim=4)
    N, H, L, D = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, L, H * D)


def _arrays(state_dict: Mapping[str, object], shapes: Mapping[str, tuple],
            name: str = "state_dict") -> dict[str, np.ndarray]:
    """The state_dict's arrays named in ``shapes`` as float64, each checked (a str in a shape: one size for all)."""
    keys(state_dict, name, shapes)
    sizes: dict[str, int] = {}
    return {k: float_array(state_dict[k], f"{name}[{k!r}]", shape=s, sizes=sizes) for k, s in shapes.items()}


def _mha_shapes(E: int, prefix: str = "") -> dict[str, tuple]:
    return {prefix + "in_proj_weight": (3 * E, E), prefix + "in_proj_bias": (3 * E,),
            prefix + "out_proj.weight": (E, E), prefix + "out_proj.bias": (E,)}


def mha_weights(state_dict: Mapping[str, object], embed_dim: int, name: str = "state_dict",
                prefix: str = "") -> dict[str, np.ndarray]:
    """An ``nn.MultiheadAttention(embed_dim)`` state_dict's arrays (keys under ``prefix``), checked, as float64:
    ``W_q``, ``W_k``, ``W_v``, ``W_o`` (E, E), ``b_q`` … ``b_o`` (E,); ``in_proj_weight`` is W_q, W_k, W_v stacked."""
    a = _arrays(state_dict, _mha_shapes(positive_int(embed_dim, "embed_dim"), prefix), name)
    w, b = np.split(a[prefix + "in_proj_weight"], 3), np.split(a[prefix + "in_proj_bias"], 3)
    return {"W_q": w[0], "W_k": w[1], "W_v": w[2], "W_o": a[prefix + "out_proj.weight"],
            "b_q": b[0], "b_k": b[1], "b_v": b[2], "b_o": a[prefix + "out_proj.bias"]}


def _mha(query: np.ndarray, key: np.ndarray, value: np.ndarray, p: Mapping[str, np.ndarray], H: int,
         bias: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Multi-head attention on checked inputs (p: ``_mha_shapes``' arrays); weights per head (N, H, L, S)."""
    w_q, w_k, w_v = np.split(p["in_proj_weight"], 3)  # (E, E) each: all heads share one projection
    b_q, b_k, b_v = np.split(p["in_proj_bias"], 3)
    q = split_heads(query @ w_q.T + b_q, H)  # (N, H, L, D)
    k = split_heads(key @ w_k.T + b_k, H)  # (N, H, S, D)
    v = split_heads(value @ w_v.T + b_v, H)  # (N, H, S, D)
    heads, weights = scaled_dot_product_attention(q, k, v, bias)  # (N, H, L, D), (N, H, L, S)
    return merge_heads(heads) @ p["out_proj.weight"].T + p["out_proj.bias"], weights  # (N, L, E)


def multi_head_attention(query: np.ndarray, key: np.ndarray, value: np.ndarray, state_dict: Mapping[str, object],
                         num_heads: int, *, attn_mask: np.ndarray | None = None,
                         key_padding_mask: np.ndarray | None = None,
                         average_attn_weights: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``nn.MultiheadAttention(E, num_heads, batch_first=True)`` from its ``state_dict()``: query (N, L, E),
    key, value (N, S, E) -> (out (N, L, E), weights (N, L, S), or (N, H, L, S) with average_attn_weights=False).

    Masks as torch's: attn_mask (L, S) or (N·H, L, S), key_padding_mask (N, S); bool (True = masked) or float.
    """
    sizes: dict[str, int] = {}
    query = float_array(query, "query", shape=("N", "L", "E"), sizes=sizes)
    key = float_array(key, "key", shape=("N", "S", "E"), sizes=sizes)
    value = float_array(value, "value", shape=("N", "S", "E"), sizes=sizes)
    H = _heads(sizes["E"], num_heads)
    bias = _attention_bias(attn_mask, key_padding_mask, sizes["N"], H, sizes["L"], sizes["S"])
    out, weights = _mha(query, key, value, _arrays(state_dict, _mha_shapes(sizes["E"])), H, bias)
    return out, (weights.mean(axis=1) if average_attn_weights else weights)


# ---------------------------------------------------------------- 6. masks


def causal_mask(length: int, source_length: int | None = None) -> np.ndarray:
    """The decoder's mask, bool (L, S): query i may not see keys j > i (True above the diagonal)."""
    L = positive_int(length, "length")
    S = L if source_length is None else positive_int(source_length, "source_length")
    return np.triu(np.ones((L, S), dtype=bool), k=1)


def padding_mask(lengths: list[int] | np.ndarray, max_length: int) -> np.ndarray:
    """Key-padding mask, bool (N, S), True = padding: sequence n has its first lengths[n] of S tokens real."""
    S = positive_int(max_length, "max_length")
    lengths = int_array(lengths, "lengths", ndim=1)
    if np.any((lengths < 0) | (lengths > S)):
        raise ValueError(f"lengths: expected lengths in [0, {S}], got {lengths.tolist()}")
    return np.arange(S)[None, :] >= lengths[:, None]


def _attention_bias(attn_mask: object, key_padding_mask: object, N: int, H: int, L: int,
                    S: int) -> np.ndarray | None:
    """torch's two masks as one additive bias broadcastable to (N, H, L, S), as ``multi_head_attention_forward``."""
    bias = None
    if attn_mask is not None:
        want = {2: (L, S), 3: (N * H, L, S)}.get(np.ndim(attn_mask))
        if tuple(np.shape(attn_mask)) != want:
            raise ValueError(f"attn_mask: expected shape (L, S) = {(L, S)} or (N·num_heads, L, S) = "
                             f"{(N * H, L, S)}, got {tuple(np.shape(attn_mask))}")
        bias = _mask_as_bias(attn_mask, "attn_mask", want)
        bias = bias.reshape(N, H, L, S) if bias.ndim == 3 else bias  # row n·H + h: sequence n, head h
    if key_padding_mask is not None:
        if tuple(np.shape(key_padding_mask)) != (N, S):
            raise ValueError(f"key_padding_mask: expected shape (N, S) = {(N, S)}, "
                             f"got {tuple(np.shape(key_padding_mask))}")
        pad = _mask_as_bias(key_padding_mask, "key_padding_mask", (N, S))[:, None, None, :]  # (N, 1, 1, S)
        bias = pad if bias is None else bias + pad
    return bias


# ---------------------------------------------------------------- 7. positional encoding


def positional_encoding(length: int, d_model: int) -> np.ndarray:
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same); (length, d_model), d_model even."""
    length, d = positive_int(length, "length"), positive_int(d_model, "d_model")
    if d % 2:
        raise ValueError(f"d_model: expected an even number (sin/cos pairs), got {d}")
    angles = np.arange(length)[:, None] / 10000.0 ** (np.arange(0, d, 2) / d)  # (length, d/2)
    pe = np.empty((length, d))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angles), np.cos(angles)
    return pe


# ---------------------------------------------------------------- 8. LayerNorm, the encoder block


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """γ ⊙ (x − mean)/sqrt(var + ε) + β over the last axis: x (..., d), γ = weight (d,), β = bias (d,)."""
    x = float_array(x, "x")
    if x.ndim < 1:
        raise ValueError(f"x: expected shape (..., d), got {x.shape}")
    sizes = {"d": x.shape[-1]}
    weight, bias = (float_array(a, n, shape=("d",), sizes=sizes) for a, n in ((weight, "weight"), (bias, "bias")))
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return weight * (x - mean) / np.sqrt(var + eps) + bias


class LayerNorm:
    """``torch.nn.LayerNorm(d)`` with its backward: each position normalised over its d features (BatchNorm,
    notebook 05, normalises each feature over the batch), γ (d,), β (d,); the same in training and evaluation."""

    def __init__(self, d: int, eps: float = 1e-5) -> None:
        self.d, self.eps = positive_int(d, "d"), positive_float(eps, "eps")
        self.params = {"gamma": np.ones(self.d), "beta": np.zeros(self.d)}
        self.grads: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return f"LayerNorm({self.d})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (..., d) -> γ ⊙ x̂ + β, x̂ = (x − μ)/sqrt(σ² + ε), μ and σ² over the last axis."""
        x = float_array(x, "x")
        if x.ndim < 1 or x.shape[-1] != self.d:
            raise ValueError(f"x: expected shape (..., {self.d}), got {x.shape}")
        self.inv_std = 1 / np.sqrt(x.var(axis=-1, keepdims=True) + self.eps)  # (..., 1)
        self.xhat = (x - x.mean(axis=-1, keepdims=True)) * self.inv_std
        return self.params["gamma"] * self.xhat + self.params["beta"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """∂L/∂out (..., d) -> ∂L/∂x; stores ∂L/∂γ, ∂L/∂β. dx = inv_std/d · (d·dx̂ − Σ dx̂ − x̂ Σ dx̂ ⊙ x̂), sums
        over the features: BatchNorm's formula with the batch and feature axes swapped."""
        dout = float_array(dout, "dout", shape=self.xhat.shape)
        lead = tuple(range(dout.ndim - 1))
        self.grads = {"gamma": (dout * self.xhat).sum(axis=lead), "beta": dout.sum(axis=lead)}
        dxhat = dout * self.params["gamma"]
        return self.inv_std / self.d * (self.d * dxhat - dxhat.sum(axis=-1, keepdims=True)
                                        - self.xhat * (dxhat * self.xhat).sum(axis=-1, keepdims=True))


def encoder_layer(x: np.ndarray, state_dict: Mapping[str, object], num_heads: int, *,
                  src_mask: np.ndarray | None = None, src_key_padding_mask: np.ndarray | None = None,
                  eps: float = 1e-5, norm_first: bool = False) -> np.ndarray:
    """``nn.TransformerEncoderLayer(E, num_heads, F, dropout=0.0, batch_first=True, norm_first=...)``, x (N, L, E):
    post-norm h = LN₁(x + SA(x)), out = LN₂(h + FF(h)); pre-norm (norm_first) h = x + SA(LN₁(x)), out = h + FF(LN₂(h));
    SA = self-attention (masks as :func:`multi_head_attention`'s), FF(h) = W₂ ReLU(W₁ h + b₁) + b₂."""
    x = float_array(x, "x", ndim=3)
    N, L, E = x.shape
    H = _heads(E, num_heads)
    p = _arrays(state_dict, {**_mha_shapes(E, "self_attn."), "linear1.weight": ("F", E), "linear1.bias": ("F",),
                             "linear2.weight": (E, "F"), "linear2.bias": (E,), "norm1.weight": (E,),
                             "norm1.bias": (E,), "norm2.weight": (E,), "norm2.bias": (E,)})
    bias = _attention_bias(src_mask, src_key_padding_mask, N, H, L, L)

    def sa(h: np.ndarray) -> np.ndarray:
        return _mha(h, h, h, {k.removeprefix("self_attn."): v for k, v in p.items()}, H, bias)[0]

    def ff(h: np.ndarray) -> np.ndarray:
        hidden = np.maximum(h @ p["linear1.weight"].T + p["linear1.bias"], 0.0)  # (N, L, F)
        return hidden @ p["linear2.weight"].T + p["linear2.bias"]  # (N, L, E)

    def ln(h: np.ndarray, i: int) -> np.ndarray:
        return layer_norm(h, p[f"norm{i}.weight"], p[f"norm{i}.bias"], eps)

    if norm_first:  # the residual path x -> out has no LayerNorm on it
        h = x + sa(ln(x, 1))
        return h + ff(ln(h, 2))
    h = ln(x + sa(x), 1)
    return ln(h + ff(h), 2)
