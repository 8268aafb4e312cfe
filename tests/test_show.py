"""The notebook helpers: one table format, bad-input messages as a student sees them, a function's source."""

import pandas as pd
import pytest

from nlpcourse import show


def test_table_formats_floats_only_and_never_prints_negative_zero(capsys):
    df = pd.DataFrame({"name": ["a", "b"], "count": [3, 4], "score": [0.12345, -0.0]})
    show.table(df, "{:.2f}")
    out = capsys.readouterr().out
    assert out == df.to_string(float_format=lambda v: f"{v + 0.0:.2f}") + "\n"
    assert "0.12" in out and "-0.00" not in out and " 3 " in out
    show.table(df, "{:.1%}", index=False)
    assert capsys.readouterr().out.splitlines()[1].split() == ["a", "3", "12.3%"]
    # byte-identical to the print(df.to_string(float_format=lambda v: f"{v:.3f}")) it replaces
    other = pd.DataFrame({"x": [1.23456, 2.0]}, index=["p", "q"])
    show.table(other, "{:.3f}")
    assert capsys.readouterr().out == other.to_string(float_format=lambda v: f"{v:.3f}") + "\n"
    with pytest.raises(TypeError, match="df: expected a pandas DataFrame"):
        show.table([1, 2])
    with pytest.raises(ValueError, match="fmt: expected a format pattern"):
        show.table(df, ".2f")


def test_show_errors_prints_each_error_as_the_student_sees_it(capsys):
    def bad(k):
        if k < 0:
            raise ValueError(f"k: expected an int >= 0, got {k}")
        return k

    show.show_errors(lambda: bad(-1), lambda: {}["word"], lambda: int("x"), lambda: bad(1))
    assert capsys.readouterr().out.splitlines() == [
        "ValueError: k: expected an int >= 0, got -1", "KeyError: word",
        "ValueError: invalid literal for int() with base 10: 'x'", "(no error)"]
    with pytest.raises(TypeError, match="calls: expected zero-argument callables"):
        show.show_errors(3)
    with pytest.raises(ZeroDivisionError):  # only the argument errors are shown; a real bug propagates
        show.show_errors(lambda: 1 / 0)


def _example(x: int) -> int:
    """Double x."""
    return 2 * x


class _Holder:
    def method(self) -> int:
        return 1


def test_show_source_prints_the_code_that_runs(capsys):
    show.show_source(_example)
    out = capsys.readouterr().out
    assert out.startswith("def _example(x: int) -> int:") and "return 2 * x" in out
    show.show_source(_Holder.method)  # a method is dedented, its body keeps its indentation
    out = capsys.readouterr().out
    assert out.startswith("def method(self) -> int:") and "\n    " in out
    with pytest.raises(TypeError, match="fn: expected a function or class defined in Python source"):
        show.show_source(len)


def test_claim_prints_when_true_and_raises_naming_it_when_false(capsys) -> None:
    from nlpcourse.show import ClaimError, claim

    claim("ours is faster (1.20×)", 1.2 > 1)
    assert capsys.readouterr().out == "ours is faster (1.20×)\n"
    with pytest.raises(ClaimError, match="ours is faster"):
        claim("ours is faster (0.80×)", 0.8 > 1)
    with pytest.raises(TypeError, match="text"):
        claim("", True)
