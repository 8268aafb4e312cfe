import random

import numpy as np
import pytest
import torch

import nlpcourse


def test_seed_everything_seeds_python_numpy_and_torch():
    nlpcourse.seed_everything(123)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    nlpcourse.seed_everything(123)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a


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
