"""The GAN cost functions of the lecture, written on the discriminator's logits l, where D(x) = sigmoid(l).

    -log D(x)       = -log sigmoid(l)     = softplus(-l)
    -log(1 - D(x))  = -log sigmoid(-l)    = softplus(l)

so every cost is a softplus of a logit: stable for any l, never log(0).
"""
import math

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F


def _softplus(x):
    """log(1 + exp(x)) at every x: PyTorch's default softplus is x itself above 20, which would bend the identities
    above (and their gradients) there by about 2e-9."""
    return F.softplus(x, threshold=math.inf)


def discriminator_loss(real_logits, fake_logits):
    """Discriminator's cost, cross-entropy for real vs fake:  J_D = E_x[-log D(x)] + E_z[-log(1 - D(G(z)))]."""
    return _softplus(-real_logits).mean() + _softplus(fake_logits).mean()


def generator_loss_minimax(fake_logits):
    """Minimax cost, the opposite of the discriminator's:  J_G = E_z[log(1 - D(G(z)))] = -E softplus(l).

    dJ_G/dl_i = -sigmoid(l_i) / N = -D(G(z_i)) / N: when the samples are bad, D(G(z)) -> 0 and the generator's cost is
    flat -- the gradient vanishes ("saturation")."""
    return -_softplus(fake_logits).mean()


def generator_loss_ns(fake_logits):
    """Non-saturating cost ("a better cost function"):  J_G = E_z[-log D(G(z))] = E softplus(-l).

    dJ_G/dl_i = -(1 - sigmoid(l_i)) / N = -(1 - D(G(z_i))) / N -> -1/N as D(G(z)) -> 0: a strong signal exactly
    when the generated sample is really wrong."""
    return _softplus(-fake_logits).mean()


GENERATOR_LOSSES = {"minimax": generator_loss_minimax, "ns": generator_loss_ns}


def lsgan_discriminator_loss(real_out, fake_out):
    """Least-squares GAN (Mao et al. 2017), the discriminator regresses real to 1 and fake to 0:
    J_D = 1/2 (E_x[(D(x) - 1)^2] + E_z[D(G(z))^2])."""
    return 0.5 * (((real_out - 1.0) ** 2).mean() + (fake_out ** 2).mean())


def lsgan_generator_loss(fake_out):
    """Least-squares GAN, the generator wants its samples scored as real:  J_G = E_z[(D(G(z)) - 1)^2]."""
    return ((fake_out - 1.0) ** 2).mean()


def r1_penalty(discriminator, x_real):
    """R1 gradient penalty (Mescheder et al. 2018):  R1 = E_x ||grad_x l(x)||^2 on real data (the caller scales it
    by gamma / 2).  It keeps the discriminator flat on the data, which makes GAN training converge locally.

    The input gradient is computed by ``tg.grad`` with create_graph=True, so the penalty is a graph that the
    discriminator's parameters can be differentiated through (a double backward); ``tg.grad`` writes no ``.grad``,
    so the discriminator's gradients are left as they were."""
    x = x_real.detach()
    x.requires_grad_(True)
    grad, = tg.grad(discriminator(x).sum(), x, create_graph=True)
    return (grad * grad).reshape(grad.shape[0], -1).sum(axis=1).mean()
