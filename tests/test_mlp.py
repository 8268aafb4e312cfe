import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nlpcourse.functional import sigmoid
from nlpcourse.gradcheck import check_gradients
from nlpcourse.mlp import (
    BatchNorm,
    Linear,
    MeanPool,
    ReLU,
    Sequential,
    SoftmaxCrossEntropy,
    d_relu,
    d_sigmoid,
    d_tanh,
    gradient_check_functions,
    linear_weights,
    make_moons,
    make_spirals,
    mlp,
    relu,
    sentiment,
)
from nlpcourse.mlp import train as train_module
from nlpcourse.mlp.figures import (
    draw_activations,
    draw_decision_boundaries,
    draw_decision_boundary,
    draw_loss_curves,
    draw_paths,
)
from nlpcourse.mlp.stepper import TrainingStepper
from nlpcourse.mlp.train import (
    SGD,
    Adam,
    DivergedError,
    Momentum,
    TrainConfig,
    accuracy,
    evaluate,
    optimizer_path,
    torch_sgd_arguments,
    train,
    train_runs,
    valley,
)


def batch(n=7, d=3, k=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, k, n)


def test_datasets():
    X, y = make_moons(101, seed=3)
    assert X.shape == (101, 2) and y.shape == (101,) and set(y) == {0, 1}
    X, y = make_spirals(300, k=3)
    assert X.shape == (300, 2) and np.bincount(y).tolist() == [100, 100, 100]
    assert np.array_equal(make_moons(50, seed=1)[0], make_moons(50, seed=1)[0])
    with pytest.raises(ValueError, match="n: expected an int >= 3"):
        make_spirals(2, k=3)


def test_activations_and_derivatives_match_torch():
    z = np.linspace(-8, 8, 41)
    for f, df, tf in [(sigmoid, d_sigmoid, torch.sigmoid), (np.tanh, d_tanh, torch.tanh), (relu, d_relu, torch.relu)]:
        t = torch.tensor(z, requires_grad=True)
        tf(t).sum().backward()
        assert np.allclose(f(z), tf(torch.tensor(z)).numpy())
        assert np.allclose(df(z), t.grad.numpy())
    assert d_sigmoid(0.0) == pytest.approx(0.25) and d_sigmoid(20.0) < 1e-8  # vanishing gradient
    assert np.all(sigmoid(np.array([-1000.0, 1000.0])) == [0.0, 1.0])  # no overflow


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_every_layer_backward_vs_autograd_and_finite_differences(activation):
    X, y = batch()
    model = mlp((3, 5, 6, 4), activation, seed=1)
    result = check_gradients(*gradient_check_functions(model, X, y))
    assert result.ok, str(result)
    assert set(result.table.index) == {"0.W", "0.b", "2.W", "2.b", "4.W", "4.b"}


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_backward_vs_autograd(training):
    X, y = batch(n=9)
    model = mlp((3, 5, 4), "relu", batchnorm=True, seed=2)
    model.layers[1].params["gamma"][:] = [1.0, 2.0, 0.5, 1.5, -1.0]
    model.train()
    model.forward(X)  # some running statistics
    model.train(training)
    result = check_gradients(*gradient_check_functions(model, X, y))
    assert result.ok, str(result)


def test_meanpool_backward_vs_autograd():
    rng = np.random.default_rng(0)
    P = np.zeros((4, 6))
    for n, ids in enumerate([[0, 1], [2], [3, 4, 5, 5], [1]]):
        for i in ids:
            P[n, i] += 1 / len(ids)
    model = Sequential(MeanPool(rng.standard_normal((6, 3))), Linear(3, 4, seed=1), ReLU(), Linear(4, 2))
    result = check_gradients(*gradient_check_functions(model, P, np.array([0, 1, 1, 0])))
    assert result.ok, str(result)
    frozen = Sequential(MeanPool(rng.standard_normal((6, 3)), trainable=False), Linear(3, 2))
    assert "0.E" not in frozen.parameters()
    assert check_gradients(*gradient_check_functions(frozen, P, np.array([0, 1, 1, 0]))).ok


def test_softmax_cross_entropy_refuses_scores_that_are_not_a_batch():
    with pytest.raises(ValueError, match="scores"):
        SoftmaxCrossEntropy().forward(np.zeros(3), np.array([0]))


def test_dsoft_is_p_minus_y():
    scores = np.array([[1.0, 2.0, 0.5]])
    ce = SoftmaxCrossEntropy()
    loss = ce.forward(scores, np.array([1]))
    p = np.exp(scores) / np.exp(scores).sum()
    assert loss == pytest.approx(-np.log(p[0, 1]))
    assert np.allclose(ce.backward(), p - np.array([[0, 1, 0]]))


def test_batchnorm_matches_torch_train_and_eval():
    rng = np.random.default_rng(0)
    ours, ref = BatchNorm(4, momentum=0.1), torch.nn.BatchNorm1d(4, momentum=0.1).double()
    with torch.no_grad():
        ref.weight[:] = torch.tensor([1.0, 2.0, 0.5, -1.0])
        ref.bias[:] = torch.tensor([0.0, 1.0, -1.0, 0.5])
    ours.params["gamma"][:] = ref.weight.detach().numpy()
    ours.params["beta"][:] = ref.bias.detach().numpy()
    for _ in range(3):
        x = 3 * rng.standard_normal((8, 4)) + 2
        assert np.allclose(ours.forward(x), ref(torch.tensor(x)).detach().numpy())
    assert np.allclose(ours.running_mean, ref.running_mean.numpy())
    assert np.allclose(ours.running_var, ref.running_var.numpy())
    ours.training = False
    ref.eval()
    x = rng.standard_normal((5, 4))
    assert np.allclose(ours.forward(x), ref(torch.tensor(x)).detach().numpy())
    with pytest.raises(ValueError, match="at least 2"):
        BatchNorm(4).forward(x[:1])


def test_momentum_is_lecture_form_and_equals_torch_sgd_with_scaled_lr():
    opt = Momentum(lr=0.1, alpha=0.9)
    p = {"w": np.array([1.0])}
    opt.step(p, {"w": np.array([2.0])})  # Δ1 = 0.1 * 2 = 0.2
    assert opt.delta["w"][0] == pytest.approx(0.2) and p["w"][0] == pytest.approx(1 - 0.02)
    opt.step(p, {"w": np.array([1.0])})  # Δ2 = 0.9 * 0.2 + 0.1 * 1 = 0.28
    assert opt.delta["w"][0] == pytest.approx(0.28) and p["w"][0] == pytest.approx(0.98 - 0.028)
    # against torch on the valley: identical trajectories with lr_torch = γ(1 − α), dampening 0
    ours = optimizer_path(Momentum(0.05, 0.9), start=(-4.0, 1.0), steps=30)
    t = torch.tensor([-4.0, 1.0], dtype=torch.float64, requires_grad=True)
    sgd = torch.optim.SGD([t], **torch_sgd_arguments(0.05, 0.9))
    theirs = [t.detach().numpy().copy()]
    for _ in range(30):
        sgd.zero_grad()
        (0.5 * (0.1 * t[0] ** 2 + 10 * t[1] ** 2)).backward()
        sgd.step()
        theirs.append(t.detach().numpy().copy())
    assert np.allclose(ours, np.array(theirs), atol=1e-12)
    # with the same lr and no scaling the paths differ
    assert not np.allclose(optimizer_path(Momentum(0.05 * 0.1, 0.9), steps=30), ours)


def test_adam_matches_torch():
    start = np.array([-4.0, 1.0])
    ours = optimizer_path(Adam(0.1), start=tuple(start), steps=20)
    t = torch.tensor(start, requires_grad=True)
    adam = torch.optim.Adam([t], lr=0.1)
    for _ in range(20):
        adam.zero_grad()
        (0.5 * (0.1 * t[0] ** 2 + 10 * t[1] ** 2)).backward()
        adam.step()
    assert np.allclose(ours[-1], t.detach().numpy(), atol=1e-10)


def test_valley_and_paths():
    f, g = valley(np.array([1.0, 1.0]))
    assert f == pytest.approx(5.05) and np.allclose(g, [0.1, 10.0])
    sgd = optimizer_path(SGD(0.18), steps=50)  # near its stability limit 2/10
    mom = optimizer_path(Momentum(1.0), steps=50)
    adam = optimizer_path(Adam(0.1), steps=50)
    # momentum and Adam go further along the flat valley floor than SGD can
    assert valley(mom[-1])[0] < 0.2 * valley(sgd[-1])[0] and valley(adam[-1])[0] < 0.2 * valley(sgd[-1])[0]
    assert optimizer_path(SGD(0.1), steps=5).shape == (6, 2)


def test_hidden_layer_separates_moons_linear_does_not():
    X, y = make_moons(200)
    Xv, yv = make_moons(200, seed=1)
    lin, net = mlp((2, 2), seed=0), mlp((2, 16, 2), seed=0)
    train(lin, X, y, Momentum(0.5), epochs=60, batch_size=32)
    train(net, X, y, Momentum(0.5), epochs=60, batch_size=32)
    assert accuracy(lin, Xv, yv) < 0.9 < accuracy(net, Xv, yv)


def test_zero_init_never_breaks_symmetry():
    X, y = make_spirals(90)
    for init in ["zeros", "constant"]:
        model = mlp((2, 6, 3), init=init)
        train(model, X, y, Momentum(1.0), epochs=20, batch_size=30)
        W1 = model.parameters()["0.W"]
        # All hidden units identical up to rounding: the forward pass is one BLAS product over the hidden
        # units, and a SIMD kernel may sum different columns in different orders (8.9e-16 apart on an
        # AVX-512 machine), so exact equality would test the CPU, not the symmetry. Random init: > 0.1 apart.
        assert np.ptp(W1, axis=0).max() <= 1e-12 * max(1.0, np.abs(W1).max())
    model = mlp((2, 6, 3), init="random")
    train(model, X, y, Momentum(1.0), epochs=5, batch_size=30)
    assert np.ptp(model.parameters()["0.W"], axis=0).max() > 0.1


def test_trainer_overfits_a_tiny_batch_to_zero_loss():
    X, y = make_spirals(300)
    idx = np.random.default_rng(0).choice(300, 8, replace=False)
    model = mlp((2, 32, 3), "relu", seed=0)
    hist = train(model, X[idx], y[idx], Adam(1e-2), epochs=1000, batch_size=8)
    assert hist.step_loss[-1] < 1e-3 and accuracy(model, X[idx], y[idx]) == 1.0


def _spiral_runs():
    """The zero-input baseline and the real model (05's section 7), as ``train_runs``' runs."""
    X, y = make_spirals(300)
    Xv, yv = make_spirals(300, seed=1)
    adam = dict(optimizer=Adam(1e-2), epochs=30)  # one optimiser for both: train_runs copies it per run
    return [dict(model=mlp((2, 32, 3), seed=0), X=np.zeros_like(X), y=y, **adam),
            dict(model=mlp((2, 32, 3), seed=0), X=X, y=y, X_val=Xv, y_val=yv, **adam)], Xv, yv


@pytest.mark.parametrize("parallel", ["1", "0"])
def test_train_runs_equal_train_one_by_one_and_leave_the_callers_models(parallel, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_PARALLEL", parallel)  # "0": every run in this process
    runs, Xv, yv = _spiral_runs()
    start = [{k: v.copy() for k, v in run["model"].parameters().items()} for run in runs]
    (base, base_hist), (model, hist) = train_runs(runs)
    for run, before in zip(runs, start, strict=True):  # the caller's models are left as they were
        assert all(np.array_equal(run["model"].parameters()[k], v) for k, v in before.items())
        assert run["optimizer"].t == 0  # and their optimisers
    one_by_one, _, _ = _spiral_runs()
    for (trained, got), run in zip([(base, base_hist), (model, hist)], one_by_one, strict=True):
        expected = train(**{**run, "optimizer": Adam(1e-2)})  # a fresh optimiser each, as train_runs gives
        assert got.step_loss == expected.step_loss
        assert all(np.array_equal(trained.parameters()[k], v) for k, v in run["model"].parameters().items())
    assert accuracy(base, np.zeros_like(Xv), yv) <= 0.4 < hist.val_accuracy[-1]  # the baseline learns no input
    assert len(hist.val_loss) == 30 and evaluate(model, Xv, yv)[1] == hist.val_accuracy[-1]


def test_train_runs_rejects_what_is_not_a_run():
    with pytest.raises(ValueError, match="runs"):
        train_runs([])
    with pytest.raises(KeyError, match="runs.*optimizer"):
        train_runs([dict(model=mlp((2, 3)), X=np.zeros((4, 2)), y=np.zeros(4, dtype=int))])
    with pytest.raises(TypeError, match="runs.*Sequential"):
        train_runs([dict(model="mlp", X=np.zeros((4, 2)), y=np.zeros(4, dtype=int), optimizer=SGD(0.1))])


def test_batch_gd_sgd_minibatch_number_of_steps():
    X, y = make_moons(64)
    for bs, steps in [(64, 3), (1, 192), (16, 12)]:
        assert len(train(mlp((2, 4, 2)), X, y, Momentum(0.1), epochs=3, batch_size=bs).step_loss) == steps


def test_training_is_deterministic():
    X, y = make_moons(64)
    a = train(mlp((2, 4, 2)), X, y, Momentum(0.1), epochs=3, seed=5).step_loss
    b = train(mlp((2, 4, 2)), X, y, Momentum(0.1), epochs=3, seed=5).step_loss
    assert a == b


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"layers\[2\]: expected input size 5"):
        Sequential(Linear(2, 5), ReLU(), Linear(4, 2))
    with pytest.raises(ValueError, match=r"X: expected shape \(N, 2\), got \(3, 4\)"):
        mlp((2, 3, 2)).forward(np.zeros((3, 4)))
    X, y = make_moons(20)
    model = mlp((2, 3, 2))
    with pytest.raises(ValueError, match=r"y: labels must be integers in \[0, 2\).*got 2 at index 1"):
        model.loss_and_grad(X[:3], np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="y: labels"):
        model.loss_and_grad(X[:2], np.array([0, -1]))
    with pytest.raises(ValueError, match="got 0.5 at index 0"):
        model.loss_and_grad(X[:2], np.array([0.5, 1.0]))
    assert np.isfinite(model.loss_and_grad(X[:2], np.array([0.0, 1.0]))[0])
    with pytest.raises(ValueError, match=r"y: expected shape \(3,\)"):
        model.loss_and_grad(X[:3], np.array([0, 1]))
    for bs in [0, 21]:
        with pytest.raises(ValueError, match=r"batch_size: expected 1 <= batch_size <= 20"):
            train(model, X, y, Momentum(0.1), batch_size=bs)
    with pytest.raises(ValueError, match="init"):
        Linear(2, 2, init="ones")
    with pytest.raises(ValueError, match="lr"):
        Momentum(lr=0.0)
    with pytest.raises(ValueError, match="alpha"):
        Momentum(lr=0.1, alpha=1.0)


def test_nan_loss_stops_with_step_and_suggestion():
    X, y = make_spirals(150)
    model = mlp((2, 64, 3), "relu", seed=0)
    model.parameters()["2.W"][0, 0] = np.nan
    with pytest.raises(DivergedError, match=r"loss is nan at step 1 \(epoch 1\).*smaller learning rate than lr=0.1"):
        train(model, X, y, SGD(0.1), epochs=5, batch_size=16)
    model = mlp((2, 64, 64, 3), "relu", seed=0)
    with pytest.raises(DivergedError, match=r"at step \d+ \(epoch \d+\).*above max_loss.*lr=1000, e.g. lr=100"):
        train(model, X, y, SGD(1000.0), epochs=50, batch_size=16)
    model = mlp((2, 64, 64, 3), "relu", seed=0)
    hist = train(model, X, y, SGD(1000.0), epochs=50, batch_size=16, on_nan="stop")
    assert hist.diverged_at == len(hist.step_loss) and hist.step_loss[-1] > 1e6
    assert isinstance(DivergedError("x"), ValueError)


def test_stepper():
    s = TrainingStepper("moons", hidden=8, lr=0.5, alpha=0.9, batch_size=50)
    first = s.step()
    assert s.steps == 1 and len(s.history.step_loss) == 1 and np.isfinite(first) and s.steps_per_epoch == 4
    end = s.epoch()
    assert s.steps == 5 and s.epochs == pytest.approx(1.25) and end < first + 0.5
    for _ in range(20):
        s.epoch()
    assert accuracy(s.model, s.X, s.y) > 0.85
    s.set(lr=0.1, alpha=0.5)
    assert s.optimizer.lr == 0.1 and s.optimizer.alpha == 0.5
    s.reset()
    assert s.steps == 0 and s.history.step_loss == []
    fig = s.draw()
    assert len(fig.axes) == 2
    assert len(TrainingStepper("spirals", hidden=0).draw().axes) == 2
    with pytest.raises(ValueError, match="dataset"):
        TrainingStepper("circles")


def test_drawings_show_what_they_were_given():
    X, y = make_moons(40)
    ax = draw_decision_boundary(mlp((2, 3, 2)), X, y, title="t").axes[0]
    assert ax.get_title() == "t" and len(ax.images) == 1 and len(ax.collections[0].get_offsets()) == 40
    fig = draw_activations()
    assert [a.get_title() for a in fig.axes] == ["sigmoid", "tanh", "relu", "sigmoid'", "tanh'", "relu'"]
    assert all(len(a.lines) == 3 for a in fig.axes)  # the curve and the two zero lines
    ax = draw_loss_curves({"a": [1.0, 0.5, np.nan], "b": [2.0, 1.0, 0.5]}).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a (diverged)", "b"]
    assert list(ax.lines[0].get_ydata()) == [1.0, 0.5] and len(ax.lines[1].get_ydata()) == 3
    path = optimizer_path(SGD(0.07), steps=10)
    ax = draw_paths({"sgd": path}).axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), path)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgd"]


def test_draw_decision_boundaries_is_a_grid_of_panels():
    X, y = make_moons(40)
    panels = [(mlp((2, 2)), X, y, "linear"), (mlp((2, 4, 2)), X, y, "4 hidden"), (mlp((2, 8, 2)), X, y, "8 hidden")]
    fig = draw_decision_boundaries(panels, ncols=2)
    assert len(fig.axes) == 4 and tuple(fig.get_size_inches()) == (9.0, 6.8)
    assert [a.get_title() for a in fig.axes[:3]] == ["linear", "4 hidden", "8 hidden"]
    assert not fig.axes[3].axison  # the unused fourth panel is hidden
    with pytest.raises(ValueError, match="panels"):
        draw_decision_boundaries([])
    with pytest.raises(TypeError, match="ncols"):
        draw_decision_boundaries(panels, ncols=1.5)
    with pytest.raises(TypeError, match="model"):
        draw_decision_boundary("not a model", X, y)


def test_integer_arguments_accept_numpy_ints_and_refuse_floats_and_bools():
    assert Linear(np.int64(2), np.int32(3)).params["W"].shape == (3, 2)
    with pytest.raises(TypeError, match="d_in"):
        Linear(2.5, 3)
    with pytest.raises(TypeError, match="d_out"):
        Linear(2, True)
    X, y = make_moons(20)
    hist = train(mlp((2, 3, 2)), X, y, SGD(0.1), epochs=np.int64(2), batch_size=np.int64(5))
    assert len(hist.epoch_loss) == 2 and len(hist.step_loss) == 8
    with pytest.raises(TypeError, match="batch_size"):
        train(mlp((2, 3, 2)), X, y, SGD(0.1), batch_size=2.5)
    with pytest.raises(TypeError, match="epochs"):
        train(mlp((2, 3, 2)), X, y, SGD(0.1), epochs="3")
    with pytest.raises(TypeError, match="optimizer"):
        train(mlp((2, 3, 2)), X, y, "sgd")
    with pytest.raises(TypeError, match="epoch: not a field of TrainConfig"):
        train(mlp((2, 3, 2)), X, y, SGD(0.1), epoch=3)


def test_train_config_is_the_keywords():
    X, y = make_moons(30)
    a = train(mlp((2, 4, 2), seed=1), X, y, Momentum(0.3), TrainConfig(epochs=3, batch_size=8, seed=2))
    b = train(mlp((2, 4, 2), seed=1), X, y, Momentum(0.3), epochs=3, batch_size=8, seed=2)
    assert a.step_loss == b.step_loss
    with pytest.raises(ValueError, match="on_nan"):
        TrainConfig(on_nan="ignore")
    with pytest.raises(TypeError, match="progress"):
        TrainConfig(progress=1)


def test_linear_from_params_shares_the_arrays():
    W, b = np.arange(6.0).reshape(3, 2), np.ones(3)
    layer = Linear.from_params(W, b)
    assert layer.params["W"] is W and (layer.size_in, layer.size_out) == (2, 3)
    np.testing.assert_allclose(layer.forward(np.array([[1.0, 1.0]])), [[2.0, 6.0, 10.0]])
    W0, b0 = linear_weights(2, 3, seed=4)
    np.testing.assert_array_equal(Linear(2, 3, seed=4).params["W"], W0)
    assert not b0.any()


def test_pooling_matrix_is_mean_of_known_word_vectors():
    from nlpcourse.mlp.sentiment import pooling_matrix

    words = ["a", "b", "c", "d"]
    vectors = np.arange(8.0).reshape(4, 2)
    P, E, kept = pooling_matrix([["b", "x", "b", "d"], ["zzz"], ["a"]], words, vectors)
    assert kept == ["a", "b", "d"] and np.array_equal(E, vectors[[0, 1, 3]])
    feats = P @ E
    assert np.allclose(feats[0], (2 * vectors[1] + vectors[3]) / 3)
    assert np.allclose(feats[1], 0) and np.allclose(feats[2], vectors[0])
    # sparse inputs through the trainer, frozen vs fine-tuned
    model = Sequential(MeanPool(E, trainable=True), Linear(2, 2))
    before = E.copy()
    train(model, P, np.array([0, 1, 1]), Adam(0.1), epochs=2, batch_size=2)
    assert not np.allclose(model.layers[0].E, before)
    assert np.array_equal(E, before)  # fine-tuning trains a copy: the table every fold shares is unchanged
    with pytest.raises(ValueError, match=r"X: expected shape \(N, 3\)"):
        model.forward(np.zeros((2, 4)))


def test_training_stepper_widget_steps_and_rebuilds(monkeypatch):
    from nlpcourse.mlp import widgets

    drawn = []  # (dataset, hidden, steps, lr) of the stepper each redraw showed
    monkeypatch.setattr(widgets.TrainingStepper, "draw", lambda self: drawn.append(
        (self.dataset, self.hidden, self.steps, self.optimizer.lr)) or Figure())
    monkeypatch.setattr(widgets, "update_training", lambda fig, stepper: drawn.append(  # the kept figure, moved
        (stepper.dataset, stepper.hidden, stepper.steps, stepper.optimizer.lr)))
    box = widgets.training_stepper()
    data, hidden, step, epoch, reset = box.children[0].children
    lr, alpha = box.children[1].children
    assert [b.description for b in (step, epoch, reset)] == ["step", "epoch", "reset"]
    assert drawn == [("moons", 16, 0, 0.5)]
    step.click()
    epoch.click()
    assert drawn[-2:] == [("moons", 16, 1, 0.5), ("moons", 16, 1 + 7, 0.5)]  # 200 points / 32 = 7 steps
    lr.value = 0.1  # shown at once, acts from the next step on
    assert drawn[-1] == ("moons", 16, 8, 0.1)
    step.click()
    assert drawn[-1] == ("moons", 16, 9, 0.1)
    reset.click()
    assert drawn[-1][2] == 0
    hidden.value = 4  # a fresh model
    data.value = "spirals"
    assert drawn[-2:] == [("moons", 4, 0, 0.1), ("spirals", 4, 0, 0.1)]


def test_torch_lr_check_accepts_the_right_function_and_every_hint_fires(capsys):
    from nlpcourse.mlp import checks

    assert checks.check_torch_lr(lambda gamma, alpha: gamma - gamma * alpha)  # written another way
    assert "✅" in capsys.readouterr().out
    for mistake, hint in checks.TORCH_LR_MISTAKES:
        assert not checks.check_torch_lr(mistake)
        assert hint in capsys.readouterr().out
    assert not checks.check_torch_lr(lambda gamma, alpha: 0.01)  # the value for γ = 0.1, α = 0.9 only
    assert "disagrees" in capsys.readouterr().out
    assert not checks.check_torch_lr(...)
    assert "Not answered yet" in capsys.readouterr().out


def _softmax_ce_backward(scores, y):  # a student's right answer, written independently of the package
    z = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def test_softmax_ce_backward_check_accepts_the_right_function_and_every_hint_fires(capsys):
    from nlpcourse.mlp import checks

    assert checks.check_softmax_ce_backward(_softmax_ce_backward)
    assert "✅" in capsys.readouterr().out
    hints = [hint for _, hint in checks.SOFTMAX_CE_MISTAKES]
    for wrong, hint in checks.SOFTMAX_CE_MISTAKES:
        assert not checks.check_softmax_ce_backward(wrong)
        out = capsys.readouterr().out
        assert hint in out and out.count("❌") == 1
    assert len(set(hints)) >= len(hints) - 1  # the two base-case mistakes share one hint
    # the unseen inputs include scores of ±1000: a softmax without the max subtracted overflows, and is told so
    assert any(np.abs(s).max() >= 1000 for s, _ in checks.softmax_ce_cases())

    def naive(scores, y):
        p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        return (p - np.eye(scores.shape[1])[y]) / len(y)

    with np.errstate(all="ignore"):
        assert not checks.check_softmax_ce_backward(naive)
    assert "overflow" in capsys.readouterr().out
    assert not checks.check_softmax_ce_backward(...)
    assert "Not answered" in capsys.readouterr().out
    for s, _y in checks.softmax_ce_cases():  # the cases are not the notebook's (unseen) and N != k
        assert s.shape[0] != s.shape[1]


def test_linear_backward_check_accepts_the_right_function_and_every_hint_fires(capsys):
    from nlpcourse.mlp import checks

    assert checks.check_linear_backward(lambda X, W, dZ: (dZ @ W, (X.T @ dZ).T, dZ.sum(axis=0)))
    assert "✅" in capsys.readouterr().out
    for wrong, hint in checks.LINEAR_MISTAKES:
        assert not checks.check_linear_backward(wrong)
        out = capsys.readouterr().out
        assert hint in out and out.count("❌") == 1
    assert len({h for _, h in checks.LINEAR_MISTAKES}) == len(checks.LINEAR_MISTAKES)

    def stub(X, W, dZ):
        raise NotImplementedError

    assert not checks.check_linear_backward(stub)
    assert "Not answered" in capsys.readouterr().out
    # right on square inputs only (a hard-coded shape): the rectangular stage catches it
    assert not checks.check_linear_backward(lambda X, W, dZ: (dZ @ W, dZ.T @ X, dZ.sum(axis=0)[: X.shape[1]]))
    assert "shape" in capsys.readouterr().out
    # the reference is torch autograd, and equals our Linear layer
    for X, W, dZ in checks.linear_cases(False):
        layer = Linear.from_params(W.copy(), np.zeros(len(W)))
        layer.forward(X)
        dX = layer.backward(dZ)
        ref = checks._torch_linear_backward(X, W, dZ)
        np.testing.assert_allclose(dX, ref[0], atol=1e-12)
        np.testing.assert_allclose(layer.grads["W"], ref[1], atol=1e-12)
        np.testing.assert_allclose(layer.grads["b"], ref[2], atol=1e-12)


def test_check_hints(capsys):
    from nlpcourse.mlp import checks

    checks.check_torch_lr(lambda gamma, alpha: gamma)
    assert "times larger" in capsys.readouterr().out


@pytest.mark.parametrize("seed", range(20))
def test_softmax_cross_entropy_is_finite_and_equals_torch_for_scores_of_any_size(seed):
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 8), rng.integers(2, 6)
    scale = [1.0, 30.0, 1000.0, 1e6][seed % 4]
    scores = scale * rng.standard_normal((n, k))
    scores[0, 0] = [1000.0, -1000.0][seed % 2]
    y = rng.integers(0, k, n)
    ce = SoftmaxCrossEntropy()
    loss, d = ce.forward(scores, y), ce.backward()
    t = torch.tensor(scores, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(t, torch.tensor(y))
    ref.backward()
    assert np.isfinite(loss) and np.all(np.isfinite(d))
    assert loss == pytest.approx(ref.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(d, t.grad.numpy(), atol=1e-12)


def test_minibatches_the_lecture_run_and_drop_last():
    from nlpcourse.mlp.train import minibatches

    # the lecture's run: 10 examples, k = 3
    kept = minibatches(10, 3, np.random.default_rng(0))
    assert [len(b) for b in kept] == [3, 3, 3, 1] and sorted(np.concatenate(kept).tolist()) == list(range(10))
    dropped = minibatches(10, 3, np.random.default_rng(0), drop_last=True)
    assert [len(b) for b in dropped] == [3, 3, 3]  # 3 steps per epoch
    for a, b in zip(kept, dropped, strict=False):
        np.testing.assert_array_equal(a, b)  # the same shuffle: only the leftover example is not used
    assert [len(b) for b in minibatches(9, 3, np.random.default_rng(0), drop_last=True)] == [3, 3, 3]
    rng = np.random.default_rng(1)  # over epochs every example is used although each epoch drops one
    seen = set(np.concatenate([np.concatenate(minibatches(10, 3, rng, True)) for _ in range(10)]).tolist())
    assert seen == set(range(10))
    with pytest.raises(ValueError, match="batch_size"):
        minibatches(10, 11, np.random.default_rng(0))
    X, y = make_moons(10)
    assert len(train(mlp((2, 3, 2)), X, y, SGD(0.1), epochs=2, batch_size=3).step_loss) == 8
    assert len(train(mlp((2, 3, 2)), X, y, SGD(0.1), epochs=2, batch_size=3, drop_last=True).step_loss) == 6
    with pytest.raises(TypeError, match="drop_last"):
        TrainConfig(drop_last=1)


def test_early_stopping_keeps_the_best_validation_epoch():
    X, y = make_moons(30, noise=0.3, seed=0)
    Xv, yv = make_moons(200, noise=0.3, seed=1)
    full = train(mlp((2, 64, 2), seed=0), X, y, Adam(0.02), epochs=200, batch_size=10, X_val=Xv, y_val=yv)
    best = int(np.argmin(full.val_loss)) + 1
    assert best < 150 and full.val_loss[-1] > min(full.val_loss) + 0.05  # it overfits
    model = mlp((2, 64, 2), seed=0)
    hist = train(model, X, y, Adam(0.02), epochs=200, batch_size=10, X_val=Xv, y_val=yv, patience=20)
    assert hist.best_epoch == best and hist.stopped_at == best + 20 and len(hist.val_loss) == best + 20
    assert hist.val_loss == full.val_loss[: best + 20]  # the same run until it stops
    assert evaluate(model, Xv, yv)[0] == pytest.approx(min(full.val_loss), abs=1e-12)  # the best weights are back
    never = train(mlp((2, 64, 2), seed=0), X, y, Adam(0.02), epochs=5, batch_size=10, X_val=Xv, y_val=yv,
                  patience=50)
    assert never.stopped_at is None and never.best_epoch == int(np.argmin(never.val_loss)) + 1
    with pytest.raises(ValueError, match="patience"):
        train(mlp((2, 3, 2)), X, y, SGD(0.1), batch_size=10, patience=3)
    with pytest.raises(ValueError, match="patience"):
        TrainConfig(patience=0)
    from nlpcourse.mlp.figures import draw_early_stopping

    ax = draw_early_stopping(hist).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["training loss", "validation loss", f"best epoch {best} (kept)",
                      f"stopped after epoch {best + 20}"]
    assert len(ax.lines[1].get_ydata()) == best + 20
    ax = draw_early_stopping(full, hist).axes[0]  # the whole run, marked where patience stopped it
    assert len(ax.lines[1].get_ydata()) == 200 and f"best epoch {best} (kept)" in ax.get_legend_handles_labels()[1]
    with pytest.raises(TypeError, match="stopped"):
        draw_early_stopping(full, stopped=[1])
    with pytest.raises(ValueError, match="history"):
        draw_early_stopping(train(mlp((2, 3, 2)), X, y, SGD(0.1), epochs=1, batch_size=10))


def test_widget_sliders_can_return_to_their_start_and_the_figure_shows_lr_and_alpha():
    from nlpcourse.mlp import widgets
    from nlpcourse.mlp.stepper import ALPHA_CHOICES, LR_CHOICES

    s = TrainingStepper()
    assert s.lr in LR_CHOICES and s.alpha in ALPHA_CHOICES  # the defaults are slider positions
    box = widgets.training_stepper()
    lr, alpha = box.children[1].children
    assert lr.value == s.lr and alpha.value == s.alpha
    lr.value = 0.1
    lr.value = s.lr  # back to the start
    assert lr.value == 0.5
    assert alpha.style.description_width == "initial" and "α" in alpha.description  # the label in full
    t = TrainingStepper()
    empty = t.draw().axes[1]  # step 0: no curve yet, says why; the frame the first steps draw into
    assert len(empty.lines[0].get_xdata()) == 0 and "no step yet" in empty.texts[0].get_text()
    assert t.loss_limits() == ((0, 20), (0, 0.8))  # two epochs (14 steps), a guess's loss for 2 classes (ln 2 ≈ 0.69)
    t.step()
    stepped = t.draw().axes[1]
    assert (empty.get_xlim(), empty.get_ylim()) == (stepped.get_xlim(), stepped.get_ylim()) == t.loss_limits()
    t.history.step_loss += [0.5] * 20 + [2.1]  # round limits that grow with the curve
    assert t.loss_limits() == ((0, 50), (0, 3))
    assert "lr 0.5" in empty.get_title() and "α 0.9" in empty.get_title()
    s.step()
    s.set(lr=0.1)
    s.set(lr=0.1)  # no change, not recorded
    s.step()
    assert s.changes == [(1, 0.1, 0.9)]
    ax = s.draw().axes[1]
    assert "lr 0.1" in ax.get_title() and len(ax.lines) == 2 and "lr 0.1, α 0.9" in ax.texts[0].get_text()
    s.set(lr=0.2)
    s.set(lr=0.05)  # moved on before a step: the title shows it, one mark for the step
    assert s.changes == [(1, 0.1, 0.9), (2, 0.05, 0.9)] and "lr 0.05" in s.draw().axes[1].get_title()
    s.reset()
    assert s.changes == [] and s.lr == 0.05
    with pytest.raises(ValueError, match="alpha"):
        s.set(alpha=1.5)


def test_dead_relu_units_after_a_too_large_learning_rate():
    from nlpcourse.mlp.train import SGD, dead_relu_units

    X, y = make_spirals(300)
    model = mlp((2, 64, 3), "relu", seed=0)
    assert dead_relu_units(model, X) == [0]
    train(model, X, y, SGD(5.0), epochs=20, batch_size=32)
    assert dead_relu_units(model, X)[0] > 32
    fresh = mlp((2, 8, 3), "relu", seed=0)
    fresh.layers[0].params["b"][:3] = -100.0  # three units that can never fire
    assert dead_relu_units(fresh, X) == [3]
    assert dead_relu_units(mlp((2, 4, 3), "tanh"), X) == []


def test_layer_classes_forward_backward_and_helpers():
    from nlpcourse.mlp import Sigmoid, Tanh, check_labels, torch_loss
    from nlpcourse.mlp.train import History

    z = np.linspace(-3, 3, 12).reshape(4, 3)
    up = np.arange(12.0).reshape(4, 3) / 10
    for layer, tf in [(Sigmoid(), torch.sigmoid), (Tanh(), torch.tanh), (ReLU(), torch.relu)]:
        t = torch.tensor(z, requires_grad=True)
        out = tf(t)
        out.backward(torch.tensor(up))
        assert np.allclose(layer.forward(z), out.detach().numpy())
        assert np.allclose(layer.backward(up), t.grad.numpy())
    assert check_labels(np.array([0.0, 2.0]), 3, 2).dtype == np.int64
    with pytest.raises(ValueError, match=r"y: expected shape \(2,\)"):
        check_labels(np.array([0, 1, 2]), 3, n=2)
    with pytest.raises(ValueError, match=r"y: labels"):
        check_labels(np.array(["a", "b"]), 3, 2)
    # predict works in evaluation mode and restores training mode; torch_loss equals our loss
    X, y = batch(n=6, d=3, k=4)
    model = mlp((3, 5, 4), "relu", batchnorm=True, seed=0)
    assert model.predict(X[:1]).shape == (1,) and all(layer.training for layer in model.layers)
    params = {k: torch.tensor(v) for k, v in model.parameters().items()}
    assert torch_loss(model, params, X, y).item() == pytest.approx(model.loss_and_grad(X, y)[0])
    assert set(model.gradients()) == set(model.parameters())
    assert History().diverged_at is None
    assert model.eval().layers[1].training is False


def test_more_bad_inputs():
    from nlpcourse.mlp.sentiment import pooling_matrix

    with pytest.raises(ValueError, match="n: expected an int >= 2"):
        make_moons(1)
    with pytest.raises(ValueError, match="d_in"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="sizes"):
        mlp((2,))
    with pytest.raises(ValueError, match="activation: expected one of"):
        mlp((2, 3, 2), "gelu")
    with pytest.raises(ValueError, match="vectors"):
        MeanPool(np.zeros(3))
    with pytest.raises(ValueError, match=r"vectors: expected shape \(2, d\), one row per word, got \(3, 2\)"):
        pooling_matrix([["a"]], ["a", "b"], np.zeros((3, 2)))
    X, y = make_moons(20)
    with pytest.raises(ValueError, match="X"):
        train(mlp((2, 2)), X[:, 0], y, Momentum(0.1))
    with pytest.raises(ValueError, match=r"y: expected shape \(20,\) to match X's 20 rows"):
        train(mlp((2, 2)), X, y[:5], Momentum(0.1))
    with pytest.raises(ValueError, match="on_nan"):
        train(mlp((2, 2)), X, y, Momentum(0.1), batch_size=4, on_nan="ignore")
    with pytest.raises(ValueError, match="hidden: expected a hidden size >= 0"):
        TrainingStepper(hidden=-1)
    with pytest.raises(ValueError, match=r"batch_size: expected 1 <= batch_size <= 200"):
        TrainingStepper(batch_size=0)


def test_gradient_check_accepts_read_only_inputs_without_warnings(recwarn):
    X, y = batch(n=4, d=3, k=2)
    X.setflags(write=False)
    y.setflags(write=False)  # e.g. labels from pandas' to_numpy()
    assert check_gradients(*gradient_check_functions(mlp((3, 4, 2)), X, y)).ok
    assert not [w for w in recwarn if "not writable" in str(w.message)]


def test_stratified_folds_cover_every_example_once_and_keep_class_balance():
    y = np.repeat([0, 1], [60, 40])
    folds = sentiment.stratified_folds(y, folds=10, seed=3)
    assert len(folds) == 10
    assert np.array_equal(np.sort(np.concatenate(folds)), np.arange(100))
    assert all(len(f) == 10 and (y[f] == 0).sum() == 6 for f in folds)
    with pytest.raises(ValueError, match="folds"):  # sentiment_cv checks, stratified_folds trusts it
        sentiment.sentiment_cv(np.zeros((100, 3)), y, np.zeros((3, 2)), fine_tune=False, folds=1)


def test_sentiment_cv_predicts_every_example_once_and_the_zero_input_model_is_chance():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    vectors = rng.standard_normal((6, 3))
    P = np.zeros((40, 6))
    P[np.arange(40), y * 3] = 1.0  # each class has its own word: a separable toy task
    learned = sentiment.sentiment_cv(P, y, vectors, fine_tune=False, folds=4, seeds=(0, 1))
    assert learned["n"] == 40 and learned["correct"] == [40, 40] and learned["train"] == 1.0
    zero = sentiment.sentiment_cv(P, y, vectors, fine_tune=False, zero_inputs=True, folds=4, epochs=20)
    assert zero["correct"][0] <= 30  # no input, no signal: at most the majority guess per fold
    few = sentiment.sentiment_cv(P, y, vectors, fine_tune=True, folds=4, train_size=4)
    assert few["n"] == 40 and few["correct"] == [40]  # two sentences per class already show the two words
    with pytest.raises(ValueError, match="train_size"):
        sentiment.sentiment_cv(P, y, vectors, fine_tune=False, folds=4, train_size=31)  # a fold trains on 30


def test_stratified_prefix_keeps_class_proportions():
    y = np.array([0] * 30 + [1] * 10)
    for size in (4, 8, 20, 40):
        idx = sentiment._stratified_prefix(y, size, seed=3)
        assert len(idx) == size == len(set(idx.tolist())) and np.all(np.diff(idx) > 0)
        assert np.bincount(y[idx], minlength=2).tolist() == [3 * size // 4, size // 4]


def test_nudged_loss_curves_separate_a_stable_from_a_chaotic_learning_rate():
    X, y = make_spirals(300)
    stable = train_module.nudged_loss_curves((2, 64, 3), "tanh", X, y, 0.1, starts=3, epochs=20)
    chaotic = train_module.nudged_loss_curves((2, 64, 3), "tanh", X, y, 5.0, starts=3)
    assert stable.shape == (3, 20) and np.ptp(stable[:, -1]) < 1e-9
    assert np.ptp(chaotic[:, -1]) > 0.1
    both = train_module.nudged_loss_curves((2, 64, 3), "tanh", X, y, [0.1, 5.0], starts=3, epochs=20)
    assert both.shape == (2, 3, 20) and np.array_equal(both[0], stable)  # a list of rates: one array per rate
    assert np.array_equal(both[1], chaotic[:, :20], equal_nan=True)


def _texts(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    from matplotlib.text import Text

    return [(t, t.get_window_extent(renderer)) for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _figures_05():
    X, y = make_moons(40)
    stepper = TrainingStepper("moons", hidden=4)
    stepper.epoch()
    stepper.set(lr=0.1)
    stepper.epoch()
    return {"boundaries": draw_decision_boundaries([(mlp((2, 4, 2)), X, y, "moons: 4 hidden units, acc 0.90")] * 2),
            "activations": draw_activations(),
            "loss curves": draw_loss_curves({"a": [1.0, 0.5, 0.3], "b (long name)": [2.0, 1.0, 0.4]}, log=True),
            "paths": draw_paths({"SGD": optimizer_path(SGD(0.18)), "Adam": optimizer_path(Adam(0.1))}),
            "stepper": stepper.draw()}


@pytest.mark.parametrize("name", ["boundaries", "activations", "loss curves", "paths", "stepper"])
def test_figures_are_readable_on_a_laptop(name):
    """Text of at least 9 pt, every label inside the figure, no two labels of one axes overlapping."""
    fig = _figures_05()[name]
    texts = _texts(fig)
    assert texts and all(t.get_fontsize() >= 9 for t, _ in texts), [(t.get_text(), t.get_fontsize()) for t, _ in texts]
    frame = fig.bbox
    ticks = {id(t) for ax in fig.axes for minor in (False, True)  # tick labels beyond the limits are not drawn
             for t in ax.get_xticklabels(minor=minor) + ax.get_yticklabels(minor=minor)}
    for t, box in texts:
        if id(t) in ticks:
            continue
        inside = frame.x0 - 1 <= box.x0 and box.x1 <= frame.x1 + 1 and frame.y0 - 1 <= box.y0 and box.y1 <= frame.y1 + 1
        assert inside, t.get_text()
    for ax in fig.axes:
        labels = [(t, b) for t, b in texts if t.axes is ax and id(t) not in ticks]
        for i, (a, box_a) in enumerate(labels):
            for b, box_b in labels[i + 1:]:
                assert not box_a.overlaps(box_b), (a.get_text(), b.get_text())


def test_stepper_grid_classes_are_the_models_and_computed_once_per_model_state(monkeypatch):
    from nlpcourse.mlp import stepper as st
    from nlpcourse.mlp.figures import decision_grid

    s = TrainingStepper()
    calls = []
    monkeypatch.setattr(st, "decision_grid", lambda *a: calls.append(1) or decision_grid(*a))
    for action, computed in ((lambda: None, 1), (lambda: s.set(lr=0.1), 0), (s.step, 1), (lambda: None, 0),
                             (s.reset, 1), (lambda: s.set(alpha=0.5), 0), (s.epoch, 1)):
        action()
        calls.clear()
        assert np.array_equal(s.grid_classes(), decision_grid(s.model, s.X, st.GRID)[0])
        assert len(calls) == computed
