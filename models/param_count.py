"""Parameter counts of a GPT as the scaling-law papers give them: N = the non-embedding parameters.

Kaplan et al. (2020) and nanoGPT leave the embeddings out of N, since a model's capacity to compute grows with its
blocks, not with the size of its lookup tables: here the token embedding (also the tied output head) and the
position embedding are not counted. For a GPT of L blocks of width d that is about 12 L d^2 (attention 4 d^2,
MLP 8 d^2), plus biases and LayerNorm gains.
"""

EMBEDDINGS = {"tok_emb", "pos_emb", "seg_emb"}


def non_embedding_params(model):
    """Parameters of ``model`` outside its token, position (and segment) embeddings."""
    return int(sum(p.numel() for name, p in model.named_parameters() if not EMBEDDINGS & set(name.split("."))))


def total_params(model):
    """The number of parameters of a model."""
    return int(sum(p.numel() for p in model.parameters()))
