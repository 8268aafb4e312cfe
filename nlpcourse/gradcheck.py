"""Is our gradient right? Ours (numpy, by hand) vs torch autograd vs finite differences.

Every topic derives a gradient by hand and codes it in numpy. This module checks it twice:

1. against **torch autograd** on the same computation written with torch ops (exact up to rounding:
   differences ~1e-16 in float64);
2. against **central finite differences** ``(f(x + eps) - f(x - eps)) / (2 eps)`` for every entry
   (independent of both; differences ~1e-10 in float64 with eps = 1e-6).

Typical use::

    def ours(p):                                  # -> (loss, {name: dloss/dname})
        ...
    def with_torch(p):                            # p: dict of float64 tensors -> scalar tensor
        ...
    result = check_gradients(ours, with_torch, {"W": W, "x": x})
    result.ok        # True when all three agree to `tol`
    result           # prints a table that reproduces across machines (errors as "< 1e-k" bounds)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["finite_difference", "torch_gradients", "check_gradients", "GradCheck", "error_bound"]


def error_bound(x: float, floor: float | None = None) -> str:
    """A non-negative error x as its power-of-ten bound, "< 1e-k" with 10^-k the smallest power above x
    (3e-17 -> "< 1e-16", 0.5 -> "< 1e0"); "0" for an exact zero, "nan" for NaN.

    Raw rounding errors (1.2e-17 here, 3.4e-17 there) differ between CPUs; their bound rarely does. With
    ``floor``, any x < floor (0 included) prints as floor's bound, so all rounding-level errors print alike."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if x < 0:
        raise ValueError(f"x: expected a non-negative error, got {x!r}")
    if floor is not None and x < floor:
        return f"< 1e{round(math.log10(floor))}"
    if x == 0:
        return "0"
    if math.isinf(x):
        return "inf"
    exponent = math.floor(math.log10(x)) + 1
    if 10.0 ** (exponent - 1) > x:  # log10 rounded up at an exact power of ten's neighbour
        exponent -= 1
    return f"< 1e{exponent}"


def _float64_copies(params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """name -> a float64 copy of params[name] (we perturb the copies in place); ValueError for bad params."""
    if not isinstance(params, Mapping) or not params:
        raise ValueError(f"params: expected a non-empty dict name -> array, got {params!r:.60}")
    copies = {}
    for name, value in params.items():
        try:
            copies[name] = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"params[{name!r}]: expected a float array, got {type(value).__name__}") from None
    return copies


def finite_difference(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + eps·e_i) − f(x − eps·e_i)) / (2 eps) for every entry of x: df/dx, x's shape.

    ``x`` (float64) is perturbed **in place** — ``f()`` reads it, e.g. through a closure — and restored."""
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        got = f"{type(x).__name__} of dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"x: expected a float64 numpy array (float32 is too coarse for eps={eps}), got {got}")
    if not x.flags.writeable:
        raise ValueError("x: expected a writeable array (it is perturbed in place), got a read-only one")
    if not eps > 0:
        raise ValueError(f"eps: expected a positive step, got {eps!r}")
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            x[idx] = old + eps
            plus = float(f())
            x[idx] = old - eps
            minus = float(f())
        finally:
            x[idx] = old
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def torch_gradients(
    fn: Callable[[dict], object], params: Mapping[str, np.ndarray]
) -> tuple[float, dict[str, np.ndarray]]:
    """The loss and its gradients by torch autograd: (loss, name -> dloss/dname as float64 arrays).

    ``fn`` maps a dict name -> float64 leaf tensor to a scalar tensor; ``params`` (name -> array) are copied to
    those tensors; a parameter the loss does not use gets zeros."""
    import torch

    tensors = {
        name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
        for name, value in _float64_copies(params).items()
    }
    loss = fn(tensors)
    if not isinstance(loss, torch.Tensor):
        raise ValueError(f"torch_fn: expected to return a scalar torch tensor, got {type(loss).__name__}")
    if loss.numel() != 1:
        raise ValueError(f"torch_fn: expected a scalar loss, got a tensor of shape {tuple(loss.shape)}")
    if not loss.requires_grad:
        raise ValueError("torch_fn: the loss does not depend on any parameter (built outside autograd?)")
    loss = loss.reshape(())
    loss.backward()
    grads = {
        name: (t.grad.detach().numpy().copy() if t.grad is not None else np.zeros(tuple(t.shape)))
        for name, t in tensors.items()
    }
    return float(loss.detach()), grads


@dataclass
class GradCheck:
    """The result of :func:`check_gradients`: ``ok`` (every parameter agrees with autograd and finite
    differences to ``tol``), ``table`` (a row per parameter: shape, loss vs autograd, max |ours − autograd|,
    max |ours − finite diff|, ok; raw floats, printed as bounds by ``str()``), the losses and the three
    gradient dicts."""

    ok: bool
    table: pd.DataFrame
    loss: float
    loss_autograd: float
    grads: dict[str, np.ndarray] = field(repr=False)
    grads_autograd: dict[str, np.ndarray] = field(repr=False)
    grads_finite: dict[str, np.ndarray] = field(repr=False)
    tol: float = 1e-6

    #: Below these, differences print as "< 1e-12" / "< 1e-8": rounding noise is not shown, so the
    #: printed table is the same on every CPU.
    AUTOGRAD_FLOOR = 1e-12
    FINITE_FLOOR = 1e-8

    def __str__(self) -> str:
        verdict = "passed" if self.ok else "FAILED"
        floors = {
            "loss vs autograd": self.AUTOGRAD_FLOOR,
            "max |ours - autograd|": self.AUTOGRAD_FLOOR,
            "max |ours - finite diff|": self.FINITE_FLOOR,
        }
        shown = pd.DataFrame(
            {
                "shape": self.table["shape"],
                **{col: [error_bound(v, floor) for v in self.table[col]] for col, floor in floors.items()},
                "ok": ["yes" if v else "NO" for v in self.table["ok"]],
            },
            index=list(self.table.index),
        )
        if np.isnan(self.loss_autograd):
            shown = shown.drop(columns=["loss vs autograd", "max |ours - autograd|"])
        return f"gradient check {verdict} (tol {self.tol:.0e})\n{shown.to_string()}"

    __repr__ = __str__

    def show(self) -> None:
        """Print the reproducible table (same as ``print(result)``)."""
        print(self)


def check_gradients(
    numpy_fn: Callable[[dict[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]],
    torch_fn: Callable[[dict], object] | None,
    params: Mapping[str, np.ndarray],
    eps: float = 1e-6,
    tol: float = 1e-6,
) -> GradCheck:
    """Our hand-derived gradients against torch autograd and finite differences (a :class:`GradCheck`).

    ``numpy_fn``: dict name -> float64 array -> (loss, dict of gradients), not modifying its inputs;
    ``torch_fn``: the same loss in torch (None: finite differences only). A parameter passes when
    max |ours − other| <= tol · max(1, max |ours|) for both others and the losses agree to tol · max(1, |loss|)."""
    values = _float64_copies(params)

    loss, grads = _call_ours(numpy_fn, values)
    if torch_fn is not None:
        loss_t, grads_t = torch_gradients(torch_fn, values)
    else:
        loss_t, grads_t = float("nan"), {name: np.full(v.shape, np.nan) for name, v in values.items()}

    def f() -> float:
        return float(numpy_fn(values)[0])

    grads_fd = {name: finite_difference(f, values[name], eps) for name in values}

    loss_diff = abs(loss - loss_t)
    loss_ok = bool(np.isnan(loss_t) or loss_diff <= tol * max(1.0, abs(loss)))
    rows = []
    for name, g in grads.items():
        scale = tol * max(1.0, float(np.abs(g).max(initial=0.0)))
        d_auto = float(np.abs(g - grads_t[name]).max(initial=0.0))
        d_fd = float(np.abs(g - grads_fd[name]).max(initial=0.0))
        ok = loss_ok and d_fd <= scale and (torch_fn is None or d_auto <= scale)
        rows.append((name, str(tuple(g.shape)), loss_diff, d_auto, d_fd, ok))
    table = pd.DataFrame(
        rows,
        columns=["parameter", "shape", "loss vs autograd", "max |ours - autograd|", "max |ours - finite diff|", "ok"],
    ).set_index("parameter")
    return GradCheck(
        ok=bool(table["ok"].all()),
        table=table,
        loss=loss,
        loss_autograd=loss_t,
        grads=grads,
        grads_autograd=grads_t,
        grads_finite=grads_fd,
        tol=tol,
    )


def _call_ours(
    numpy_fn: Callable[[dict[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]], values: dict[str, np.ndarray]
) -> tuple[float, dict[str, np.ndarray]]:
    """Run ``numpy_fn`` once and check what it returns: a float loss and one gradient per parameter."""
    before = {name: v.copy() for name, v in values.items()}
    out = numpy_fn(values)
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], Mapping)):
        raise ValueError(f"numpy_fn: expected to return (loss, dict of gradients), got {type(out).__name__}")
    loss_raw, grads_raw = out
    if np.ndim(loss_raw) != 0:
        raise ValueError(f"numpy_fn: expected a scalar loss, got shape {np.shape(loss_raw)}")
    for name, v in values.items():
        if not np.array_equal(v, before[name], equal_nan=True):
            raise ValueError(f"numpy_fn: it modified its input params[{name!r}]; it must not (copy first)")
    missing = sorted(set(values) - set(grads_raw))
    extra = sorted(set(grads_raw) - set(values))
    if missing or extra:
        raise ValueError(
            f"numpy_fn: expected gradients for exactly {sorted(values)}, got {sorted(grads_raw)} "
            f"(missing {missing}, unexpected {extra})"
        )
    grads = {}
    for name, v in values.items():
        g = np.asarray(grads_raw[name], dtype=np.float64)
        if g.shape != v.shape:
            raise ValueError(f"numpy_fn: gradient of {name!r}: expected shape {v.shape}, got {g.shape}")
        grads[name] = g.copy()
    return float(loss_raw), grads
