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
from tinygrad_gen.models.bert_nsp import accuracy_from_file

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


def _where(v, tokens):
    """(document, position) of every sentence that starts inside a token list built from ``_docs`` sentences."""
    words = [v.itos[t] for t in tokens]
    return [(int(words[k][1:]), int(words[k + 1][1:]) - 10) for k in range(len(words) - 1)
            if words[k][1:].isdigit() and int(words[k][1:]) < 6 and words[k + 1][1:].isdigit()
            and 10 <= int(words[k + 1][1:]) < 20]


def _pairs(negatives, n=3000, max_len=48):
    v = _vocab()
    data = PretrainingData(_docs(), v, max_len=max_len, negatives=negatives)
    rng = np.random.default_rng(0)
    return v, data, [data.sentence_pair_at(rng) for _ in range(n)]


def test_segments_are_runs_of_consecutive_sentences_and_isnext_b_really_follows_a():
    v, data, pairs = _pairs("anywhere")
    for a, b, is_next, (d, first, last), (e, start) in pairs:
        assert _where(v, a) == [(d, j) for j in range(first, last + 1)]
        assert _where(v, b)[0] == (e, start)
        assert len(a) + len(b) <= 48 - 3 or len(_where(v, b)) == 1   # only a lone sentence may overflow (truncated)
        assert [p for p, _ in _where(v, b)] == [e] * len(_where(v, b))
        assert is_next == int(e == d and start == last + 1)


def test_next_sentence_labels_are_half_and_half():
    for negatives in ("anywhere", "same_document"):
        _, _, pairs = _pairs(negatives)
        n, is_next = len(pairs), sum(p[2] for p in pairs)
        assert abs(is_next / n - 0.5) < 4 * math.sqrt(0.25 / n), negatives


def test_anywhere_negatives_start_at_any_sentence_but_inside_a_or_at_its_continuation():
    """Starts are drawn uniformly from all 30 sentences, rejecting the k = last - first + 2 starts inside A or right
    after it: so a negative comes from another document with probability 25 / (30 - k)."""
    _, _, pairs = _pairs("anywhere", n=6000)
    negatives = [p for p in pairs if p[2] == 0]
    expected = sum(25 / (30 - (last - first + 2)) for _, _, _, (_, first, last), _ in negatives)
    observed = sum(e != d for _, _, _, (d, _, _), (e, _) in negatives)
    n = len(negatives)
    assert abs(observed - expected) < 4 * math.sqrt(n * 0.25), (observed, expected)
    for _, _, _, (d, first, last), (e, start) in negatives:
        assert e != d or not first <= start <= last + 1


def test_same_document_negatives_come_from_a_s_own_document_never_inside_a_or_right_after_it():
    _, _, pairs = _pairs("same_document")
    negatives = [p for p in pairs if p[2] == 0]
    assert len(negatives) > 1000
    for _, _, _, (d, first, last), (e, start) in negatives:
        assert e == d and not first <= start <= last + 1
    with pytest.raises(ValueError, match="negatives must be one of"):
        PretrainingData(_docs(), _vocab(), negatives="nearby")


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


def test_nsp_head_reads_the_pooled_cls_vector():
    """NSP logits = W_nsp tanh(W_pool h_[CLS] + b_pool) + b_nsp, BERT's pooler, and nothing else of h."""
    v = _vocab()
    tg.manual_seed(0)
    bert = BERT(BERTConfig(len(v), max_len=48, layers=1, width=16, heads=2, dropout=0.0))
    bert.eval()
    batch = PretrainingData(_docs(), v, max_len=48).batch(4, np.random.default_rng(0))
    _, _, _, nsp_logits = bert.pretraining_loss(batch)
    h = bert(batch["ids"], batch["segments"], batch["keep"])[:, 0].numpy()
    pooled = np.tanh(h @ bert.pooler.weight.numpy().T + bert.pooler.bias.numpy())
    expected = pooled @ bert.nsp_head.weight.numpy().T + bert.nsp_head.bias.numpy()
    np.testing.assert_allclose(nsp_logits.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_classifier_reads_the_cls_vector():
    v = _vocab()
    tg.manual_seed(0)
    clf = SentenceClassifier(BERT(BERTConfig(len(v), max_len=8, layers=1, width=16, heads=2, dropout=0.0)), 3)
    clf.eval()
    ids, segments, keep = pack_pair(v.encode("w1 w2"), [], v, 8)
    h = clf.bert(ids[None], segments[None], keep[None])[:, 0].numpy()
    expected = h @ clf.head.weight.numpy().T + clf.head.bias.numpy()
    np.testing.assert_allclose(clf(ids[None], segments[None], keep[None]).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_quick_train_bert_writes_the_label_efficiency_curve_and_both_nsp_accuracies(tmp_path):
    out = tmp_path / "bert"
    assert tgg_train.main(["bert", "--quick", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("mlm_acc", "mlm_unigram_baseline", "nsp_acc", "nsp_acc_anywhere", "nsp_acc_same_document",
                "nsp_acc_train", "finetune_acc", "scratch_acc", "probe_acc"):
        assert 0 <= metrics[key] <= 1, key
    assert metrics["nsp_acc"] == metrics["nsp_acc_anywhere"] and metrics["mlm_ppl"] > 1
    curve = metrics["label_efficiency"]
    assert list(curve) == ["16", "32", "all"]
    for row in curve.values():
        assert sorted(row) == ["pretrained", "probe", "scratch"]
        assert all(len(accs) == 3 and all(0 <= a <= 1 for a in accs) for accs in row.values())
    assert metrics["finetune_acc"] == pytest.approx(np.mean(curve["all"]["pretrained"]))
    for figure in ("loss.png", "attention.png", "label_efficiency.png"):
        assert (out / figure).is_file()
    # the held-out NSP accuracies are re-computed from the saved predictions, beside the word-overlap baseline
    recomputed = accuracy_from_file(out / "nsp_predictions.json")
    for neg in ("anywhere", "same_document"):
        assert recomputed[neg] == pytest.approx(metrics[f"nsp_acc_{neg}"])
        assert 0.5 <= metrics[f"nsp_overlap_baseline_{neg}"] <= 1
    config = json.loads((out / "config.json").read_text())
    assert config["corpus"] == metrics["corpus"] == "stdlib" and config["corpus_python"].count(".") == 2
    assert metrics["corpus_documents"]["train"] > 300 and metrics["corpus_documents"]["held_out"] > 10


def test_resumed_bert_run_ends_bit_for_bit_like_an_uninterrupted_one(tmp_path, monkeypatch):
    """Step-trained through the shared GPT-3 recipe loop: the loader of sentence pairs and the engine's generator
    (which draws the masking and the dropout) resume where they were."""
    resumed_like_uninterrupted(tmp_path, monkeypatch, "bert", "--steps", "6", "--warmup", "2", "--eval-every", "3",
                               "--checkpoint-every", "3", "--eval-batches", "1", "--finetune-steps", "2",
                               "--layers", "1", "--width", "16", "--heads", "2", "--max-len", "24",
                               "--batch-size", "4", "--label-sizes", "16", "--label-seeds", "1")


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


def test_topic_task_with_more_classes_takes_the_largest_documents_smallest_first():
    from tinygrad_gen.models.bert import topic_task
    v = _vocab()
    docs = [["w1 w2"] * 3, ["w3 w4 w5"] * 8, ["w6"] * 5, ["w7 w8"] * 2]
    (ids, _, _, labels), (t_ids, _, _, t_labels) = topic_task(docs, v, max_len=6, classes=3)
    first = {v.itos[i[1]]: y for i, y in zip(np.concatenate([ids, t_ids]), np.concatenate([labels, t_labels]))}
    assert first == {"w1": 0, "w6": 1, "w3": 2} and len(labels) + len(t_labels) == 3 + 5 + 8
    with pytest.raises(ValueError, match="classes must be in"):
        topic_task(docs, v, max_len=6, classes=5)


def test_topic_task_truncates_long_sentences_and_ends_them_with_sep():
    from tinygrad_gen.models.bert import topic_task
    v = _vocab()
    long = " ".join(WORDS[:30])
    (ids, _, keep, _), _ = topic_task([[long] * 5, ["w1"] * 5], v, max_len=8)
    rows = ids[:, 1] == v.stoi["w0"]
    assert ids.shape[1] == 8 and rows.sum() == 3 and np.all(keep[rows])
    assert np.all(ids[rows, 0] == v.cls_id) and np.all(ids[rows, -1] == v.sep_id)


def _task(n_per_class=40):
    from tinygrad_gen.models.bert import topic_task
    v = WordVocab(" ".join(f"u{i}" for i in range(200)))
    docs = [[f"u{d} u{10 + j // 10} u{20 + j % 10}" for j in range(n_per_class)] for d in (0, 1)]
    docs[1] += ["u5 u6"]   # the classes differ in size
    return v, topic_task(docs, v, max_len=8)


def test_label_subsets_are_class_balanced_nested_and_drawn_from_training_sentences_only():
    from tinygrad_gen.models.label_efficiency import nested_subsets
    _, (train_set, test_set) = _task()
    labels = train_set[3]
    test_rows = {tuple(r) for r in test_set[0]}
    for seed in range(3):
        subsets = nested_subsets(labels, [4, 8, 16, 32], seed)
        for n, idx in subsets.items():
            assert len(idx) == len(set(idx.tolist())) == n
            assert np.bincount(labels[idx], minlength=2).tolist() == [n // 2, n // 2]
            assert not test_rows & {tuple(r) for r in train_set[0][idx]}   # no test sentence in a subset
        assert set(subsets[4].tolist()) <= set(subsets[8].tolist()) <= set(subsets[32].tolist())
    assert not np.array_equal(np.sort(nested_subsets(labels, [8], 0)[8]), np.sort(nested_subsets(labels, [8], 1)[8]))
    with pytest.raises(ValueError, match="split evenly"):
        nested_subsets(labels, [5], 0)
    with pytest.raises(ValueError, match="smallest class"):
        nested_subsets(labels, [200], 0)


def test_linear_probe_separates_features_that_are_linearly_separable():
    from tinygrad_gen.models.label_efficiency import linear_probe
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    y = (x[:, 2] - x[:, 4] > 0).astype(np.int64)
    assert linear_probe(x[:100], y[:100], x[100:], y[100:], classes=2) > 0.9


def test_label_efficiency_leaves_the_pretrained_weights_untouched_and_reports_every_point():
    from tinygrad_gen.models.label_efficiency import label_efficiency
    v, (train_set, test_set) = _task()
    config = BERTConfig(len(v), max_len=8, layers=1, width=16, heads=2, dropout=0.0)
    tg.manual_seed(0)
    pretrained = BERT(config)
    before = {k: t.numpy().copy() for k, t in pretrained.state_dict().items()}
    seen = []

    def new_network(seed):
        tg.manual_seed(seed)
        return BERT(config)

    def finetune(encoder, subset, seed):
        seen.append((len(subset[3]), np.bincount(subset[3]).tolist(), seed))
        return 0.5

    curve = label_efficiency(pretrained, new_network, train_set, test_set, [8, 16, 1000], range(2), finetune)
    assert list(curve) == ["8", "16", "all"]
    assert all(len(v) == 2 for row in curve.values() for v in row.values())
    n_train = len(train_set[3])
    assert seen[:4] == [(8, [4, 4], 0)] * 2 + [(16, [8, 8], 0)] * 2 and seen[4][0] == n_train
    for k, t in pretrained.state_dict().items():
        np.testing.assert_array_equal(t.numpy(), before[k], err_msg=k)
