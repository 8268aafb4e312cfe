"""Beam search over abstract states: notebook 02 descends the hierarchical-softmax tree, notebook 07 decodes tokens.

A search problem is given by a start state and an ``expand`` function that lists the states one step
away with the log-probability of that step. ``beam_search`` keeps the ``beam_size`` best partial
hypotheses at each step (``beam_size=1`` is greedy search); a hypothesis's score is the sum of its step
log-probabilities, i.e. the log of the product of the step probabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from . import validate

__all__ = ["Hypothesis", "beam_search", "greedy_search"]

S = TypeVar("S", bound=Hashable)


@dataclass(frozen=True)
class Hypothesis(Generic[S]):
    """One (partial) path: the states visited from the start, and the summed step log-probabilities."""

    states: tuple[S, ...]
    score: float
    finished: bool

    @property
    def state(self) -> S:
        """The last state of the path."""
        return self.states[-1]


def beam_search(
    start: S,
    expand: Callable[[S], Iterable[tuple[S, float]]],
    is_final: Callable[[S], bool],
    beam_size: int,
    max_steps: int = 1000,
) -> list[Hypothesis[S]]:
    """Up to ``beam_size`` finished hypotheses from ``start``, best score first (ties: first found first).

    ``expand(state)`` lists (next state, log p of the step) for a state that is not ``is_final``; after
    ``max_steps`` expansions the unfinished hypotheses are dropped (the beam as it stands if none finished).
    """
    beam_size = validate.positive_int(beam_size, "beam_size")
    max_steps = validate.positive_int(max_steps, "max_steps")
    beam = [Hypothesis((start,), 0.0, is_final(start))]
    for _ in range(max_steps):
        if all(h.finished for h in beam):
            break
        candidates: list[Hypothesis[S]] = []
        for hyp in beam:
            if hyp.finished:
                candidates.append(hyp)
                continue
            for nxt, logp in expand(hyp.state):
                candidates.append(Hypothesis((*hyp.states, nxt), hyp.score + float(logp), is_final(nxt)))
        # sorted() is stable: among equal scores the earlier candidate wins, so results are deterministic
        beam = sorted(candidates, key=lambda h: -h.score)[:beam_size]
    finished = [h for h in beam if h.finished]
    return finished if finished else beam


def greedy_search(
    start: S, expand: Callable[[S], Iterable[tuple[S, float]]], is_final: Callable[[S], bool],
    max_steps: int = 1000,
) -> Hypothesis[S]:
    """Take the most probable step every time (``beam_search`` with ``beam_size=1``); return the path."""
    return beam_search(start, expand, is_final, beam_size=1, max_steps=max_steps)[0]
