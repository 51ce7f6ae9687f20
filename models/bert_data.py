"""BERT's pre-training inputs: sentence pairs for next-sentence prediction and the masked-LM corruption.

    [CLS] the man went to [MASK] store [SEP] he bought a gallon [MASK] milk [SEP]     label IsNext
    segment  0   0   0   0    0      0     0    1    1   1    1      1     1    1

A and B are segments, as in BERT: A is a run of consecutive sentences of one document filling about half the token
budget (at least one sentence), B fills the rest. Half the time B is the sentences that really follow A (IsNext),
otherwise (NotNext) a run starting at a random sentence drawn by ``negatives``: ``"anywhere"`` (BERT's "random
segment from the corpus": any sentence of any document, but not inside A or right after it) or ``"same_document"``
(A's own document: the same topic, so only order and coherence tell them apart, a harder test).

Then 15 % of the non-special tokens (at least one, at most ``max_predictions`` per sequence) are chosen uniformly
for prediction; of those 80 % become [MASK], 10 % a random word, 10 % stay as they are, because [MASK] never
appears at fine-tuning time. [CLS], [SEP] and [PAD] are never chosen.
"""
import numpy as np

from tinygrad_gen import random as tg_random

IGNORE = -100  # label of the positions the masked LM does not predict (F.cross_entropy's ignore_index)


def truncate_pair(a, b, max_tokens):
    """Shorten the longer of the two token lists from its end until both fit in ``max_tokens`` together."""
    a, b = list(a), list(b)
    while len(a) + len(b) > max_tokens:
        (a if len(a) > len(b) else b).pop()
    return a, b


def pack_pair(a, b, vocab, max_len):
    """``[CLS] A [SEP] B [SEP]`` padded to ``max_len``: (token ids, segment ids, keep) where keep is True on real
    tokens (the attention mask). A and B are truncated to fit."""
    a, b = truncate_pair(a, b, max_len - 3)
    ids = [vocab.cls_id, *a, vocab.sep_id, *b, vocab.sep_id]
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    n = len(ids)
    pad = max_len - n
    return (np.array(ids + [vocab.pad_id] * pad, np.int64), np.array(segments + [0] * pad, np.int64),
            np.arange(max_len) < n)


class PretrainingData:
    """Sentence pairs with NSP labels and masked-LM corruption, drawn from documents given as lists of sentences.

    ``batch(size, rng)`` -> dict of arrays: ``ids`` (B, T) corrupted input, ``segments`` (B, T), ``keep`` (B, T)
    True on real tokens, ``mlm_labels`` (B, T) original ids at predicted positions else IGNORE, ``nsp_labels`` (B,)
    1 = IsNext, 0 = NotNext.

    It is also a dataset for ``DataLoader``: item k starts from the k-th sentence with a successor as A, and
    ``data[ks]`` is the batch of those pairs. The loader shuffles the A sentences; B and the masking are drawn
    fresh each time (dynamic masking) from the engine's generator, which checkpoints save and restore."""

    NEGATIVES = ("anywhere", "same_document")

    def __init__(self, documents, vocab, max_len=64, rate=0.15, max_predictions=10, negatives="anywhere"):
        if negatives not in self.NEGATIVES:
            raise ValueError(f"PretrainingData: negatives must be one of {self.NEGATIVES}, got {negatives!r}")
        if max_len < 5:
            raise ValueError(f"PretrainingData: max_len {max_len} leaves no room for [CLS] A [SEP] B [SEP]")
        self.docs = [[vocab.encode(s) for s in doc] for doc in documents if len(doc) >= 2]
        if len(self.docs) < 2:
            raise ValueError(f"PretrainingData: need at least two documents of two or more sentences, "
                             f"got {len(self.docs)}")
        self.pairs = [(d, i) for d, doc in enumerate(self.docs) for i in range(len(doc) - 1)]
        if negatives == "same_document":   # a same-document negative needs a sentence outside A and its successor
            self.pairs = [(d, i) for d, i in self.pairs if len(self.docs[d]) >= 3]
            if not self.pairs:
                raise ValueError("PretrainingData: same_document negatives need a document of three or more "
                                 "sentences")
        self.sentences = [(d, j) for d, doc in enumerate(self.docs) for j in range(len(doc))]
        self.negatives = negatives
        self.vocab, self.max_len, self.rate, self.max_predictions = vocab, max_len, rate, max_predictions
        self.first_word = len(("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"))

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, ks):
        return self.examples(ks, tg_random.generator())

    def sentence_pair(self, rng, k=None):
        """(A, B, is_next): A the k-th sentence with a successor (or one drawn at random) and the sentences after
        it that fit in half the token budget; B, half of the time, the sentences that really follow A (IsNext),
        else (NotNext) sentences from a random start drawn as ``negatives`` says, never inside A or at A's true
        continuation. B fills the rest of the budget; both are at least one sentence."""
        return self.sentence_pair_at(rng, k)[:3]

    def sentence_pair_at(self, rng, k=None):
        """``sentence_pair`` with where A and B come from: (A, B, is_next, (doc of A, its first and last sentence),
        (doc of B, its first sentence))."""
        d, i = self.pairs[rng.integers(len(self.pairs)) if k is None else k]
        doc, budget = self.docs[d], self.max_len - 3
        last = self._span_end(doc, i, budget // 2, stop=len(doc) - 2)   # leave A a successor
        if self.negatives == "same_document" and i == 0 and last + 2 >= len(doc):
            last = i   # leave a same-document negative somewhere to start
        a = np.concatenate(doc[i:last + 1])
        if rng.random() < 0.5:
            e, j = d, last + 1
        else:
            while True:   # rejection: drop starts inside A or at its true continuation
                e, j = (self.sentences[rng.integers(len(self.sentences))] if self.negatives == "anywhere"
                        else (d, int(rng.integers(len(doc)))))
                if e != d or not i <= j <= last + 1:
                    break
        other = self.docs[e]
        stop = i - 1 if e == d and j < i else None   # a span before A ends before A
        b = np.concatenate(other[j:self._span_end(other, j, budget - len(a), stop) + 1])
        return a, b, int(e == d and j == last + 1), (d, i, last), (e, j)

    @staticmethod
    def _span_end(doc, start, tokens, stop=None):
        """The last sentence of the span from ``start`` that fits in ``tokens`` (at least ``start`` itself, at most
        ``stop``)."""
        stop = len(doc) - 1 if stop is None else stop
        end, used = start, len(doc[start])
        while end < stop and used + len(doc[end + 1]) <= tokens:
            end += 1
            used += len(doc[end])
        return end

    def example(self, rng, k=None):
        """One pre-training example: a sentence pair packed, masked for the MLM, and its NSP label."""
        a, b, is_next = self.sentence_pair(rng, k)
        ids, segments, keep = pack_pair(a, b, self.vocab, self.max_len)
        special = (ids == self.vocab.cls_id) | (ids == self.vocab.sep_id) | ~keep
        ids, labels = corrupt(ids, special, self.vocab, self.first_word, rng, self.rate, self.max_predictions)
        return ids, segments, keep, labels, is_next

    def batch(self, size, rng):
        """``size`` random examples as a dict of stacked arrays."""
        return self.examples(rng.integers(len(self.pairs), size=size), rng)

    def examples(self, ks, rng):
        """The examples of pairs ``ks`` as a dict of stacked arrays (ids, segments, keep, labels)."""
        ids, segments, keep, labels, nsp = zip(*(self.example(rng, k) for k in ks))
        return {"ids": np.stack(ids), "segments": np.stack(segments), "keep": np.stack(keep),
                "mlm_labels": np.stack(labels), "nsp_labels": np.array(nsp, np.int64)}


def corrupt(ids, special, vocab, first_word, rng, rate=0.15, max_predictions=10):
    """The masked-LM corruption of one sequence. ``special`` is True at [CLS], [SEP] and [PAD], which are never
    chosen. 15 % of the other positions (rounded, at least one, at most ``max_predictions``) are chosen uniformly;
    each chosen token becomes [MASK] with probability 0.8, a random ordinary word (ids ``first_word`` and up) with
    probability 0.1, and stays itself with probability 0.1.
    Returns (corrupted ids, labels): labels hold the original id at the chosen positions and IGNORE elsewhere."""
    candidates = np.flatnonzero(~special)
    labels = np.full_like(ids, IGNORE)
    if len(candidates) == 0:
        return ids.copy(), labels
    n = min(max_predictions, max(1, int(round(rate * len(candidates)))))
    chosen = rng.choice(candidates, size=n, replace=False)
    labels[chosen] = ids[chosen]
    out = ids.copy()
    u = rng.random(n)
    out[chosen[u < 0.8]] = vocab.mask_id
    randomised = chosen[(u >= 0.8) & (u < 0.9)]
    out[randomised] = rng.integers(first_word, len(vocab), size=len(randomised))
    return out, labels
