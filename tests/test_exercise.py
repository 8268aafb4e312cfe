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
