"""course.bench: the BENCH line convention, the table, and running scripts (good, silent, failing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coursetools import bench


def test_emit_prints_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    line = bench.emit("loss, |V| = 10", 12.5, ours="tree", reference="full", meaning="full / tree")
    assert capsys.readouterr().out == line + "\n"
    assert line.startswith("BENCH ")
    assert json.loads(line[6:]) == {"measure": "loss, |V| = 10", "value": 12.5, "unit": "×", "ours": "tree",
                                    "reference": "full", "meaning": "full / tree"}
    with pytest.raises(TypeError, match="value"):
        bench.emit("m", "fast", ours="a", reference="b", meaning="c")
    with pytest.raises(TypeError, match="ours"):
        bench.emit("m", 1.0, ours=None, reference="b", meaning="c")


def test_parse_and_table() -> None:
    out = "\n".join(["a human table", 'BENCH {"measure": "m|1", "value": 5640.2, "unit": "×", "ours": "o", '
                     '"reference": "r", "meaning": "r / o"}',
                     'BENCH {"measure": "q", "value": -0.0123, "unit": "Spearman", "ours": "o", "reference": "r", '
                     '"meaning": "o - r"}', "BENCHMARK done"])
    records = bench.parse(out, "x.py")
    assert [r["measure"] for r in records] == ["m|1", "q"]
    table = bench.table({"x.py": records}).splitlines()
    assert table[0].startswith("| benchmark | measure | value |")
    assert table[2] == "| `x.py` | m\\|1 | 5,640× | o | r | r / o |"
    assert table[3] == "| `x.py` | q | -0.012 Spearman | o | r | o - r |"
    with pytest.raises(ValueError, match=r"x.py, line 1: a BENCH line must be JSON"):
        bench.parse("BENCH {not json", "x.py")
    with pytest.raises(KeyError, match="meaning"):
        bench.parse('BENCH {"measure": "m", "value": 1, "unit": "×", "ours": "o", "reference": "r"}', "x.py")


def _script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("import sys\nfrom coursetools.bench import emit\n" + body)
    return path


def test_main_runs_every_script_and_reports_failures(tmp_path: Path) -> None:
    good = _script(tmp_path, "a_good.py", "quick = '--quick' in sys.argv\n"
                   "emit('size ' + ('small' if quick else 'big'), 3.0, ours='o', reference='r', meaning='r / o')\n")
    silent = _script(tmp_path, "b_silent.py", "print('no BENCH line here')\n")
    broken = _script(tmp_path, "c_broken.py", "sys.exit(3)\n")
    out = tmp_path / "bench.md"
    assert bench.main([str(good), "--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert "--quick" in text and "| `a_good.py` | size small | 3×" in text
    assert bench.main([str(good), str(silent), str(broken), "--out", str(out)]) == 1
    text = out.read_text()
    assert "| `a_good.py` | size big | 3×" in text
    assert "b_silent.py printed no BENCH line" in text and "c_broken.py exited with status 3" in text
