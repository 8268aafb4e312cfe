"""Notebook 06: attention. Our numpy math against torch (autograd, nn.MultiheadAttention,
nn.TransformerEncoderLayer, nn.LayerNorm) and finite differences, on many shapes and masks."""

import itertools
import warnings

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nlpcourse import attention as A
from nlpcourse.attention import checks, figures
from nlpcourse.attention import train as T
from nlpcourse.gradcheck import check_gradients, finite_difference
from nlpcourse.plotting import layout_problems

RNG = np.random.default_rng(0)
t64 = torch.float64


def rand(*shape):
    return RNG.standard_normal(shape)


def tensor(x):
    return torch.tensor(x, dtype=t64)


def random_module(module):
    """Every parameter N(0, 0.5²) (torch's zero biases would hide a bias that is added in the wrong place)."""
    module = module.double()
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0, 0.5)
    return module


# ---------------------------------------------------------------- sections 1–3


def test_dot_product_attention_is_the_weighted_sum_of_the_states():
    states, q = rand(5, 3), rand(3)
    scores, weights, context = A.dot_product_attention(q, states)
    np.testing.assert_allclose(scores, [s @ q for s in states])
    np.testing.assert_allclose(weights, np.exp(scores) / np.exp(scores).sum())
    np.testing.assert_allclose(context, sum(w * s for w, s in zip(weights, states, strict=True)))


def test_thinking_machines_step_by_step_equals_the_matrix_form():
    ex = A.thinking_machines()
    assert ex["X"].shape == (2, 512) and ex["W_Q"].shape == (512, 64)
    Q, K, V = ex["X"] @ ex["W_Q"], ex["X"] @ ex["W_K"], ex["X"] @ ex["W_V"]
    s = np.array([Q[0] @ K[0], Q[0] @ K[1]]) / np.sqrt(64)
    p = np.exp(s) / np.exp(s).sum()
    z1 = p[0] * V[0] + p[1] * V[1]
    out, weights = A.scaled_dot_product_attention(Q, K, V)
    np.testing.assert_allclose(out[0], z1, atol=1e-12)
    np.testing.assert_allclose(weights[0], p, atol=1e-12)


def test_dot_product_variance_grows_like_d():
    table = A.dot_product_variance([4, 64, 256], samples=4000)
    for d, row in table.iterrows():
        assert abs(row["var q·k"] / d - 1) < 0.1
        assert abs(row["var q·k/√d"] - 1) < 0.1


def test_softmax_saturates_without_scaling():
    table = A.softmax_saturation([4, 256, 1024])
    assert (table["max weight (raw)"] >= table["max weight (÷√d)"]).all()
    assert table.loc[1024, "max weight (raw)"] > 0.9 > table.loc[1024, "max weight (÷√d)"]
    assert table.loc[1024, "‖J‖ (raw)"] < 0.1 < table.loc[1024, "‖J‖ (÷√d)"]


# ---------------------------------------------------------------- section 4: SDPA forward and backward


def torch_mask(mask):
    """Our bool mask (True = masked) as F.scaled_dot_product_attention's (True = may attend)."""
    return None if mask is None else torch.tensor(~mask)


@pytest.mark.parametrize("lead, L, S, d, dv", [((), 3, 5, 4, 2), ((2,), 4, 4, 8, 8), ((2, 3), 1, 6, 3, 5)])
@pytest.mark.parametrize("masked", [False, True])
def test_sdpa_forward_matches_torch(lead, L, S, d, dv, masked):
    q, k, v = rand(*lead, L, d), rand(*lead, S, d), rand(*lead, S, dv)
    mask = None
    if masked:
        mask = RNG.random((L, S)) < 0.4
        mask[:, 0] = False  # no fully masked row here: torch's SDPA and ours agree everywhere then
    out, weights = A.scaled_dot_product_attention(q, k, v, mask)
    ref = torch.nn.functional.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v),
                                                           attn_mask=torch_mask(mask))
    np.testing.assert_allclose(out, ref.numpy(), atol=1e-12)
    np.testing.assert_allclose(weights.sum(-1), 1.0)
    if masked:
        assert np.all(weights[..., mask] == 0)


def test_sdpa_float_mask_is_added_and_fully_masked_rows_give_zeros():
    q, k, v = rand(2, 3, 4), rand(2, 5, 4), rand(2, 5, 3)
    bias = rand(3, 5)
    bias[1] = -np.inf  # query 1 may see nothing
    out, weights = A.scaled_dot_product_attention(q, k, v, bias)
    ref = torch.nn.functional.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v), attn_mask=tensor(bias))
    np.testing.assert_allclose(out, ref.numpy(), atol=1e-12)  # torch's SDPA also gives 0 for that row
    assert np.all(weights[:, 1] == 0) and np.all(out[:, 1] == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value" RuntimeWarning from the dead row
        A.scaled_dot_product_attention(q, k, v, np.isinf(bias))


def sdpa_torch(q, k, v, mask=None, scale=None):
    """Our forward, written with torch ops for autograd (same mask meaning)."""
    d = q.shape[-1]
    s = q @ k.transpose(-1, -2) * (scale or d ** -0.5)
    if mask is not None:
        s = s.masked_fill(torch.tensor(mask), -torch.inf)
    return torch.softmax(s, -1) @ v


@pytest.mark.parametrize("seed", range(6))
def test_sdpa_backward_matches_autograd(seed):
    rng = np.random.default_rng(seed)
    lead = [(), (2,), (2, 3)][seed % 3]
    L, S, d, dv = rng.integers(1, 6, size=4)
    q, k, v = (rng.standard_normal((*lead, n, m)) for n, m in ((L, d), (S, d), (S, dv)))
    mask = (rng.random((L, S)) < 0.3) if seed % 2 else None
    if mask is not None:
        mask[:, 0] = False
    scale = None if seed < 4 else 0.7
    d_out = rng.standard_normal((*lead, L, dv))
    _, weights = A.scaled_dot_product_attention(q, k, v, mask, scale=scale)
    ours = A.sdpa_backward(d_out, q, k, v, weights, scale=scale)
    tq, tk, tv = (tensor(a).requires_grad_() for a in (q, k, v))
    sdpa_torch(tq, tk, tv, mask, scale).backward(tensor(d_out))
    for mine, ref in zip(ours, (tq.grad, tk.grad, tv.grad), strict=True):
        np.testing.assert_allclose(mine, ref.numpy(), atol=1e-12)


def test_sdpa_backward_matches_finite_differences():
    q, k, v, d_out = rand(2, 3, 4), rand(2, 5, 4), rand(2, 5, 3), rand(2, 3, 3)
    mask = np.zeros((3, 5), dtype=bool)
    mask[0, 2:] = True

    def loss_and_grads(p):
        out, w = A.scaled_dot_product_attention(p["q"], p["k"], p["v"], mask)
        dq, dk, dv = A.sdpa_backward(d_out, p["q"], p["k"], p["v"], w)
        return float((out * d_out).sum()), {"q": dq, "k": dk, "v": dv}

    def with_torch(p):
        return (sdpa_torch(p["q"], p["k"], p["v"], mask) * tensor(d_out)).sum()

    result = check_gradients(loss_and_grads, with_torch, {"q": q, "k": k, "v": v})
    assert result.ok, result


@pytest.mark.parametrize("lead, L, d", [((), 4, 3), ((2,), 5, 8), ((2, 2), 3, 2)])
def test_tied_qkv_gradient_is_the_sum_of_three_contributions(lead, L, d):
    x, d_out = rand(*lead, L, d), rand(*lead, L, d)
    _, w = A.scaled_dot_product_attention(x, x, x)
    dq, dk, dv = A.sdpa_backward(d_out, x, x, x, w)
    tx = tensor(x).requires_grad_()
    sdpa_torch(tx, tx, tx).backward(tensor(d_out))
    np.testing.assert_allclose(dq + dk + dv, tx.grad.numpy(), atol=1e-12)
    # ... and each contribution alone is not the gradient (nor is the "2·QQᵀ" guess)
    for part in (dq, dk, dv):
        assert not np.allclose(part, tx.grad.numpy(), atol=1e-6)
    xs = x.copy()
    fd = finite_difference(lambda: float((A.scaled_dot_product_attention(xs, xs, xs)[0] * d_out).sum()), xs)
    np.testing.assert_allclose(dq + dk + dv, fd, atol=1e-7)


def test_sdpa_backward_is_zero_for_fully_masked_rows():
    q, k, v, d_out = rand(3, 2), rand(4, 2), rand(4, 2), rand(3, 2)
    mask = np.zeros((3, 4), dtype=bool)
    mask[2] = True
    _, w = A.scaled_dot_product_attention(q, k, v, mask)
    dq, _, _ = A.sdpa_backward(d_out, q, k, v, w)
    assert np.all(dq[2] == 0)


# ---------------------------------------------------------------- sections 5–6: MHA equals torch


def mask_variants(N, H, L, S, rng):
    """Every mask kind torch's MHA takes, none fully masking a row."""
    bool2 = rng.random((L, S)) < 0.4
    bool2[:, 0] = False
    bool3 = rng.random((N * H, L, S)) < 0.4
    bool3[..., -1] = False
    kpm = np.zeros((N, S), dtype=bool)
    kpm[0, 1:] = rng.random(S - 1) < 0.5
    kpm[-1, -1] = S > 1
    return {
        "none": {},
        "bool 2-D": {"attn_mask": bool2},
        "float 2-D": {"attn_mask": rng.standard_normal((L, S))},
        "float 2-D with -inf": {"attn_mask": np.where(bool2, -np.inf, rng.standard_normal((L, S)))},
        "bool 3-D": {"attn_mask": bool3},
        "float 3-D": {"attn_mask": rng.standard_normal((N * H, L, S))},
        "bool key_padding_mask": {"key_padding_mask": kpm},
        "float key_padding_mask": {"key_padding_mask": np.where(kpm, -np.inf, 0.5 * rng.standard_normal((N, S)))},
        "bool both": {"attn_mask": bool2, "key_padding_mask": kpm},
        "float attn_mask + bool key_padding_mask": {"attn_mask": rng.standard_normal((L, S)), "key_padding_mask": kpm},
    }


def as_torch(kw):
    return {k: torch.tensor(v) for k, v in kw.items()}


SHAPES = [(8, 2, 2, 3, 5), (12, 3, 1, 4, 4), (6, 1, 3, 2, 7), (16, 4, 2, 5, 3), (6, 6, 2, 1, 1)]  # E H N L S


@pytest.mark.parametrize("E, H, N, L, S", SHAPES)
def test_multi_head_attention_equals_torch_for_every_mask(E, H, N, L, S):
    rng = np.random.default_rng(E * 100 + L * 10 + S)
    torch.manual_seed(E + H)
    module = random_module(torch.nn.MultiheadAttention(E, H, batch_first=True))
    q, k, v = rng.standard_normal((N, L, E)), rng.standard_normal((N, S, E)), rng.standard_normal((N, S, E))
    for name, kw in mask_variants(N, H, L, S, rng).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about mixing bool and float masks
            ref_out, ref_w = module(tensor(q), tensor(k), tensor(v), **as_torch(kw))
            _, ref_heads = module(tensor(q), tensor(k), tensor(v), average_attn_weights=False, **as_torch(kw))
        out, w = A.multi_head_attention(q, k, v, module.state_dict(), H, **kw)
        _, heads = A.multi_head_attention(q, k, v, module.state_dict(), H, average_attn_weights=False, **kw)
        np.testing.assert_allclose(out, ref_out.detach().numpy(), atol=1e-10, err_msg=name)
        np.testing.assert_allclose(w, ref_w.detach().numpy(), atol=1e-12, err_msg=name)
        np.testing.assert_allclose(heads, ref_heads.detach().numpy(), atol=1e-12, err_msg=name)


def test_multi_head_attention_self_attention_and_numpy_state_dict():
    torch.manual_seed(1)
    module = random_module(torch.nn.MultiheadAttention(8, 4, batch_first=True))
    x = rand(3, 6, 8)
    ref, _ = module(tensor(x), tensor(x), tensor(x), attn_mask=torch.tensor(A.causal_mask(6)))
    numpy_sd = {k: v.numpy() for k, v in module.state_dict().items()}
    out, w = A.multi_head_attention(x, x, x, numpy_sd, 4, attn_mask=A.causal_mask(6))
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-10)
    assert np.all(np.triu(w[0], 1) == 0)


def test_fully_masked_row_torch_gives_nan_with_weights_we_give_the_sdpa_path_answer():
    torch.manual_seed(2)
    module = random_module(torch.nn.MultiheadAttention(8, 2, batch_first=True))
    q, kv = rand(2, 3, 8), rand(2, 4, 8)
    kpm = np.array([[True] * 4, [False, False, True, True]])  # sequence 0: every key is padding
    out_w, w = module(tensor(q), tensor(kv), tensor(kv), key_padding_mask=torch.tensor(kpm))
    assert torch.isnan(out_w[0]).all() and torch.isnan(w[0]).all()  # torch, need_weights=True
    out_sdpa, _ = module(tensor(q), tensor(kv), tensor(kv), key_padding_mask=torch.tensor(kpm), need_weights=False)
    ours, ours_w = A.multi_head_attention(q, kv, kv, module.state_dict(), 2, key_padding_mask=kpm)
    np.testing.assert_allclose(ours, out_sdpa.detach().numpy(), atol=1e-10)  # torch, need_weights=False
    np.testing.assert_allclose(ours[0], np.broadcast_to(module.out_proj.bias.detach().numpy(), (3, 8)))
    assert np.all(ours_w[0] == 0)
    np.testing.assert_allclose(ours_w[1], w[1].detach().numpy(), atol=1e-12)


def test_split_and_merge_heads_are_inverse_and_match_torch():
    x = rand(2, 5, 12)
    heads = A.split_heads(x, 3)
    np.testing.assert_array_equal(heads, checks.split_heads_like_torch(x, 3))
    np.testing.assert_array_equal(A.merge_heads(heads), x)


def test_masks():
    np.testing.assert_array_equal(A.causal_mask(3), [[False, True, True], [False, False, True], [False] * 3])
    assert A.causal_mask(2, 4).shape == (2, 4)
    np.testing.assert_array_equal(A.padding_mask([2, 0, 3], 3),
                                  [[False, False, True], [True, True, True], [False, False, False]])
    torch_causal = torch.nn.Transformer.generate_square_subsequent_mask(5).numpy()
    np.testing.assert_array_equal(A.causal_mask(5), np.isinf(torch_causal))


# ---------------------------------------------------------------- the batched torch version


@pytest.mark.parametrize("E, H, N, L, S", SHAPES[:3])
def test_torch_multi_head_attention_equals_nn_and_numpy(E, H, N, L, S):
    torch.manual_seed(3)
    module = random_module(torch.nn.MultiheadAttention(E, H, batch_first=True))
    ours = T.MultiHeadAttention(E, H).double()
    ours.load_state_dict(module.state_dict())
    q, k, v = tensor(rand(N, L, E)), tensor(rand(N, S, E)), tensor(rand(N, S, E))
    kpm = torch.zeros(N, S, dtype=torch.bool)
    kpm[0, -1] = S > 1
    bias = torch.zeros(N, S, dtype=t64).masked_fill(kpm, -torch.inf)[:, None, None, :]
    out, heads = ours(q, k, v, bias)
    ref, ref_heads = module(q, k, v, key_padding_mask=kpm, average_attn_weights=False)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(heads.detach().numpy(), ref_heads.detach().numpy(), atol=1e-12)
    out_np, _ = A.multi_head_attention(q, k, v, module.state_dict(), H, key_padding_mask=kpm.numpy())
    np.testing.assert_allclose(out.detach().numpy(), out_np, atol=1e-10)


def test_encoder_block_has_torchs_state_dict_and_output():
    torch.manual_seed(4)
    ref = random_module(torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True))
    block = T.EncoderBlock(8, 2, 16).double()
    assert list(block.state_dict()) == list(ref.state_dict())
    block.load_state_dict(ref.state_dict())
    x = tensor(rand(2, 5, 8))
    out, weights = block(x)
    np.testing.assert_allclose(out.detach().numpy(), ref(x).detach().numpy(), atol=1e-10)
    assert weights.shape == (2, 2, 5, 5)


# ---------------------------------------------------------------- sections 7–8


def test_positional_encoding_formula():
    pe = A.positional_encoding(50, 16)
    pos = np.arange(50)
    np.testing.assert_allclose(pe[:, 0], np.sin(pos))
    np.testing.assert_allclose(pe[:, 1], np.cos(pos))
    np.testing.assert_allclose(pe[:, 6], np.sin(pos / 10000 ** (6 / 16)))
    np.testing.assert_allclose(pe[:, 7], np.cos(pos / 10000 ** (6 / 16)))


def test_self_attention_is_permutation_equivariant():
    torch.manual_seed(5)
    sd = random_module(torch.nn.MultiheadAttention(8, 2, batch_first=True)).state_dict()
    x = rand(1, 6, 8)
    perm = RNG.permutation(6)
    out, _ = A.multi_head_attention(x, x, x, sd, 2)
    out_p, _ = A.multi_head_attention(x[:, perm], x[:, perm], x[:, perm], sd, 2)
    np.testing.assert_allclose(out_p, out[:, perm], atol=1e-12)
    pe = A.positional_encoding(6, 8)[None]
    y, y_p = x + pe, x[:, perm] + pe
    out, _ = A.multi_head_attention(y, y, y, sd, 2)
    out_p, _ = A.multi_head_attention(y_p, y_p, y_p, sd, 2)
    assert not np.allclose(out_p, out[:, perm], atol=1e-3)


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 6), (1, 7)])
def test_layer_norm_forward_backward_vs_torch(shape):
    d = shape[-1]
    x, dout = rand(*shape), rand(*shape)
    ln = A.LayerNorm(d)
    ln.params = {"gamma": rand(d), "beta": rand(d)}
    ref = torch.nn.LayerNorm(d).double()
    with torch.no_grad():
        ref.weight.copy_(tensor(ln.params["gamma"]))
        ref.bias.copy_(tensor(ln.params["beta"]))
    tx = tensor(x).requires_grad_()
    y = ref(tx)
    y.backward(tensor(dout))
    np.testing.assert_allclose(ln.forward(x), y.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(A.layer_norm(x, ln.params["gamma"], ln.params["beta"]), y.detach().numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(ln.backward(dout), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ln.grads["gamma"], ref.weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ln.grads["beta"], ref.bias.grad.numpy(), atol=1e-12)


def test_layer_norm_backward_vs_finite_differences():
    x0, dout = rand(4, 5), rand(4, 5)

    def ours(p):
        ln = A.LayerNorm(5)
        ln.params = {"gamma": p["gamma"], "beta": p["beta"]}
        y = ln.forward(p["x"])
        dx = ln.backward(dout)
        return float((y * dout).sum()), {"x": dx, **ln.grads}

    def with_torch(p):
        return (torch.nn.functional.layer_norm(p["x"], (5,), p["gamma"], p["beta"]) * tensor(dout)).sum()

    result = check_gradients(ours, with_torch, {"x": x0, "gamma": rand(5), "beta": rand(5)})
    assert result.ok, result


@pytest.mark.parametrize("E, H, F, N, L", [(8, 2, 16, 2, 5), (12, 3, 7, 1, 4), (6, 1, 10, 3, 1)])
@pytest.mark.parametrize("training", [True, False])
def test_encoder_layer_equals_torch(E, H, F, N, L, training):
    torch.manual_seed(E + F)
    rng = np.random.default_rng(F)
    layer = random_module(torch.nn.TransformerEncoderLayer(E, H, F, dropout=0.0, batch_first=True))
    layer.train(training)
    x = rng.standard_normal((N, L, E))
    causal = A.causal_mask(L)
    kpm = np.zeros((N, L), dtype=bool)
    kpm[-1, L - 1:] = L > 1
    variants = [{}, {"src_mask": causal}, {"src_mask": np.where(causal, -np.inf, 0.0)},
                {"src_key_padding_mask": kpm}, {"src_mask": causal, "src_key_padding_mask": kpm}]
    if training:  # torch's eval fast path returns NaN for a float mask that is not 0 / -inf (torch 2.13)
        variants += [{"src_mask": rng.standard_normal((L, L))}, {"src_mask": rng.standard_normal((N * H, L, L))}]
    for kw in variants:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = layer(tensor(x), **as_torch(kw)).numpy()
        ours = A.encoder_layer(x, layer.state_dict(), H, **kw)
        np.testing.assert_allclose(ours, ref, atol=1e-10, err_msg=str(kw))


@pytest.mark.parametrize("training", [True, False])
def test_pre_norm_encoder_layer_equals_torchs_norm_first(training):
    torch.manual_seed(3)
    layer = random_module(torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=True))
    layer.train(training)
    x, causal = rand(2, 5, 8), A.causal_mask(5)
    with torch.no_grad():
        ref = layer(tensor(x), src_mask=torch.tensor(causal)).numpy()
    np.testing.assert_allclose(A.encoder_layer(x, layer.state_dict(), 2, src_mask=causal, norm_first=True), ref,
                               atol=1e-10)


def test_gradient_through_depth_pre_norm_never_shrinks():
    """The notebook's claim: through pre-LN blocks the gradient never falls below its size at the top; post-LN
    blocks shrink it."""
    df = T.gradient_through_depth()
    assert (df["pre-LN"] >= 1).all()
    assert (df["post-LN"] < 1).all()


def test_encoder_layer_fully_padded_sequence_matches_torchs_training_path():
    torch.manual_seed(6)
    layer = random_module(torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True))
    x = rand(2, 3, 8)
    kpm = np.array([[True] * 3, [False, False, True]])
    ref = layer(tensor(x), src_key_padding_mask=torch.tensor(kpm)).detach().numpy()  # SDPA path: finite
    np.testing.assert_allclose(A.encoder_layer(x, layer.state_dict(), 2, src_key_padding_mask=kpm), ref,
                               atol=1e-10)


# ---------------------------------------------------------------- section 9


def test_cross_entropy_entropy_kl():
    p, q = np.array([0.7, 0.2, 0.1]), np.array([0.4, 0.4, 0.2])
    np.testing.assert_allclose(A.cross_entropy(p, q), A.entropy(p) + A.kl_divergence(p, q))
    np.testing.assert_allclose(A.cross_entropy(np.eye(3)[0], q), -np.log(0.4))
    assert A.kl_divergence(p, q) > 0 and not np.isclose(A.kl_divergence(p, q), A.kl_divergence(q, p))
    assert A.kl_divergence(p, p) == pytest.approx(0.0, abs=1e-15)
    ref = torch.nn.functional.kl_div(torch.log(tensor(q)), tensor(p), reduction="sum")
    np.testing.assert_allclose(A.kl_divergence(p, q), ref.item())
    assert A.entropy(np.array([1.0, 0.0])) == 0.0
    assert A.cross_entropy(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == np.inf


@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])
def test_token_cross_entropy_vs_torch_on_extreme_logits(scale):
    logits, targets = scale * rand(3, 4, 7), RNG.integers(0, 7, (3, 4))
    ref = torch.nn.functional.cross_entropy(tensor(logits).reshape(-1, 7), torch.tensor(targets).reshape(-1))
    got = A.token_cross_entropy(logits, targets)
    assert np.isfinite(got)
    np.testing.assert_allclose(got, ref.item(), rtol=1e-12)


# ---------------------------------------------------------------- bad input names the argument and the shapes


def test_bad_input_messages():
    sd = torch.nn.MultiheadAttention(8, 2, batch_first=True).state_dict()
    x = rand(2, 3, 8)
    cases = [
        (lambda: A.scaled_dot_product_attention(rand(3, 4), rand(5, 3), rand(5, 2)), ValueError, "k: expected shape"),
        (lambda: A.scaled_dot_product_attention(rand(3, 4), rand(5, 4), rand(4, 2)), ValueError, "v: expected shape"),
        (lambda: A.scaled_dot_product_attention(rand(4), rand(5, 4), rand(5, 2)), ValueError, "q: expected shape"),
        (lambda: A.scaled_dot_product_attention(rand(3, 4), rand(5, 4), rand(5, 2), np.zeros((3, 4), bool)),
         ValueError, "mask: expected a shape that broadcasts to the scores' (3, 5), got (3, 4)"),
        (lambda: A.scaled_dot_product_attention(rand(3, 4), rand(5, 4), rand(5, 2), np.zeros((3, 5), int)),
         TypeError, "mask: expected a bool mask"),
        (lambda: A.multi_head_attention(x, x, x, sd, 3), ValueError, "embed_dim 8 is not divisible by num_heads 3"),
        (lambda: A.multi_head_attention(x, rand(2, 4, 6), rand(2, 4, 6), sd, 2), ValueError, "key: expected shape"),
        (lambda: A.multi_head_attention(x, rand(2, 4, 8), rand(2, 5, 8), sd, 2), ValueError, "value: expected shape"),
        (lambda: A.multi_head_attention(x, x, x, sd, 2, attn_mask=np.zeros((3, 4), bool)), ValueError,
         "attn_mask: expected shape (L, S) = (3, 3) or (N·num_heads, L, S) = (4, 3, 3), got (3, 4)"),
        (lambda: A.multi_head_attention(x, x, x, sd, 2, attn_mask=np.zeros((3, 3, 3), bool)), ValueError,
         "(4, 3, 3), got (3, 3, 3)"),
        (lambda: A.multi_head_attention(x, x, x, sd, 2, key_padding_mask=np.zeros((2, 4), bool)), ValueError,
         "key_padding_mask: expected shape (N, S) = (2, 3), got (2, 4)"),
        (lambda: A.multi_head_attention(x, x, x, sd, 2, key_padding_mask=np.zeros((2, 3), np.int64)), TypeError,
         "key_padding_mask: expected a bool mask"),
        (lambda: A.multi_head_attention(x, x, x, {k: v for k, v in sd.items() if k != "in_proj_bias"}, 2),
         KeyError, "missing ['in_proj_bias']"),
        (lambda: A.multi_head_attention(x, x, x, {**sd, "out_proj.weight": torch.zeros(8, 4)}, 2), ValueError,
         "state_dict['out_proj.weight']: expected shape (8, 8), got (8, 4)"),
        (lambda: A.encoder_layer(x, sd, 2), KeyError, "missing ['self_attn.in_proj_weight'"),
        (lambda: A.encoder_layer(x, {**{f"self_attn.{k}": v for k, v in sd.items()}, "self_attn.in_proj_bias": 0,
                                     **{f"{m}.{w}": 0 for m in ("linear1", "linear2", "norm1", "norm2")
                                        for w in ("weight", "bias")}}, 2), ValueError,
         "state_dict['self_attn.in_proj_bias']: expected shape (24,), got ()"),
        (lambda: A.split_heads(x, 3), ValueError, "embed_dim 8 is not divisible by num_heads 3"),
        (lambda: A.sdpa_backward(rand(3, 3), rand(3, 4), rand(5, 4), rand(5, 2), rand(3, 5)), ValueError,
         "d_out: expected shape (3, 2), got (3, 3)"),
        (lambda: A.positional_encoding(10, 7), ValueError, "d_model: expected an even number"),
        (lambda: A.kl_divergence(np.array([0.5, 0.6]), np.array([0.5, 0.5])), ValueError, "p: expected probabilities"),
        (lambda: A.LayerNorm(4).forward(rand(2, 5)), ValueError, "x: expected shape (..., 4), got (2, 5)"),
        (lambda: A.token_cross_entropy(rand(2, 3), np.array([0, 3])), ValueError, "targets: expected token ids"),
        (lambda: T.TinyConfig(embed_dim=10, num_heads=4), ValueError, "embed_dim 10 is not divisible"),
        (lambda: T.TinyConfig(task="shuffle"), ValueError, "task: expected one of"),
    ]
    for call, error, text in cases:
        with pytest.raises(error) as info:
            call()
        message = info.value.args[0]
        assert text in message, (text, message)


# ---------------------------------------------------------------- the exercises' checks


def _attention_backward(d_out, q, k, v):  # the notebook's solution
    _, P = A.scaled_dot_product_attention(q, k, v)
    return A.sdpa_backward(d_out, q, k, v, P)


def test_attention_backward_checks(capsys):
    assert checks.check_attention_backward(_attention_backward)
    assert "dq ✓, dk ✓, dv ✓" in capsys.readouterr().out
    assert checks.check_self_attention_backward(lambda d, x: sum(_attention_backward(d, x, x, x)))
    assert "dx ✓" in capsys.readouterr().out
    assert not checks.check_attention_backward(...)
    assert "Not answered" in capsys.readouterr().out
    assert not checks.check_attention_backward(lambda d, q, k, v: _attention_backward(d, q, k, v)[:2])
    assert "should return 3 value(s) (dq, dk, dv)" in capsys.readouterr().out
    wrong_dk = lambda d, q, k, v: (lambda g: (g[0], 2 * g[1], g[2]))(_attention_backward(d, q, k, v))  # noqa: E731
    assert not checks.check_attention_backward(wrong_dk)
    assert "dq ✓, dk ✗" in capsys.readouterr().out  # the verdict names the wrong output


def test_split_heads_check(capsys):
    assert checks.check_split_heads(A.split_heads)
    assert "✅" in capsys.readouterr().out

    def stub(x, num_heads):
        raise NotImplementedError

    assert not checks.check_split_heads(stub)
    assert "Not answered" in capsys.readouterr().out
    assert not checks.check_split_heads(lambda x, h: x.reshape(x.shape[0], x.shape[1], h, -1))
    assert "should have shape" in capsys.readouterr().out


@pytest.mark.parametrize("check, wrong, hint", [
    *((checks.check_attention_backward, w, h) for w, h in checks.ATTENTION_BACKWARD_MISTAKES),
    *((checks.check_self_attention_backward, w, h) for w, h in checks.SELF_ATTENTION_MISTAKES),
    *((checks.check_split_heads, w, h) for w, h in checks.SPLIT_HEADS_MISTAKES),
])
def test_every_hint_fires_for_its_mistake(capsys, check, wrong, hint):
    assert not check(wrong)
    assert hint in capsys.readouterr().out


# ---------------------------------------------------------------- section 10: the toy transformer


@pytest.fixture(scope="module")
def trained():
    return T.train(progress=False)


def test_toy_tasks():
    x, y = T.toy_task("reverse", 5, 4, 10, 0)
    np.testing.assert_array_equal(y.numpy(), x.numpy()[:, ::-1])
    x, y = T.toy_task("sort", 5, 4, 10, 0)
    np.testing.assert_array_equal(y.numpy(), np.sort(x.numpy(), axis=1))


def test_tiny_transformer_learns_to_reverse_with_anti_diagonal_attention(trained):
    model, history = trained
    right, margin = T.sequence_accuracy(model, history.test_x, history.test_y)
    assert right == 200 and margin > 2  # the notebook prints this conclusion
    assert history.losses[-1] < 0.01
    maps = model.attention_maps(history.test_x)
    L = model.config.length
    anti = np.eye(L)[::-1].astype(bool)
    best = max(float(m[:, h].mean(0)[anti].mean()) for m in maps for h in range(m.shape[1]))
    assert best > 0.9  # some head reads position L − 1 − i


def test_layer_heads_reproduce_the_models_attention(trained):
    model, history = trained
    tokens = history.test_x[0]
    maps = model.attention_maps(tokens)
    for layer in range(model.config.layers):
        ex = figures.explorer_examples(model, tokens)[f"trained model, layer {layer + 1}"]
        for h in range(model.config.num_heads):
            w, _ = figures.attention_view(ex, h)
            np.testing.assert_allclose(w, maps[layer][0, h], atol=1e-5)


# ---------------------------------------------------------------- figures and the widget


def test_attention_view_switches():
    ex = figures.explorer_examples()["random weights"]
    w, out = figures.attention_view(ex, 1)
    assert w.shape == (8, 8) and out.shape == (8, 8)
    w_causal, _ = figures.attention_view(ex, 1, causal=True)
    assert np.all(np.triu(w_causal, 1) == 0)
    w_hot, _ = figures.attention_view(ex, 1, temperature=10.0)
    w_raw, _ = figures.attention_view(ex, 1, scaled=False)
    assert w_hot.max() < w.max() < w_raw.max()  # a higher temperature flattens, no scaling sharpens
    with pytest.raises(ValueError, match="head: expected a head in \\[0, 2\\)"):
        figures.attention_view(ex, 2)


def test_figures_are_figures(trained):
    model, history = trained
    scores, weights, context = A.dot_product_attention(rand(3), rand(4, 3))
    maps = model.attention_maps(history.test_x[:1])
    figs = [
        figures.draw_attention(np.full((2, 3), 1 / 3), ["a", "b"], ["x", "y", "z"]),
        figures.draw_decoder_step(list("abcd"), scores, weights, rand(4, 3), context),
        figures.draw_scaling(A.dot_product_variance([4, 16], samples=50), A.softmax_saturation([4, 16], samples=20)),
        figures.draw_positional_encoding(A.positional_encoding(20, 32)),
        figures.draw_norms(rand(4, 3), rand(4, 3), rand(4, 3)),
        figures.draw_loss(history.losses),
        figures.draw_attention_maps([m[0] for m in maps], [str(int(t)) for t in history.test_x[0]]),
        *(figures.draw_explorer(ex, 0, s, t, c) for ex, s, t, c in itertools.product(
            figures.explorer_examples(model, history.test_x[0]).values(), (True, False), (1.0, 0.3), (False, True))),
    ]
    assert all(isinstance(f, Figure) for f in figs)


def test_figures_fit_a_laptop_screen(trained):
    """Every figure the notebook draws: text inside the figure, no two labels overlapping, ≥ 9 pt on screen."""
    model, history = trained
    words, states = ["the", "cat", "sat", "down"], rand(4, 3)
    scores, weights, context = A.dot_product_attention(rand(3), states)
    maps = model.attention_maps(history.test_x[:1])
    six = figures.SENTENCE[:6]
    padded = six[:4] + ["<pad>"] * 2
    figs = {
        "decoder step": figures.draw_decoder_step(words, scores, weights, states, context),
        "scaling": figures.draw_scaling(A.dot_product_variance([4, 16, 64, 256, 1024], samples=50),
                                        A.softmax_saturation([4, 16, 64, 256, 1024], samples=20)),
        "masks": figures.draw_attention_panels({
            "causal self-attention": (np.full((6, 6), 1 / 6), six, six),
            "key padding (4 tokens + 2 pads)": (np.full((6, 6), 1 / 6), padded, padded),
            "encoder–decoder (3 × 6)": (np.full((3, 6), 1 / 6), ["y1", "y2", "y3"], six)}),
        "positional encoding": figures.draw_positional_encoding(A.positional_encoding(64, 64)),
        "norms": figures.draw_norms(rand(6, 4), rand(6, 4), rand(6, 4)),
        "loss": figures.draw_loss(history.losses),
        "maps": figures.draw_attention_maps([m[0] for m in maps], [str(int(t)) for t in history.test_x[0]],
                                            [f"out {i}" for i in range(8)], "what the trained model attends to"),
        "gradient": figures.draw_gradient_through_depth(T.gradient_through_depth(layers=4)),
        **{f"explorer {name}": figures.draw_explorer(ex, 0, causal=True)
           for name, ex in figures.explorer_examples(model, history.test_x[0]).items()},
    }
    for name, fig in figs.items():
        assert layout_problems(fig) == [], name


def test_attention_explorer_builds(trained):
    from nlpcourse.attention.widgets import attention_explorer

    model, history = trained
    widget = attention_explorer(model, history.test_x[0])
    example = widget.children[0].children[0]
    assert example.value == "trained model, layer 2"  # the default: what the model learned, not random weights
    example.value = "random weights"  # a callback redraws without error
    assert "Thinking Machines" in example.options


def test_numpy_encoder_layer_runs_the_trained_models_block(trained):
    """The three layers agree on the trained weights: numpy encoder_layer = our EncoderBlock (float64)."""
    model, history = trained
    block = model.blocks[0]
    twin = T.EncoderBlock(32, 2, 64).double()
    twin.load_state_dict(block.state_dict())
    with torch.no_grad():
        x = (model.embed(history.test_x[:5]) + model.positions).double()
        ref, _ = twin(x)
    sd = {k: v.double() for k, v in block.state_dict().items()}
    np.testing.assert_allclose(A.encoder_layer(x.numpy(), sd, 2), ref.numpy(), atol=1e-10)
