"""A small digit classifier trained on the engine: the judge of generated digits (no downloaded network).

Its penultimate features give the Frechet distance between generated and real digits ("FDD"), its predictions give
the share of each digit among samples and CycleGAN's accuracy on translated digits.  Training takes seconds; the
weights are cached in the run folder so a held-out script recomputes the same figures.
"""
import pathlib

import numpy as np

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn, optim
from tinygrad_gen import random as tg_random
from tinygrad_gen.data import DataLoader

WEIGHTS = "classifier.safetensors"


class DigitClassifier(nn.Module):
    """MLP 64 -> 128 -> 64 -> 10 on 8x8 digits in [0, 1]; ``features`` is the 64-d penultimate ReLU layer."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.head = nn.Linear(64, 10)

    def features(self, x):
        """The hidden layer's features of a batch of digits."""
        return self.hidden(x.reshape(x.shape[0], 64))

    def forward(self, x):
        """The module applied to a batch (see the class docstring)."""
        return self.head(self.features(x))


def train_classifier(x_train, y_train, epochs=40, batch_size=64, lr=1e-3, seed=0):
    """Adam on cross-entropy with its own seed; the engine's random state is put back afterwards, so training (or
    not training, when cached) the judge never changes the run being judged."""
    state = tg_random.get_state()
    tg.manual_seed(seed)
    model = DigitClassifier()
    opt = optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(x_train, y_train, batch_size=batch_size, seed=seed, device="cpu")
    for _ in range(epochs):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    tg_random.set_state(state)
    return model.eval()


def load_or_train(folder, data=None):
    """The classifier cached in ``folder`` (trained on digits() train and saved there when missing)."""
    path = pathlib.Path(folder) / WEIGHTS
    model = DigitClassifier()
    if path.exists():
        model.load_state_dict(tg.load(str(path)))
        return model.eval()
    x_train, y_train, _, _ = data if data is not None else tg.data.digits()
    model = train_classifier(x_train, y_train)
    tg.save(model.state_dict(), str(path))
    return model


def predict(model, x, batch_size=500):
    """Class predictions and penultimate features for images ``x`` (N, 64) or (N, 1, 8, 8) in [0, 1] (NumPy)."""
    labels, feats = [], []
    with tg.no_grad():
        for i in range(0, len(x), batch_size):
            f = model.features(tg.tensor(np.asarray(x[i:i + batch_size], np.float32)))
            labels.append(model.head(f).numpy().argmax(axis=1))
            feats.append(f.numpy())
    return np.concatenate(labels), np.concatenate(feats)


def accuracy(model, x, y):
    """The share of ``x`` classified as ``y``."""
    return float((predict(model, x)[0] == np.asarray(y)).mean())
