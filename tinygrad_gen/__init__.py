"""tinygrad_gen: a small reverse-mode autodiff engine on NumPy (and CuPy), with the generative models of a
deep-learning course built on it: GAN, DCGAN, CycleGAN, autoencoder, VAE, BERT and GPT."""
import numpy as _np

from .tensor import Tensor, tensor, zeros, ones, full, randn, rand, arange, eye, zeros_like, ones_like
from .tensor_methods import cat, stack, where  # also gives Tensor its math methods (see tensor_methods.py)
from . import tensor_extra as _extra
from .tensor_extra import einsum, full_like, empty, empty_like  # noqa: F401
from .autograd import Function, grad, no_grad, enable_grad, set_grad_enabled, is_grad_enabled, detect_anomaly
from .random import manual_seed
from .gradcheck import gradcheck, gradgradcheck, GradcheckError

globals().update(_extra.FUNCTIONS)  # tg.sort, tg.cumsum, tg.gather, ... (PyTorch's torch.<name>(x, ...) forms)

from . import binding as _binding, ops_new as _ops  # noqa: E402
_binding.attach(_ops.FAMILIES)
globals().update(_binding.functions(_ops.FAMILIES))

float32 = _np.float32
float64 = _np.float64
int64 = _np.int64
float16, int8, int16, int32, uint8, bool = _np.float16, _np.int8, _np.int16, _np.int32, _np.uint8, _np.bool_

__version__ = "0.1.0"


def __getattr__(name):
    # nn, optim, data, io and viz import lazily so `import tinygrad_gen` stays light
    import importlib
    if name in ("nn", "optim", "data", "io", "viz"):
        return importlib.import_module(f".{name}", __name__)
    if name in ("draw", "trace_backward"):
        return getattr(importlib.import_module(".viz", __name__), name)
    if name in ("save", "load"):
        return getattr(importlib.import_module(".io", __name__), name)
    raise AttributeError(f"module 'tinygrad_gen' has no attribute {name!r}")
