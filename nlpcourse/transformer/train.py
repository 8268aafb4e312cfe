"""Notebook 08, the torch layer: the encoder–decoder built from 06's ``EncoderBlock``, equal to
``torch.nn.Transformer`` (same ``state_dict`` keys: copy the weights over and the outputs and gradients agree),
a small translation model on top, and its training (teacher forcing, label smoothing as a KL divergence, early
stopping on the validation loss).

Everything runs in float64 on one thread: a training run then reproduces to ~1e-12 on any machine, so the
stored outputs (losses, exact-match counts) do too.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .. import torch_threads, validate
from ..attention import positional_encoding
from ..attention.train import EncoderBlock, MultiHeadAttention
from ..optim import Adam
from ..perturb import nudge
from ..validate import non_negative_int, number, positive_float, positive_int

__all__ = ["DecoderLayer", "Stack", "EncoderDecoder", "Seq2SeqConfig",
           "Seq2Seq", "smoothed_kl", "Seq2SeqTrainConfig", "Curves", "train", "overfit_batch", "batch_arrays",
           "layer_gradient_norms", "teacher_forced", "torch_agreement"]


def _bias(attn_mask: torch.Tensor | None, key_padding_mask: torch.Tensor | None, batch: int,
                   num_heads: int, dtype: torch.dtype) -> torch.Tensor | None:
    """torch's two masks as one additive bias broadcastable to (N, H, L, S): bool True -> −inf, float added.

    attn_mask: (L, S) or (N·H, L, S); key_padding_mask: (N, S)."""

    def as_float(mask: torch.Tensor) -> torch.Tensor:
        if mask.dtype == torch.bool:
            return torch.zeros(mask.shape, dtype=dtype).masked_fill(mask, -math.inf)
        return mask.to(dtype)

    bias = None
    if attn_mask is not None:
        bias = as_float(attn_mask)
        bias = bias.view(batch, num_heads, *bias.shape[1:]) if bias.ndim == 3 else bias
    if key_padding_mask is not None:
        pad = as_float(key_padding_mask)[:, None, None, :]  # (N, 1, 1, S)
        bias = pad if bias is None else bias + pad
    return bias


class DecoderLayer(EncoderBlock):
    """``nn.TransformerDecoderLayer(E, H, F, dropout=0, batch_first=True, norm_first=...)``, same keys: 06's
    encoder block (masked self-attention, feed-forward) with a cross-attention (``multihead_attn``) between."""

    def __init__(self, embed_dim: int, num_heads: int, dim_feedforward: int, norm_first: bool = False) -> None:
        super().__init__(embed_dim, num_heads, dim_feedforward, norm_first)
        self.multihead_attn = MultiHeadAttention(embed_dim, num_heads)
        self.norm3 = nn.LayerNorm(embed_dim)
        self.cross_weights: torch.Tensor | None = None  # the last forward's (N, H, T, S)

    def forward(self, y: torch.Tensor, memory: torch.Tensor, self_bias: torch.Tensor | None = None,
                cross_bias: torch.Tensor | None = None) -> torch.Tensor:
        """y (N, T, E), memory (N, S, E) -> (N, T, E)."""

        def cross(h: torch.Tensor) -> torch.Tensor:  # queries from the decoder, keys and values from the memory
            out, self.cross_weights = self.multihead_attn(h, memory, memory, cross_bias)
            return out

        y = self._sublayer(y, lambda h: self.self_attn(h, h, h, self_bias)[0], self.norm1)
        y = self._sublayer(y, cross, self.norm2)
        return self._sublayer(y, self._ff, self.norm3)


class Stack(nn.Module):
    """``layers`` then the final LayerNorm ``norm``, as ``nn.TransformerEncoder`` / ``Decoder`` inside
    ``nn.Transformer``."""

    def __init__(self, layers: list[nn.Module], embed_dim: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.norm = nn.LayerNorm(positive_int(embed_dim, "embed_dim"))


class EncoderDecoder(nn.Module):
    """``nn.Transformer(d_model, nhead, …, dropout=0, batch_first=True, norm_first=...)``: same maths, same
    state_dict keys, so ``load_state_dict(reference.state_dict())`` copies a torch model's weights over."""

    def __init__(self, d_model: int, nhead: int, num_encoder_layers: int, num_decoder_layers: int,
                 dim_feedforward: int, norm_first: bool = False) -> None:
        super().__init__()
        d_model, dim_feedforward = positive_int(d_model, "d_model"), positive_int(dim_feedforward, "dim_feedforward")
        self.nhead = positive_int(nhead, "nhead")
        self.encoder = Stack([EncoderBlock(d_model, nhead, dim_feedforward, norm_first)
                              for _ in range(positive_int(num_encoder_layers, "num_encoder_layers"))], d_model)
        self.decoder = Stack([DecoderLayer(d_model, nhead, dim_feedforward, norm_first)
                              for _ in range(positive_int(num_decoder_layers, "num_decoder_layers"))], d_model)

    def encode(self, src: torch.Tensor, src_mask: torch.Tensor | None = None,
               src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """src (N, S, E) -> memory (N, S, E)."""
        bias = _bias(src_mask, src_key_padding_mask, len(src), self.nhead, src.dtype)
        for layer in self.encoder.layers:
            src = layer(src, bias)[0]  # (N, S, E); [1]: the weights
        return self.encoder.norm(src)

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None,
               memory_mask: torch.Tensor | None = None, tgt_key_padding_mask: torch.Tensor | None = None,
               memory_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """tgt (N, T, E), memory (N, S, E) -> (N, T, E)."""
        N = len(tgt)
        self_bias = _bias(tgt_mask, tgt_key_padding_mask, N, self.nhead, tgt.dtype)
        cross_bias = _bias(memory_mask, memory_key_padding_mask, N, self.nhead, tgt.dtype)
        for layer in self.decoder.layers:
            tgt = layer(tgt, memory, self_bias, cross_bias)
        return self.decoder.norm(tgt)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor, src_mask: torch.Tensor | None = None,
                tgt_mask: torch.Tensor | None = None, memory_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None, tgt_key_padding_mask: torch.Tensor | None = None,
                memory_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``nn.Transformer.forward``'s arguments and result: (N, T, E)."""
        memory = self.encode(src, src_mask, src_key_padding_mask)
        return self.decode(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)

    def cross_attention(self) -> list[torch.Tensor]:
        """The last forward's cross-attention weights, per decoder layer (N, H, T, S)."""
        return [layer.cross_weights for layer in self.decoder.layers]


# ---------------------------------------------------------------- the translation model


@dataclass(frozen=True)
class Seq2SeqConfig(validate.Config):
    """The translation model's size."""

    vocab: int = 61  # the shared vocabulary (both languages + specials)
    d_model: int = 32  # E
    num_heads: int = 2  # H, each of size E / H
    encoder_layers: int = 1  # N_enc
    decoder_layers: int = 2  # N_dec
    dim_feedforward: int = 64  # the feed-forward's hidden size
    norm_first: bool = False  # post-LN (the paper) or pre-LN
    causal: bool = True  # False: the decoder's self-attention sees the future (the broken model)
    pad: int = 0  # the padding id: never attended to, never a target
    max_len: int = 16  # positions of the sinusoidal encoding
    seed: int = 0  # the initialisation's

    def __post_init__(self) -> None:
        for name in ("vocab", "d_model", "num_heads", "encoder_layers", "decoder_layers", "dim_feedforward",
                     "max_len"):
            self._set(name, positive_int(getattr(self, name), name))  # a numpy int becomes an int
        self._set("pad", non_negative_int(self.pad, "pad"))
        self._set("seed", non_negative_int(self.seed, "seed"))
        if self.d_model % self.num_heads:
            raise ValueError(f"num_heads: d_model {self.d_model} is not divisible by num_heads {self.num_heads}")


class Seq2Seq(nn.Module):
    """Shared token embedding + sinusoidal positions -> ``EncoderDecoder`` -> a linear layer to the vocabulary.

    float64; initialised like ``nn.Transformer`` (Xavier-uniform matrices), then nudged (``perturb.nudge``).
    """

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = c = config
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(c.seed)
        try:
            self.embed = nn.Embedding(c.vocab, c.d_model)
            self.core = EncoderDecoder(c.d_model, c.num_heads, c.encoder_layers, c.decoder_layers,
                                       c.dim_feedforward, c.norm_first)
            self.out = nn.Linear(c.d_model, c.vocab)
            for p in self.core.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
        finally:
            torch.random.set_rng_state(gen_state)
        self.register_buffer("positions", torch.tensor(positional_encoding(c.max_len, c.d_model)))
        self.double()
        nudge(self)

    def _inputs(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embed(ids) + self.positions[: ids.shape[1]]

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """src ids (N, S) -> (memory (N, S, E), its padding mask (N, S))."""
        pad = src == self.config.pad
        return self.core.encode(self._inputs(src), src_key_padding_mask=pad), pad

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_pad: torch.Tensor) -> torch.Tensor:
        """Decoder input ids (N, T) (``<s> w1 …``) -> next-token logits (N, T, V)."""
        T = tgt_in.shape[1]
        mask = torch.ones(T, T, dtype=torch.bool).triu(1) if self.config.causal else None
        h = self.core.decode(self._inputs(tgt_in), memory, tgt_mask=mask, memory_key_padding_mask=src_pad)
        return self.out(h)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """(N, S), (N, T) ids -> (N, T, V) logits; teacher forcing: every position sees the true prefix."""
        return self.decode(tgt_in, *self.encode(src))


def smoothed_kl(logits: torch.Tensor, targets: torch.Tensor, smoothing: float = 0.0, pad: int = 0) -> torch.Tensor:
    """Label smoothing as notebook 06's KL divergence: mean over non-pad positions of KL(q ‖ p), p = softmax(logits),
    q = (1 − ε)·one-hot(target) + ε/|V|. With ε = 0 it is the cross-entropy; otherwise it is torch's
    ``cross_entropy(label_smoothing=ε)`` minus the constant entropy H(q). (N, T, V), (N, T) -> scalar."""
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point() or logits.ndim < 2:
        raise TypeError(f"logits: expected a float torch tensor (..., V), got {type(logits).__name__} "
                        f"of shape {tuple(np.shape(logits))}")
    if not isinstance(targets, torch.Tensor) or targets.dtype != torch.int64 or targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets: expected an int64 tensor of shape {tuple(logits.shape[:-1])} (logits without "
                         f"the last axis), got {type(targets).__name__} of shape {tuple(np.shape(targets))}")
    smoothing = number(smoothing, "smoothing", low=0.0, high=1.0, high_open=True)
    V = logits.shape[-1]
    logp = torch.log_softmax(logits, dim=-1)
    keep = targets != pad
    if smoothing == 0.0:  # q one-hot: KL = 1 · (log 1 − log p(target)) + 0 elsewhere, the same numbers without q
        return -logp.gather(-1, targets[..., None])[..., 0][keep].mean()
    q = torch.full_like(logp, smoothing / V).scatter_add(
        -1, targets[..., None], torch.full_like(logp[..., :1], 1.0 - smoothing))
    kl = (q * (torch.log(q.clamp_min(1e-300)) - logp)).where(q > 0, 0.0).sum(-1)  # 0 · log 0 = 0
    return kl[keep].mean()


@dataclass(frozen=True)
class Seq2SeqTrainConfig(validate.Config):
    """Training: Adam on mini-batches, teacher forcing, early stopping on the validation loss."""

    epochs: int = 40  # at most
    batch_size: int = 64  # sentence pairs per Adam step
    lr: float = 9e-3  # Adam's learning rate: notebook 08's two runs stop early after 21 epochs in all (8e-3: 28)
    label_smoothing: float = 0.0  # ε of smoothed_kl
    patience: int = 2  # stop after this many epochs without a better validation loss
    seed: int = 0  # the batches' order
    threads: int | None = 1  # torch's CPU threads (None: torch's setting)

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "patience"):
            self._set(name, positive_int(getattr(self, name), name))
        self._set("lr", positive_float(self.lr, "lr"))
        self._set("label_smoothing", number(self.label_smoothing, "label_smoothing", low=0.0, high=1.0,
                                            high_open=True))
        self._set("seed", non_negative_int(self.seed, "seed"))
        if self.threads is not None:
            self._set("threads", positive_int(self.threads, "threads"))


@dataclass
class Curves:
    """Per epoch: the training objective and the validation cross-entropy; the epoch kept by early stopping."""

    train: list[float] = field(default_factory=list)
    val: list[float] = field(default_factory=list)
    best_epoch: int = 0
    init_loss: float = float("nan")  # the validation cross-entropy before training


def batch_arrays(task, numbers: object) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(source ids, decoder input, decoder output) for the numbers, as int64 tensors."""
    src = task.encode_source(numbers)
    tgt_in, tgt_out = task.encode_target(numbers)
    return torch.from_numpy(src), torch.from_numpy(tgt_in), torch.from_numpy(tgt_out)


def _val_loss(model: Seq2Seq, data: tuple[torch.Tensor, ...], pad: int) -> float:
    with torch.no_grad():
        return float(smoothed_kl(model(data[0], data[1]), data[2], 0.0, pad))


def train(model: Seq2Seq, task, config: Seq2SeqTrainConfig | None = None, *,
          progress: bool = True) -> tuple[Seq2Seq, Curves]:
    """Train ``model`` on ``task.train`` with early stopping on ``task.val``; returns it (best epoch's parameters
    restored, eval mode) and its curves. A function of its arguments alone (seeded by the model's and the training
    config's seeds; one thread), so ``parallel.starmap`` can run several side by side; its progress bar shows in
    this process only."""
    c = config or Seq2SeqTrainConfig()
    pad = model.config.pad
    train_data, val_data = batch_arrays(task, task.train), batch_arrays(task, task.val)
    opt = Adam(model.parameters(), lr=c.lr)  # torch.optim.Adam's steps, without importing torch's compiler
    rng = np.random.default_rng(c.seed)
    best, best_state, waited = math.inf, None, 0
    n = len(train_data[0])
    with torch_threads(c.threads):
        curves = Curves(init_loss=_val_loss(model, val_data, pad))
        bar = tqdm(range(c.epochs), desc="epochs", disable=not progress)  # off in starmap's second process
        for epoch in bar:
            model.train()
            total = 0.0
            order = torch.from_numpy(rng.permutation(n))
            for start in range(0, n, c.batch_size):
                idx = order[start : start + c.batch_size]
                loss = smoothed_kl(model(train_data[0][idx], train_data[1][idx]), train_data[2][idx],
                                   c.label_smoothing, pad)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            curves.train.append(total / n)
            model.eval()
            curves.val.append(_val_loss(model, val_data, pad))
            if curves.val[-1] < best:
                best, waited, curves.best_epoch = curves.val[-1], 0, epoch + 1
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
            else:
                waited += 1
                if waited >= c.patience:
                    break
    model.load_state_dict(best_state)
    return model.eval(), curves


def overfit_batch(model: Seq2Seq, task, numbers: object, steps: int = 100, lr: float = 3e-3) -> list[float]:
    """Notebook 05's sanity check: train on one small batch until the loss is ~0. Returns the loss per step."""
    steps, lr = positive_int(steps, "steps"), positive_float(lr, "lr")
    src, tgt_in, tgt_out = batch_arrays(task, numbers)
    opt = Adam(model.parameters(), lr=lr)
    losses = []
    with torch_threads(1):
        model.train()
        for _ in range(steps):
            loss = smoothed_kl(model(src, tgt_in), tgt_out, 0.0, model.config.pad)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    model.eval()
    return losses


def layer_gradient_norms(config: Seq2SeqConfig, task, numbers: object) -> dict[str, np.ndarray]:
    """At initialisation, ‖∂L/∂θ‖ of each layer's parameters for one batch (cross-entropy):
    {"encoder": (layers,), "decoder": (layers,)}, bottom layer first."""
    model = Seq2Seq(config).train()
    src, tgt_in, tgt_out = batch_arrays(task, numbers)
    with torch_threads(1):
        smoothed_kl(model(src, tgt_in), tgt_out, 0.0, config.pad).backward()
        return {stack: np.array([math.sqrt(sum(float((p.grad ** 2).sum()) for p in layer.parameters()))
                                 for layer in getattr(model.core, stack).layers]) for stack in ("encoder", "decoder")}


def teacher_forced(model: Seq2Seq, task, numbers: object) -> dict[str, float]:
    """On the numbers, every position fed the true prefix: the mean probability of the model's top word, of the
    true word, the token accuracy, and the cross-entropy (nats per token)."""
    src, tgt_in, tgt_out = batch_arrays(task, numbers)
    with torch.no_grad(), torch_threads(1):
        logits = model(src, tgt_in)
    p = torch.softmax(logits, dim=-1)
    keep = tgt_out != model.config.pad
    return {"mean top probability": float(p.max(-1).values[keep].mean()),
            "mean p(true word)": float(p.gather(-1, tgt_out[..., None])[..., 0][keep].mean()),
            "token accuracy": float((p.argmax(-1) == tgt_out)[keep].double().mean()),
            "cross-entropy": float(smoothed_kl(logits, tgt_out, 0.0, model.config.pad))}


def torch_agreement(seeds: list[int] | range = range(3), norm_first: tuple[bool, ...] = (False, True)):
    """Our encoder–decoder (numpy and torch) vs ``nn.Transformer`` with the same weights, float64, on random
    inputs with the causal mask and source/target padding: one row per (norm_first, seed) with the largest
    differences of the outputs and of every gradient (inputs and parameters)."""
    import pandas as pd

    from . import transformer as numpy_transformer  # the numpy layer (__init__)

    rows = []
    with torch_threads(1):  # small ops: one thread is faster
        for nf in norm_first:
            for seed in seeds:
                seed = non_negative_int(seed, "seeds")
                torch.manual_seed(seed)
                N, S, L, E, H = 3, 6, 5, 16, 4
                with warnings.catch_warnings():  # "enable_nested_tensor is True, but ... norm_first": we train anyway
                    warnings.simplefilter("ignore", UserWarning)
                    ref = nn.Transformer(E, H, 2, 2, 32, dropout=0.0, batch_first=True, norm_first=nf).double().train()
                with torch.no_grad():
                    for name, p in ref.named_parameters():
                        if "norm" in name:
                            p.add_(0.3 * torch.randn_like(p))
                ours = EncoderDecoder(E, H, 2, 2, 32, nf).double()
                ours.load_state_dict(ref.state_dict())
                src, tgt = torch.randn(N, S, E, dtype=torch.float64), torch.randn(N, L, E, dtype=torch.float64)
                pad = torch.arange(S)[None] >= torch.tensor([S, 4, 2])[:, None]
                kw = dict(tgt_mask=torch.ones(L, L, dtype=torch.bool).triu(1), src_key_padding_mask=pad,
                          memory_key_padding_mask=pad, tgt_key_padding_mask=torch.arange(L)[None] >= torch.tensor(
                              [L, L, 3])[:, None])
                upstream = torch.randn(N, L, E, dtype=torch.float64)
                outs, grads = [], []
                for model in (ref, ours):
                    s, t = src.clone().requires_grad_(), tgt.clone().requires_grad_()
                    out = model(s, t, **kw)
                    (out * upstream).sum().backward()
                    outs.append(out.detach())
                    grads.append({"src": s.grad, "tgt": t.grad, **{k: p.grad for k, p in model.named_parameters()}})
                with torch.no_grad():
                    np_out = numpy_transformer(src.numpy(), tgt.numpy(), ref.state_dict(), H, norm_first=nf,
                                               **{k: v.numpy() for k, v in kw.items()})
                rows.append({"norm_first": nf, "seed": seed,
                             "numpy forward": float(np.abs(np_out - outs[0].numpy()).max()),
                             "torch forward": float((outs[0] - outs[1]).abs().max()),
                             "gradients": max(float((g - grads[1][k]).abs().max()) for k, g in grads[0].items()),
                             "tensors compared": len(grads[0])})
    return pd.DataFrame(rows)
