"""Grad mode: whether ops record graphs (``no_grad``, ``enable_grad``, ``set_grad_enabled``) and whether they
remember where they were created (``detect_anomaly``). Global switches with no other dependency, so that any layer
may ask (``random`` does, for per-example noise) without importing the graph machinery."""
import contextlib


class _Mode:
    grad = True       # record graphs for ops on tensors that require grad
    anomaly = False   # remember where each op was created; fail on NaN/Inf gradients


def is_grad_enabled():
    """Whether ops record a graph now (PyTorch's ``torch.is_grad_enabled``)."""
    return _Mode.grad


class _ModeSwitch(contextlib.ContextDecorator):
    """Sets one switch of ``_Mode`` inside a ``with`` block or a decorated function, and restores it after.
    Saved values are stacked, so one instance may be entered again while active (a decorated recursive function);
    the decorator also works without parentheses (``@tg.no_grad``)."""
    switch, value = "grad", True

    def __new__(cls, *args):
        if len(args) == 1 and callable(args[0]) and cls is not set_grad_enabled:
            return cls()(args[0])  # bare @tg.no_grad on a function
        return super().__new__(cls)

    def __init__(self):
        self._saved = []

    def __enter__(self):
        self._saved.append(getattr(_Mode, self.switch))
        setattr(_Mode, self.switch, self.value)

    def __exit__(self, *exc):
        setattr(_Mode, self.switch, self._saved.pop())


class no_grad(_ModeSwitch):
    """Ops inside record no graph: ``with tg.no_grad(): ...`` or ``@tg.no_grad()``."""
    value = False


class enable_grad(_ModeSwitch):
    """Turn graph recording back on inside a ``no_grad`` region."""
    value = True


class set_grad_enabled(_ModeSwitch):
    """Grad mode on or off by a flag: ``with tg.set_grad_enabled(training): ...``."""
    def __init__(self, mode):
        super().__init__()
        self.value = bool(mode)


class detect_anomaly(_ModeSwitch):
    """Inside this block a NaN or Inf produced by a backward rule raises ``FloatingPointError``, naming the op
    and the line of user code that created it (each op remembers its creator's line, which is slow)."""
    switch, value = "anomaly", True
