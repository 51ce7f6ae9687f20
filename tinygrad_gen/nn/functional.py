"""``F``: the stateless functions of neural networks, PyTorch-style (``import tinygrad_gen.nn.functional as F``).

Each function lives in its op family, ``tinygrad_gen/ops/<family>.py``, beside the ``Function`` whose forward and
backward it applies: activations (relu, gelu, ...), softmax (softmax, masked_softmax), losses (cross_entropy,
mse_loss, ...), linalg (linear), conv, pooling, resampling (pad, interpolate), normalization (layer_norm,
batch_norm), dropout, indexing (embedding), attention (scaled_dot_product_attention) and gaussian (reparameterize,
gaussian_kl). This module is their namespace, filled from the families' binding tables; ``tgg ops`` lists them.
Losses take ``reduction="mean" | "sum" | "none"``.
"""
from .. import binding as _binding
from .. import ops as _ops

_FUNCTIONS = _binding.functionals(_ops.FAMILIES)
globals().update(_FUNCTIONS)
__all__ = sorted(_FUNCTIONS)
