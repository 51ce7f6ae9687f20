"""Programs that ``tests/library/test_distributed.py`` runs under ``mpiexec -n 2``:
``python tests/mpi_worker.py NAME OUT``. Each rank writes what it saw to ``OUT.rank<r>.npz`` for the test to check."""
import sys

import numpy as np

import tinygrad_gen as tg
from tinygrad_gen import distributed as dist, nn


def all_reduce(out):
    """Gradients 1..n times (rank + 1) in float64 and float32, one parameter without a gradient."""
    r = dist.rank()
    a = tg.tensor(np.arange(6.0).reshape(2, 3), dtype=tg.float64, requires_grad=True)
    b = tg.tensor(np.ones(4), dtype=tg.float32, requires_grad=True)
    c = tg.tensor(np.ones(2), requires_grad=True)
    a.grad = tg.tensor(np.arange(6.0).reshape(2, 3) * (r + 1), dtype=tg.float64)
    b.grad = tg.tensor(np.full(4, 10.0 * (r + 1)), dtype=tg.float32)
    dist.all_reduce_gradients([a, b, c])
    np.savez(f"{out}.rank{r}.npz", a=a.grad.numpy(), b=b.grad.numpy(), c_is_none=c.grad is None,
             a_dtype=str(a.grad.dtype), b_dtype=str(b.grad.dtype))


def broadcast(out):
    """Each rank builds a differently seeded layer; after the broadcast all hold rank 0's."""
    tg.manual_seed(dist.rank())
    layer = nn.Linear(3, 2)
    dist.broadcast_parameters(layer)
    np.savez(f"{out}.rank{dist.rank()}.npz", w=layer.weight.numpy(), b=layer.bias.numpy())


def noise(out):
    """Per-example noise of a shard of 4 rows, drawn while building a graph, and noise drawn under no_grad."""
    tg.manual_seed(7)
    mu = tg.zeros(4, 3, requires_grad=True)
    with dist.DataParallel():
        z = nn.functional.reparameterize(mu, tg.zeros(4, 3))
        with tg.no_grad():
            z_eval = nn.functional.reparameterize(tg.zeros(4, 3), tg.zeros(4, 3))
    z_after = nn.functional.reparameterize(mu, tg.zeros(4, 3))  # the job's block has ended: this rank's own draw
    np.savez(f"{out}.rank{dist.rank()}.npz", z=z.numpy(), z_eval=z_eval.numpy(), z_after=z_after.numpy())


def batch_norm(out):
    """BatchNorm1d on this rank's shard: its running statistics are the shard's own (local, not synchronised)."""
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    part = x[dist.shard(8)]
    bn = nn.BatchNorm1d(3)
    bn(tg.tensor(part))
    np.savez(f"{out}.rank{dist.rank()}.npz", running_mean=bn.running_mean.numpy(), part=part)


class NoisyPairs:
    """A dataset that draws randomness for each batch (like BERT's masking) and gives a dict of arrays."""

    def __len__(self):
        return 12

    def __getitem__(self, ks):
        noise = tg.random.generator().random(len(ks))
        return {"k": np.asarray(ks), "noise": noise}


def loader(out):
    """Two batches of 6 from a sharded DataLoader over NoisyPairs."""
    from tinygrad_gen import data
    tg.manual_seed(3)
    batches = data.DataLoader(NoisyPairs(), batch_size=6, seed=5)
    dp = dist.DataParallel()
    seen = [dp.shard(batch) for batch in batches]
    np.savez(f"{out}.rank{dist.rank()}.npz", k=np.stack([b["k"] for b in seen]),
             noise=np.stack([b["noise"] for b in seen]))


def nccl(out):
    """all_reduce_gradients on CuPy gradients (NCCL), both ranks on the first GPU."""
    r = dist.rank()
    p = tg.tensor(np.ones(5), dtype=tg.float32, requires_grad=True, device="cuda")
    p.grad = tg.tensor(np.arange(5.0) * (r + 1), dtype=tg.float32, device="cuda")
    dist.all_reduce_gradients([p])
    np.savez(f"{out}.rank{r}.npz", g=p.grad.numpy(), device=p.grad.device)


def fail(out):
    """Rank 1 raises after both ranks joined; rank 0 waits in an all-reduce that rank 1 never reaches."""
    if dist.rank() == 1:
        raise RuntimeError("deliberate failure for the test")
    p = tg.tensor(np.ones(3), requires_grad=True)
    p.grad = tg.tensor(np.ones(3))
    dist.all_reduce_gradients([p])


def killed(out):
    """Rank 1 kills itself with SIGKILL; rank 0 waits in an all-reduce."""
    import os
    import signal
    if dist.rank() == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    p = tg.tensor(np.ones(3), requires_grad=True)
    p.grad = tg.tensor(np.ones(3))
    dist.all_reduce_gradients([p])


def config(out):
    """Each rank checks the options it was given (sys.argv[3]) against rank 0's."""
    dist.check_same_config({"width": sys.argv[3]})
    np.savez(f"{out}.rank{dist.rank()}.npz", ok=True)


def train64(out):
    """20 float64 steps of a tiny GPT (AdamW, clipping: the GPT-3 recipe) or VAE (Adam) on a sharded DataLoader;
    rank 0 saves the parameters. Run with -n 1 and -n 2 and compare."""
    from tinygrad_gen import data, optim
    from tinygrad_gen.models import gpt, gpt3_recipe, vae
    name = sys.argv[3]
    tg.manual_seed(0)
    if name == "gpt":
        vocab, train_ids, _ = gpt.encode_corpus()
        model = gpt.GPT(gpt.GPTConfig(len(vocab), context=16, layers=1, width=32, heads=2))
        loader = data.DataLoader(data.TextWindows(train_ids, 16), batch_size=8, seed=1)
        optimizer, scheduler = gpt3_recipe.make_optimizer(model, lr=1e-3, steps=20, warmup=5)
    else:
        x_train = data.digits()[0].astype(np.float64)
        model = vae.VAE(latent=4, hidden=32)
        loader = data.DataLoader(x_train, batch_size=20, seed=1)
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for p in model.parameters():
        p._data = p._data.astype(np.float64)
    with dist.DataParallel() as dp:
        dp.broadcast(model)
        batches = map(dp.shard, loader.batches())
        for _ in range(20):
            if name == "gpt":
                x, y = next(batches)
                _, loss = model(tg.tensor(x), tg.tensor(y))
                gpt3_recipe.update(model, optimizer, scheduler, loss, data_parallel=dp)
            else:
                loss = model(tg.tensor(next(batches), dtype=tg.float64))[0]
                optimizer.zero_grad()
                loss.backward()
                dp.average_gradients(model.parameters())
                optimizer.step()
    if dist.is_main():
        np.savez(f"{out}.rank0.npz", **{k: p.numpy() for k, p in model.named_parameters()})


def two_sizes(out):
    """Two GPT sizes trained one after the other in this process through ``Run`` and the GPT-3 recipe's loop
    (as ``tgg train icl`` and ``scaling`` do), in float64; rank 0 saves each size's parameters. Run with -n 1
    and -n 2 and compare each size."""
    from pathlib import Path

    from tinygrad_gen import data
    from tinygrad_gen.models import gpt, gpt3_recipe
    from tinygrad_gen.run import Run
    vocab, train_ids, val_ids = gpt.encode_corpus()
    saved = {}
    with dist.DataParallel() as dp:
        run = Run(Path(f"{out}.rank{dp.rank}"), {"model": "sweep"}, data_parallel=dp)
        for name, (layers, width) in {"small": (1, 16), "large": (2, 32)}.items():
            tg.manual_seed(dp.rank)  # different initial weights on each rank until the broadcast
            model = gpt.GPT(gpt.GPTConfig(len(vocab), context=16, layers=layers, width=width, heads=2))
            for p in model.parameters():
                p._data = p._data.astype(np.float64)
            tg.manual_seed(0)
            loader = data.DataLoader(data.TextWindows(train_ids, 16), batch_size=8, seed=1)
            optimizer, scheduler = gpt3_recipe.make_optimizer(model, lr=1e-3, steps=10, warmup=3)
            gpt3_recipe.train_steps(run.child(name, {"model": "sweep"}), model, optimizer, scheduler, loader,
                                    gpt.next_character_loss, 10, evaluate=lambda m: {}, eval_every=10,
                                    checkpoint_every=10)
            saved.update({f"{name}/{k}": p.numpy() for k, p in model.named_parameters()})
    if dp.is_main:
        np.savez(f"{out}.rank0.npz", **saved)


def gan64(out):
    """6 float64 steps of a GAN through the model's own train step on a sharded loader: dcgan (BatchNorm with the
    whole batch's statistics), gan2d (R1 penalty, packs of 2), cyclegan (image pools of the whole batch) or gan1d.
    Each rank starts from other weights until the broadcast; rank 0 saves the parameters and buffers. Run with -n 1
    and -n 2 and compare."""
    import argparse
    import dataclasses

    from tinygrad_gen import data
    from tinygrad_gen.models import cyclegan, dcgan, gan1d, gan2d
    from tinygrad_gen.models.image_pool import ImagePool
    from tinygrad_gen.models.step_update import optimizer_update
    name = sys.argv[3]
    with dist.DataParallel() as dp:
        tg.manual_seed(dp.rank)  # different initial weights on each rank until the broadcast
        if name == "dcgan":
            config = dcgan.DCGANConfig(batch=16, g_width=8, d_width=8, z_dim=4)
            nets = dict(zip("GD", dcgan.make_models(config, data_parallel=dp)))
            x = dcgan.to_images(data.digits()[0])
        elif name == "gan2d":
            config = argparse.Namespace(**dataclasses.asdict(gan2d.GAN2DConfig(batch=16, pack=2, hidden=16)), steps=6)
            nets = dict(zip("GD", gan2d.make_models(config)))
            x = gan2d.DATASETS["ring"]().sample(1000, np.random.default_rng(0))
        elif name == "cyclegan":
            config = cyclegan.CycleGANConfig(batch=8)
            nets = cyclegan.make_models(config)
            x = cyclegan.to_images(data.digits()[0])
            pools = {"A": ImagePool(6), "B": ImagePool(6)}  # full after one step: the later steps swap images
        else:
            config = argparse.Namespace(batch=gan1d.BATCH)
            nets = dict(zip("GD", gan1d.build(1e-3, "cpu")[:2]))
            x = data.mixture_1d().sample(1000, np.random.default_rng(0))
        nets = {k: m.double() for k, m in nets.items()}
        optimizers = (cyclegan.make_optimizers(nets, config) if name == "cyclegan" else
                      {k: tg.optim.Adam(m.parameters(), lr=1e-3, betas=(0.5, 0.999)) for k, m in nets.items()})
        dp.broadcast(*nets.values())
        tg.manual_seed(0)
        update = optimizer_update(optimizers, before_step=dp.average_gradients)
        batches = data.DataLoader(x.astype(np.float64), batch_size=config.batch, drop_last=True, seed=1,
                                  device="cpu").batches()
        for step in range(6):
            if name == "dcgan":
                dcgan.train_step(nets["G"], nets["D"], next(batches), update, dp)
            elif name == "gan2d":
                gan2d.set_lr(step, config, *optimizers.values())
                gan2d.train_step(*nets.values(), *optimizers.values(), next(batches), config, step, dp)
            elif name == "cyclegan":
                cyclegan.train_step(nets, next(batches), next(batches), config, pools, update, dp)
            else:
                gan1d.d_step(nets["G"], nets["D"], optimizers["D"], next(batches), dp)
                gan1d.g_step(nets["G"], nets["D"], optimizers["G"], "ns", dp, dtype=tg.float64)
    if dp.is_main:
        np.savez(f"{out}.rank0.npz", before_batch_norm=_before_batch_norm(nets),
                 **{f"{n}.{k}": v.numpy() for n, m in nets.items() for k, v in m.state_dict().items()})


def _before_batch_norm(nets):
    """The biases of layers that feed a BatchNorm, and the running means that track them: d loss / d bias is 0
    (the BatchNorm subtracts the batch mean), so Adam's steps there are rounding noise divided by its own size."""
    keys = []
    for n, m in nets.items():
        for name, module in m.named_modules():
            children = list(module.named_children())
            for (a, first), (b, second) in zip(children, children[1:]):
                if isinstance(second, nn.BatchNorm2d) and getattr(first, "bias", None) is not None:
                    prefix = f"{n}.{name}." if name else f"{n}."
                    keys += [f"{prefix}{a}.bias", f"{prefix}{b}.running_mean"]
    return np.array(keys)


if __name__ == "__main__":
    dist.init()
    globals()[sys.argv[1]](sys.argv[2])
