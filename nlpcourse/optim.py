"""Adam on torch tensors: notebook 05's update (``mlp.train.Adam``) for the torch models of 06 and 08.

It takes the same steps as ``torch.optim.Adam`` (to the last bit; tested on many random problems), with all the
parameters in one flat vector, so a step is a handful of tensor ops whatever the model's number of tensors (torch's
``fused=True`` speed). Why not torch's own: a ``torch.optim`` optimiser imports torch's compiler (``torch._dynamo``)
when it is built, ~1.5 s of a notebook's run for nothing the notebook uses.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from . import validate

__all__ = ["Adam"]


class Adam:
    """m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − lr·m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).

    ``params``: the tensors to train (``model.parameters()``), one dtype and device; ``step()`` reads their
    ``.grad``. m, v: (P,) for the P numbers in all of them.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params = validate.non_empty(list(params), "params", what="tensors to train")
        for p in self.params:
            if not isinstance(p, torch.Tensor):
                raise TypeError(f"params: expected tensors that require grad, got a {type(p).__name__}")
            if not p.requires_grad:
                raise TypeError("params: expected tensors that require grad, got one with requires_grad=False")
        kinds = {(p.dtype, p.device) for p in self.params}
        if len(kinds) > 1:
            raise ValueError(f"params: expected one dtype and device for all tensors, got {sorted(map(str, kinds))}")
        self.lr = validate.positive_float(lr, "lr")
        if len(betas) != 2:
            raise ValueError(f"betas: expected two decay rates (β₁, β₂), got {betas!r}")
        self.betas = tuple(validate.probability(b, "betas", open_high=True) for b in betas)
        self.eps = validate.positive_float(eps, "eps")
        self.sizes = [p.numel() for p in self.params]
        self.m = self.params[0].new_zeros(sum(self.sizes))  # (P,)
        self.v = torch.zeros_like(self.m)  # (P,)
        self.t = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        missing = [i for i, p in enumerate(self.params) if p.grad is None]
        if missing:
            raise ValueError(f"params: tensor {missing[0]} has no gradient (is it used by the loss?); "
                             "give Adam only the tensors the loss depends on")
        self.t += 1
        b1, b2 = self.betas
        g = torch.cat([p.grad.reshape(-1) for p in self.params])  # (P,)
        self.m.lerp_(g, 1 - b1)  # β₁m + (1 − β₁)g
        self.v.mul_(b2).addcmul_(g, g, value=1 - b2)  # β₂v + (1 − β₂)g²
        denominator = (self.v.sqrt() / (1 - b2**self.t) ** 0.5).add_(self.eps)  # √v̂ + ε
        # −lr·m̂/(√v̂ + ε), m̂'s correction folded into the rate; torch's rounding (its addcdiv on θ)
        update = torch.zeros_like(g).addcdiv_(self.m, denominator, value=-self.lr / (1 - b1**self.t))
        for p, u in zip(self.params, update.split(self.sizes), strict=True):
            p.add_(u.view_as(p))
