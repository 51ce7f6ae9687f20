"""Adam and AdamW, as PyTorch computes them (same order of operations, so the two agree to float32 rounding)."""
import math

from .. import backend, dispatch
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adaptive moments. Per step t, with g the gradient (plus weight_decay * p for Adam's coupled L2 decay):
        m <- beta1 m + (1 - beta1) g          (running mean of gradients)
        v <- beta2 v + (1 - beta2) g^2        (running mean of squared gradients)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    The (1 - beta^t) factors undo the bias of m and v towards their zero start."""
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def check_options(self, group):
        """Check lr, betas, eps and weight_decay of a parameter group; a clear error naming the optimizer."""
        super().check_options(group)
        b1, b2 = group["betas"]
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"{type(self).__name__}: betas must be in [0, 1), got {group['betas']}")
        if not group["eps"] >= 0:
            raise ValueError(f"{type(self).__name__}: invalid eps {group['eps']}")

    def update(self, p, g, state, group):
        """One Adam (or AdamW) step of parameter ``p`` with gradient array ``g``, in place (the formulas above)."""
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            xp = backend.xp_of(p._data)
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p._data)
            state["exp_avg_sq"] = xp.zeros_like(p._data)
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        fused = dispatch.fused_adam(p._data)  # the same update in one pass (kernels/cpu/adamw.py), where chosen
        if fused is not None:
            return fused(p._data, g, m, v, lr, (b1, b2), eps, wd, self.decoupled, t)
        if self.decoupled:
            p._data *= 1 - lr * wd  # AdamW: shrink the weights directly, outside the adaptive scaling
        elif wd:
            g = g + wd * p._data
        m += (1 - b1) * (g - m)
        v *= b2
        v += (1 - b2) * g * g
        step_size = lr / (1 - b1 ** t)
        denom = backend.xp_of(v).sqrt(v) / math.sqrt(1 - b2 ** t) + eps
        p._data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p <- p (1 - lr * weight_decay) before the Adam step,
    so the decay is not divided by sqrt(v) as an L2 term in the gradient would be. The GPT-3 recipe's optimizer."""
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps, weight_decay)
