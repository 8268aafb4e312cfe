"""The perturbation switch: every trained model starts ~10 roundings away from its usual parameters.

Another CPU's float kernels move a training run by about one rounding of its dtype at the start. With the
environment variable ``NLPCOURSE_PERTURB`` set to an integer (the nudge's seed; ``make test-portable`` sets 1),
``nudge(x)`` returns x · (1 + 10·eps(dtype)·u), u uniform in [-1, 1] per entry (relative ~1e-6 for float32,
~1e-15 for float64): a printed result that survives this survives a new CPU. Unset or empty: x unchanged.

The course's initialisation functions call it; so does every trainer that starts a model another way. The
noise is a function of the seed and of x's own values, so the same starting parameters get the same nudge
(two runs with one seed stay equal) whatever ran before. fastText's own bindings (``subwords.train_fasttext``)
initialise and train inside C++: they cannot be nudged.
"""
from __future__ import annotations

import hashlib
import os

import numpy as np

__all__ = ["ENV", "nudge", "perturb_seed"]

ENV = "NLPCOURSE_PERTURB"
ROUNDINGS = 10  # the nudge, in units of the dtype's machine epsilon


def perturb_seed() -> int | None:
    """The switch: ``NLPCOURSE_PERTURB`` as an int (the nudge's seed), None when unset or empty."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{ENV}: expected an integer seed (or unset to switch the nudge off), "
                         f"got {value!r}") from None


def _factor(raw: bytes, shape: tuple[int, ...], eps: float, seed: int) -> np.ndarray:
    """1 + ROUNDINGS·eps·u of ``shape``, u uniform in [-1, 1] seeded by (seed, a hash of the values' bytes);
    float64 where eps is float64's, else float32 (enough for a nudge of 10 roundings)."""
    digest = int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "little")
    rng = np.random.default_rng([seed & 0xFFFFFFFF, digest])
    work = np.float64 if eps <= np.finfo(np.float64).eps else np.float32
    u = rng.random(shape, dtype=work) * 2 - 1
    return 1 + work(ROUNDINGS * eps) * u


def _nudge_array(a: np.ndarray, seed: int) -> np.ndarray:
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"x: expected floating-point parameters, got an array of {a.dtype}")
    a = np.ascontiguousarray(a)
    return (a * _factor(a.tobytes(), a.shape, float(np.finfo(a.dtype).eps), seed)).astype(a.dtype, copy=False)


def _nudge_tensor(t, seed: int):  # torch.Tensor -> torch.Tensor of the same dtype, device and requires_grad
    import torch

    if not t.is_floating_point():
        raise TypeError(f"x: expected floating-point parameters, got a tensor of {t.dtype}")
    data = t.detach().cpu().contiguous()
    factor = torch.from_numpy(_factor(data.reshape(-1).view(torch.uint8).numpy().tobytes(), tuple(data.shape),
                                      torch.finfo(t.dtype).eps, seed))
    out = (data.to(factor.dtype) * factor).to(t.dtype).to(t.device)
    return out.requires_grad_(t.requires_grad)


def nudge(x):
    """x · (1 + 10·eps·u) when ``NLPCOURSE_PERTURB`` is set, else x itself.

    x: a float numpy array or torch tensor (a new one is returned), a ``torch.nn.Module`` (its parameters are
    nudged in place; the module is returned), or a gensim model after ``build_vocab`` (its input vectors and
    output weights — ``wv.vectors``, FastText's ``wv.vectors_vocab``/``wv.vectors_ngrams``, ``syn1neg``,
    ``syn1`` — in place; the model is returned).
    """
    seed = perturb_seed()
    if seed is None:
        return x
    if isinstance(x, np.ndarray):
        return _nudge_array(x, seed)
    if hasattr(x, "wv") and hasattr(x, "build_vocab"):  # a gensim Word2Vec / FastText model
        done: list[np.ndarray] = []
        arrays = [getattr(x.wv, name, None) for name in ("vectors", "vectors_vocab", "vectors_ngrams")]
        arrays += [getattr(x, name, None) for name in ("syn1neg", "syn1")]
        for a in arrays:
            if isinstance(a, np.ndarray) and a.size and not any(np.shares_memory(a, b) for b in done):
                a[...] = _nudge_array(a, seed)
                done.append(a)
        return x
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency of the course
        torch = None
    if torch is not None and isinstance(x, torch.Tensor):
        return _nudge_tensor(x, seed)
    if torch is not None and isinstance(x, torch.nn.Module):
        with torch.no_grad():
            for p in x.parameters():
                if p.is_floating_point():
                    p.copy_(_nudge_tensor(p, seed))
        return x
    raise TypeError(f"x: expected a numpy array, a torch tensor or module, or a gensim model, "
                    f"got {type(x).__name__}")
