"""End-to-end checks: where a part ends in a model, the model is trained briefly on the student's code and must
reach the engine's own result, and a kernel task's kernel must compute the matrix product at ragged sizes.

Both sides run the same seeded recipe, so with a right answer they agree to rounding; the margins below are what a
wrong answer cannot meet (a VAE whose gradient lacks the reparameterization's 1/2 ends a few tenths of a nat away).
"""
import importlib

import numpy as np

import tinygrad_gen as tg

VAE_MARGIN = 0.05  # nats per image: the test ELBO of the brief run
GPT_MARGIN = 0.01  # nats per character: the last training loss


def _mod(name: str):
    return importlib.import_module(name)


def vae_elbo(seed: int) -> float:
    """A small VAE (latent 4, hidden 32) trained 4 epochs on 400 digits; its ELBO on 200 test digits."""
    from tinygrad_gen import data, optim
    vae = _mod("tinygrad_gen.models.vae")
    x_train, _, x_test, _ = data.digits()
    tg.manual_seed(seed)
    model = vae.VAE(4, 32)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    loader = data.DataLoader(x_train[:400], batch_size=50, seed=seed)
    for _ in range(4):
        for x in loader:
            loss = model(x)[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
    tg.manual_seed(seed + 1)
    with tg.no_grad():
        return -float(model(tg.tensor(x_test[:200]))[0].item())


def gpt_loss(seed: int) -> float:
    """A one-layer GPT (width 16, 2 heads, context 16) trained 15 Adam steps on the embedded text; the last loss."""
    from tinygrad_gen import optim
    gpt = _mod("tinygrad_gen.models.gpt")
    vocab, train_ids, _ = gpt.encode_corpus()
    tg.manual_seed(seed)
    model = gpt.GPT(gpt.GPTConfig(len(vocab), 16, 1, 16, 2, 0.0))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(seed)
    loss = None
    for _ in range(15):
        starts = rng.integers(0, len(train_ids) - 17, size=8)
        x = np.stack([train_ids[s:s + 16] for s in starts])
        y = np.stack([train_ids[s + 1:s + 17] for s in starts])
        _, loss = model(tg.tensor(x), tg.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(loss.item())


MODELS = {"vae": (vae_elbo, VAE_MARGIN, "test ELBO (nats per image) of a VAE trained 4 epochs"),
          "gpt": (gpt_loss, GPT_MARGIN, "training loss (nats per character) of a GPT after 15 steps")}


def kernel_cases(seed: int) -> list:
    """Ragged (M, K, N) sizes for a matmul kernel, drawn from ``seed``, plus one of exact tiles."""
    rng = np.random.default_rng(seed)
    return [(16, 16, 16)] + [tuple(int(v) for v in rng.integers(1, 40, size=3)) for _ in range(3)]


def kernel_inputs(m: int, k: int, n: int, seed: int) -> tuple:
    """Float32 A (m, k) and B (k, n) from ``seed``."""
    rng = np.random.default_rng(seed + m * 7 + k * 11 + n * 13)
    return rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)


def softmax_inputs(seed: int) -> list:
    """Score rows for a softmax kernel: float32 and float64, one row of one, ragged widths, large values."""
    rng = np.random.default_rng(seed)
    shapes = [(1, 1), (3, 7)] + [tuple(int(v) for v in rng.integers(1, 50, size=2)) for _ in range(2)]
    out = [(rng.standard_normal(s) * 4).astype(dt) for s in shapes for dt in (np.float32, np.float64)]
    out.append(np.array([[1e4, 1e4 - 1.0, -1e4]], np.float32))  # exp(1e4) overflows: the max must be subtracted
    return out


def kernel_problems(task, seed: int) -> list:
    """(description, inputs, expected float64 result) of each case a kernel task is graded on."""
    if task.kernel in ("sgemm", "cpu_sgemm"):
        out = []
        for m, k, n in kernel_cases(seed):
            a, b = kernel_inputs(m, k, n, seed)
            out.append((f"C = A @ B with A {m}x{k}, B {k}x{n} (standard normal, seed {seed})", (a, b),
                        a.astype(np.float64) @ b))
        return out
    out = []
    for x in softmax_inputs(seed):
        e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
        out.append((f"softmax of {x.dtype} rows {x.shape} (x = {np.array2string(x, precision=3, threshold=8)})",
                    (x,), e / e.sum(axis=1, keepdims=True)))
    return out


def kernel_result(task, inputs) -> np.ndarray:
    """The (installed) kernel of ``task`` run on ``inputs``, through the engine module's entry point."""
    module = _mod(task.module)
    if task.kernel in ("sgemm", "cpu_sgemm"):
        return np.asarray(module.matmul(*inputs))
    x, = inputs
    y = np.empty_like(x)
    module.softmax_rows(x, y)
    return y
