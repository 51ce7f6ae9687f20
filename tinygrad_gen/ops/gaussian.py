"""The VAE's two Gaussian ops: the reparameterised sample and the KL divergence to the standard normal prior."""
import numpy as np

from ..autograd import Function


class Reparameterize(Function):
    """z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) drawn outside: the sample is a differentiable function of
    (mu, logvar), so gradients reach the encoder (the reparameterisation trick).
    backward: dmu = g, dlogvar = g * eps * exp(logvar / 2) / 2 (d std / d logvar = std / 2), deps = g * std."""
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
    """kl = 1/2 * sum over the last axis of (exp(logvar) + mu^2 - 1 - logvar)
    = KL(N(mu, diag exp(logvar)) || N(0, I)) in closed form.
    backward: dmu = g * mu, dlogvar = g * (exp(logvar) - 1) / 2 (g broadcast over the summed axis)."""
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
