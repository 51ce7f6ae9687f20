"""Greedy decoding of a character-level GPT, batched over prompts of different lengths.

Prompts are right-padded into one array: with causal attention, position t never sees the padding after it, so the
logits at each prompt's own last position are those of the prompt alone.

``greedy_matches`` answers "does greedy decoding write exactly ``continuation``?" with a single forward pass: greedy
decoding writes c_1 .. c_m if and only if, for every i, c_i is the arg-max prediction after prompt + c_1 .. c_(i-1);
so one pass over prompt + continuation, comparing each arg-max with the next character, decides it (as many passes as
decoding would take, done at once). ``greedy_decode`` does the decoding itself, step by step.
"""
import numpy as np

import tinygrad_gen as tg


def _pad(seqs, fill):
    out = np.full((len(seqs), max(len(s) for s in seqs)), fill, dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = s
    return out


def _check_context(model, length, what):
    context = model.config.context
    if length > context:
        raise ValueError(f"{what}: a prompt needs {length} positions but the model's context is {context}; "
                         "train with a larger --context or fewer demonstrations")


@tg.no_grad()
def greedy_matches(model, vocab, prompts, continuations, device="cpu", batch=128):
    """A bool array: for each prompt, whether greedy decoding from it writes ``continuation`` exactly."""
    if len(prompts) != len(continuations):
        raise ValueError(f"greedy_matches: {len(prompts)} prompts but {len(continuations)} continuations")
    was_training = model.training
    model.eval()
    out = np.zeros(len(prompts), dtype=bool)
    for lo in range(0, len(prompts), batch):
        ps, cs = prompts[lo:lo + batch], continuations[lo:lo + batch]
        seqs = [vocab.encode(p + c) for p, c in zip(ps, cs)]
        _check_context(model, max(len(s) for s in seqs) - 1, "greedy_matches")
        x = _pad([s[:-1] for s in seqs], 0)
        logits, _ = model(tg.tensor(x, device=device))
        pred = logits.numpy().argmax(axis=-1)
        for i, (p, s) in enumerate(zip(ps, seqs)):
            n = len(p)  # pred[t] is the guess for character t + 1
            out[lo + i] = np.array_equal(pred[i, n - 1:len(s) - 1], s[n:])
    model.train(was_training)
    return out


@tg.no_grad()
def greedy_decode(model, vocab, prompts, new_tokens, device="cpu", stop="\n"):
    """The text greedy decoding writes after each prompt: ``new_tokens`` characters, cut after the first ``stop``."""
    was_training = model.training
    model.eval()
    lengths = np.array([len(p) for p in prompts])
    _check_context(model, int(lengths.max()) + new_tokens - 1, "greedy_decode")
    buf = _pad([vocab.encode(p) for p in prompts], 0)
    buf = np.concatenate([buf, np.zeros((len(prompts), new_tokens), np.int64)], axis=1)
    rows = np.arange(len(prompts))
    for step in range(new_tokens):
        pos = lengths + step
        logits, _ = model(tg.tensor(buf[:, :pos.max()], device=device))
        buf[rows, pos] = logits.numpy()[rows, pos - 1].argmax(axis=-1)
    model.train(was_training)
    texts = [vocab.decode(buf[i, n:n + new_tokens]) for i, n in enumerate(lengths)]
    return [t[:t.index(stop) + len(stop)] if stop and stop in t else t for t in texts]
