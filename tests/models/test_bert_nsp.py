"""Next-sentence prediction checked pair by pair: A and B read back from a corrupted batch, the word-overlap
baseline, the saved predictions that NSP accuracy is re-computed from, and the pair builder on the standard library's
docstrings (negatives from anywhere and from A's own document)."""
import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen.data import WordVocab
from tinygrad_gen.models.bert import BERT, BERTConfig, evaluate_pretraining, pretraining_corpus
from tinygrad_gen.models.bert_data import PretrainingData, corrupt, pack_pair
from tinygrad_gen.models.bert_nsp import (accuracy_from_file, nsp_predictions, segments_of, word_overlap,
                                          word_overlap_baseline, write_predictions)

WORDS = [f"w{i}" for i in range(80)]


def _vocab():
    return WordVocab(" ".join(WORDS))


def test_a_and_b_are_read_back_uncorrupted_from_a_masked_batch():
    v = _vocab()
    rng = np.random.default_rng(0)
    a, b = v.encode("w1 w2 w3 w4 w5"), v.encode("w6 w7 w8")
    ids, segments, keep = pack_pair(a, b, v, 14)
    special = (ids == v.cls_id) | (ids == v.sep_id) | ~keep
    corrupted, labels = corrupt(ids, special, v, 5, rng, rate=0.5)
    assert np.any(corrupted != ids)
    batch = {"ids": corrupted[None], "segments": segments[None], "keep": keep[None], "mlm_labels": labels[None]}
    got_a, got_b = segments_of(batch, 0)
    np.testing.assert_array_equal(got_a, a)
    np.testing.assert_array_equal(got_b, b)


def test_word_overlap_is_the_jaccard_index_of_the_words_outside_the_most_frequent():
    first = 5
    a, b = [5, 6, 20, 21, 22], [6, 21, 22, 23]   # 5 and 6 are among the 2 most frequent: not counted
    assert word_overlap(a, b, first, skip=2) == pytest.approx(2 / 4)     # {21, 22} of {20, 21, 22, 23}
    assert word_overlap(a, b, first, skip=0) == pytest.approx(3 / 6)     # {6, 21, 22} of {5, 6, 20, 21, 22, 23}
    assert word_overlap([5], [6], first, skip=2) == 0.0


def test_the_overlap_baseline_picks_the_best_threshold_on_the_pairs():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    separable = labels * 0.5 + rng.uniform(0, 0.4, 400)
    assert word_overlap_baseline(separable, labels) == 1.0
    noise = rng.uniform(0, 1, 400)
    best = max(((noise >= t) == labels).mean() for t in np.linspace(0, 1.01, 2000))
    assert word_overlap_baseline(noise, labels) == pytest.approx(best)
    assert word_overlap_baseline(noise, labels) >= max(labels.mean(), 1 - labels.mean())
    with pytest.raises(ValueError, match="no pairs"):
        word_overlap_baseline([], [])


def test_saved_predictions_give_the_accuracy_the_evaluation_reports(tmp_path):
    v = _vocab()
    rng = np.random.default_rng(1)
    docs = [[" ".join(rng.choice(WORDS, 6)) for _ in range(6)] for _ in range(5)]
    data = PretrainingData(docs, v, max_len=32)
    batches = [data.batch(8, np.random.default_rng(k)) for k in range(3)]
    tg.manual_seed(0)
    model = BERT(BERTConfig(len(v), max_len=32, layers=1, width=16, heads=2))
    preds = nsp_predictions(model, batches, v)
    assert len(preds["labels"]) == 24 and preds["labels"] == np.concatenate([b["nsp_labels"] for b in batches]).tolist()
    assert all(0 <= p <= 1 for p in preds["p_isnext"])
    assert [int(p >= 0.5) for p in preds["p_isnext"]] == preds["predictions"] or 0.5 in preds["p_isnext"]
    write_predictions(tmp_path / "nsp.json", {"anywhere": preds})
    assert accuracy_from_file(tmp_path / "nsp.json")["anywhere"] == pytest.approx(
        evaluate_pretraining(model, batches)[1])
    assert model.training   # put back in training mode


@pytest.fixture(scope="module")
def stdlib_pairs():
    train_docs, held_docs, text = pretraining_corpus()
    vocab = WordVocab(text, min_count=2)
    return {neg: PretrainingData(held_docs, vocab, 64, negatives=neg) for neg in PretrainingData.NEGATIVES}


def test_held_out_negatives_from_anywhere_mostly_change_module_and_same_document_ones_never_do(stdlib_pairs):
    for neg, data in stdlib_pairs.items():
        rng = np.random.default_rng(0)
        pairs = [data.sentence_pair_at(rng) for _ in range(2000)]
        negatives = [(d, e) for _, _, is_next, (d, _, _), (e, _) in pairs if not is_next]
        other = np.mean([d != e for d, e in negatives])
        if neg == "anywhere":
            assert other > 0.6, other     # many held-out modules: most random starts lie in another one
        else:
            assert other == 0.0


def test_pretraining_corpus_checks_its_name_and_reads_a_text_file(tmp_path):
    with pytest.raises(ValueError, match="corpus must be one of"):
        pretraining_corpus(corpus="wikipedia")
    path = tmp_path / "t.txt"
    path.write_text("One sentence here. Two sentences here. Three sentences here.\n" * 20)
    train_docs, held_docs, text = pretraining_corpus(str(path))
    assert train_docs and text.startswith("One sentence")
