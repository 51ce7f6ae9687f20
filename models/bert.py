"""BERT: a Transformer encoder pre-trained with masked language modelling and next-sentence prediction, then
fine-tuned: "pretrain once, finetune many times".

Bidirectional self-attention (every token sees both its left and right context; only [PAD] is masked out) is why
plain left-to-right language modelling cannot train it: a word would see itself. Instead:
- masked LM: 15 % of the tokens are corrupted (80 % [MASK], 10 % random, 10 % kept) and predicted from the context;
- next-sentence prediction: the [CLS] vector says whether B really follows A.
Inputs are ``[CLS] A [SEP] B [SEP]`` with token + position + segment embeddings (see ``bert_data``).

Next-sentence pairs are pairs of *segments*, as in BERT: A is a run of consecutive sentences filling half the
token budget, B the sentences that really follow (IsNext) or a run from a random place (NotNext); 50/50. Where the
negatives come from decides what NSP can learn from: ``--nsp-negatives anywhere`` (BERT's "random segment from the
corpus", the default) is mostly a change of topic, ``same_document`` leaves only order and coherence. Held-out NSP
accuracy is measured both ways.

The corpus (``--corpus``) is the English docstrings of Python's own standard library, one document per module,
held out by whole packages (``tinygrad_gen.data.stdlib_docstrings``: 444 training modules with Python 3.11), or
the help topics of ``pydoc_data`` (70 training topics, the last 10 % held out); ``--text FILE`` trains on any text.
Held-out NSP predictions, pair by pair, go to ``nsp_predictions.json`` beside a word-overlap baseline
(``bert_nsp``); the same encoder pre-trained left-to-right instead is compared in ``bert_efficiency``.

Fine-tuning on a sentence-level task (which of the two largest documents a sentence comes from) puts a linear head
on the [CLS] vector and trains everything. The label-efficiency curve (``models/label_efficiency.py``) compares it, for
16 ... all labelled sentences and several seeds, with the same network trained from scratch and with a linear probe
on the frozen [CLS] vectors (the lecture's feature-based approach).

    tgg train bert                                   # metrics.json, nsp_predictions.json, loss.png, attention.png,
                                                     # label_efficiency.png
    tgg train bert --layers 4 --heads 4 --width 128  # a row of the size ablation
    tgg train bert --quick                           # a smoke-sized run (seconds)
"""
from dataclasses import dataclass

import numpy as np

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn
from tinygrad_gen.options import nonnegative_int, positive_float, positive_int

from . import label_efficiency as le
from .bert_data import IGNORE, PretrainingData, pack_pair
from .bert_nsp import nsp_predictions, word_overlap_baseline, write_predictions
from .config_options import add_config_arguments, option
from .gpt3_recipe import make_optimizer, train_steps, update
from .transformer import Transformer, padding_mask


CORPORA = ("stdlib", "pydoc")


@dataclass
class BERTTrainConfig:
    """Every default of ``tgg train bert`` (its options are generated from these fields, and ``BERTConfig``'s sizes
    default to them)."""
    text: str = option(None, type=str, help="a UTF-8 text file to train on instead of --corpus")
    corpus: str = option("stdlib", choices=CORPORA, help="the embedded corpus: the standard library's docstrings "
                         "(held out: whole packages) or pydoc_data's help topics (held out: the last 10 %%)")
    layers: int = option(2, type=positive_int)
    width: int = option(64, type=positive_int)
    heads: int = option(2, type=positive_int)
    max_len: int = option(64, type=positive_int)
    dropout: float = option(0.1, type=float)
    min_count: int = option(2, type=nonnegative_int, help="words seen fewer times become [UNK]")
    batch_size: int = option(32, type=positive_int)
    lr: float = option(2e-3, type=positive_float)
    warmup: int = option(100, type=nonnegative_int)
    mask_rate: float = option(0.15, type=float)
    max_predictions: int = option(10, type=positive_int, help="cap on masked-LM predictions per sequence")
    nsp_negatives: str = option("anywhere", choices=PretrainingData.NEGATIVES,
                                help="where NotNext segments come from in pre-training (both are evaluated)")
    eval_every: int = option(250, type=positive_int)
    eval_batches: int = option(20, type=positive_int)
    checkpoint_every: int = option(250, type=positive_int)
    finetune_steps: int = option(100, type=positive_int, help="steps of each fine-tuning run")
    finetune_lr: float = option(3e-4, type=positive_float)
    finetune_batch: int = option(16, type=positive_int)
    label_sizes: str = option("16,32,64,128,256", help="labelled sentences per curve point (+ all)")
    label_seeds: int = option(3, type=positive_int, help="subsets and initialisations per curve point")
    quick: bool = option(False, help="a tiny model and run, for smoke tests")
    steps: int = 5000
    weight_decay: float = 0.1   # the GPT-3 recipe's (not an option)
    grad_clip: float = 1.0


@dataclass
class BERTConfig:
    """The encoder's sizes: vocabulary, sequence length, layers, width, heads, dropout (defaults: ``tgg train
    bert``'s)."""
    vocab_size: int
    max_len: int = BERTTrainConfig.max_len
    layers: int = BERTTrainConfig.layers
    width: int = BERTTrainConfig.width
    heads: int = BERTTrainConfig.heads
    dropout: float = BERTTrainConfig.dropout


class BERT(nn.Module):
    """Embeddings (token + position + segment) -> encoder blocks -> LayerNorm; a tied masked-LM head, and BERT's
    pooler (tanh(W h_[CLS] + b)) under the NSP head."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = Transformer(config.vocab_size, config.max_len, config.width, config.layers,
                                       config.heads, config.dropout, segments=2)
        self.pooler = nn.Linear(config.width, config.width)
        self.nsp_head = nn.Linear(config.width, 2)

    def forward(self, ids, segments, keep):
        """Hidden states (B, T, C); ``keep`` (B, T) is True on real tokens, so no query attends to [PAD]."""
        ids, segments = tg.as_tensor(ids, device=self.device), tg.as_tensor(segments, device=self.device)
        return self.transformer(ids, segments, mask=padding_mask(keep))

    def pooled(self, h):
        """BERT's pooler on the [CLS] vector: a tanh layer, trained by NSP, that sentence-level heads read."""
        return self.pooler(h[:, 0]).tanh()

    def pretraining_loss(self, batch):
        """(masked-LM loss, NSP loss, masked-LM logits at the predicted positions, NSP logits). The vocabulary
        head runs only at the ~15 % predicted positions, as in BERT."""
        h = self(batch["ids"], batch["segments"], batch["keep"])
        rows, cols = np.nonzero(batch["mlm_labels"] != IGNORE)
        mlm_logits = self.transformer.logits(h[rows, cols])
        mlm_loss = F.cross_entropy(mlm_logits, tg.as_tensor(batch["mlm_labels"][rows, cols], device=self.device))
        nsp_logits = self.nsp_head(self.pooled(h))
        nsp_loss = F.cross_entropy(nsp_logits, tg.as_tensor(batch["nsp_labels"], device=self.device))
        return mlm_loss, nsp_loss, mlm_logits, nsp_logits


class SentenceClassifier(nn.Module):
    """Fine-tuning for a single-sentence task: ``[CLS] sentence [SEP]`` through BERT, a linear head on [CLS]."""

    def __init__(self, bert, classes):
        super().__init__()
        self.bert = bert
        self.head = nn.Linear(bert.config.width, classes)

    def forward(self, ids, segments, keep):
        """The module applied to a batch (see the class docstring)."""
        return self.head(self.bert(ids, segments, keep)[:, 0])


def attention_weights(bert, ids, segments, keep, layer=0):
    """The attention probabilities (B, heads, T, T) of one layer on one input: that layer's queries and keys
    (its packed in_proj weights applied to the LayerNormed input), softmax(q k^T / sqrt(d)) with the padding mask."""
    tr = bert.transformer
    with tg.no_grad():
        tokens, segs = tg.as_tensor(ids, device=bert.device), tg.as_tensor(segments, device=bert.device)
        x = tr.tok_emb(tokens) + tr.pos_emb.weight[:ids.shape[1]] + tr.seg_emb(segs)
        mask = padding_mask(keep)
        for block in tr.blocks[:layer]:
            x = block(x, mask=mask)
        attn = tr.blocks[layer].attn
        h, E, H = tr.blocks[layer].ln1(x), attn.embed_dim, attn.num_heads
        B, T, _ = h.shape
        w, b = attn.in_proj_weight, attn.in_proj_bias
        q, k = (F.linear(h, w[i * E:(i + 1) * E], b[i * E:(i + 1) * E]).reshape(B, T, H, E // H).permute(0, 2, 1, 3)
                for i in (0, 1))
        scores = (q @ k.swapaxes(-1, -2)) * (1.0 / np.sqrt(E // H))
        return F.masked_softmax(scores, np.broadcast_to(mask, scores.shape)).numpy()


# ----- evaluation -----

@tg.no_grad()
def evaluate_pretraining(model, batches):
    """Masked-LM accuracy and perplexity (exp of the mean cross-entropy) over all predicted positions, and NSP
    accuracy over all pairs of the fixed batches: (mlm_acc, nsp_acc, mlm_ppl)."""
    was_training = model.training
    model.eval()
    mlm_hits = mlm_n = nsp_hits = nsp_n = 0
    mlm_nats = 0.0
    for batch in batches:
        mlm_loss, _, mlm_logits, nsp_logits = model.pretraining_loss(batch)
        targets = batch["mlm_labels"][batch["mlm_labels"] != IGNORE]
        mlm_hits += int((mlm_logits.numpy().argmax(-1) == targets).sum())
        mlm_nats += mlm_loss.item() * len(targets)
        mlm_n += len(targets)
        nsp_hits += int((nsp_logits.numpy().argmax(-1) == batch["nsp_labels"]).sum())
        nsp_n += len(batch["nsp_labels"])
    model.train(was_training)
    return mlm_hits / mlm_n, nsp_hits / nsp_n, float(np.exp(mlm_nats / mlm_n))


def unigram_baseline(train_batches_labels, eval_batches):
    """Accuracy of always guessing the word most often masked in training: what the masked LM must beat."""
    counts = np.bincount(np.concatenate([labels[labels != IGNORE] for labels in train_batches_labels]))
    guess = counts.argmax()
    targets = np.concatenate([b["mlm_labels"][b["mlm_labels"] != IGNORE] for b in eval_batches])
    return float((targets == guess).mean())


# ----- the fine-tuning task -----

def topic_task(documents, vocab, max_len, test_every=4, classes=2):
    """Which of ``classes`` topics does a sentence come from? The documents with the most sentences give the
    classes (class 0 the smallest of them); every ``test_every``-th sentence of each is held out for testing.
    Returns ((ids, segments, keep, labels) for training, the same for testing)."""
    if not 2 <= classes <= len(documents):
        raise ValueError(f"topic_task: classes must be in [2, {len(documents)}] (the documents), got {classes}")
    rows = {"train": [], "test": []}
    for label, doc in enumerate(sorted(documents, key=len)[-classes:]):
        for i, sentence in enumerate(doc):
            ids, segments, keep = pack_pair(vocab.encode(sentence), [], vocab, max_len + 1)
            # single sentence: [CLS] A [SEP] (pack_pair's second [SEP] ends an empty B; drop it)
            ids, segments, keep = _single(ids, keep, vocab, max_len)
            rows["test" if i % test_every == 0 else "train"].append((ids, segments, keep, label))
    return tuple(tuple(np.stack(col) for col in zip(*rows[k])) for k in ("train", "test"))


def _single(ids, keep, vocab, max_len):
    n = int(keep.sum()) - 1           # drop the trailing [SEP] of the empty B
    ids = np.concatenate([ids[:n], np.full(max_len + 1 - n, vocab.pad_id)])[:max_len]
    n = min(n, max_len)
    if ids[n - 1] != vocab.sep_id:    # truncated: end it with [SEP]
        ids[n - 1] = vocab.sep_id
    return ids, np.zeros(max_len, np.int64), np.arange(max_len) < n


def finetune(classifier, train_set, test_set, steps, lr, batch_size, warmup=20):
    """Train all of the classifier's weights with cross-entropy on the labelled sentences (the GPT-3 recipe with
    weight decay 0.01); returns test accuracy and the loss history."""
    optimizer, scheduler = make_optimizer(classifier, lr, steps, min(warmup, steps), weight_decay=0.01)
    batches = tg.data.DataLoader(*train_set, batch_size=min(batch_size, len(train_set[-1]))).batches()
    losses = []
    classifier.train()
    for _ in range(steps):
        ids, segments, keep, labels = next(batches)
        n = int(np.asarray(keep).sum(1).max())   # trailing padding changes nothing but the cost: cut it
        logits = classifier(ids[:, :n], segments[:, :n], keep[:, :n])
        loss = F.cross_entropy(logits, tg.as_tensor(labels, device=classifier.device))
        update(classifier, optimizer, scheduler, loss)
        losses.append(loss.item())
    classifier.eval()
    t_ids, t_seg, t_keep, t_labels = test_set
    with tg.no_grad():
        pred = np.concatenate([classifier(t_ids[i:i + 64], t_seg[i:i + 64], t_keep[i:i + 64]).numpy().argmax(-1)
                               for i in range(0, len(t_labels), 64)])
    return float((pred == t_labels).mean()), losses


# ----- tgg train bert -----

def pretraining_loss(model, batch):
    """Pre-training minimises the sum of the two losses: masked LM + next-sentence prediction. Returns (the sum,
    {name: float} to log); ``tgg train``, ``tgg bench step`` and ``tgg graph`` all run this."""
    mlm_loss, nsp_loss, _, _ = model.pretraining_loss(batch)
    return mlm_loss + nsp_loss, {"mlm_loss": mlm_loss.item(), "nsp_loss": nsp_loss.item()}


TRAINED_BY = "steps"  # tgg train: the run's length is counted in steps (--epochs is refused)
QUICK = {"layers": 1, "width": 32, "heads": 2, "max_len": 32, "steps": 20, "warmup": 5, "eval_batches": 2,
         "batch_size": 16, "finetune_steps": 5, "label_sizes": "16,32"}   # --quick: every output, in seconds


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``BERTTrainConfig``; the config also records
    the Python version, which fixes the standard-library corpus (a resume under another Python is refused)."""
    add_config_arguments(parser, BERTTrainConfig, title="bert")
    parser.set_defaults(corpus_python=tg.data.stdlib_docstrings.python_version())


def pretraining_corpus(text=None, corpus="stdlib"):
    """(training documents, held-out documents, the training text the vocabulary is built from); documents are
    lists of sentences. ``text``: a UTF-8 file, its last 10 % held out; else ``corpus``: ``"stdlib"`` (the
    standard library's docstrings, held out by whole packages) or ``"pydoc"`` (the help topics, last 10 %)."""
    if corpus not in CORPORA:
        raise ValueError(f"pretraining_corpus: corpus must be one of {CORPORA}, got {corpus!r}")
    if text is None and corpus == "stdlib":
        train_docs, val_docs = tg.data.stdlib_corpus()
        return train_docs, val_docs, "\n".join(s for doc in train_docs for s in doc)
    train_text, val_text = tg.data.text_corpus(text)
    return tg.data.sentence_documents(train_text), tg.data.sentence_documents(val_text), train_text


def graph_step(batch=2, max_len=24):
    """Masked-LM plus next-sentence loss of the default-sized model on two sentence pairs of a tiny two-document
    text, for ``tgg graph``: ({"loss": loss}, the BERT)."""
    docs = [["The cat sat on the mat.", "It was warm there.", "The dog slept by the door."],
            ["Birds fly south in the autumn.", "They come back in the spring.", "The nights are long."]]
    vocab = tg.data.WordVocab(" ".join(" ".join(doc) for doc in docs))
    data = PretrainingData(docs, vocab, max_len=max_len).batch(batch, np.random.default_rng(0))
    model = BERT(BERTConfig(len(vocab), max_len=max_len))
    loss, _ = pretraining_loss(model, data)
    return {"loss": loss}, model


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    if args.quick:
        for k, v in QUICK.items():
            setattr(args, k, v)
    train_docs, val_docs, train_text = pretraining_corpus(args.text, args.corpus)
    vocab = tg.data.WordVocab(train_text, min_count=args.min_count)
    data = PretrainingData(train_docs, vocab, args.max_len, args.mask_rate, args.max_predictions,
                           negatives=args.nsp_negatives)
    held_out = {neg: PretrainingData(val_docs, vocab, args.max_len, args.mask_rate, args.max_predictions,
                                     negatives=neg) for neg in PretrainingData.NEGATIVES}
    eval_batches = {}
    for neg, d in held_out.items():   # fixed held-out sets, the same for every run
        eval_rng = np.random.default_rng(1234)
        eval_batches[neg] = [d.batch(args.batch_size, eval_rng) for _ in range(args.eval_batches)]

    config = BERTConfig(len(vocab), args.max_len, args.layers, args.width, args.heads, args.dropout)
    model = BERT(config).to(run.device)
    optimizer, scheduler = make_optimizer(model, args.lr, args.steps, args.warmup)
    loader = tg.data.DataLoader(data, batch_size=args.batch_size)   # segment pairs, masked afresh each time
    trained_on = eval_batches[args.nsp_negatives]
    scores, elapsed = train_steps(run, model, optimizer, scheduler, loader, pretraining_loss, args.steps,
                                  evaluate=lambda m: dict(zip(("mlm_acc", "nsp_acc", "mlm_ppl"),
                                                              evaluate_pretraining(m, trained_on))),
                                  eval_every=args.eval_every, checkpoint_every=args.checkpoint_every)
    nsp_by_negatives = {neg: evaluate_pretraining(model, b)[1] for neg, b in eval_batches.items()}
    # every held-out pair with its label, the model's guess and the word-overlap score: NSP re-computable from it
    predictions = {neg: nsp_predictions(model, b, vocab) for neg, b in eval_batches.items()}
    write_predictions(run.out / "nsp_predictions.json", predictions)
    overlap = {neg: word_overlap_baseline(p["overlap"], p["labels"]) for neg, p in predictions.items()}
    # the same measure on pairs of the training text: far above the held-out figures = topics learnt by heart
    train_rng = np.random.default_rng(1234)
    nsp_train = evaluate_pretraining(model, [data.batch(args.batch_size, train_rng)
                                             for _ in range(args.eval_batches)])[1]
    # the baseline guesses the word most often masked in a sample of training batches
    sample_rng = np.random.default_rng(4321)
    baseline = unigram_baseline([data.batch(args.batch_size, sample_rng)["mlm_labels"] for _ in range(50)],
                                trained_on)
    run.plot_curves("loss.png", keys=["mlm_loss", "nsp_loss"])
    docs = held_out["anywhere"].docs
    pairs = [(doc[i], doc[i + 1]) for doc in docs for i in range(len(doc) - 1)]
    a, b = next((a, b) for a, b in pairs + [pairs[0]] if min(len(a), len(b)) >= 6 or (a, b) == pairs[0])
    plot_attention(run, model, vocab, a, b)   # the first held-out pair of two real sentences

    # label efficiency: fine-tuned vs the same network from scratch vs a linear probe, on the same subsets
    train_set, test_set = topic_task(train_docs + val_docs, vocab, args.max_len)

    def new_network(seed):
        tg.manual_seed(args.seed * 1000 + seed)
        return BERT(config).to(run.device)

    def finetuned_acc(encoder, subset, seed):
        return finetune(SentenceClassifier(encoder, 2).to(run.device), subset, test_set, args.finetune_steps,
                        args.finetune_lr, args.finetune_batch)[0]

    sizes = [int(n) for n in args.label_sizes.split(",") if n.strip()]
    curve = le.label_efficiency(model, new_network, train_set, test_set, sizes, range(args.label_seeds),
                                finetuned_acc)
    stats, lead = le.summary(curve)
    plot_label_efficiency(run, curve, len(train_set[3]))
    scarce = [k for k in curve if k != "all" and int(k) <= 64]
    run.finish({"mlm_acc": scores["mlm_acc"], "mlm_ppl": scores["mlm_ppl"], "mlm_unigram_baseline": baseline,
                "nsp_acc": scores["nsp_acc"], "nsp_negatives": args.nsp_negatives,
                "nsp_acc_anywhere": nsp_by_negatives["anywhere"],
                "nsp_acc_same_document": nsp_by_negatives["same_document"], "nsp_acc_train": nsp_train,
                "nsp_overlap_baseline_anywhere": overlap["anywhere"],
                "nsp_overlap_baseline_same_document": overlap["same_document"],
                "corpus": "text file" if args.text else args.corpus,
                "corpus_documents": {"train": len(data.docs), "held_out": len(held_out["anywhere"].docs)},
                "label_efficiency": curve,
                "finetune_acc": stats["all"]["pretrained"][0], "scratch_acc": stats["all"]["scratch"][0],
                "probe_acc": stats["all"]["probe"][0],
                "min_lead_pretrained_over_scratch": lead,
                "min_lead_at_64_or_fewer": min((stats[k]["pretrained"][0] - stats[k]["scratch"][0] for k in scarce),
                                               default=None),
                "finetune_majority_baseline": float(max(test_set[3].mean(), 1 - test_set[3].mean())),
                "ms_per_step": 1000 * elapsed / max(1, args.steps), "vocab_size": len(vocab),
                "parameters": sum(int(np.prod(p.shape)) for p in model.parameters()),
                "finetune_train_sentences": int(len(train_set[3])), "finetune_test_sentences": int(len(test_set[3]))})
    return model


def plot_attention(run, model, vocab, a, b, layer=0, head=0):
    """The attention map of one head on one uncorrupted pair ``[CLS] a [SEP] b [SEP]`` (rows: queries, columns:
    keys; each row sums to 1)."""
    import matplotlib.pyplot as plt
    ids, segments, keep = pack_pair(a, b, vocab, model.config.max_len)
    n = int(keep.sum())
    model.eval()
    w = attention_weights(model, ids[None, :n], segments[None, :n], keep[None, :n], layer)[0, head]
    model.train()
    words = [vocab.itos[i] for i in ids[:n]]
    fig, ax = plt.subplots(figsize=(0.22 * n + 2.5, 0.22 * n + 1.5))
    im = ax.imshow(w, cmap="viridis", vmin=0)
    ax.set_xticks(range(n), words, rotation=90, fontsize=7)
    ax.set_yticks(range(n), words, fontsize=7)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query")
    ax.set_title(f"BERT attention, layer {layer}, head {head}")
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    run.savefig(fig, "attention.png")


def plot_label_efficiency(run, curve, n_train):
    """Draw the label-efficiency curve (accuracy vs labelled sentences) into the run's figures."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    le.plot(curve, ax, n_train)
    ax.set_title("topic of a sentence: accuracy vs labelled sentences (mean, min-max over seeds)", fontsize=9)
    fig.tight_layout()
    run.savefig(fig, "label_efficiency.png")
