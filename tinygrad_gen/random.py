"""One NumPy ``Generator`` behind every random op, so ``tg.manual_seed(s)`` makes a run repeatable.
Random numbers are drawn on the CPU and moved, so CPU and CUDA runs with one seed see the same numbers."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the engine's generator (like torch.manual_seed)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator():
    return _generator


def get_state():
    return _generator.bit_generator.state


def set_state(state):
    _generator.bit_generator.state = state
