"""The shared Transformer: the pre-LayerNorm block against a PyTorch twin, GPT-2 initialisation, weight tying."""
import math

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from tinygrad_gen.models.transformer import Block, Transformer


def _torch_block(block):
    """A PyTorch pre-LayerNorm block with our block's weights (float64)."""
    E = block.ln1.weight.shape[0]
    ref = torch.nn.ModuleDict({
        "ln1": torch.nn.LayerNorm(E), "ln2": torch.nn.LayerNorm(E),
        "attn": torch.nn.MultiheadAttention(E, block.attn.num_heads, batch_first=True),
        "fc": torch.nn.Linear(E, 4 * E), "proj": torch.nn.Linear(4 * E, E)}).double()
    ours = dict(block.named_parameters())
    names = {"ln1.weight": "ln1.weight", "ln1.bias": "ln1.bias", "ln2.weight": "ln2.weight", "ln2.bias": "ln2.bias",
             "attn.in_proj_weight": "attn.in_proj_weight", "attn.in_proj_bias": "attn.in_proj_bias",
             "attn.out_proj.weight": "attn.out_proj.weight", "attn.out_proj.bias": "attn.out_proj.bias",
             "fc.weight": "mlp.fc.weight", "fc.bias": "mlp.fc.bias", "proj.weight": "mlp.proj.weight",
             "proj.bias": "mlp.proj.bias"}
    with torch.no_grad():
        for theirs, p in ref.named_parameters():
            p.copy_(torch.tensor(ours[names[theirs]].numpy()))

    def forward(x, causal):
        mask = torch.triu(torch.ones(x.shape[1], x.shape[1], dtype=torch.bool), 1) if causal else None
        h = ref["ln1"](x)
        x = x + ref["attn"](h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + ref["proj"](torch.nn.functional.gelu(ref["fc"](ref["ln2"](x))))
    return forward


@pytest.mark.parametrize("causal", [False, True])
def test_block_matches_a_pytorch_pre_layernorm_block(causal):
    tg.manual_seed(0)
    block = Block(16, 4)
    for p in block.parameters():   # non-trivial LayerNorm gains and biases, so every weight matters
        p._data = (p._data + np.random.default_rng(p.numel()).standard_normal(p.shape) * 0.1).astype(np.float64)
    x = np.random.default_rng(1).standard_normal((2, 6, 16))
    out = block(tg.tensor(x, dtype=tg.float64), causal=causal).numpy()
    expected = _torch_block(block)(torch.tensor(x), causal).detach().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


def test_init_matrices_are_normal_with_std_0_02_and_residual_projections_scaled():
    layers = 3
    tg.manual_seed(0)
    model = Transformer(vocab_size=200, context=64, width=64, layers=layers, heads=4)
    for name, p in model.named_parameters():
        w = p.numpy()
        if name.endswith(("attn.out_proj.weight", "mlp.proj.weight")):
            expected = 0.02 / math.sqrt(2 * layers)
        elif p.ndim >= 2:
            expected = 0.02
        elif name.endswith("bias"):
            assert np.all(w == 0), name
            continue
        else:   # LayerNorm gains
            assert np.all(w == 1), name
            continue
        # the sample std of n normal draws has relative standard error 1/sqrt(2n); allow 5 of those
        assert abs(w.std() / expected - 1) < 5 / math.sqrt(2 * w.size), (name, w.std(), expected)
        assert abs(w.mean()) < 5 * expected / math.sqrt(w.size), name


def test_output_head_is_the_token_embedding_transposed():
    tg.manual_seed(0)
    model = Transformer(vocab_size=30, context=8, width=16, layers=1, heads=2)
    h = tg.randn(2, 5, 16)
    np.testing.assert_allclose(model.logits(h).numpy(), h.numpy() @ model.tok_emb.weight.numpy().T, rtol=1e-5,
                               atol=1e-6)
    assert not any(p.shape == (30, 16) for n, p in model.named_parameters() if n != "tok_emb.weight")


def test_tied_embedding_gets_gradient_from_both_input_and_output():
    tg.manual_seed(0)
    model = Transformer(vocab_size=30, context=8, width=16, layers=1, heads=2)
    idx = tg.tensor(np.array([[1, 2, 3]]))
    model.logits(model(idx, causal=True))[0, -1, 7].backward()
    g = model.tok_emb.weight.grad.numpy()
    assert np.any(g[7] != 0)          # from the output head: the row of the scored token
    assert np.any(g[1] != 0)          # from the input embedding of a token in the sequence
    assert np.all(g[20] == 0)         # a token neither in the input nor scored


def test_sequence_longer_than_the_context_is_rejected():
    model = Transformer(vocab_size=10, context=4, width=8, layers=1, heads=2)
    with pytest.raises(ValueError, match="context"):
        model(tg.tensor(np.zeros((1, 5), np.int64)))


def test_width_not_divisible_by_heads_is_rejected():
    with pytest.raises(ValueError, match="divisible"):
        Transformer(vocab_size=10, context=4, width=10, layers=1, heads=3)


def test_segment_embedding_distinguishes_sentence_a_from_b():
    tg.manual_seed(0)
    model = Transformer(vocab_size=10, context=6, width=8, layers=1, heads=2, segments=2)
    idx = tg.tensor(np.array([[1, 2, 3, 4]]))
    a = model(idx, segments=tg.tensor(np.array([[0, 0, 0, 0]]))).numpy()
    b = model(idx, segments=tg.tensor(np.array([[0, 0, 1, 1]]))).numpy()
    assert not np.allclose(a, b)
