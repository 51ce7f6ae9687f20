"""Next-sentence prediction, checked pair by pair: the model's guess on every held-out pair, and the baseline it
must beat, a threshold on the word overlap of A and B.

A pair's A and B are read back from its batch (segment 0 between [CLS] and the first [SEP], segment 1 after it),
with the masked-LM corruption undone (the labels hold the original ids), so the baseline sees the same text as the
model would without corruption. The overlap is the Jaccard index of A's and B's sets of word ids outside the most
frequent ``skip`` words (``WordVocab`` numbers words most frequent first): shared rare words say "same topic".
The threshold is chosen on the pairs themselves, which flatters the baseline.
"""
import json
from pathlib import Path

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen.jsonable import write_text_atomic

from .bert_data import IGNORE


def segments_of(batch, row):
    """(A ids, B ids) of one pair of a pre-training batch, uncorrupted."""
    ids = np.where(batch["mlm_labels"][row] != IGNORE, batch["mlm_labels"][row], batch["ids"][row])
    keep, seg = batch["keep"][row], batch["segments"][row]
    n = int(keep.sum())
    first_sep = int(np.argmax(seg[:n] == 1)) - 1      # B starts right after the first [SEP]
    return ids[1:first_sep], ids[first_sep + 1:n - 1]


def word_overlap(a, b, first_word, skip=56):
    """Jaccard index of the sets of ids ``>= first_word + skip`` in ``a`` and ``b`` (0 when both are empty)."""
    a, b = {int(t) for t in a if t >= first_word + skip}, {int(t) for t in b if t >= first_word + skip}
    return len(a & b) / len(a | b) if a | b else 0.0


def word_overlap_baseline(overlap, labels):
    """The best accuracy of "IsNext when the overlap is at least t" over every threshold t (chosen on these
    pairs)."""
    overlap, labels = np.asarray(overlap, float), np.asarray(labels)
    if len(labels) == 0:
        raise ValueError("word_overlap_baseline: no pairs")
    thresholds = np.concatenate([np.unique(overlap), [np.inf]])
    return float(max(((overlap >= t) == labels).mean() for t in thresholds))


@tg.no_grad()
def nsp_predictions(model, batches, vocab, skip=56):
    """For every pair of ``batches``: ``labels`` (1 = IsNext), the model's ``predictions``, its probability of
    IsNext ``p_isnext``, the word ``overlap`` of A and B, and the texts ``a`` and ``b``; lists in batch order."""
    was_training = model.training
    model.eval()
    out = {"labels": [], "predictions": [], "p_isnext": [], "overlap": [], "a": [], "b": []}
    first_word = vocab.mask_id + 1
    for batch in batches:
        _, _, _, logits = model.pretraining_loss(batch)
        p = logits.softmax(-1).numpy()[:, 1]
        out["labels"] += batch["nsp_labels"].tolist()
        out["predictions"] += logits.numpy().argmax(-1).tolist()
        out["p_isnext"] += [round(float(x), 5) for x in p]
        for row in range(len(batch["nsp_labels"])):
            a, b = segments_of(batch, row)
            out["overlap"].append(word_overlap(a, b, first_word, skip))
            out["a"].append(vocab.decode(a))
            out["b"].append(vocab.decode(b))
    model.train(was_training)
    return out


def write_predictions(path, predictions):
    """Write {negatives: ``nsp_predictions``} as JSON (the run's ``nsp_predictions.json``)."""
    write_text_atomic(Path(path), json.dumps(predictions) + "\n")


def accuracy_from_file(path):
    """{negatives: accuracy} re-computed from a saved ``nsp_predictions.json``."""
    saved = json.loads(Path(path).read_text(encoding="utf-8"))
    return {neg: float(np.mean(np.array(p["labels"]) == np.array(p["predictions"]))) for neg, p in saved.items()}
