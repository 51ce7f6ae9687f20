"""Run one PyTorch-style program twice: as written (``import torch``) and with its import lines pointed at
tinygrad_gen, the rest of its text unchanged.

``load(path, "torch" | "tinygrad_gen")`` executes the program's text as a fresh module. The random draws the program
itself makes (``torch.randn``, ``torch.randint``, ``torch.multinomial`` ... called from the program's own lines) are
recorded in the PyTorch run by ``RandomTape.record`` and replayed in ours by ``RandomTape.replay``: our function is
still called with the program's arguments (so ``generator=``, ``device=`` and the shapes are exercised), and the value
PyTorch drew is handed back in its place, so both runs see the same numbers and their losses can be compared.
"""
from __future__ import annotations

import contextlib
import re
import sys
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
RANDOM_NAMES = ("randn", "randn_like", "rand", "rand_like", "randint", "randint_like", "randperm", "multinomial",
                "normal", "bernoulli")


def translate(src: str) -> str:
    """The program with its import lines (and only those) naming tinygrad_gen instead of torch."""
    out = []
    for line in src.splitlines():
        s = line.strip()
        indent = line[:len(line) - len(line.lstrip())]
        if s == "import torch":
            line = indent + "import tinygrad_gen as torch"
        elif re.match(r"import torch\.[\w.]+( as \w+)?$", s):
            line = indent + s.replace("import torch.", "import tinygrad_gen.", 1)
        elif re.match(r"from torch(\.[\w.]+)? import ", s):
            line = indent + s.replace("from torch", "from tinygrad_gen", 1)
        out.append(line)
    return "\n".join(out) + "\n"


def changed_lines(src: str) -> list:
    """The lines ``translate`` changes: the test checks they are all import lines."""
    return [a for a, b in zip(src.splitlines(), translate(src).splitlines()) if a != b]


def load(name: str, framework: str) -> types.ModuleType:
    """Execute tests/programs/<name>.py as a fresh module, against ``framework`` ("torch" or "tinygrad_gen")."""
    path = HERE / f"{name}.py"
    src = path.read_text()
    if framework == "tinygrad_gen":
        src = translate(src)
    modname = f"_program_{name}_{framework}"
    mod = types.ModuleType(modname)
    mod.__file__ = str(path)
    sys.modules[modname] = mod  # dataclasses look their module up
    exec(compile(src, str(path), "exec"), mod.__dict__)
    return mod


def to_numpy(t) -> np.ndarray:
    """A PyTorch or tinygrad_gen tensor's values as a NumPy array (a copy)."""
    return np.array(t.detach().cpu().numpy())


def copy_state(torch_model, our_model, tg) -> None:
    """Load PyTorch's parameters and buffers into our model (same names), through NumPy."""
    state = {k: tg.tensor(to_numpy(v)) for k, v in torch_model.state_dict().items()}
    our_model.load_state_dict(state)


class RandomTape:
    """The random draws a program makes from its own lines, recorded from PyTorch and replayed into ours."""

    def __init__(self, path: str):
        self.path = str(path)
        self.draws: list = []
        self.position = 0

    def _from_program(self) -> bool:
        return sys._getframe(2).f_code.co_filename == self.path

    @contextlib.contextmanager
    def record(self, torch):
        """Within this block, PyTorch's draws made by the program's lines are kept (name, values)."""
        with self._patched(torch, self._recorder):
            yield self

    @contextlib.contextmanager
    def replay(self, tg):
        """Within this block, our draws made by the program's lines return PyTorch's values, in order."""
        self.position = 0
        with self._patched(tg, self._replayer(tg)):
            yield self
        assert self.position == len(self.draws), (
            f"the tinygrad_gen run made {self.position} random draws, the PyTorch run {len(self.draws)}")

    @contextlib.contextmanager
    def _patched(self, module, wrap):
        saved = {n: getattr(module, n) for n in RANDOM_NAMES if hasattr(module, n)}
        try:
            for n, fn in saved.items():
                setattr(module, n, wrap(n, fn))
            yield
        finally:
            for n, fn in saved.items():
                setattr(module, n, fn)

    def _recorder(self, name, fn):
        def call(*args, **kwargs):
            out = fn(*args, **kwargs)
            if self._from_program():
                self.draws.append((name, to_numpy(out)))
            return out
        return call

    def _replayer(self, tg):
        def wrap(name, fn):
            def call(*args, **kwargs):
                out = fn(*args, **kwargs)  # our function runs with the program's arguments
                if not self._from_program():
                    return out
                assert self.position < len(self.draws), f"{name}: a random draw PyTorch's run did not make"
                want_name, values = self.draws[self.position]
                self.position += 1
                assert name == want_name, f"draw {self.position}: PyTorch called {want_name}, ours {name}"
                got = to_numpy(out)
                assert got.shape == values.shape, f"{name}: shape {got.shape}, PyTorch's {values.shape}"
                assert got.dtype == values.dtype, f"{name}: dtype {got.dtype}, PyTorch's {values.dtype}"
                return tg.tensor(values, requires_grad=bool(getattr(out, "requires_grad", False)))
            return call
        return wrap
