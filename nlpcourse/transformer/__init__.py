"""Notebook 08: the encoder–decoder transformer, from notebook 06's pieces — the math, in numpy.

In the notebook's order: the causal mask (from 06), the residual + LayerNorm wrapper in both placements (post-LN
as in the paper, pre-LN), the feed-forward sublayer, one cross-attention step (queries from the decoder, keys
and values from the encoder's output — the exercise), the decoder layer (the encoder layer is 06's
``attention.encoder_layer``), and the whole ``torch.nn.Transformer`` forward from its ``state_dict`` (both
``norm_first`` settings, every mask). The torch
model that trains lives in ``.train``, the task in ``.task``, decoding it in ``.translate``.

Conventions are 06's and torch's: batch first; a bool mask's True = *may not attend*; a float mask is added.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from ..attention import (
    causal_mask,
    encoder_layer,
    layer_norm,
    merge_heads,
    mha_weights,
    multi_head_attention,
    scaled_dot_product_attention,
    split_heads,
)
from ..validate import float_array, keys, positive_int

__all__ = ["causal_mask", "sublayer", "feed_forward", "cross_attention_step", "decoder_layer", "layer_count",
           "encode", "decode", "transformer"]

FEED_FORWARD_KEYS = ("linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias")
DECODER_KEYS = FEED_FORWARD_KEYS + tuple(f"norm{i}.{w}" for i in (1, 2, 3) for w in ("weight", "bias"))

# ---------------------------------------------------------------- 1. the residual + LayerNorm wrapper


def sublayer(x: np.ndarray, f: Callable[[np.ndarray], np.ndarray], weight: np.ndarray, bias: np.ndarray, *,
             norm_first: bool, eps: float = 1e-5) -> np.ndarray:
    """One sublayer f with its residual and LayerNorm: post-LN LN(x + f(x)) (the paper), pre-LN x + f(LN(x)).

    Pre-LN leaves the residual path x → x + … untouched by any normalisation, so the gradient reaches the bottom
    layers undiminished; post-LN normalises the sum after every sublayer.
    """
    if norm_first:
        return x + f(layer_norm(x, weight, bias, eps))
    return layer_norm(x + f(x), weight, bias, eps)


def feed_forward(x: np.ndarray, state_dict: Mapping[str, object]) -> np.ndarray:
    """W₂ ReLU(W₁ x + b₁) + b₂ at every position: (..., E) -> (..., E), ``linear1.*`` (F, E), ``linear2.*`` (E, F)."""
    x = float_array(x, "x")
    keys(state_dict, "state_dict", FEED_FORWARD_KEYS)
    E = x.shape[-1] if x.ndim else 0
    w1 = float_array(state_dict["linear1.weight"], "state_dict['linear1.weight']", shape=("F", E))
    F = w1.shape[0]
    b1 = float_array(state_dict["linear1.bias"], "state_dict['linear1.bias']", shape=(F,))
    w2 = float_array(state_dict["linear2.weight"], "state_dict['linear2.weight']", shape=(E, F))
    b2 = float_array(state_dict["linear2.bias"], "state_dict['linear2.bias']", shape=(E,))
    return np.maximum(x @ w1.T + b1, 0.0) @ w2.T + b2  # (..., F) inside


# ---------------------------------------------------------------- 2. cross-attention, one decoder step


def cross_attention_step(query: np.ndarray, memory: np.ndarray, p: Mapping[str, np.ndarray], num_heads: int,
                         pad: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The decoder's position t attends over the source: queries from the decoder's states ``query`` (N, E), keys
    and values from the encoder's output ``memory`` (N, S, E), ``pad`` (N, S) True = a masked source position.

    out = concat_h softmax(q_h K_hᵀ/√D + mask) V_h · W_oᵀ + b_o, with q = W_q y + b_q, K = memory W_kᵀ + b_k,
    V = memory W_vᵀ + b_v (``p``: ``attention.mha_weights``), H heads of D = E / H: (out (N, E), weights (N, H, S)).
    """
    sizes: dict[str, int] = {}
    query = float_array(query, "query", shape=("N", "E"), sizes=sizes)
    memory = float_array(memory, "memory", shape=("N", "S", "E"), sizes=sizes)
    H = positive_int(num_heads, "num_heads")
    if pad is not None:
        pad = np.asarray(pad)
        if pad.dtype != np.bool_ or pad.shape != memory.shape[:2]:
            raise ValueError(f"pad: expected a bool array (N, S) = {memory.shape[:2]}, got {pad.dtype} {pad.shape}")
    q = split_heads(query[:, None] @ p["W_q"].T + p["b_q"], H)  # (N, H, 1, D)
    k = split_heads(memory @ p["W_k"].T + p["b_k"], H)  # (N, H, S, D)
    v = split_heads(memory @ p["W_v"].T + p["b_v"], H)  # (N, H, S, D)
    mask = None if pad is None else pad[:, None, None, :]  # (N, 1, 1, S)
    heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (N, H, 1, D), (N, H, 1, S)
    return merge_heads(heads)[:, 0] @ p["W_o"].T + p["b_o"], weights[:, :, 0]  # (N, E), (N, H, S)


# ---------------------------------------------------------------- 3. the decoder layer (the encoder layer: 06's)


def _attention(state_dict: Mapping[str, object], prefix: str) -> dict[str, object]:
    return {k.removeprefix(prefix): v for k, v in state_dict.items() if k.startswith(prefix)}


def _norm(state_dict: Mapping[str, object], i: int) -> tuple[object, object]:
    return state_dict[f"norm{i}.weight"], state_dict[f"norm{i}.bias"]


def decoder_layer(y: np.ndarray, memory: np.ndarray, state_dict: Mapping[str, object], num_heads: int, *,
                  norm_first: bool = False, tgt_mask: np.ndarray | None = None,
                  memory_mask: np.ndarray | None = None, tgt_key_padding_mask: np.ndarray | None = None,
                  memory_key_padding_mask: np.ndarray | None = None,
                  eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """``nn.TransformerDecoderLayer(..., batch_first=True, norm_first=...)``: masked self-attention over the
    target so far y (N, T, E) (tgt_mask: ``causal_mask(T)``), cross-attention over the encoder's output memory
    (N, S, E), feed-forward — each in :func:`sublayer`: (out (N, T, E), cross-attention weights (N, H, T, S))."""
    sizes: dict[str, int] = {}
    y = float_array(y, "y", shape=("N", "T", "E"), sizes=sizes)
    memory = float_array(memory, "memory", shape=("N", "S", "E"), sizes=sizes)
    keys(state_dict, "state_dict", DECODER_KEYS)
    for prefix in ("self_attn.", "multihead_attn."):
        mha_weights(state_dict, y.shape[-1], prefix=prefix)
    sa, ca = _attention(state_dict, "self_attn."), _attention(state_dict, "multihead_attn.")
    cross: list[np.ndarray] = []

    def self_attend(h: np.ndarray) -> np.ndarray:
        return multi_head_attention(h, h, h, sa, num_heads, attn_mask=tgt_mask,
                                    key_padding_mask=tgt_key_padding_mask)[0]

    def cross_attend(h: np.ndarray) -> np.ndarray:  # queries from the decoder, keys and values from the memory
        out, w = multi_head_attention(h, memory, memory, ca, num_heads, attn_mask=memory_mask,
                                      key_padding_mask=memory_key_padding_mask, average_attn_weights=False)
        cross.append(w)
        return out

    y = sublayer(y, self_attend, *_norm(state_dict, 1), norm_first=norm_first, eps=eps)
    y = sublayer(y, cross_attend, *_norm(state_dict, 2), norm_first=norm_first, eps=eps)
    y = sublayer(y, lambda h: feed_forward(h, state_dict), *_norm(state_dict, 3), norm_first=norm_first, eps=eps)
    return y, cross[0]


# ---------------------------------------------------------------- 4. the whole nn.Transformer


def layer_count(state_dict: Mapping[str, object], stack: str) -> int:
    """How many layers ``encoder`` or ``decoder`` has in an ``nn.Transformer`` state_dict."""
    found = {int(k.split(".")[2]) for k in state_dict if k.startswith(f"{stack}.layers.")}
    if not found:
        raise KeyError(f"state_dict: expected keys '{stack}.layers.0.…' (an nn.Transformer's), got none")
    return max(found) + 1


def encode(src: np.ndarray, state_dict: Mapping[str, object], num_heads: int, *, norm_first: bool = False,
           src_mask: np.ndarray | None = None, src_key_padding_mask: np.ndarray | None = None,
           eps: float = 1e-5) -> np.ndarray:
    """``nn.Transformer``'s encoder: its layers, then the final LayerNorm ``encoder.norm``. (N, S, E) -> memory."""
    x = float_array(src, "src", ndim=3)
    for i in range(layer_count(state_dict, "encoder")):
        x = encoder_layer(x, _attention(state_dict, f"encoder.layers.{i}."), num_heads, norm_first=norm_first,
                          src_mask=src_mask, src_key_padding_mask=src_key_padding_mask, eps=eps)
    return layer_norm(x, state_dict["encoder.norm.weight"], state_dict["encoder.norm.bias"], eps)


def decode(tgt: np.ndarray, memory: np.ndarray, state_dict: Mapping[str, object], num_heads: int, *,
           norm_first: bool = False, tgt_mask: np.ndarray | None = None, memory_mask: np.ndarray | None = None,
           tgt_key_padding_mask: np.ndarray | None = None, memory_key_padding_mask: np.ndarray | None = None,
           eps: float = 1e-5) -> tuple[np.ndarray, list[np.ndarray]]:
    """``nn.Transformer``'s decoder: its layers, then ``decoder.norm``: (out (N, T, E), per layer the
    cross-attention weights (N, H, T, S))."""
    y = float_array(tgt, "tgt", ndim=3)
    maps = []
    for i in range(layer_count(state_dict, "decoder")):
        y, w = decoder_layer(y, memory, _attention(state_dict, f"decoder.layers.{i}."), num_heads,
                             norm_first=norm_first, tgt_mask=tgt_mask, memory_mask=memory_mask,
                             tgt_key_padding_mask=tgt_key_padding_mask,
                             memory_key_padding_mask=memory_key_padding_mask, eps=eps)
        maps.append(w)
    return layer_norm(y, state_dict["decoder.norm.weight"], state_dict["decoder.norm.bias"], eps), maps


def transformer(src: np.ndarray, tgt: np.ndarray, state_dict: Mapping[str, object], num_heads: int, *,
                norm_first: bool = False, src_mask: np.ndarray | None = None, tgt_mask: np.ndarray | None = None,
                memory_mask: np.ndarray | None = None, src_key_padding_mask: np.ndarray | None = None,
                tgt_key_padding_mask: np.ndarray | None = None, memory_key_padding_mask: np.ndarray | None = None,
                eps: float = 1e-5) -> np.ndarray:
    """``nn.Transformer(E, H, ..., dropout=0, batch_first=True, norm_first=...)(src, tgt, ...)`` from its
    ``state_dict()``: encode the source, decode the target against it. src (N, S, E), tgt (N, T, E) -> (N, T, E)."""
    memory = encode(src, state_dict, num_heads, norm_first=norm_first, src_mask=src_mask,
                    src_key_padding_mask=src_key_padding_mask, eps=eps)
    return decode(tgt, memory, state_dict, num_heads, norm_first=norm_first, tgt_mask=tgt_mask,
                  memory_mask=memory_mask, tgt_key_padding_mask=tgt_key_padding_mask,
                  memory_key_padding_mask=memory_key_padding_mask, eps=eps)[0]
