"""Notebook 06, the fast layer: multi-head attention in batched torch ops, and a tiny transformer that learns.

``multi_head_attention`` here is the numpy one of ``nlpcourse.attention`` written with torch ops (same
parameter layout as ``torch.nn.MultiheadAttention``, so autograd and a GPU apply); ``EncoderBlock`` is
``torch.nn.TransformerEncoderLayer`` (ReLU, post-norm or pre-norm) built on it, with the same ``state_dict`` keys.
``TinyTransformer`` stacks them over token embeddings plus the sinusoidal positional encoding, and
``train`` teaches it a toy task whose right attention pattern is known: reversing a sequence (output
position i must read input position L − 1 − i, an anti-diagonal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .. import torch_threads, validate
from ..optim import Adam
from ..perturb import nudge
from ..validate import index, non_negative_int, one_of, positive_float, positive_int
from . import positional_encoding

__all__ = ["MultiHeadAttention", "EncoderBlock", "TinyTransformer", "TinyConfig",
           "toy_task", "train", "TrainLog", "sequence_accuracy", "layer_heads", "gradient_through_depth"]


def multi_head_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                         in_proj_weight: torch.Tensor, in_proj_bias: torch.Tensor, out_weight: torch.Tensor,
                         out_bias: torch.Tensor, num_heads: int,
                         bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``nn.MultiheadAttention(batch_first=True)``'s math in torch ops: query (N, L, E), key, value (N, S, E),
    in_proj (3E, E) = W_q, W_k, W_v stacked, bias None or float (−inf = masked) broadcastable to (N, H, L, S)
    -> (out (N, L, E), weights per head (N, H, L, S))."""
    N, L, E = query.shape
    H = num_heads
    w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q, b_k, b_v = in_proj_bias.chunk(3)

    def heads(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # (N, T, E) -> (N, H, T, D)
        return nn.functional.linear(x, w, b).view(N, -1, H, E // H).transpose(1, 2)

    q, k, v = heads(query, w_q, b_q), heads(key, w_k, b_k), heads(value, w_v, b_v)
    scores = (q / math.sqrt(E // H)) @ k.transpose(-1, -2)  # (N, H, L, S); scaling q is cheaper than the scores
    if bias is not None:
        scores = scores + bias
    weights = torch.softmax(scores, dim=-1)
    if bias is not None:
        weights = weights.nan_to_num(0.0)  # a fully masked row (all −inf) attends to nothing
    out = (weights @ v).transpose(1, 2).reshape(N, L, E)  # (N, L, E): the heads concatenated
    return nn.functional.linear(out, out_weight, out_bias), weights


class MultiHeadAttention(nn.Module):
    """Holds ``in_proj_weight``, ``in_proj_bias`` and ``out_proj`` exactly as ``nn.MultiheadAttention`` does."""

    def __init__(self, embed_dim: int, num_heads: int) -> None:
        super().__init__()
        embed_dim, self.num_heads = positive_int(embed_dim, "embed_dim"), positive_int(num_heads, "num_heads")
        if embed_dim % self.num_heads:
            raise ValueError(f"num_heads: embed_dim {embed_dim} is not divisible by num_heads {self.num_heads}")
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)  # torch's initialisation
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, L, E), (N, S, E), (N, S, E) -> (out (N, L, E), weights (N, H, L, S))."""
        return multi_head_attention(query, key, value, self.in_proj_weight, self.in_proj_bias,
                                    self.out_proj.weight, self.out_proj.bias, self.num_heads, bias)


class EncoderBlock(nn.Module):
    """``nn.TransformerEncoderLayer(E, H, F, dropout=0.0, batch_first=True, norm_first=...)``: same maths, same
    state_dict keys. Post-norm x -> LN(x + SA(x)) -> LN(· + FF(·)); pre-norm x -> x + SA(LN(x)) -> · + FF(LN(·))."""

    def __init__(self, embed_dim: int, num_heads: int, dim_feedforward: int, norm_first: bool = False) -> None:
        super().__init__()
        embed_dim = positive_int(embed_dim, "embed_dim")
        dim_feedforward = positive_int(dim_feedforward, "dim_feedforward")
        self.norm_first = bool(norm_first)
        self.self_attn = MultiHeadAttention(embed_dim, num_heads)
        self.linear1 = nn.Linear(embed_dim, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, embed_dim)
        self.norm1, self.norm2 = nn.LayerNorm(embed_dim), nn.LayerNorm(embed_dim)

    def _sublayer(self, x: torch.Tensor, f, norm: nn.LayerNorm) -> torch.Tensor:
        return x + f(norm(x)) if self.norm_first else norm(x + f(x))  # pre-LN / post-LN

    def _ff(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(torch.relu(self.linear1(x)))  # (N, L, F) inside

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x (N, L, E) -> (out (N, L, E), the self-attention's weights (N, H, L, L))."""
        weights = None

        def attend(h: torch.Tensor) -> torch.Tensor:
            nonlocal weights
            sa, weights = self.self_attn(h, h, h, bias)
            return sa

        x = self._sublayer(x, attend, self.norm1)
        return self._sublayer(x, self._ff, self.norm2), weights


@dataclass(frozen=True)
class TinyConfig(validate.Config):
    """Everything about the toy model, its task and its training."""

    task: str = "reverse"  # "reverse", "copy" or "sort"
    length: int = 8  # T tokens per sequence
    vocab: int = 10  # token ids 0 … vocab − 1
    embed_dim: int = 32  # E
    num_heads: int = 2  # H, each of size E / H
    layers: int = 2  # encoder blocks
    dim_feedforward: int = 64  # the feed-forward's hidden size
    steps: int = 350  # Adam steps: every test sequence right by a margin > 5, also on scalar kernels and nudged
    batch_size: int = 64  # sequences per step
    lr: float = 1e-2  # Adam's learning rate
    train_size: int = 4000  # sequences drawn once; the test set is drawn separately
    test_size: int = 200  # test sequences
    seed: int = 0  # the data's, the initialisation's and the batches'
    threads: int | None = 1  # one thread: reproducible float sums, and faster for these small ops

    def __post_init__(self) -> None:
        one_of(self.task, "task", ("reverse", "copy", "sort"))
        for name in ("length", "vocab", "embed_dim", "num_heads", "layers", "dim_feedforward", "steps",
                     "batch_size", "train_size", "test_size"):
            self._set(name, positive_int(getattr(self, name), name))  # a numpy int becomes an int
        self._set("seed", non_negative_int(self.seed, "seed"))
        self._set("lr", positive_float(self.lr, "lr"))
        if self.threads is not None:
            self._set("threads", positive_int(self.threads, "threads"))
        if self.embed_dim % self.num_heads:
            raise ValueError(f"num_heads: embed_dim {self.embed_dim} is not divisible by num_heads "
                             f"{self.num_heads}")
        if self.embed_dim % 2:
            raise ValueError(f"embed_dim: expected an even number (sinusoidal encoding), got {self.embed_dim}")


def toy_task(task: str, n: int, length: int, vocab: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n random sequences and their targets: reversed, copied or sorted. Both int64 (n, length)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab, size=(n, length))
    y = {"reverse": x[:, ::-1], "copy": x, "sort": np.sort(x, axis=1)}[task]
    return torch.from_numpy(x.copy()), torch.from_numpy(y.copy())


class TinyTransformer(nn.Module):
    """Token embedding + sinusoidal positions -> ``layers`` EncoderBlocks -> a linear read-out per position."""

    def __init__(self, config: TinyConfig) -> None:
        super().__init__()
        self.config = c = config
        self.embed = nn.Embedding(c.vocab, c.embed_dim)
        pe = torch.tensor(positional_encoding(c.length, c.embed_dim), dtype=torch.float32)
        self.register_buffer("positions", pe)
        self.blocks = nn.ModuleList(EncoderBlock(c.embed_dim, c.num_heads, c.dim_feedforward)
                                    for _ in range(c.layers))
        self.head = nn.Linear(c.embed_dim, c.vocab)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """tokens (N, length) -> (logits (N, length, vocab), per layer the weights (N, H, length, length))."""
        x = self.embed(tokens) + self.positions
        maps = []
        for block in self.blocks:
            x, w = block(x)
            maps.append(w)
        return self.head(x), maps

    def attention_maps(self, tokens: torch.Tensor) -> list[np.ndarray]:
        """Per layer, the self-attention weights (N, H, length, length) on ``tokens`` (N, length), as numpy."""
        with torch.no_grad():
            _, maps = self(torch.as_tensor(tokens).reshape(-1, self.config.length))
        return [m.double().numpy() for m in maps]


@dataclass
class TrainLog:
    """The losses of a training run, every step, and the test set it is measured on."""

    losses: list[float] = field(default_factory=list)
    test_x: torch.Tensor | None = None
    test_y: torch.Tensor | None = None


def train(config: TinyConfig | None = None, *, progress: bool = True) -> tuple[TinyTransformer, TrainLog]:
    """Train a TinyTransformer on ``config.task`` with Adam and cross-entropy per position, on
    ``config.threads`` CPU threads (float32); returns (the model in eval mode, its TrainLog)."""
    c = config or TinyConfig()
    torch.manual_seed(c.seed)
    x, y = toy_task(c.task, c.train_size, c.length, c.vocab, c.seed)
    test_x, test_y = toy_task(c.task, c.test_size, c.length, c.vocab, c.seed + 1)
    model = nudge(TinyTransformer(c))
    opt = Adam(model.parameters(), lr=c.lr)  # torch.optim.Adam's steps, without importing torch's compiler
    gen = torch.Generator().manual_seed(c.seed)
    history = TrainLog(test_x=test_x, test_y=test_y)
    with torch_threads(c.threads):
        for _ in tqdm(range(c.steps), desc="training steps", disable=not progress):
            idx = torch.randint(0, c.train_size, (c.batch_size,), generator=gen)
            logits, _ = model(x[idx])
            loss = nn.functional.cross_entropy(logits.reshape(-1, c.vocab), y[idx].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            history.losses.append(loss.item())
    return model.eval(), history


def sequence_accuracy(model: TinyTransformer, x: torch.Tensor, y: torch.Tensor) -> tuple[int, float]:
    """(sequences entirely right, the smallest logit margin over all positions): the margin, true token's logit
    minus the best other one, says how far a prediction is from flipping on another machine's rounding."""
    with torch.no_grad():
        logits, _ = model(x)
    true = logits.gather(-1, y[..., None])[..., 0]
    other = logits.scatter(-1, y[..., None], -torch.inf).amax(-1)
    margin = true - other
    return int((margin > 0).all(dim=1).sum()), float(margin.min())


def layer_heads(model: TinyTransformer, tokens: torch.Tensor | list[int],
                layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The queries, keys, values, each (H, length, head_dim) float64, of ``layer``'s heads on one sequence."""
    layer = index(layer, "layer", len(model.blocks), what="a layer")
    tokens = torch.as_tensor(tokens, dtype=torch.int64).reshape(1, -1)
    with torch.no_grad():
        x = model.embed(tokens) + model.positions
        for block in model.blocks[:layer]:
            x, _ = block(x)
        attn = model.blocks[layer].self_attn
        H, E = attn.num_heads, x.shape[-1]
        parts = nn.functional.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
        q, k, v = (p.view(-1, H, E // H).transpose(0, 1).double().numpy() for p in parts)
    return q, k, v


def gradient_through_depth(layers: int = 8, embed_dim: int = 32, num_heads: int = 4,
                           seed: int = 0) -> pd.DataFrame:
    """‖∂L/∂x_l‖ at the input x_l of each of ``layers`` stacked ``nn.TransformerEncoderLayer``s (torch's
    initialisation, float64), relative to the top's, post-norm and pre-norm (``norm_first``); L = Σ out ⊙ g for
    a fixed random g. Index: layer 1 (the bottom) … layers; columns "post-LN", "pre-LN"."""
    layers, E = positive_int(layers, "layers"), positive_int(embed_dim, "embed_dim")
    num_heads, seed = positive_int(num_heads, "num_heads"), non_negative_int(seed, "seed")
    norms = {}
    for name, norm_first in (("post-LN", False), ("pre-LN", True)):
        torch.manual_seed(seed)
        blocks = [nn.TransformerEncoderLayer(E, num_heads, 2 * E, dropout=0.0, batch_first=True,
                                             norm_first=norm_first).double() for _ in range(layers)]
        h = torch.randn(4, 8, E, dtype=torch.float64, requires_grad=True)  # (N, L, E)
        g = torch.randn(4, 8, E, dtype=torch.float64)
        inputs = []
        for block in blocks:
            h.retain_grad()
            inputs.append(h)
            h = block(h)
        (h * g).sum().backward()
        top = g.norm()  # ∂L/∂out
        norms[name] = [float(x.grad.norm() / top) for x in inputs]
    return pd.DataFrame(norms, index=pd.Index(range(1, layers + 1), name="layer"))
