"""tinygrad_gen: a small reverse-mode autodiff engine on NumPy (and CuPy), with the generative models of a
deep-learning course built on it: GAN, DCGAN, CycleGAN, autoencoder, VAE, BERT and GPT.

The ``tg.*`` functions and the Tensor methods come from the op families in ``ops/`` (``tgg ops`` lists them),
attached once by ``binding.py``."""
import os as _os

import numpy as _np

# kernels/, models/ and benchmarks/ are top-level folders of the repo that setup.py installs inside this package (as
# tinygrad_gen.kernels, .models, .benchmarks). When this package is imported from a source checkout (the repo root
# on sys.path shadows an installed copy, or an editable install), they are found beside it: the checkout's root is
# searched for submodules after this folder, as pkgutil.extend_path does for split packages. An installed copy has
# the folders inside it and is left as it is. First, before the ops: registering the fast paths looks for kernels/.
_CHECKOUT = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if (not _os.path.isdir(_os.path.join(__path__[0], "models"))
        and _os.path.isfile(_os.path.join(_CHECKOUT, "setup.py"))
        and _os.path.isfile(_os.path.join(_CHECKOUT, "models", "__init__.py"))):
    __path__.append(_CHECKOUT)

from . import autograd as _autograd
from . import binding as _binding
from . import ops as _ops
from . import linalg
from .autograd import Function, detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .devices import accelerator, backends, cuda, device
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .tensor import (Tensor, arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones,
                     ones_like, rand, rand_like, randint, randn, randn_like, tensor, zeros, zeros_like)

# x.sum(), x.exp(), x[i], x + y, ...: every Tensor method of the op families' tables, and x.backward()
_binding.attach((_autograd,) + _ops.FAMILIES)
globals().update(_binding.functions(_ops.FAMILIES))  # tg.sum, tg.cat, tg.where, ...: PyTorch's torch.<name> forms

float32 = _np.float32
float64 = _np.float64
int64 = _np.int64
float16, int8, int16, int32, uint8, bool = _np.float16, _np.int8, _np.int16, _np.int32, _np.uint8, _np.bool_
# PyTorch's other names for them (these shadow Python's builtins inside this module, so they come last)
long, int, float, double, half, short = _np.int64, _np.int32, _np.float32, _np.float64, _np.float16, _np.int16

__version__ = "0.1.0"


def __getattr__(name):
    # nn, optim, data, io, viz and utils import lazily so `import tinygrad_gen` stays light
    import importlib
    if name in ("nn", "optim", "data", "io", "viz", "utils"):
        return importlib.import_module(f".{name}", __name__)
    if name in ("draw", "trace_backward", "step_through"):
        return getattr(importlib.import_module(".viz", __name__), name)
    if name in ("save", "load"):
        return getattr(importlib.import_module(".io", __name__), name)
    if name == "bfloat16":
        raise AttributeError("tinygrad_gen has no bfloat16: NumPy has no such dtype; use tg.float16 or tg.float32")
    raise AttributeError(f"module 'tinygrad_gen' has no attribute {name!r}")
