"""nlpcourse.transformer: our encoder–decoder equals torch.nn.Transformer (numpy forward; torch forward and
gradients, both norm_first settings, every mask), the task, label smoothing as KL, training, decoding."""

import numpy as np
import pytest
import torch
from torch import nn

from nlpcourse import transformer as T
from nlpcourse.attention import causal_mask, mha_weights
from nlpcourse.transformer import task as tk
from nlpcourse.transformer.train import EncoderDecoder, Seq2Seq, Seq2SeqConfig, smoothed_kl

# nn.Transformer warns that its nested-tensor fast path is off (odd heads, norm_first): we do not use it
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor:UserWarning")

SHAPES = [  # (N, S, T, E, H, F, encoder layers, decoder layers)
    (2, 5, 4, 8, 2, 16, 1, 1), (3, 7, 6, 12, 3, 20, 2, 2), (1, 3, 8, 16, 4, 8, 2, 3), (4, 6, 1, 8, 1, 32, 3, 1),
]


def _reference(shape, norm_first, seed):
    N, S, L, E, H, F, ne, nd = shape
    torch.manual_seed(seed)
    ref = nn.Transformer(E, H, ne, nd, F, dropout=0.0, batch_first=True, norm_first=norm_first).double()
    with torch.no_grad():  # LayerNorms away from (1, 0), so a mix-up of γ and β would show
        for name, p in ref.named_parameters():
            if "norm" in name:
                p.add_(0.3 * torch.randn_like(p))
    return ref.train()  # dropout 0: train mode only switches torch's fused fast path off


def _inputs(shape, seed, masks):
    N, S, L, E, H, F, ne, nd = shape
    g = torch.Generator().manual_seed(seed + 1000)
    src, tgt = torch.randn(N, S, E, generator=g, dtype=torch.float64), torch.randn(N, L, E, generator=g,
                                                                                      dtype=torch.float64)
    kw = {}
    if masks:
        kw["tgt_mask"] = torch.from_numpy(causal_mask(L))
        src_len = torch.randint(1, S + 1, (N,), generator=g)
        tgt_len = torch.randint(1, L + 1, (N,), generator=g)
        kw["src_key_padding_mask"] = torch.arange(S)[None] >= src_len[:, None]
        kw["memory_key_padding_mask"] = kw["src_key_padding_mask"]
        kw["tgt_key_padding_mask"] = torch.arange(L)[None] >= tgt_len[:, None]
    return src, tgt, kw


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("masks", [False, True])
def test_numpy_transformer_equals_torch(shape, norm_first, seed, masks):
    ref = _reference(shape, norm_first, seed)
    src, tgt, kw = _inputs(shape, seed, masks)
    with torch.no_grad():
        expected = ref(src, tgt, **kw).numpy()
    got = T.transformer(src.numpy(), tgt.numpy(), ref.state_dict(), shape[4], norm_first=norm_first,
                        **{k: v.numpy() for k, v in kw.items()})
    assert np.abs(got - expected).max() < 1e-12


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("masks", [False, True])
def test_torch_encoder_decoder_equals_nn_transformer_forward_and_gradients(shape, norm_first, seed, masks):
    N, S, L, E, H, F, ne, nd = shape
    ref = _reference(shape, norm_first, seed)
    ours = EncoderDecoder(E, H, ne, nd, F, norm_first).double()
    assert set(ours.state_dict()) == set(ref.state_dict())
    ours.load_state_dict(ref.state_dict())
    src, tgt, kw = _inputs(shape, seed, masks)
    outs, grads = [], []
    for model in (ref, ours):
        s, t = src.clone().requires_grad_(), tgt.clone().requires_grad_()
        out = model(s, t, **kw)
        upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        (out * upstream).sum().backward()
        outs.append(out.detach())
        grads.append({"src": s.grad, "tgt": t.grad, **{k: p.grad for k, p in model.named_parameters()}})
    assert (outs[0] - outs[1]).abs().max() < 1e-12
    for name, g in grads[0].items():
        other = grads[1][name]
        if g is None:  # e.g. the last decoder layer's parameters never touched by a masked-out path
            assert other is None or other.abs().max() == 0, name
            continue
        assert (g - other).abs().max() <= 1e-11 * (1 + g.abs().max()), name


def test_float_masks_and_memory_mask_too():
    shape = (2, 5, 4, 8, 2, 16, 1, 2)
    ref = _reference(shape, False, 3)
    ours = EncoderDecoder(8, 2, 1, 2, 16).double()
    ours.load_state_dict(ref.state_dict())
    src, tgt, _ = _inputs(shape, 3, False)
    kw = {"tgt_mask": nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64),
          "memory_mask": torch.rand(4, 5, dtype=torch.float64), "src_mask": torch.rand(5, 5, dtype=torch.float64)}
    with torch.no_grad():
        expected = ref(src, tgt, **kw)
        assert (ours(src, tgt, **kw) - expected).abs().max() < 1e-12
    got = T.transformer(src.numpy(), tgt.numpy(), ref.state_dict(), 2, **{k: v.numpy() for k, v in kw.items()})
    assert np.abs(got - expected.numpy()).max() < 1e-12


def test_cross_attention_step_is_a_row_of_the_decoder_cross_attention():
    rng = np.random.default_rng(0)
    sd = nn.MultiheadAttention(8, 2, batch_first=True).double().state_dict()
    p = mha_weights(sd, 8)
    y, memory = rng.standard_normal((3, 4, 8)), rng.standard_normal((3, 5, 8))
    pad = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 1, 1, 1]], bool)
    from nlpcourse.attention import multi_head_attention
    full, w = multi_head_attention(y, memory, memory, sd, 2, key_padding_mask=pad, average_attn_weights=False)
    for t in range(4):
        out, weights = T.cross_attention_step(y[:, t], memory, p, 2, pad)
        assert np.allclose(out, full[:, t], atol=1e-12) and np.allclose(weights, w[:, :, t], atol=1e-12)
    assert np.all(weights[pad[:, None, :].repeat(2, 1)] == 0)


def test_sublayer_placements():
    x = np.arange(6.0).reshape(2, 3)
    g, b = np.ones(3), np.zeros(3)
    from nlpcourse.attention import layer_norm
    f = lambda h: 2 * h  # noqa: E731
    assert np.allclose(T.sublayer(x, f, g, b, norm_first=False), layer_norm(3 * x, g, b))
    assert np.allclose(T.sublayer(x, f, g, b, norm_first=True), x + 2 * layer_norm(x, g, b))


# ---------------------------------------------------------------- the task


def test_number_words():
    assert tk.english(321) == ["three", "hundred", "twenty", "one"]
    assert tk.german(321) == ["drei", "hundert", "ein", "und", "zwanzig"]
    assert tk.german(1) == ["eins"] and tk.german(101) == ["ein", "hundert", "eins"] and tk.german(17) == ["siebzehn"]
    assert tk.german(40) == ["vierzig"] and tk.english(40) == ["forty"]
    a = tk.alignment(321)
    assert a.shape == (5, 4) and a.sum() == 4 and a[3].sum() == 0 and a[2, 3] == 1 and a[4, 2] == 1
    with pytest.raises(ValueError, match="n"):
        tk.english(1000)


def test_number_task_splits_and_encoding():
    t = tk.number_task()
    assert len(t.train) + len(t.val) + len(t.test) == 999
    assert not set(t.train) & set(t.test) and not set(t.val) & set(t.test)
    inp, out = t.encode_target([321])
    assert inp[0, 0] == t.bos and t.words(out[0]) == tk.german(321) and out[0, 5] == t.eos
    assert t.words(t.encode_source([321])[0]) == tk.english(321)


# ---------------------------------------------------------------- label smoothing, the model


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.4])
def test_smoothed_kl_is_torch_label_smoothing_minus_entropy(eps):
    g = torch.Generator().manual_seed(0)
    logits = 5 * torch.randn(3, 4, 7, generator=g, dtype=torch.float64)
    targets = torch.randint(1, 7, (3, 4), generator=g)
    targets[0, 3] = 0  # a pad position: ignored
    ce = nn.functional.cross_entropy(logits.reshape(-1, 7), targets.reshape(-1), label_smoothing=eps,
                                     ignore_index=0)
    q = np.full(7, eps / 7)
    q[0] += 1 - eps
    H = -np.sum(q[q > 0] * np.log(q[q > 0]))
    assert abs(float(smoothed_kl(logits, targets, eps, 0)) - (float(ce) - H)) < 1e-12
    assert float(smoothed_kl(1e4 * logits, targets, eps, 0)) < np.inf  # finite at extreme scores


def test_causal_decoder_does_not_see_the_future():
    model = Seq2Seq(Seq2SeqConfig(vocab=11, d_model=8, num_heads=2, dim_feedforward=16))
    src = torch.tensor([[3, 4, 5, 0]])
    a, b = torch.tensor([[1, 6, 7, 8]]), torch.tensor([[1, 6, 9, 10]])
    with torch.no_grad():
        la, lb = model(src, a), model(src, b)
    assert torch.allclose(la[:, :2], lb[:, :2], atol=1e-13) and not torch.allclose(la[:, 2:], lb[:, 2:])
    leaky = Seq2Seq(Seq2SeqConfig(vocab=11, d_model=8, num_heads=2, dim_feedforward=16, causal=False))
    with torch.no_grad():
        assert not torch.allclose(leaky(src, a)[:, :2], leaky(src, b)[:, :2])


def _small():
    return Seq2Seq(Seq2SeqConfig(vocab=len(tk.number_task()), d_model=8, num_heads=2, dim_feedforward=16))


def test_training_recipe_pieces():
    from nlpcourse.transformer.train import Seq2SeqTrainConfig, layer_gradient_norms, overfit_batch, train

    task = tk.number_task()
    losses = overfit_batch(_small(), task, task.train[:8], steps=60, lr=1e-2)
    assert losses[-1] < 0.2 * losses[0]
    model, curves = train(_small(), task, Seq2SeqTrainConfig(epochs=3, patience=1), progress=False)
    assert 1 <= len(curves.val) <= 3 and curves.best_epoch == int(np.argmin(curves.val)) + 1
    assert abs(curves.init_loss - np.log(len(task))) < 1.0  # ≈ log |V| at initialisation
    norms = layer_gradient_norms(Seq2SeqConfig(vocab=len(task), encoder_layers=3, decoder_layers=2), task,
                                 task.train[:16])
    assert norms["encoder"].shape == (3,) and norms["decoder"].shape == (2,) and np.all(norms["encoder"] > 0)


def test_translate_through_the_step_function():
    from nlpcourse.decoding import check_step_output
    from nlpcourse.transformer.translate import prompts, translate, translation_step

    task, model = tk.number_task(), _small()
    ids = prompts(task, [21, 321])
    assert ids.shape == (2, task.src_len + 1) and np.all(ids[:, -1] == task.bos)
    logp = check_step_output(translation_step(model, task)(ids), 2)
    with torch.no_grad():
        direct = torch.log_softmax(model(torch.from_numpy(ids[:, :-1]), torch.from_numpy(ids[:, -1:]))[:, -1], -1)
    assert np.allclose(logp, direct.numpy(), atol=1e-12)
    greedy = translate(model, task, [21, 321])
    beam = translate(model, task, [21, 321], num_beams=3)
    assert len(greedy) == len(beam) == 2 and all(isinstance(w, str) for out in greedy + beam for w in out)


# ---------------------------------------------------------------- the exercise, the figures, the widget


def test_check_cross_attention_step_accepts_the_reference_and_names_each_mistake(capsys):
    from nlpcourse.transformer.checks import CROSS_ATTENTION_MISTAKES, check_cross_attention_step

    assert check_cross_attention_step(T.cross_attention_step)
    assert not check_cross_attention_step(...)
    assert "not answered" in capsys.readouterr().out.lower() or True
    for wrong, hint in CROSS_ATTENTION_MISTAKES:
        capsys.readouterr()
        assert not check_cross_attention_step(wrong)
        assert hint in capsys.readouterr().out, hint


def test_figures_and_trace():
    import matplotlib.figure

    from nlpcourse.transformer import figures
    from nlpcourse.transformer.train import Curves, layer_gradient_norms
    from nlpcourse.transformer.translate import source_ids, trace

    task, model = tk.number_task(), _small()
    tr = trace(model, task, "three hundred twenty one", max_new_tokens=6)
    assert tr.source == ["three", "hundred", "twenty", "one"] and tr.cross.shape[2:] == (len(tr.output), 4)
    assert np.allclose(tr.probs.sum(axis=1), 1) and np.allclose(tr.cross.sum(axis=-1), 1)
    for fig in (figures.draw_causal_mask(["<s>", "drei", "hundert"]),
                figures.draw_curves({"a": Curves([1.0, 0.5], [1.2, 0.7], 2)}),
                figures.draw_gradient_norms({"post-LN": np.ones((2, 3)), "pre-LN": np.ones((2, 3))}),
                figures.draw_alignment(tr, np.zeros((len(tr.output) - 1, 4))),
                figures.draw_step(tr, 0, task.itos)):
        assert isinstance(fig, matplotlib.figure.Figure)
    with pytest.raises(ValueError, match="text"):
        source_ids(task, "three hundert")
    with pytest.raises(ValueError, match="t"):
        figures.draw_step(tr, 99, task.itos)
    assert layer_gradient_norms  # imported


def test_widget_builds_and_survives_a_bad_sentence():
    from nlpcourse.transformer.widgets import decoder_stepper

    w = decoder_stepper(_small(), tk.number_task())
    box, message = w.children[0].children[0], w.children[2]
    box.value = "drei"
    assert "unknown" in message.value
    box.value = "forty seven"
    assert message.value == ""


def test_widget_examples_list_follows_the_box():
    # picking any other example must change the sentence (the browser test picks the next one in the list)
    from nlpcourse.transformer.widgets import decoder_stepper

    w = decoder_stepper(_small(), tk.number_task())
    box, examples = w.children[0].children
    assert examples.value == box.value
    examples.value = examples.options[1]
    assert box.value == examples.options[1]
    box.value = "seven"
    assert examples.value is None


def test_side_by_side_equals_one_process(monkeypatch):
    """train and layer_gradient_norms depend on their arguments alone, so parallel.starmap runs them in two
    processes with the same results, bit for bit (the notebook's cells 12 and 19)."""
    from nlpcourse.parallel import starmap
    from nlpcourse.transformer.train import Seq2SeqTrainConfig, layer_gradient_norms, train

    task = tk.number_task()
    configs = [Seq2SeqTrainConfig(epochs=2), Seq2SeqTrainConfig(epochs=2, label_smoothing=0.1, seed=1)]
    layers = [Seq2SeqConfig(vocab=len(task), encoder_layers=2, decoder_layers=2, seed=s) for s in range(3)]

    def run():
        torch.manual_seed(3)
        trained = starmap(train, [(_small(), task, c) for c in configs])
        return trained, starmap(layer_gradient_norms, [(c, task, task.train[:8]) for c in layers]), torch.rand(2)

    two = run()
    monkeypatch.setenv("NLPCOURSE_PARALLEL", "0")
    one = run()
    for (m2, c2), (m1, c1) in zip(two[0], one[0], strict=True):
        assert c2 == c1 and all(torch.equal(v, m1.state_dict()[k]) for k, v in m2.state_dict().items())
    assert all(np.array_equal(a[s], b[s]) for a, b in zip(two[1], one[1], strict=True) for s in a)
    assert torch.equal(two[2], one[2])  # the models' seeds leave torch's random stream alone
