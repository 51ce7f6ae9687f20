"""One pre-training step of the BERT ``tgg train bert`` trains (``BERTTrainConfig()``: 2 layers, 64 wide, 2 heads,
64 tokens, dropout 0.1, batch 32 sentence pairs of the built-in corpus): ours is ``bert.pretraining_loss`` (masked-LM
loss at the predicted positions plus the next-sentence loss), backward, gradient clipping at 1.0, AdamW (0.9, 0.95),
weight decay 0.1 on matrices only, as ``tgg train bert`` does. The PyTorch peer, written out, is a twin of the same
pre-LayerNorm encoder with the same initial weights (``twins.copy_params``, in our parameter order) and the same batch.
"""
import numpy as np


def _config():
    from tinygrad_gen.models.bert import BERTTrainConfig
    return BERTTrainConfig()


def _batch_and_vocab():
    from tinygrad_gen.models.bert_data import PretrainingData

    import tinygrad_gen as tg
    c = _config()
    from tinygrad_gen.models.bert import pretraining_corpus
    train_docs, _, train_text = pretraining_corpus(c.text, c.corpus)  # the corpus tgg train bert trains on
    vocab = tg.data.WordVocab(train_text, min_count=c.min_count)
    data = PretrainingData(train_docs, vocab, c.max_len, c.mask_rate, c.max_predictions, negatives=c.nsp_negatives)
    return data.batch(c.batch_size, np.random.default_rng(0)), len(vocab)


def _model(vocab):
    from tinygrad_gen.models.bert import BERT, BERTConfig
    from tinygrad_gen.models.gpt3_recipe import adamw

    import tinygrad_gen as tg
    c = _config()
    tg.manual_seed(0)
    model = BERT(BERTConfig(vocab, c.max_len, c.layers, c.width, c.heads, c.dropout))
    return model, adamw(model, c.lr, c.weight_decay)


def ours(device="cpu"):
    """One step of ours, as a zero-argument callable returning the loss."""
    from tinygrad_gen.models.bert import pretraining_loss
    from tinygrad_gen.models.step_update import optimizer_update
    batch, vocab = _batch_and_vocab()
    model, optimizer = _model(vocab)
    model.to(device)
    update = optimizer_update({"model": optimizer}, clip=_config().grad_clip)

    def step():
        loss, _ = pretraining_loss(model, batch)
        update("model", loss)
        return loss.item()
    return step


def _torch_bert(torch, config):
    """Our BERT's layers in our registration order, so copy_params can pair the parameters one by one."""
    tnn, tF = torch.nn, torch.nn.functional
    C, H, p = config.width, config.heads, config.dropout

    class Attention(tnn.Module):  # a module of its own: torch lists a module's own parameters before its children's
        def __init__(self):
            super().__init__()
            self.in_proj_weight, self.in_proj_bias = tnn.Parameter(torch.empty(3 * C, C)), tnn.Parameter(
                torch.empty(3 * C))
            self.out_proj = tnn.Linear(C, C)

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.attn, self.ln2 = tnn.LayerNorm(C), Attention(), tnn.LayerNorm(C)
            self.fc, self.proj = tnn.Linear(C, 4 * C), tnn.Linear(4 * C, C)

        def forward(self, x, mask):
            B, T, _ = x.shape
            qkv = tF.linear(self.ln1(x), self.attn.in_proj_weight, self.attn.in_proj_bias)
            q, k, v = (t.reshape(B, T, H, C // H).transpose(1, 2) for t in qkv.split(C, dim=-1))
            a = tF.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p if self.training else 0.0)
            x = x + tF.dropout(self.attn.out_proj(a.transpose(1, 2).reshape(B, T, C)), p, self.training)
            return x + tF.dropout(self.proj(tF.gelu(self.fc(self.ln2(x)))), p, self.training)

    class BERT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.tok = tnn.Embedding(config.vocab_size, C)
            self.pos = tnn.Embedding(config.max_len, C)
            self.seg = tnn.Embedding(2, C)
            self.blocks = tnn.ModuleList([Block() for _ in range(config.layers)])
            self.ln_f = tnn.LayerNorm(C)
            self.pooler = tnn.Linear(C, C)  # BERT's pooler: tanh(W h_[CLS] + b) under the NSP head
            self.nsp_head = tnn.Linear(C, 2)

        def forward(self, batch):
            ids, segments, keep = (torch.from_numpy(batch[k]) for k in ("ids", "segments", "keep"))
            x = tF.dropout(self.tok(ids) + self.pos.weight[:ids.shape[1]] + self.seg(segments), p, self.training)
            for block in self.blocks:
                x = block(x, keep[:, None, None, :])
            h = self.ln_f(x)
            labels = torch.from_numpy(batch["mlm_labels"])
            rows, cols = torch.nonzero(labels != -100, as_tuple=True)
            mlm = tF.cross_entropy(h[rows, cols] @ self.tok.weight.T, labels[rows, cols])
            nsp_logits = self.nsp_head(torch.tanh(self.pooler(h[:, 0])))
            return mlm + tF.cross_entropy(nsp_logits, torch.from_numpy(batch["nsp_labels"]))

    return BERT()


def torch_peer():
    """One step of the PyTorch twin, as a zero-argument callable returning the loss."""
    import torch

    from .twins import adam_twin, copy_params
    batch, vocab = _batch_and_vocab()
    model, optimizer = _model(vocab)
    twin = copy_params(torch, model, _torch_bert(torch, model.config))
    t_opt = adam_twin(torch, optimizer, (model, twin))
    params = list(twin.parameters())

    def step():
        loss = twin(batch)
        t_opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, _config().grad_clip)
        t_opt.step()
        return loss.item()
    return step
