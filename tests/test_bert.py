"""BERT: the [CLS] A [SEP] B [SEP] layout, next-sentence pairs, the 15 % / 80-10-10 masking (checked
statistically), padding, and `tgg train bert`."""
import json
import math

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen.cli import train as tgg_train
from tinygrad_gen.data import WordVocab
from tinygrad_gen.models.bert import BERT, BERTConfig, SentenceClassifier, attention_weights
from tinygrad_gen.models.bert_data import IGNORE, PretrainingData, corrupt, pack_pair, truncate_pair

from run_helpers import resumed_like_uninterrupted

WORDS = [f"w{i}" for i in range(40)]


def _vocab():
    return WordVocab(" ".join(WORDS))


def _docs(n_docs=6, n_sents=5, seed=0):
    """Documents whose sentences say where they come from: sentence j of document d starts with w{d} w{j}."""
    rng = np.random.default_rng(seed)
    return [[f"w{d} w{10 + j} " + " ".join(rng.choice(WORDS[20:], size=rng.integers(3, 12))) for j in range(n_sents)]
            for d in range(n_docs)]


def test_pair_is_packed_as_cls_a_sep_b_sep_with_segments_and_padding():
    v = _vocab()
    a, b = v.encode("w1 w2 w3"), v.encode("w4 w5")
    ids, segments, keep = pack_pair(a, b, v, 10)
    expected = [v.cls_id, *a, v.sep_id, *b, v.sep_id, v.pad_id, v.pad_id]
    np.testing.assert_array_equal(ids, expected)
    np.testing.assert_array_equal(segments, [0, 0, 0, 0, 0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(keep, [True] * 8 + [False] * 2)


def test_truncation_shortens_the_longer_segment_first():
    a, b = truncate_pair(range(10), range(3), 8)
    assert (len(a), len(b)) == (5, 3) and a == [0, 1, 2, 3, 4]
    a, b = truncate_pair(range(6), range(6), 7)
    assert len(a) + len(b) == 7 and abs(len(a) - len(b)) <= 1


def test_next_sentence_pairs_are_half_true_successors_and_half_from_other_documents():
    v = _vocab()
    docs = _docs()
    data = PretrainingData(docs, v, max_len=32)
    rng = np.random.default_rng(0)
    n, is_next = 4000, 0
    for _ in range(n):
        a, b, label = data.sentence_pair(rng)
        doc_a, pos_a = int(v.itos[a[0]][1:]), int(v.itos[a[1]][1:]) - 10
        doc_b, pos_b = int(v.itos[b[0]][1:]), int(v.itos[b[1]][1:]) - 10
        if label == 1:
            assert doc_b == doc_a and pos_b == pos_a + 1
        else:
            assert doc_b != doc_a
        is_next += label
    assert abs(is_next / n - 0.5) < 4 * math.sqrt(0.25 / n)


def _corruptions(n_seqs=3000, length=40, seed=0):
    v = WordVocab(" ".join(f"x{i}" for i in range(500)))
    rng = np.random.default_rng(seed)
    stats = {"chosen": 0, "candidates": 0, "mask": 0, "random": 0, "same": 0}
    for _ in range(n_seqs):
        ids = rng.integers(5, len(v), size=length)
        special = np.zeros(length, bool)
        special[[0, 17, length - 1]] = True
        ids[special] = [v.cls_id, v.sep_id, v.sep_id]
        out, labels = corrupt(ids, special, v, 5, rng, max_predictions=100)
        chosen = labels != IGNORE
        assert not np.any(chosen & special)                        # specials are never chosen
        np.testing.assert_array_equal(out[~chosen], ids[~chosen])  # nothing else is touched
        np.testing.assert_array_equal(labels[chosen], ids[chosen])
        stats["chosen"] += chosen.sum()
        stats["candidates"] += (~special).sum()
        stats["mask"] += (out[chosen] == v.mask_id).sum()
        stats["same"] += (out[chosen] == ids[chosen]).sum()
        stats["random"] += ((out[chosen] != v.mask_id) & (out[chosen] != ids[chosen])).sum()
    return stats


def test_masked_lm_chooses_15_percent_of_the_ordinary_tokens():
    s = _corruptions()
    assert s["chosen"] / s["candidates"] == pytest.approx(round(0.15 * 37) / 37)   # 37 candidates -> 6 per sequence


def test_chosen_tokens_become_mask_80_random_10_unchanged_10_percent():
    s = _corruptions()
    n = s["chosen"]
    # a random replacement equals the original with probability 1/495: it then counts as unchanged
    for key, p in (("mask", 0.8), ("random", 0.1 * (1 - 1 / 495)), ("same", 0.1 + 0.1 / 495)):
        assert abs(s[key] / n - p) < 4 * math.sqrt(p * (1 - p) / n), (key, s[key] / n)


def test_masked_positions_are_capped_per_sequence():
    v = _vocab()
    rng = np.random.default_rng(0)
    ids = rng.integers(5, len(v), size=200)
    out, labels = corrupt(ids, np.zeros(200, bool), v, 5, rng, max_predictions=7)
    assert (labels != IGNORE).sum() == 7


def test_special_tokens_are_never_masked_in_pretraining_batches():
    v = _vocab()
    data = PretrainingData(_docs(), v, max_len=16)
    batch = data.batch(500, np.random.default_rng(1))
    ids, labels, keep = batch["ids"], batch["mlm_labels"], batch["keep"]
    chosen = labels != IGNORE
    assert not np.any(chosen & ~keep)
    for special in (v.cls_id, v.sep_id, v.pad_id):
        assert not np.any(labels == special)
    assert np.all(ids[:, 0] == v.cls_id)
    assert np.all((ids == v.sep_id).sum(1) == 2)   # [SEP] survives corruption
    assert np.all(chosen.sum(1) >= 1)


def test_encoder_outputs_at_real_tokens_ignore_padding():
    v = _vocab()
    tg.manual_seed(0)
    model = BERT(BERTConfig(len(v), max_len=12, layers=2, width=16, heads=2, dropout=0.0))
    model.eval()
    ids, segments, keep = pack_pair(v.encode("w1 w2 w3"), v.encode("w4"), v, 12)
    other = np.where(keep, ids, v.encode("w9")[0])   # different tokens where the padding is
    a = model(ids[None], segments[None], keep[None]).numpy()[0]
    b = model(other[None], segments[None], keep[None]).numpy()[0]
    np.testing.assert_allclose(a[keep], b[keep], rtol=1e-5, atol=1e-6)


def test_attention_weights_are_distributions_over_real_tokens_only():
    v = _vocab()
    tg.manual_seed(0)
    model = BERT(BERTConfig(len(v), max_len=12, layers=2, width=16, heads=2))
    ids, segments, keep = pack_pair(v.encode("w1 w2 w3"), v.encode("w4"), v, 12)
    w = attention_weights(model, ids[None], segments[None], keep[None], layer=1)
    assert w.shape == (1, 2, 12, 12)
    np.testing.assert_allclose(w.sum(-1), 1, rtol=1e-5)
    assert np.all(w[..., ~keep] == 0)


def test_classifier_reads_the_cls_vector():
    v = _vocab()
    tg.manual_seed(0)
    clf = SentenceClassifier(BERT(BERTConfig(len(v), max_len=8, layers=1, width=16, heads=2, dropout=0.0)), 3)
    clf.eval()
    ids, segments, keep = pack_pair(v.encode("w1 w2"), [], v, 8)
    h = clf.bert(ids[None], segments[None], keep[None])[:, 0].numpy()
    expected = h @ clf.head.weight.numpy().T + clf.head.bias.numpy()
    np.testing.assert_allclose(clf(ids[None], segments[None], keep[None]).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_train_bert_reports_pretraining_and_finetuning_metrics(tmp_path):
    out = tmp_path / "bert"
    assert tgg_train.main(["bert", "--steps", "4", "--warmup", "2", "--eval-batches", "1", "--finetune-steps", "2",
                           "--layers", "1", "--width", "16", "--heads", "2", "--max-len", "24", "--batch-size", "4",
                           "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("mlm_acc", "mlm_unigram_baseline", "nsp_acc", "finetune_acc", "scratch_acc"):
        assert 0 <= metrics[key] <= 1, key
    for figure in ("loss.png", "attention.png"):
        assert (out / figure).is_file()


def test_resumed_bert_run_ends_bit_for_bit_like_an_uninterrupted_one(tmp_path, monkeypatch):
    """Step-trained through the shared GPT-3 recipe loop: the loader of sentence pairs and the engine's generator
    (which draws the masking and the dropout) resume where they were."""
    resumed_like_uninterrupted(tmp_path, monkeypatch, "bert", "--steps", "6", "--warmup", "2", "--eval-every", "3",
                               "--checkpoint-every", "3", "--eval-batches", "1", "--finetune-steps", "2",
                               "--layers", "1", "--width", "16", "--heads", "2", "--max-len", "24",
                               "--batch-size", "4")


def test_topic_task_labels_sentences_by_the_two_largest_documents_and_holds_out_every_fourth():
    from tinygrad_gen.models.bert import topic_task
    v = _vocab()
    docs = [["w1 w2"] * 3, ["w3 w4 w5"] * 8, ["w6"] * 5, ["w7 w8"] * 2]
    (ids, segments, keep, labels), (t_ids, _, _, t_labels) = topic_task(docs, v, max_len=6)
    assert len(labels) + len(t_labels) == 8 + 5 and len(t_labels) == 2 + 2   # sentences 0 and 4 of each
    first_words = [v.itos[i] for i in np.concatenate([ids, t_ids])[:, 1]]
    all_labels = np.concatenate([labels, t_labels])
    assert {w for w, y in zip(first_words, all_labels) if y == 0} == {"w6"}     # 5 sentences: class 0
    assert {w for w, y in zip(first_words, all_labels) if y == 1} == {"w3"}     # 8 sentences: class 1
    np.testing.assert_array_equal(ids[labels == 1][0], [v.cls_id, *v.encode("w3 w4 w5"), v.sep_id, v.pad_id])
    assert np.all(segments == 0) and np.all(keep.sum(1) >= 3)


def test_topic_task_truncates_long_sentences_and_ends_them_with_sep():
    from tinygrad_gen.models.bert import topic_task
    v = _vocab()
    long = " ".join(WORDS[:30])
    (ids, _, keep, _), _ = topic_task([[long] * 5, ["w1"] * 5], v, max_len=8)
    rows = ids[:, 1] == v.stoi["w0"]
    assert ids.shape[1] == 8 and rows.sum() == 3 and np.all(keep[rows])
    assert np.all(ids[rows, 0] == v.cls_id) and np.all(ids[rows, -1] == v.sep_id)
