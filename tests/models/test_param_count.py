"""N, the non-embedding parameter count of the scaling laws (as nanoGPT and Kaplan et al. count it)."""
from tinygrad_gen.models.gpt import GPT, GPTConfig
from tinygrad_gen.models.param_count import non_embedding_params, total_params


def test_the_non_embedding_count_matches_a_hand_count_for_a_small_gpt():
    vocab, context, layers, d, heads = 10, 8, 2, 8, 2
    model = GPT(GPTConfig(vocab, context, layers, d, heads))
    layer_norm = 2 * d                                    # gain and bias
    attention = (3 * d * d + 3 * d) + (d * d + d)         # packed q, k, v projection, then the output projection
    mlp = (d * 4 * d + 4 * d) + (4 * d * d + d)           # Linear(d, 4d) and Linear(4d, d)
    block = 2 * layer_norm + attention + mlp
    hand = layers * block + layer_norm                    # the blocks and the final LayerNorm
    assert hand == 1760   # 2 x (32 + 288 + 552) + 16
    assert non_embedding_params(model) == hand
    assert total_params(model) == hand + vocab * d + context * d   # + token (tied head) and position embeddings
