"""Stochastic gradient descent with momentum (heavy ball or Nesterov) and L2 weight decay, as PyTorch's SGD."""
from .optimizer import Optimizer, required


class SGD(Optimizer):
    """Per step, with g the gradient:
        g <- g + weight_decay * p                    (L2 penalty weight_decay/2 |p|^2)
        b <- g (first step), else momentum * b + (1 - dampening) * g
        g <- g + momentum * b  (Nesterov: look ahead along the velocity)   or   g <- b
        p <- p - lr * g
    """

    def __init__(self, params, lr=required, momentum=0.0, nesterov=False, weight_decay=0.0, dampening=0.0):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                             f"dampening={dampening}")
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay,
                                      dampening=dampening))

    def check_options(self, group):
        """Check lr, momentum and weight_decay of a parameter group."""
        super().check_options(group)
        if not group["momentum"] >= 0:
            raise ValueError(f"SGD: invalid momentum {group['momentum']}")

    def update(self, p, g, state, group):
        """One SGD step of ``p`` with gradient array ``g``, in place (momentum, Nesterov: see the class)."""
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd:
            g = g + wd * p._data  # a new array: the gradient itself is never written
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g if group["dampening"] else g
            g = g + momentum * buf if group["nesterov"] else buf
        p._data -= lr * g
