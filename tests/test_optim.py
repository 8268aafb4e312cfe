"""nlpcourse.optim.Adam against torch.optim.Adam: the same parameters after every step, on many random problems."""

import numpy as np
import pytest
import torch

from nlpcourse import mlp
from nlpcourse.mlp import train as mlp_train
from nlpcourse.optim import Adam


def _problem(seed: int, dtype: torch.dtype) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Two copies of a few parameters of mixed shapes and a loss with gradients of very different scales."""
    g = torch.Generator().manual_seed(seed)
    shapes = [(3, 4), (4,), (2, 3, 2), (1,)]
    start = [torch.randn(s, generator=g, dtype=dtype) * 10.0 ** float(torch.randint(-3, 3, (), generator=g))
             for s in shapes]
    return [t.clone().requires_grad_() for t in start], [t.clone().requires_grad_() for t in start]


def _loss(params: list[torch.Tensor], t: int) -> torch.Tensor:
    return sum(((p - 0.1 * t) ** 2).sum() * (i + 1) + torch.sin(p).sum() for i, p in enumerate(params))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("seed", range(8))
def test_same_steps_as_torch_adam(seed: int, dtype: torch.dtype) -> None:
    ours, theirs = _problem(seed, dtype)
    settings = [dict(lr=1e-3), dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.3, betas=(0.0, 0.5))][seed % 3]
    opt, ref = Adam(ours, **settings), torch.optim.Adam(theirs, foreach=False, **settings)
    for t in range(25):
        for o, params in ((opt, ours), (ref, theirs)):
            o.zero_grad()
            _loss(params, t).backward()
            o.step()
        for a, b in zip(ours, theirs, strict=True):
            assert torch.equal(a, b), (t, (a - b).abs().max())


def test_same_steps_as_notebook_05s_numpy_adam() -> None:
    rng = np.random.default_rng(0)
    start = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    numpy_params = {k: v.copy() for k, v in start.items()}
    torch_params = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    ours, lesson = Adam(torch_params.values(), lr=0.01), mlp_train.Adam(lr=0.01)
    for _ in range(20):
        grads = {k: rng.standard_normal(v.shape) for k, v in start.items()}
        for k, p in torch_params.items():
            p.grad = torch.tensor(grads[k])
        ours.step()
        lesson.step(numpy_params, grads)
    for k in start:
        np.testing.assert_allclose(torch_params[k].detach().numpy(), numpy_params[k], rtol=1e-12, atol=1e-14)
    assert mlp  # (05's package, whose Adam this one follows)


def test_errors_name_the_argument() -> None:
    p = torch.zeros(2, requires_grad=True)
    for kwargs, error, match in [(dict(params=[]), ValueError, "params"),
                                 (dict(params=[torch.zeros(2)]), TypeError, "params: .*requires_grad=False"),
                                 (dict(params=[np.zeros(2)]), TypeError, "params: .*ndarray"),
                                 (dict(params=[p], lr=0.0), ValueError, "lr"),
                                 (dict(params=[p], betas=(0.9,)), ValueError, "betas"),
                                 (dict(params=[p], betas=(0.9, 1.0)), ValueError, "betas"),
                                 (dict(params=[p], eps=-1.0), ValueError, "eps"),
                                 (dict(params=[p, torch.zeros(2, dtype=torch.float64, requires_grad=True)]),
                                  ValueError, "params: .*one dtype")]:
        with pytest.raises(error, match=match):
            Adam(**kwargs)
    q = torch.zeros(3, requires_grad=True)
    opt = Adam([p, q])
    (p ** 2).sum().backward()  # q unused: torch would skip it, ours says so
    with pytest.raises(ValueError, match="params: tensor 1 has no gradient"):
        opt.step()
