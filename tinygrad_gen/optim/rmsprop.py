"""RMSprop, as PyTorch computes it (same order of operations, so the two agree to float32 rounding)."""
from .. import backend
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients (Tieleman & Hinton 2012). Per step,
    with g the gradient (plus weight_decay * p for the L2 penalty):
        v <- alpha v + (1 - alpha) g^2                   (running mean of squared gradients)
        centered: a <- a + (1 - alpha) (g - a), and the denominator uses v - a^2 (the running variance)
        d <- sqrt(v) + eps     (centered: sqrt(v - a^2) + eps)
        momentum > 0: b <- momentum b + g / d, p <- p - lr b;  else p <- p - lr g / d
    PyTorch: ``torch.optim.RMSprop`` (its defaults lr=1e-2, alpha=0.99, eps=1e-8)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))

    def check_options(self, group):
        """Check lr, alpha, eps, momentum and weight_decay of a parameter group (PyTorch's checks)."""
        super().check_options(group)
        for key in ("alpha", "eps", "momentum"):
            if not group[key] >= 0:
                raise ValueError(f"RMSprop: invalid {key} value {group[key]}")

    def update(self, p, g, state, group):
        """One RMSprop step of parameter ``p`` with gradient array ``g``, in place (the formulas above)."""
        lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum, centered = group["momentum"], group["centered"]
        xp = backend.xp_of(p._data)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p._data)
            if momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(p._data)
            if centered:
                state["grad_avg"] = xp.zeros_like(p._data)
        state["step"] += 1
        if wd:
            g = g + wd * p._data  # a new array: the gradient itself is never written
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * (g * g)
        if centered:
            a = state["grad_avg"]
            a += (1 - alpha) * (g - a)  # PyTorch's lerp_
            avg = xp.sqrt(v - a * a)
        else:
            avg = xp.sqrt(v)
        avg += eps
        if momentum > 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # momentum switched on after the first step (e.g. by OneCycleLR)
                buf = state["momentum_buffer"] = xp.zeros_like(p._data)
            buf *= momentum
            buf += g / avg
            p._data -= lr * buf
        else:
            p._data -= lr * (g / avg)
