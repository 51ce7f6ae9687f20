"""The VAE's Gaussian ops (lecture: "the reparameterization trick" and "the ELBO"): a differentiable sample from
q(z | x) = N(mu, diag exp(logvar)), and its KL divergence to the prior N(0, I) in closed form."""
from __future__ import annotations

import numpy as np

from ..errors import ArgumentError
from ..autograd import Function
from ..backend import to_device
from ..random import generator, per_example
from ..tensor import Tensor
from ..binding import bind
from .case import OpCase, normal
from .checks import as_tensor, broadcast_shape, optional_tensor, reduce_loss


class Reparameterize(Function):
    """z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) drawn outside: the sample is a differentiable function of
    (mu, logvar), so gradients reach the encoder (the reparameterisation trick).

    backward, with std = exp(logvar / 2) and d std / d logvar = std / 2:
    dmu = g,  dlogvar = g * eps * std / 2,  deps = g * std."""
    @staticmethod
    def forward(ctx, mu, logvar, eps):
        ctx.save_for_backward(logvar, eps)
        return mu + np.exp(logvar * 0.5) * eps

    @staticmethod
    def backward(ctx, g):
        logvar, eps = ctx.saved_tensors
        need_mu, need_logvar, need_eps = ctx.needs_input_grad
        std = (logvar * 0.5).exp()
        return (g if need_mu else None), (g * eps * std * 0.5 if need_logvar else None), (g * std if need_eps else None)


class GaussianKL(Function):
    """kl = 1/2 sum_j (exp(logvar_j) + mu_j^2 - 1 - logvar_j) over the last axis
    = KL(N(mu, diag exp(logvar)) || N(0, I)) in closed form.

    backward (g broadcast over the summed axis): d kl / d mu_j = mu_j, d kl / d logvar_j = (exp(logvar_j) - 1) / 2,
    so dmu = g * mu and dlogvar = g * (exp(logvar) - 1) / 2."""
    @staticmethod
    def forward(ctx, mu, logvar):
        ctx.save_for_backward(mu, logvar)
        return 0.5 * (np.exp(logvar) + mu * mu - 1 - logvar).sum(axis=-1)

    @staticmethod
    def backward(ctx, g):
        mu, logvar = ctx.saved_tensors
        need_mu, need_logvar = ctx.needs_input_grad
        g = g.unsqueeze(-1)
        return (g * mu if need_mu else None), (g * (logvar.exp() - 1) * 0.5 if need_logvar else None)


def reparameterize(mu: Tensor, logvar: Tensor, eps: Tensor | None = None) -> Tensor:
    """A sample z = mu + exp(logvar / 2) * eps of N(mu, diag exp(logvar)), differentiable in mu and logvar.

    Args:
        mu, logvar: the encoder's mean and log-variance (broadcastable).
        eps: the N(0, I) noise; drawn from the engine's generator (``tg.manual_seed``) when not given.
    No PyTorch function has this name: PyTorch code writes ``mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)``.
    """
    mu, logvar = as_tensor(mu), as_tensor(logvar)
    eps = optional_tensor(eps, mu)
    shape = broadcast_shape(mu.shape, logvar.shape, *(() if eps is None else (eps.shape,)))
    if shape is None:
        raise ArgumentError(f"reparameterize: mu {mu.shape}, logvar {logvar.shape} and eps "
                            f"{None if eps is None else eps.shape} do not broadcast together")
    if eps is None:
        eps = Tensor(to_device(per_example(generator().standard_normal, shape).astype(mu.dtype), mu.device))
    return Reparameterize.apply(mu, logvar, eps)


def gaussian_kl(mu: Tensor, logvar: Tensor, reduction: str = "none") -> Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) = 1/2 sum(exp(logvar) + mu^2 - 1 - logvar) over the last axis.

    Args:
        mu, logvar: the same shape, at least one axis; the last axis is the latent one.
        reduction: 'none' (one value per sample), 'mean' or 'sum' over the samples.
    PyTorch has no single function for it (``torch.distributions.kl_divergence`` of two Normals, summed)."""
    mu, logvar = as_tensor(mu), as_tensor(logvar)
    if mu.shape != logvar.shape:
        raise ArgumentError(f"gaussian_kl: mu of shape {mu.shape} and logvar of shape {logvar.shape} differ")
    if mu.ndim == 0:
        raise ArgumentError("gaussian_kl: expected mu and logvar with at least one axis, got scalars")
    return reduce_loss(GaussianKL.apply(mu, logvar), reduction, "gaussian_kl")


BINDINGS = [
    bind(reparameterize, F=True),
    bind(gaussian_kl, F=True),
]


def _reparameterize_case(mu, logvar):
    return reparameterize(mu, logvar, eps=Tensor(np.full(mu.shape, 0.7, mu.dtype)))


CASES = [
    OpCase("F.reparameterize", _reparameterize_case, ((3, 4), (3, 4)), draw="same",
           torch=lambda torch, mu, logvar: mu + torch.exp(0.5 * logvar) * 0.7, exact_twin=False),
    OpCase("F.gaussian_kl", gaussian_kl, ((3, 4), (3, 4)), sample=(normal, normal), draw="same", min_ndim=1,
           torch=lambda torch, mu, logvar: 0.5 * (logvar.exp() + mu * mu - 1 - logvar).sum(-1), exact_twin=False),
]
