"""A pytest plugin for the project's nbval runs: a printed number matches to ±1 in its last printed digit.

nbval compares a cell's new outputs with the stored ones string by string (``IPyNbCell.compare_outputs``:
``ref_out != test_out`` on the values its ``sanitize`` returned). This plugin gives nbval's cells a
``sanitize`` that returns the text as a ``PrintedText``, a ``str`` whose equality is the course's rule, the
semantics of doctest's ``NUMBER`` option (pytest's ``--doctest-options NUMBER``):

* a number with a decimal point (``-0.14``, ``12.3%``, ``1.5e-03``, also ``1e-05``) matches when it differs from
  the stored one by at most one unit in its last printed digit: ``-0.14`` accepts ``-0.15`` and ``-0.13``, not
  ``-0.16``; with the same count of digits after the point (the format is the code's, not the CPU's);
* everything else — integers, words, word lists, signs, spacing and layout — must match exactly.

A float32 training run on another CPU lands a printed value on the other side of a rounding boundary now and
then (issue 19: ``scientist`` seed 2 printed -0.15 on an Intel Sapphire Rapids, -0.14 stored); one unit in the
last digit is the only slack. Nothing is deleted from the outputs, and nbval stays the runner (its failure
report shows both texts as before).

    pytest -p coursetools.nbnumbers --nbval ... notebooks/      (the Makefile's NBVAL flags include it)
"""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

__all__ = ["NUMBER", "PrintedText", "numbers_match"]  # + the pytest hook

# A number with a decimal point and digits after it, or a mantissa with an exponent; not part of a word or of a
# dotted version string (3.11.2), and without its sign: a sign is text and must match exactly.
NUMBER = re.compile(r"(?<![\w.])(?:\d*\.(?P<fraction>\d+)|\d+)(?:[eE](?P<exponent>[+-]?\d+))?(?!\.?\d)")


def _numbers(text: str) -> tuple[list[str], list[re.Match]]:
    """The text cut into literal pieces around the checked numbers (len(pieces) == len(numbers) + 1)."""
    pieces, numbers, start = [], [], 0
    for m in NUMBER.finditer(text):
        if m["fraction"] is None and m["exponent"] is None:
            continue  # an integer: compared as text
        pieces.append(text[start:m.start()])
        numbers.append(m)
        start = m.end()
    pieces.append(text[start:])
    return pieces, numbers


def _unit(m: re.Match) -> Decimal:
    """One unit in the last printed digit of the number m: 10^(exponent − digits after the point)."""
    digits = len(m["fraction"] or "")
    return Decimal(1).scaleb(int(m["exponent"] or 0) - digits)


def numbers_match(stored: str, got: str) -> bool:
    """True when ``got`` equals ``stored`` up to ±1 in the last printed digit of each decimal number."""
    if stored == got:
        return True
    stored_pieces, stored_numbers = _numbers(stored)
    got_pieces, got_numbers = _numbers(got)
    if stored_pieces != got_pieces or len(stored_numbers) != len(got_numbers):
        return False
    for s, g in zip(stored_numbers, got_numbers, strict=True):
        if len(s["fraction"] or "") != len(g["fraction"] or "") or (s["exponent"] is None) != (g["exponent"] is None):
            return False
        if abs(Decimal(s[0]) - Decimal(g[0])) > _unit(s):
            return False
    return True


class PrintedText(str):
    """A stored or new output text whose ``==`` is ``numbers_match`` (the left operand is the stored one)."""

    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        return numbers_match(str(self), str(other)) if isinstance(other, str) else NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal


def _cell_class():
    from nbval.plugin import IPyNbCell

    class PrintedPrecisionCell(IPyNbCell):
        """nbval's cell, comparing its texts by the printed-precision rule (see the module)."""

        def sanitize(self, s):
            s = super().sanitize(s)
            return PrintedText(s) if isinstance(s, str) else s

    return PrintedPrecisionCell


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every nbval cell compares by the rule: its class becomes the subclass above (nothing else changes)."""
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # pragma: no cover - nbval is a dependency
        return
    cell_class = None
    for item in items:
        if type(item) is IPyNbCell:
            cell_class = cell_class or _cell_class()
            item.__class__ = cell_class
