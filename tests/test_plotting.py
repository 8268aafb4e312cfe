import numpy as np
import pytest

from nlpcourse import plotting


def test_new_figure_is_outside_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig, axes = plotting.new_figure(ncols=2)
    assert len(axes) == 2 and plt.get_fignums() == before
    with pytest.raises(ValueError, match="ncols"):
        plotting.new_figure(ncols=0)


def test_plot_grid_draws_rows_and_columns():
    xs, ys = np.meshgrid(np.arange(4.0), np.arange(3.0))
    _, ax = plotting.new_figure()
    plotting.plot_grid(xs, ys, ax)
    (lines,) = ax.collections
    assert len(lines.get_segments()) == 3 + 4  # every row and every column
    with pytest.raises(ValueError, match=r"xs \(3, 4\) and ys \(4, 3\)"):
        plotting.plot_grid(xs, ys.T, ax)


def test_plot_points_and_vectors():
    xs, ys = np.meshgrid(np.arange(2.0), np.arange(2.0))
    _, ax = plotting.new_figure()
    plotting.plot_points(ax, xs, ys)
    assert len(ax.collections) == 1
    assert plotting.position_colors((2, 3)).shape == (6, 3)
    plotting.plot_vectors(ax, [[1, 0], [0, 1]], ["r", "g"], labels=["e1", "e2"])
    assert [t.get_text() for t in ax.texts if t.get_text()] == ["e1", "e2"]  # arrows are empty annotations


def test_label_points_keeps_labels_apart():
    _, ax = plotting.new_figure()
    xy = np.array([[0.0, 0.0], [0.02, 0.01], [0.01, -0.01], [1.0, 1.0]])  # three nearly on top of each other
    ax.set_xlim(-1, 2)
    ax.set_ylim(-1, 2)
    plotting.label_points(ax, xy, ["apricot", "jam", "tolstoy", "matrix"])
    fig = ax.figure
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.texts]
    assert len(boxes) == 4
    assert not any(boxes[i].overlaps(boxes[j]) for i in range(4) for j in range(i))


def test_layout_problems_flags_what_the_axes_cut_off_and_small_or_overlapping_text():
    fig, ax = plotting.new_figure()
    ax.plot([0, 1], [0, 1], "o-")
    assert plotting.layout_problems(fig) == []
    ax.set_xlim(0, 0.5)  # the line runs past the right edge
    assert any(p.startswith("cut off by the axes") for p in plotting.layout_problems(fig))
    fig, ax = plotting.new_figure()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.text(5, 5, "tiny", fontsize=6)
    ax.text(5, 5, "twin")
    assert set(plotting.layout_problems(fig)) == {"6.0 pt at display size: 'tiny'", "overlap: 'twin' and 'tiny'"}


def test_an_annotations_leader_line_is_not_text():
    fig, ax = plotting.new_figure()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.text(5, 5, "here")
    ax.annotate("label", (5.2, 5.2), xytext=(6, 8), arrowprops={"arrowstyle": "-"})  # the line crosses "here"
    assert plotting.layout_problems(fig) == []


def test_plain_log_labels_are_plain_numbers():
    fig, ax = plotting.new_figure(size=(4.0, 3.0), layout=None)
    ax.plot([1, 10, 100], [0.001, 0.1, 10])
    ax.set_xscale("log")
    ax.set_yscale("log")
    plotting.plain_log_labels(ax, "both")
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "0.01" in labels and "10" in labels and not any("$" in t for t in labels)
    assert {"1", "10", "100"} <= {t.get_text() for t in ax.get_xticklabels()}
    with pytest.raises(ValueError, match="axis"):
        plotting.plain_log_labels(ax, "z")
