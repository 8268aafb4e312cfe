"""The exercise machinery (nlpcourse.exercise); each topic's checks are tested in its topic's tests."""

import numpy as np

from nlpcourse import exercise


def test_check_against_accepts_rejects_and_reports_missing(capsys):
    assert exercise.check_against(0.5, "x", 0.5) is True
    assert "✅" in capsys.readouterr().out
    assert exercise.check_against(0.7, "x", 0.5, [(lambda a: a > 0.6, "too big")]) is False
    assert "too big" in capsys.readouterr().out
    assert exercise.check_against(..., "x", 0.5) is False
    assert "Not answered" in capsys.readouterr().out
    assert exercise.check_against([1.0, 2.0], "x", 0.5) is False
    assert "shape ()" in capsys.readouterr().out
    assert exercise.check_against(float("nan"), "x", 0.5) is False
    assert "NaN" in capsys.readouterr().out


def test_matches_is_a_tolerance_predicate():
    assert exercise.matches([1.0, 2.0])(np.array([1.0, 2.0 + 1e-8]))
    assert not exercise.matches([1.0, 2.0])(np.array([1.0, 2.01]))
    assert exercise.matches(0.5, atol=1e-2)(np.array(0.505))


def test_report_reject_and_as_array(capsys):
    assert exercise.report(True, "fine") is True
    assert capsys.readouterr().out == f"{exercise.RIGHT}: fine\n"
    assert exercise.report(0, "hint") is False
    assert capsys.readouterr().out == f"{exercise.WRONG}: hint\n"
    assert exercise.reject(f"{exercise.MISSING}: fill it in") is False
    assert capsys.readouterr().out == f"{exercise.MISSING}: fill it in\n"  # not a "wrong", just not yet
    assert exercise.reject("bad shape") is False
    assert capsys.readouterr().out.startswith(exercise.WRONG)
    import torch

    np.testing.assert_array_equal(exercise.as_array(torch.tensor([1.0, 2.0]), "x", (2,)), [1.0, 2.0])
    assert exercise.as_array(None, "x").startswith(exercise.MISSING)
    assert "should be numbers" in exercise.as_array({"a": 1}, "x")
    assert "shape (2,)" in exercise.as_array([1.0], "x", (2,))


def _reference(x, w):
    return np.tanh(x @ w), 1 - np.tanh(x @ w) ** 2


def _forgot_square(x, w):
    return np.tanh(x @ w), 1 - np.tanh(x @ w)


def _wrong_sign(x, w):
    return np.tanh(x @ w), np.tanh(x @ w) ** 2 - 1


CASES = [(np.array([[0.5, -1.0]]), np.array([[1.0], [2.0]])), (np.array([[2.0, 0.1]]), np.array([[-0.3], [0.7]]))]
MISTAKES = [(_forgot_square, "square the tanh"), (_wrong_sign, "check the sign")]


def test_check_function_right_wrong_and_every_hint_reachable(capsys):
    def check(fn):
        return exercise.check_function(fn, "f", _reference, CASES, MISTAKES)

    assert check(_reference) is True
    assert "agrees with the reference" in capsys.readouterr().out
    for wrong, hint in MISTAKES:  # each hint fires for exactly the mistake it names
        assert check(wrong) is False
        out = capsys.readouterr().out
        assert hint in out and all(h not in out for _, h in MISTAKES if h != hint)
    assert check(lambda x, w: (x @ w, x @ w)) is False
    assert "disagrees with the reference" in capsys.readouterr().out


def test_check_function_stubs_errors_and_malformed_results(capsys):
    def check(fn):
        return exercise.check_function(fn, "f", _reference, CASES, MISTAKES)

    def stub(x, w):
        ...

    def not_implemented(x, w):
        raise NotImplementedError

    def crashes(x, w):
        return x @ w.T

    def mutates(x, w):
        w *= 0  # writes into its input: the reference's run must not see it
        return _reference(x, w)

    for fn, text in [(..., "Not answered"), (None, "Not answered"), (stub, "returns None"),
                     (not_implemented, "still raises NotImplementedError"), (crashes, "raised ValueError"),
                     (3, "should be a function"), (lambda x, w: "text", "should return numbers"),
                     (lambda x, w: np.tanh(x @ w), "should return 2 value(s), got 1"),
                     (lambda x, w: (np.tanh(x @ w).ravel(), 0 * x), "should have shape"),
                     (lambda x, w: (np.full((1, 1), np.nan), x @ w), "NaN or inf")]:
        assert check(fn) is False
        assert text in capsys.readouterr().out, text
    assert check(mutates) is False  # it computes with zeroed weights; the reference used the real ones
    capsys.readouterr()
    assert not exercise.is_stub(_reference) and exercise.is_stub(None) and exercise.is_stub(...)
