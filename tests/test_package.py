import random
import subprocess
import sys

import numpy as np
import pytest
import torch

import nlpcourse


def test_seed_everything_seeds_python_numpy_and_torch():
    nlpcourse.seed_everything(123)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    nlpcourse.seed_everything(123)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a


def test_seed_everything_seeds_torch_imported_after_it():
    """A notebook that never imports torch does not pay for it; one that imports it later gets the seed."""
    code = ("import sys, nlpcourse; nlpcourse.seed_everything(7); nlpcourse.seed_everything(123); "
            "assert 'torch' not in sys.modules; import torch; a = torch.rand(1).item(); "
            "torch.manual_seed(123); assert torch.rand(1).item() == a; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr


@pytest.mark.parametrize(("bad", "error"), [(-1, ValueError), (1.5, TypeError), ("0", TypeError),
                                            (True, TypeError), (None, TypeError)])
def test_seed_everything_rejects_bad_seeds(bad, error):
    with pytest.raises(error, match="seed: expected an int >= 0"):
        nlpcourse.seed_everything(bad)


def test_device_never_requires_a_gpu():
    assert nlpcourse.device() in ("cpu", "cuda")
    assert nlpcourse.device() == ("cuda" if torch.cuda.is_available() else "cpu")


def test_style_uses_a_font_shipped_with_matplotlib():
    import matplotlib as mpl
    from matplotlib import font_manager

    nlpcourse.set_style()
    assert mpl.rcParams["font.family"] == ["DejaVu Sans"]
    font_manager.findfont("DejaVu Sans", fallback_to_default=False)  # raises if missing


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with nlpcourse.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with nlpcourse.torch_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), nlpcourse.torch_threads(1):
        raise RuntimeError("restored even when the block fails")
    assert torch.get_num_threads() == before
    for bad, error in ((0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)):
        with pytest.raises(error, match="threads: expected an int >= 1"), nlpcourse.torch_threads(bad):
            pass


def test_pyproject_declares_every_third_party_import_of_the_package():
    """Every top-level module ``nlpcourse`` imports is the standard library's, the package's own, or declared."""
    import ast
    import sys
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    provides = {"ipython": "IPython", "pillow": "PIL", "matplotlib-inline": "matplotlib_inline",
                "fasttext-numpy2-wheel": "fasttext"}  # distribution -> the module it installs
    modules = {provides.get(d, d.replace("-", "_")) for d in declared}
    imported = set()
    for path in (root / "nlpcourse").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    undeclared = imported - modules - set(sys.stdlib_module_names) - {"nlpcourse", "__future__"}
    assert undeclared == set(), f"declare in pyproject.toml's dependencies: {sorted(undeclared)}"


def test_a_figure_shows_as_one_cropped_png_in_ipython():
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.figure import Figure

    InteractiveShell.instance()
    try:
        nlpcourse._show_figures_as_png()
        fig = Figure(figsize=(4, 3), dpi=100)
        fig.add_axes((0.3, 0.3, 0.4, 0.4)).plot([0, 1], [1, 0])
        data, _ = InteractiveShell.instance().display_formatter.format(fig)
        png = data["image/png"]
        png = png if isinstance(png, bytes) else __import__("base64").b64decode(png)
        assert png.startswith(b"\x89PNG") and "image/svg+xml" not in data
        width, height = np.frombuffer(png[16:24], dtype=">u4")
        assert width < 400 and height < 300  # cropped to what is drawn + 0.1 in
    finally:
        InteractiveShell.clear_instance()
