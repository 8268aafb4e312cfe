"""The nbval numbers rule (coursetools.nbnumbers): ±1 in the last printed digit of a decimal, all else exact."""
import nbformat
import pytest

from coursetools.nbnumbers import PrintedText, numbers_match

pytest_plugins = ["pytester"]


@pytest.mark.parametrize("stored, got", [
    ("-0.14", "-0.15"),  # issue 19: scientist, seed 2, on an Intel Sapphire Rapids
    ("-0.14", "-0.13"),
    ("SimLex 0.24, WordSim 0.61", "SimLex 0.23, WordSim 0.61"),
    ("loss 1.345 after 200 steps", "loss 1.346 after 200 steps"),
    ("0.99", "1.00"),
    ("1.5e-03", "1.6e-03"),
    ("9.9e-04", "1.0e-03"),  # one unit, across a power of ten
    ("1e-05", "2e-05"),
    ("12.3%", "12.4%"),
    ("accuracy 87.5 %.", "accuracy 87.4 %."),
    ("| 0.50 | 0.25 |\n| 0.75 | 1.00 |", "| 0.51 | 0.24 |\n| 0.75 | 0.99 |"),
    ("<td>0.123</td>", "<td>0.124</td>"),
])
def test_one_unit_in_the_last_digit_passes(stored, got):
    assert numbers_match(stored, got)
    assert PrintedText(stored) == PrintedText(got) and not PrintedText(stored) != PrintedText(got)


@pytest.mark.parametrize("stored, got", [
    ("-0.14", "-0.16"),  # two units
    ("-0.14", "-0.12"),
    ("-0.14", "0.14"),  # a sign
    ("0.00", "-0.00"),
    ("+0.01", "-0.00"),
    ("200 of 200", "199 of 200"),  # an integer
    ("1,024 words", "1,025 words"),
    ("king - man + woman = queen (0.71)", "king - man + woman = prince (0.71)"),  # a word
    ("['cat', 'dog', 'mouse']", "['cat', 'mouse', 'dog']"),  # a word list's order
    ("above chance? yes (p = 0.01)", "above chance? no (p = 0.01)"),  # a verdict
    ("0.5", "0.50"),  # another format
    ("0.14  0.15", "0.14 0.15"),  # layout
    ("1.5e-03", "1.7e-03"),
    ("1.5e-03", "1.5e-02"),
    ("12.3%", "12.5%"),
    ("python 3.11.2", "python 3.11.3"),  # a version is not a number
    ("0.14", "0.14 0.15"),
])
def test_everything_else_must_match_exactly(stored, got):
    assert not numbers_match(stored, got)
    assert PrintedText(stored) != PrintedText(got)


def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    for source, stored in cells:
        cell = nbformat.v4.new_code_cell(source, execution_count=1)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_nbval_compares_by_the_rule(pytester):
    _notebook(pytester.path / "flip.ipynb", [
        ("print(f'{-0.1451:.2f}')", "-0.14\n"),  # prints -0.15: one unit, passes
        ("print(f'{-0.16:.2f}')", "-0.14\n"),  # two units: fails
        ("print(f'{200} of 200')", "199 of 200\n"),  # an integer: fails
    ])
    result = pytester.runpytest_subprocess("-p", "coursetools.nbnumbers", "--nbval", "--nbval-current-env",
                                           "-p", "no:cacheprovider", "flip.ipynb")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*-0.14*", "*-0.16*"])
