"""The training-efficiency comparison: masked-LM and left-to-right pre-training on the same spans, each encoder
read where it has seen the whole sentence, the crossing of the two curves, and a smoke run of the whole target."""
import json

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import models
from tinygrad_gen.cli import train as tgg_train
from tinygrad_gen.data import WordVocab
from tinygrad_gen.models.bert import BERT, BERTConfig
from tinygrad_gen.models.bert_data import IGNORE
from tinygrad_gen.models.bert_efficiency import ReadoutClassifier, SpanData, encode, first_crossing, lm_loss

WORDS = [f"w{i}" for i in range(60)]


def _data(objective, max_len=12):
    v = WordVocab(" ".join(WORDS))
    docs = [[f"w{d} w{10 + j} w{20 + j} w{30 + d}" for j in range(4)] for d in range(3)]
    return v, SpanData(docs, v, max_len, objective, max_predictions=3)


def test_ltr_labels_are_the_next_token_at_every_real_position_but_the_last():
    v, data = _data("ltr")
    batch = data[np.arange(len(data))]
    ids, keep, labels = batch["ids"], batch["keep"], batch["labels"]
    assert np.all(ids[:, 0] == v.cls_id) and np.all(keep.sum(1) >= 6)
    for r in range(len(ids)):
        n = int(keep[r].sum())
        assert ids[r, n - 1] == v.sep_id
        np.testing.assert_array_equal(labels[r, :n - 1], ids[r, 1:n])
        assert np.all(labels[r, n - 1:] == IGNORE)
    first = data[[0]]["ids"][0]        # document 0 from its first sentence: two sentences fill the 10 tokens
    assert v.decode(first[1:11]) == "w0 w10 w20 w30 w0 w11 w21 w30 w0 w12" and first[11] == v.sep_id


def test_mlm_and_ltr_see_the_same_spans_and_mlm_predicts_a_few_ordinary_tokens():
    v, mlm = _data("mlm")
    _, ltr = _data("ltr")
    ks = np.arange(len(mlm))
    a, b = mlm[ks], ltr[ks]
    original = np.where(a["labels"] != IGNORE, a["labels"], a["ids"])
    np.testing.assert_array_equal(original, b["ids"])
    chosen = a["labels"] != IGNORE
    assert np.all((chosen.sum(1) >= 1) & (chosen.sum(1) <= 3))
    assert not np.any(chosen & ((b["ids"] == v.cls_id) | (b["ids"] == v.sep_id) | ~a["keep"]))
    with pytest.raises(ValueError, match="objective must be one of"):
        SpanData([["w1 w2"]], v, 8, "rtl")


def _bert(v, max_len=12):
    tg.manual_seed(0)
    bert = BERT(BERTConfig(len(v), max_len=max_len, layers=2, width=16, heads=2, dropout=0.0))
    bert.eval()
    return bert


def test_a_causal_encoder_never_looks_ahead_and_a_bidirectional_one_does():
    v, data = _data("ltr")
    batch = data[[0]]
    bert = _bert(v)
    later = batch["ids"].copy()
    later[0, 6:] = v.stoi["w59"]
    for causal in (True, False):
        h = encode(bert, causal, batch["ids"], batch["segments"], batch["keep"]).numpy()
        g = encode(bert, causal, later, batch["segments"], batch["keep"]).numpy()
        assert np.allclose(h[0, :6], g[0, :6], atol=1e-6) == causal


def test_the_classifier_reads_cls_when_bidirectional_and_the_last_token_when_causal():
    v, data = _data("ltr")
    batch = data[[0, 5]]
    bert = _bert(v)
    for causal in (True, False):
        tg.manual_seed(1)
        clf = ReadoutClassifier(bert, 3, causal)
        h = encode(bert, causal, batch["ids"], batch["segments"], batch["keep"]).numpy()
        where = batch["keep"].sum(1) - 1 if causal else [0, 0]
        expected = h[[0, 1], where] @ clf.head.weight.numpy().T + clf.head.bias.numpy()
        got = clf(batch["ids"], batch["segments"], batch["keep"]).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_the_mean_readout_averages_the_real_tokens_only():
    v, data = _data("ltr")
    batch = data[[0, 5]]
    bert = _bert(v)
    for causal in (True, False):
        clf = ReadoutClassifier(bert, 3, causal, readout="mean")
        h = encode(bert, causal, batch["ids"], batch["segments"], batch["keep"]).numpy()
        mean = np.stack([h[r][batch["keep"][r]].mean(0) for r in range(2)])
        expected = mean @ clf.head.weight.numpy().T + clf.head.bias.numpy()
        got = clf(batch["ids"], batch["segments"], batch["keep"]).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="readout must be one of"):
        ReadoutClassifier(bert, 3, False, readout="max")


def test_the_lm_loss_is_the_cross_entropy_at_the_labelled_positions():
    v, data = _data("ltr")
    batch = data[[0, 1]]
    bert = _bert(v)
    h = encode(bert, True, batch["ids"], batch["segments"], batch["keep"]).numpy()
    logits = h @ bert.transformer.tok_emb.weight.numpy().T
    rows, cols = np.nonzero(batch["labels"] != IGNORE)
    z = logits[rows, cols]
    logp = z - z.max(1, keepdims=True) - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
    expected = -logp[np.arange(len(rows)), batch["labels"][rows, cols]].mean()
    assert lm_loss(bert, True, batch).item() == pytest.approx(expected, rel=1e-4)


def test_the_crossing_is_the_first_step_from_which_mlm_stays_ahead():
    ltr = {"0": [0.5], "100": [0.6], "200": [0.7], "300": [0.7]}
    assert first_crossing({"mlm": {"0": [0.4], "100": [0.5], "200": [0.75], "300": [0.8]}, "ltr": ltr}) == 200
    assert first_crossing({"mlm": {"0": [0.4], "100": [0.7], "200": [0.6], "300": [0.8]}, "ltr": ltr}) == 300
    assert first_crossing({"mlm": {"0": [0.6], "100": [0.7], "200": [0.8], "300": [0.8]}, "ltr": ltr}) is None
    assert first_crossing({"mlm": {"0": [0.4], "100": [0.5], "200": [0.6], "300": [0.6]}, "ltr": ltr}) is None


TINY = "".join(f"Topic{t}\n{'*' * 6}\n\n" + " ".join(f"Sentence {j} of topic {t} says w{t} w{j % 7} and w{(t + j) % 9}."
                                                    for j in range(40)) + "\n\n" for t in range(5))


def _run(tmp_path, monkeypatch, *argv):
    monkeypatch.setitem(models.TARGETS, "bert_efficiency", "bert_efficiency")
    out = tmp_path / "eff"
    assert tgg_train.main(["bert_efficiency", "--quick", "--out", str(out), *argv]) == 0
    return out, json.loads((out / "metrics.json").read_text())


def _check(out, metrics, steps, seeds):
    for objective in ("mlm", "ltr"):
        curve = metrics["curves"][objective]
        assert sorted(curve, key=int) == ["0", str(steps // 2), str(steps)]
        assert all(len(accs) == seeds and all(0 <= a <= 1 for a in accs) for accs in curve.values())
        for seed in range(seeds):
            assert (out / f"{objective}-seed{seed}" / "checkpoint.safetensors").is_file()
    assert metrics["final_mlm"] == pytest.approx(np.mean(metrics["curves"]["mlm"][str(steps)]))
    assert metrics["crossing"] is None or str(metrics["crossing"]) in metrics["curves"]["mlm"]
    assert (out / "efficiency.png").is_file()


def test_quick_efficiency_run_on_a_small_text_writes_both_curves_with_every_seed(tmp_path, monkeypatch):
    path = tmp_path / "tiny.txt"
    path.write_text(TINY)
    out, metrics = _run(tmp_path, monkeypatch, "--text", str(path), "--labels-per-class", "4", "--classes", "3",
                        "--steps", "6", "--max-len", "16")
    _check(out, metrics, steps=6, seeds=2)
    mlm0, ltr0 = (json.loads((out / f"{o}-seed0" / "config.json").read_text()) for o in ("mlm", "ltr"))
    assert mlm0["objective"] == "mlm" and ltr0["objective"] == "ltr" and mlm0["seed"] == ltr0["seed"]


def test_runs_trained_apart_are_gathered_with_resume_without_training_again(tmp_path, monkeypatch):
    import shutil
    path = tmp_path / "tiny.txt"
    path.write_text(TINY)
    common = ["--text", str(path), "--labels-per-class", "4", "--classes", "3", "--steps", "4", "--max-len", "16",
              "--pretrain-seeds", "1"]
    whole, whole_metrics = _run(tmp_path / "whole", monkeypatch, *common)
    gathered = tmp_path / "gathered" / "eff"
    for objective in ("mlm", "ltr"):
        part, _ = _run(tmp_path / objective, monkeypatch, *common, "--objectives", objective)
        shutil.copytree(part / f"{objective}-seed1", gathered / f"{objective}-seed1")
    steps_csv = (gathered / "ltr-seed1" / "metrics.csv").read_text()
    out, metrics = _run(tmp_path / "gathered", monkeypatch, *common, "--resume")
    assert out == gathered and metrics["curves"] == whole_metrics["curves"]
    assert (gathered / "ltr-seed1" / "metrics.csv").read_text() == steps_csv   # nothing trained again
    with pytest.raises(SystemExit):
        tgg_train.main(["bert_efficiency", "--objectives", "mlm,gpt", "--out", str(tmp_path / "bad")])


@pytest.mark.slow
def test_quick_efficiency_run_on_the_stdlib_corpus(tmp_path, monkeypatch):
    out, metrics = _run(tmp_path, monkeypatch)
    _check(out, metrics, steps=20, seeds=2)
    assert metrics["downstream_train_sentences"] == 4 * 16
