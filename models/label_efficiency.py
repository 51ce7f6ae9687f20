"""Does pre-training pay off when labels are scarce? Test accuracy against the number of labelled sentences, three
ways, on the same class-balanced subsets:

- ``pretrained``: fine-tuning, a linear head on [CLS] and every weight of the pre-trained encoder trained;
- ``scratch``: the same network and recipe from a random initialisation;
- ``probe``: the feature-based approach, the pre-trained encoder frozen and only a linear classifier trained on
  its [CLS] vectors.

A subset of n labels holds n / classes sentences of each class, drawn from the training sentences only (the test
sentences are never in one); the subsets are nested for a seed (the 16 are among the 32), so the curve shows more
labels, not other labels.
"""
import numpy as np

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn, optim


def nested_subsets(labels, sizes, seed):
    """{n: indices} for every n in ``sizes``: one random order per class (from ``seed``), each subset its prefix."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    rng = np.random.default_rng(seed)
    orders = {c: rng.permutation(np.flatnonzero(labels == c)) for c in classes}
    out = {}
    for n in sizes:
        if n % len(classes):
            raise ValueError(f"nested_subsets: {n} labels do not split evenly over {len(classes)} classes")
        per = n // len(classes)
        if per > min(len(o) for o in orders.values()):
            raise ValueError(f"nested_subsets: {n} labels need {per} of each class; the smallest class has "
                             f"{min(len(o) for o in orders.values())}")
        out[n] = np.concatenate([orders[c][:per] for c in classes])
    return out


def take(dataset, idx):
    """The rows ``idx`` of every array of a data set."""
    return tuple(a[idx] for a in dataset)


@tg.no_grad()
def cls_features(bert, dataset, batch=64):
    """The frozen encoder's [CLS] vectors (N, width) of a (ids, segments, keep, labels) dataset, in eval mode."""
    was_training = bert.training
    bert.eval()
    ids, segments, keep = dataset[:3]
    out = np.concatenate([bert(ids[i:i + batch], segments[i:i + batch], keep[i:i + batch])[:, 0].numpy()
                          for i in range(0, len(ids), batch)])
    bert.train(was_training)
    return out


def linear_probe(train_x, train_y, test_x, test_y, classes, steps=300, lr=0.05, weight_decay=1e-2, seed=0):
    """Logistic regression on fixed features (standardised with the training subset's mean and spread), full-batch
    AdamW; returns test accuracy."""
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    x, t = tg.tensor(((train_x - mean) / std).astype(np.float32)), tg.tensor(np.asarray(train_y))
    tg.manual_seed(seed)
    head = nn.Linear(train_x.shape[1], classes)
    opt = optim.AdamW(head.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        loss = F.cross_entropy(head(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with tg.no_grad():
        pred = head(tg.tensor(((test_x - mean) / std).astype(np.float32))).numpy().argmax(-1)
    return float((pred == np.asarray(test_y)).mean())


def label_efficiency(pretrained, new_network, train_set, test_set, sizes, seeds, finetune, classes=2):
    """The curve: ``{"<n>" or "all": {"pretrained": [acc per seed], "scratch": [...], "probe": [...]}}``.

    ``pretrained`` is the pre-trained encoder (left untouched: each fine-tuning run starts from a copy of its
    weights), ``new_network(seed)`` a freshly initialised encoder of the same shape, ``finetune(encoder, subset,
    seed)`` -> test accuracy of a classifier fine-tuned from that encoder on the subset. ``sizes`` are label counts;
    those >= the training set size mean the whole set, reported once as "all"."""
    n_train = len(train_set[-1])
    counts = sorted({n for n in sizes if n < n_train}) + [n_train]
    test_feats = cls_features(pretrained, test_set)
    train_feats = cls_features(pretrained, train_set)
    curve = {}
    for seed in seeds:
        subsets = nested_subsets(train_set[-1], counts[:-1], seed)
        subsets[n_train] = np.arange(n_train)
        for n in counts:
            key = "all" if n == n_train else str(n)
            row = curve.setdefault(key, {"pretrained": [], "scratch": [], "probe": []})
            subset = take(train_set, subsets[n])
            copy = new_network(seed)
            copy.load_state_dict(pretrained.state_dict())
            row["pretrained"].append(finetune(copy, subset, seed))
            row["scratch"].append(finetune(new_network(seed), subset, seed))
            row["probe"].append(linear_probe(train_feats[subsets[n]], subset[-1], test_feats, test_set[-1],
                                             classes, seed=seed))
    return curve


def summary(curve):
    """{key: {method: (mean, std)}} of a curve, and the smallest lead of pre-trained over scratch (in accuracy)."""
    stats = {k: {m: (float(np.mean(v)), float(np.std(v))) for m, v in row.items()} for k, row in curve.items()}
    lead = min(s["pretrained"][0] - s["scratch"][0] for s in stats.values())
    return stats, lead


def plot(curve, ax, n_train):
    """Mean and spread (min..max over seeds) of each method against the number of labels (log scale)."""
    keys = list(curve)
    xs = [n_train if k == "all" else int(k) for k in keys]
    for method, label in (("pretrained", "fine-tuned from pre-trained BERT"), ("scratch", "same network from scratch"),
                          ("probe", "linear probe on frozen [CLS]")):
        accs = np.array([curve[k][method] for k in keys])
        ax.plot(xs, accs.mean(1), marker="o", label=label)
        ax.fill_between(xs, accs.min(1), accs.max(1), alpha=0.2)
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs, [("all\n" if k == "all" else "") + str(x) for k, x in zip(keys, xs)])
    ax.set_xlabel("labelled training sentences")
    ax.set_ylabel("test accuracy")
    ax.legend()
