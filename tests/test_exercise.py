"""The exercise machinery (nlpcourse.exercise); each topic's checks are tested in its topic's tests."""

import numpy as np
import pytest

from nlpcourse import exercise


def test_check_against_accepts_rejects_and_reports_missing(capsys):
    assert exercise.check_against(0.5, "x", 0.5)
    assert "✅" in capsys.readouterr().out
    assert not exercise.check_against(0.7, "x", 0.5, [(lambda a: a > 0.6, "too big")])
    assert "too big" in capsys.readouterr().out
    assert not exercise.check_against(..., "x", 0.5)
    assert "Not answered" in capsys.readouterr().out
    assert not exercise.check_against([1.0, 2.0], "x", 0.5)
    assert "shape ()" in capsys.readouterr().out
    assert not exercise.check_against(float("nan"), "x", 0.5)
    assert "NaN" in capsys.readouterr().out


def test_matches_is_a_tolerance_predicate():
    assert exercise.matches([1.0, 2.0])(np.array([1.0, 2.0 + 1e-8]))
    assert not exercise.matches([1.0, 2.0])(np.array([1.0, 2.01]))
    assert exercise.matches(0.5, atol=1e-2)(np.array(0.505))


def test_report_reject_and_as_array(capsys):
    assert exercise.report(True, "fine") == exercise.Verdict("passed", "fine")
    assert capsys.readouterr().out == f"{exercise.RIGHT}: fine\n"
    assert exercise.report(0, "hint") == exercise.Verdict("failed", "hint")
    assert capsys.readouterr().out == f"{exercise.WRONG}: hint\n"
    assert exercise.reject(f"{exercise.MISSING}: fill it in").status == "not answered"
    assert capsys.readouterr().out == f"{exercise.MISSING}: fill it in\n"  # not a "wrong", just not yet
    assert exercise.reject("bad shape") == exercise.Verdict("failed", "bad shape")
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

    assert check(_reference)
    assert "agrees with the reference" in capsys.readouterr().out
    for wrong, hint in MISTAKES:  # each hint fires for exactly the mistake it names
        assert not check(wrong)
        out = capsys.readouterr().out
        assert hint in out and all(h not in out for _, h in MISTAKES if h != hint)
    assert not check(lambda x, w: (x @ w, x @ w))
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
        assert not check(fn)
        assert text in capsys.readouterr().out, text
    assert not check(mutates)  # it computes with zeroed weights; the reference used the real ones
    capsys.readouterr()
    assert not exercise.is_stub(_reference) and exercise.is_stub(None) and exercise.is_stub(...)


# --- several outputs: which are right, which wrong, and the hint of each mistake ---------------------------------

def _loss_and_grads(c, U, o):
    """A softmax loss with its two gradients (a small stand-in for word2vec's)."""
    z = U @ c
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    y = np.eye(len(U))[o]
    return -np.log(p[o]), U.T @ (p - y), np.outer(p - y, c)


def _only_observed_row(c, U, o):
    loss, g_c, _ = _loss_and_grads(c, U, o)
    y = np.eye(len(U))[o]
    return loss, g_c, -np.outer(y, c)


def _no_transpose(c, U, o):
    loss, _, g_u = _loss_and_grads(c, U, o)
    z = U @ c
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    return loss, U @ (p - np.eye(len(U))[o]), g_u


_RNG = np.random.default_rng(3)
LOSS_CASES = [(_RNG.normal(size=4), _RNG.normal(size=(4, 4)), k) for k in (0, 2, 3)]
NAMES = ("loss", "grad_center", "grad_outside")
ROW_HINT = "rows other than the observed word are not zero: the softmax touches every row"
TRANSPOSE_HINT = "the center gradient is Uᵀ(p − y): check the transpose"


def check_loss(fn, **kwargs):
    return exercise.check_function(fn, "loss_and_grads", _loss_and_grads, LOSS_CASES,
                                   [(_only_observed_row, ROW_HINT), (_no_transpose, TRANSPOSE_HINT)],
                                   output_names=NAMES, **kwargs)


def test_per_output_verdicts_name_the_wrong_output_and_its_hint(capsys):
    assert check_loss(_loss_and_grads)
    assert capsys.readouterr().out.startswith(exercise.RIGHT)
    assert not check_loss(_only_observed_row)
    assert capsys.readouterr().out == f"{exercise.WRONG}: loss ✓, grad_center ✓, grad_outside ✗: {ROW_HINT}\n"
    assert not check_loss(_no_transpose)
    assert capsys.readouterr().out == f"{exercise.WRONG}: loss ✓, grad_center ✗: {TRANSPOSE_HINT}; grad_outside ✓\n"

    def both(c, U, o):  # both mistakes at once: each output gets its own hint
        return _loss_and_grads(c, U, o)[0], _no_transpose(c, U, o)[1], _only_observed_row(c, U, o)[2]

    assert not check_loss(both)
    assert capsys.readouterr().out == (f"{exercise.WRONG}: loss ✓, grad_center ✗: {TRANSPOSE_HINT}; "
                                       f"grad_outside ✗: {ROW_HINT}\n")

    def loss_only_wrong(c, U, o):  # no mistake explains it: the fallback, for that output only
        loss, g_c, g_u = _loss_and_grads(c, U, o)
        return 2 * loss, g_c, g_u

    assert not check_loss(loss_only_wrong, fallback="re-derive it")
    assert capsys.readouterr().out == f"{exercise.WRONG}: loss ✗: re-derive it; grad_center ✓, grad_outside ✓\n"
    assert not check_loss(lambda c, U, o: _loss_and_grads(c, U, o)[:2])
    assert "should return 3 value(s) (loss, grad_center, grad_outside), got 2" in capsys.readouterr().out
    assert not check_loss(lambda c, U, o: (*_loss_and_grads(c, U, o)[:2], np.full((4, 4), np.inf)))
    assert "NaN or inf in `grad_outside`" in capsys.readouterr().out


def test_a_mistake_may_name_the_outputs_it_concerns(capsys):
    def half_grads(c, U, o):
        loss, g_c, g_u = _loss_and_grads(c, U, o)
        return loss + 1.0, g_c / 2, g_u / 2

    def check(fn):
        return exercise.check_function(fn, "f", _loss_and_grads, LOSS_CASES,
                                       [(half_grads, "halved", ("grad_center", "grad_outside"))],
                                       output_names=NAMES, fallback="no idea")

    assert not check(lambda c, U, o: (lambda r: (r[0], r[1] / 2, r[2] / 2))(_loss_and_grads(c, U, o)))
    assert capsys.readouterr().out == f"{exercise.WRONG}: loss ✓, grad_center ✗, grad_outside ✗: halved\n"
    with pytest.raises(ValueError, match="output_names: expected 3 names"):
        exercise.check_function(_loss_and_grads, "f", _loss_and_grads, LOSS_CASES, output_names=("loss",))


# --- hardening: answers that try to fool the comparison ----------------------------------------------------------

class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(1)


class Agreeable(np.ndarray):
    def __array_ufunc__(self, *args, **kwargs):
        return True

    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)


def test_forged_objects_are_refused_not_compared(capsys):
    def sneaky(kind):
        def fn(x, w):
            ref = _reference(x, w)
            if kind == "eq":
                return AlwaysEqual(), AlwaysEqual()
            if kind == "subclass":
                return tuple(np.zeros_like(r).view(Agreeable) for r in ref)
            import torch

            class Tensorish(torch.Tensor):
                pass

            return tuple(torch.zeros(r.shape).as_subclass(Tensorish) for r in ref)
        return fn

    for kind, text in [("eq", "got AlwaysEqual"), ("subclass", "got Agreeable, not a plain array"),
                       ("tensor", "got Tensorish, not a plain array")]:
        assert not exercise.check_function(sneaky(kind), "f", _reference, CASES)
        assert text in capsys.readouterr().out, kind
    assert not exercise.check_against(AlwaysEqual(), "x", 0.5)
    assert "got AlwaysEqual" in capsys.readouterr().out
    assert not exercise.check_against(np.zeros(()).view(Agreeable), "x", 0.5)
    capsys.readouterr()
    import torch

    assert exercise.check_against(torch.tensor(0.5, requires_grad=True), "x", 0.5)  # honest types still work
    assert exercise.check_against(np.float32(0.5), "x", 0.5) and exercise.check_against([0.5, 1], "x", [0.5, 1.0])
    capsys.readouterr()
    with pytest.raises(exercise.NotNumbers, match="ragged"):
        exercise.plain([[1.0], [1.0, 2.0]])
    with pytest.raises(exercise.NotNumbers, match="str"):
        exercise.plain("0.5")


def test_the_shown_example_is_never_a_case_and_a_constant_answer_fails(capsys):
    example = CASES[0]
    shown = _reference(*example)
    with pytest.raises(ValueError, match="cases: expected inputs the notebook does not show"):
        exercise.check_function(_reference, "f", _reference, CASES, example=example)
    unseen = [(np.array([[1.5, 0.3]]), np.array([[0.2], [-1.1]])), *CASES[1:]]
    assert not exercise.check_function(lambda x, w: shown, "f", _reference, unseen, example=example)
    capsys.readouterr()
    with pytest.raises(ValueError, match="at least one argument tuple"):
        exercise.check_function(_reference, "f", _reference, [])


def test_a_verdict_is_truthy_and_shows_nothing_in_a_notebook(capsys):
    right, wrong = exercise.report(True, "yes"), exercise.report(False, "no")
    capsys.readouterr()
    assert right and not wrong and right == True and wrong == False  # noqa: E712 (what tests of checks write)
    assert (right.status, wrong.status) == ("passed", "failed")
    from IPython.core.formatters import DisplayFormatter

    assert DisplayFormatter().format(right) == ({}, {})  # IPython's display hook prints no `True` below the cell
