"""Logistic (softmax) regression on the 8x8 digits: the smallest model that exercises all of ``tgg train``.

    p(y = k | x) = softmax(W x + b)_k,     loss = -mean log p(y_i | x_i)     (cross-entropy)

Trained by mini-batch SGD with momentum; one ``metrics.csv`` row and one checkpoint per epoch (and every
``--checkpoint-every`` steps), so ``--resume`` can be tried on it in seconds.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen import data, nn, optim
from tinygrad_gen.options import nonnegative_int, positive_float, positive_int
from tinygrad_gen.run import load_config, load_run

from .config_options import add_config_arguments, option
from .step_update import optimizer_update

TRAINED_BY = ("epochs", "steps")  # tgg train: the run's length is counted in epochs or steps


@dataclass
class LogregConfig:
    """Every default of ``tgg train logreg`` (its options are generated from these fields)."""
    lr: float = option(0.1, type=positive_float)
    momentum: float = option(0.9, type=float)
    batch_size: int = option(64, type=positive_int)
    checkpoint_every: int = option(0, type=nonnegative_int, help="also checkpoint every N steps (0: per epoch)")
    data: Optional[str] = option(None, type=str, help="a folder of MNIST IDX files (default: scikit-learn's digits)")
    epochs: int = 10


def add_arguments(parser):
    """The model's options of ``tgg train`` (and their defaults), from ``LogregConfig``."""
    add_config_arguments(parser, LogregConfig)


def load_data(path):
    """The digits scikit-learn ships, or MNIST from IDX files at ``path``."""
    return data.digits() if path is None else data.mnist(path)


def cross_entropy(logits, y):
    """-mean log softmax(logits)[i, y_i], written out: the loss of softmax regression."""
    return -logits.log_softmax(axis=1)[np.arange(len(y)), y].mean()


def step_losses(model, x, y, update):
    """One step on the batch (``x``, labels ``y``): the cross-entropy goes to ``update("sgd", loss)``. Returns
    {"loss": loss}; ``train`` and ``graph_step`` both run this."""
    loss = cross_entropy(model(x), y)
    update("sgd", loss)
    return {"loss": loss}


def graph_step(batch=16):
    """The default model's loss on ``batch`` digits, for ``tgg graph``: ({"loss": cross-entropy}, the model)."""
    x, y = data.digits()[:2]
    model = nn.Linear(x.shape[1], 10)
    return step_losses(model, tg.tensor(x[:batch]), y[:batch], lambda name, loss: None), model


def evaluate(model, x, y):
    """(loss, accuracy) on a whole split, without building a graph."""
    with tg.no_grad():
        logits = model(tg.tensor(x, device=model.device))
        loss = cross_entropy(logits, y).item()
        acc = float((logits.argmax(axis=1).numpy() == y).mean())
    return loss, acc


def train(args, run):
    """Train with ``args`` and write the metrics, checkpoint and figures into ``run``."""
    x_train, y_train, x_test, y_test = load_data(args.data)
    model = nn.Linear(x_train.shape[1], 10).to(run.device)
    opt = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    loader = data.DataLoader(x_train, y_train, batch_size=args.batch_size)
    total = args.steps if args.steps is not None else args.epochs * len(loader)
    parts = dict(modules={"model": model}, optimizers={"sgd": opt}, loaders={"train": loader})

    state = run.restore(**parts) or {"step": 0, "loss_sum": 0.0, "batches": 0}
    step, loss_sum, batches = state["step"], state["loss_sum"], state["batches"]
    dp = run.data_parallel  # data-parallel (tgg train --ranks N): rank 0's weights, a shard of every batch
    dp.broadcast(model)
    bar = run.progress(total, desc="logreg", initial=step)
    update = optimizer_update({"sgd": opt}, before_step=dp.average_gradients)
    stream = loader.batches()
    while step < total:
        xb, yb = dp.shard(next(stream))
        loss = step_losses(model, tg.tensor(xb, device=run.device), yb, update)["loss"]
        step, loss_sum, batches = step + 1, loss_sum + loss.item(), batches + 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.4f}")
        epoch_done = step % len(loader) == 0
        if epoch_done:
            test_loss, test_acc = evaluate(model, x_test, y_test)
            run.log(step=step, epoch=step // len(loader), train_loss=loss_sum / batches, test_loss=test_loss,
                    test_acc=test_acc)
            loss_sum, batches = 0.0, 0
        if epoch_done or step == total or (args.checkpoint_every and step % args.checkpoint_every == 0):
            run.save_checkpoint(**parts, extra={"step": step, "loss_sum": loss_sum, "batches": batches})

    train_loss, train_acc = evaluate(model, x_train, y_train)
    test_loss, test_acc = evaluate(model, x_test, y_test)
    run.savefig(weights_figure(model), "weights.png")
    run.finish({"train_loss": train_loss, "train_acc": train_acc, "test_loss": test_loss, "test_acc": test_acc,
                "steps": step})
    return model


def weights_figure(model):
    """Each class's weight vector drawn as an image: the template the class's score matches the input against."""
    import matplotlib.pyplot as plt
    w = model.weight.numpy()
    side = int(round(np.sqrt(w.shape[1])))
    fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
    for k, ax in enumerate(axes):
        ax.imshow(w[k].reshape(side, side), cmap="RdBu_r", vmin=-abs(w).max(), vmax=abs(w).max())
        ax.set_title(str(k))
        ax.axis("off")
    return fig


def sample(args):
    """``tgg sample logreg``: a discriminative model has nothing to sample, so this shows its predictions on the
    first ``--n`` test digits (``predictions.png``) and prints the test accuracy."""
    import matplotlib.pyplot as plt
    _, _, x_test, y_test = load_data(load_config(args.ckpt).data)
    _, parts = load_run(args.ckpt, lambda config: {"model": nn.Linear(x_test.shape[1], 10)}, args.model, args.device)
    model = parts["model"]
    _, acc = evaluate(model, x_test, y_test)
    n = min(args.n, len(x_test))
    with tg.no_grad():
        pred = model(tg.tensor(x_test[:n], device=args.device)).argmax(axis=1).numpy()
    side = int(round(np.sqrt(x_test.shape[1])))
    cols = 8
    fig, axes = plt.subplots((n + cols - 1) // cols, cols, figsize=(cols, 1.1 * ((n + cols - 1) // cols)),
                             squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(x_test[i].reshape(side, side), cmap="gray_r")
            ax.set_title(f"{pred[i]}", color="k" if pred[i] == y_test[i] else "r", fontsize=9)
    fig.savefig(f"{args.out}/predictions.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"test accuracy {acc:.4f}; predictions of the first {n} test digits drawn")
    return acc
