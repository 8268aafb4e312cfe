"""The exercise-check helpers and notebook 00's checks (topic checks are tested in their topic's tests)."""

import numpy as np
import pytest

from nlpcourse import checks
from nlpcourse.linear_maps import rotation


def test_check_against_accepts_rejects_and_reports_missing(capsys):
    assert checks.check_against(0.5, "x", 0.5) is True
    assert "✅" in capsys.readouterr().out
    assert checks.check_against(0.7, "x", 0.5, [(lambda a: a > 0.6, "too big")]) is False
    assert "too big" in capsys.readouterr().out
    assert checks.check_against(..., "x", 0.5) is False
    assert "Not answered" in capsys.readouterr().out
    assert checks.check_against([1.0, 2.0], "x", 0.5) is False
    assert "shape ()" in capsys.readouterr().out
    assert checks.check_against(float("nan"), "x", 0.5) is False
    assert "NaN" in capsys.readouterr().out


def test_rotation_check(capsys):
    assert checks.check_rotation_30(rotation(30)) is True
    out = capsys.readouterr().out
    assert "✅" in out


@pytest.mark.parametrize("wrong, hint", [
    (rotation(-30), "clockwise"),
    (rotation(30).T, "clockwise"),
    (rotation(60), "swapped"),
    (np.array([[np.cos(30), -np.sin(30)], [np.sin(30), np.cos(30)]]), "radians"),
    (2 * np.eye(2), "determinant must be 1"),
    (rotation(-90), "where e₁ = (1, 0) lands"),
    (None, "Not answered"),
    (np.eye(3), "shape (2, 2)"),
])
def test_rotation_check_hints(capsys, wrong, hint):
    assert checks.check_rotation_30(wrong) is False
    out = capsys.readouterr().out
    assert hint in out
    assert "0.87" not in out and "0.866" not in out  # never the answer


def test_collapse_check(capsys):
    assert checks.check_collapse([[1.0, 2.0], [0.5, 1.0]], 0.0) is True
    for A, det, hint in [
        (np.eye(2), 0.0, "keeps the plane 2-D"),
        (np.zeros((2, 2)), 0.0, "single point"),
        ([[1.0, 2.0], [0.5, 1.0]], 1.0, "not its determinant"),
        (..., ..., "Not answered"),
        ([[1.0, 2.0], [0.5, 1.0]], ..., "Not answered"),
    ]:
        assert checks.check_collapse(A, det) is False
        assert hint in capsys.readouterr().out


def test_matches_is_a_tolerance_predicate():
    assert checks.matches([1.0, 2.0])(np.array([1.0, 2.0 + 1e-8]))
    assert not checks.matches([1.0, 2.0])(np.array([1.0, 2.01]))
    assert checks.matches(0.5, atol=1e-2)(np.array(0.505))
