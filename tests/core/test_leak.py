"""Training frees its graphs by reference counting alone: with the cycle collector off, 200 steps of an MLP leave
no graph node alive and the memory in use flat."""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F
from tinygrad_gen import nn, optim
from tinygrad_gen.autograd import Context

from graph_helpers import graph_nodes

STEPS = 200


@pytest.fixture
def no_cycle_collector():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def train(steps, on_step):
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((32, 8)).astype(np.float32))
    y = tg.tensor(rng.integers(0, 3, 32))
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.LayerNorm(16), nn.Dropout(0.1), nn.Linear(16, 3))
    opt = optim.AdamW(model.parameters(), lr=1e-2)
    for step in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        refs = [weakref.ref(n) for n in graph_nodes(loss)]
        loss.backward()
        optim.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        del loss
        on_step(step, refs)


def test_no_graph_node_outlives_its_training_step(no_cycle_collector):
    alive = []
    counts = []

    def check(step, refs):
        counts.append(len(refs))
        alive.extend(step for r in refs if r() is not None)

    train(STEPS, check)
    assert min(counts) > 5  # the graph really was built every step
    assert alive == []
    assert not any(type(o) is Context for o in gc.get_objects())


def test_memory_stays_flat_over_200_steps(no_cycle_collector):
    samples, unreachable = {}, []

    def measure(step, refs):
        if step in (50, STEPS - 1):
            # an explicit collection finds no cycles (refcounting freed everything) and empties CPython's free
            # lists of tuples and floats, which would otherwise fill up slowly and look like growth (NumPy's
            # small-buffer cache still fills a little: a few KB)
            unreachable.append(gc.collect())
            samples[step] = tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        train(STEPS, measure)
    finally:
        tracemalloc.stop()
    assert unreachable == [0, 0]
    growth = samples[STEPS - 1] - samples[50]
    assert growth < 32 * 1024, f"memory grew by {growth} bytes over {STEPS - 51} steps"
