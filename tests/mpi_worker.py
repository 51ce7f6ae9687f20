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
    z = nn.functional.reparameterize(mu, tg.zeros(4, 3))
    with tg.no_grad():
        z_eval = nn.functional.reparameterize(tg.zeros(4, 3), tg.zeros(4, 3))
    np.savez(f"{out}.rank{dist.rank()}.npz", z=z.numpy(), z_eval=z_eval.numpy())


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
    dist.attach(loaders=[batches])
    seen = list(batches)
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
    dist.attach([model], [loader])
    batches = loader.batches()
    for _ in range(20):
        if name == "gpt":
            x, y = next(batches)
            _, loss = model(tg.tensor(x), tg.tensor(y))
            gpt3_recipe.update(model, optimizer, scheduler, loss)
        else:
            loss = model(tg.tensor(next(batches), dtype=tg.float64))[0]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    if dist.is_main():
        np.savez(f"{out}.rank0.npz", **{k: p.numpy() for k, p in model.named_parameters()})


if __name__ == "__main__":
    dist.init()
    globals()[sys.argv[1]](sys.argv[2])
