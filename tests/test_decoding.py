"""decoding.beam_search over an abstract expand function (used by hsoftmax's tree search and notebook 07)."""

import math

import pytest

from nlpcourse.decoding import Hypothesis, beam_search, greedy_search

# A two-step toy problem where greedy misses: after "a" both continuations are mediocre,
# after "b" one continuation is very likely.
STEPS = {
    "": [("a", 0.6), ("b", 0.4)],
    "a": [("aa", 0.5), ("ab", 0.5)],
    "b": [("ba", 0.9), ("bb", 0.1)],
}


def expand(state):
    return [(nxt, math.log(p)) for nxt, p in STEPS[state]]


def is_final(state):
    return len(state) == 2


def test_greedy_takes_the_locally_best_step_and_misses():
    hyp = greedy_search("", expand, is_final)
    assert hyp.states == ("", "a", "aa")
    assert math.isclose(math.exp(hyp.score), 0.3)


def test_beam_of_two_finds_the_best_and_returns_sorted_hypotheses():
    hyps = beam_search("", expand, is_final, beam_size=2)
    assert [h.state for h in hyps] == ["ba", "aa"]
    assert math.isclose(math.exp(hyps[0].score), 0.36)
    assert all(h.finished for h in hyps)
    assert hyps[0].score >= hyps[1].score


def test_a_beam_as_wide_as_the_space_is_exhaustive():
    hyps = beam_search("", expand, is_final, beam_size=4)
    assert [h.state for h in hyps] == ["ba", "aa", "ab", "bb"]  # 0.36, 0.3, 0.3 (first found first), 0.04
    assert sum(math.exp(h.score) for h in hyps) == pytest.approx(1.0)


def test_hypotheses_of_different_lengths():
    # "stop" ends early with probability 0.5; the long path has 0.5 · 0.9
    steps = {"": [("stop", 0.5), ("go", 0.5)], "go": [("go-on", 0.9), ("go-x", 0.1)]}
    hyps = beam_search("", lambda s: [(n, math.log(p)) for n, p in steps[s]],
                       lambda s: s in ("stop", "go-on", "go-x"), beam_size=2)
    assert [h.state for h in hyps] == ["stop", "go-on"]


def test_start_already_final_and_max_steps():
    assert beam_search("aa", expand, is_final, beam_size=3) == [Hypothesis(("aa",), 0.0, True)]
    # one step only: nothing finished, the beam comes back as it stands
    hyps = beam_search("", expand, is_final, beam_size=2, max_steps=1)
    assert [h.state for h in hyps] == ["a", "b"] and not any(h.finished for h in hyps)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_beam_size(bad):
    with pytest.raises(ValueError, match="beam_size: expected an int >= 1"):
        beam_search("", expand, is_final, beam_size=bad)
