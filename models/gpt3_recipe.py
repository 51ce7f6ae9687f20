"""The GPT-3 training recipe of the lecture, shared by GPT and BERT (and any model size trained the same way):

- AdamW with betas (0.9, 0.95) and weight decay 0.1 on the matrices only;
- the gradient's global norm clipped at 1.0;
- the learning rate warmed up linearly, then decayed by a half cosine to a tenth of its peak.

    optimizer, scheduler = make_optimizer(model, lr=1e-3, steps=2000, warmup=100)
    scores, elapsed = train_steps(run, model, optimizer, scheduler, loader, loss_fn, steps=2000, evaluate=...)

``train_steps`` is the step-based loop both language models use; each model still writes out its own loss
(``loss_fn``) and its own evaluation.
"""
import time

from tinygrad_gen import optim


def adamw(model, lr, weight_decay=0.1, betas=(0.9, 0.95)):
    """AdamW with decoupled weight decay on the matrices (linear and embedding weights) only; biases and
    LayerNorm gains are not decayed, since shrinking them toward 0 does not regularise anything useful."""
    params = list(model.parameters())
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    return optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                        {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=betas)


def warmup_cosine(optimizer, warmup, total, min_ratio=0.1):
    """The GPT-3 schedule: linear warm-up to the peak rate over ``warmup`` steps, then a half cosine down to
    ``min_ratio`` of it at step ``total``: lr(t) = peak (t + 1) / warmup for t < warmup, else
    peak (min_ratio + (1 - min_ratio) (1 + cos(pi (t - warmup) / (total - warmup))) / 2).
    A run shorter than the warm-up warms up over the whole run."""
    return optim.lr_scheduler.WarmupCosineLR(optimizer, min(warmup, total), total, min_ratio)


def make_optimizer(model, lr, steps, warmup, weight_decay=0.1, min_lr_ratio=0.1):
    """(optimizer, scheduler) of the recipe for ``steps`` optimizer steps at peak rate ``lr``."""
    optimizer = adamw(model, lr, weight_decay)
    return optimizer, warmup_cosine(optimizer, warmup, steps, min_lr_ratio)


def update(model, optimizer, scheduler, loss, clip=1.0, data_parallel=None):
    """One step of the recipe: gradients of ``loss`` (averaged over the ranks of ``data_parallel``, if given),
    their global norm clipped at ``clip``, an AdamW step, the next learning rate."""
    optimizer.zero_grad()
    loss.backward()
    if data_parallel is not None:
        data_parallel.average_gradients(model.parameters())  # before clipping: it sees one process's gradient
    optim.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    scheduler.step()


def train_steps(run, model, optimizer, scheduler, loader, loss_fn, steps, evaluate, eval_every=250,
                checkpoint_every=250, clip=1.0, log_every=10):
    """Train for ``steps`` recipe steps on ``loader``'s endless batches, resuming from ``run``'s checkpoint.

    ``loss_fn(model, batch)`` gives (the loss to minimise, {name: float} to log); ``evaluate(model)`` gives
    {name: float}, logged every ``eval_every`` steps and at the end. Every ``log_every`` steps a row of the losses
    and the learning rate the step used goes to ``metrics.csv``; a checkpoint (model, optimizer, schedule, loader)
    every ``checkpoint_every`` steps and at the end. Returns (the last evaluation, seconds spent in steps)."""
    parts = {"modules": {"model": model}, "optimizers": {"optimizer": optimizer},
             "schedulers": {"lr": scheduler}, "loaders": {"train": loader}}
    state = run.restore(**parts) or {"step": 0, "elapsed": 0.0}
    dp = run.data_parallel  # data-parallel (tgg train --ranks N): rank 0's weights, a shard of every batch
    dp.broadcast(model)
    step, elapsed, scores = state["step"], state["elapsed"], None
    bar = run.progress(steps, initial=step)
    batches = loader.batches()
    while step < steps:
        lr = optimizer.param_groups[0]["lr"]
        t0 = time.perf_counter()
        loss, row = loss_fn(model, dp.shard(next(batches)))
        update(model, optimizer, scheduler, loss, clip, dp)
        elapsed += time.perf_counter() - t0
        step += 1
        bar.update(1)
        bar.set_postfix({k: f"{v:.3f}" for k, v in row.items()})
        row["lr"] = lr
        evaluated = step % eval_every == 0 or step == steps
        if evaluated:
            scores = evaluate(model)
            row.update(scores)
        if step % log_every == 0 or evaluated:
            run.log(step=step, **row)
        if step % checkpoint_every == 0 or step == steps:
            run.save_checkpoint(**parts, extra={"step": step, "elapsed": elapsed})
    return (scores if scores is not None else evaluate(model)), elapsed   # or: resumed after the last step
