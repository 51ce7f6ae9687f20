"""How dispatch chooses the Numba CPU paths: the modes auto / fast / numba / reference, per op, the registry, and
a machine without Numba, where every choice falls back to the NumPy paths and nothing imports Numba."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen import dispatch
from tinygrad_gen.nn import functional as F
from tinygrad_gen.ops.activations import Gelu
from tinygrad_gen.ops.losses import CrossEntropy
from tinygrad_gen.ops.softmax import MaskedSoftmax


def test_every_numba_path_subclasses_its_plain_op_and_says_what_it_speeds_up():
    assert {Gelu, MaskedSoftmax, CrossEntropy} <= set(dispatch.NUMBA_PATHS)
    for plain, path in dispatch.NUMBA_PATHS.items():
        assert issubclass(path.fast, plain) and path.fast.__name__ == plain.__name__
        assert path.fast.__module__.split(".")[-1].startswith("numba_")
        assert len(path.speeds_up) > 20


@pytest.mark.skipif(not dispatch.numba_available(), reason="needs numba")
def test_modes_choose_the_numba_path_the_numpy_one_or_the_plain_op():
    with dispatch.kernels("numba"):
        assert all(dispatch.pick(p) is path.fast for p, path in dispatch.NUMBA_PATHS.items())
    with dispatch.kernels("fast"):
        assert dispatch.pick(Gelu) is dispatch.FAST_PATHS[Gelu].fast
    with dispatch.kernels("auto"):  # the measured fastest: Numba where preferred, else the NumPy path
        for p, path in dispatch.NUMBA_PATHS.items():
            fallback = dispatch.FAST_PATHS[p].fast if p in dispatch.FAST_PATHS else p
            want = path.fast if path.preferred else fallback
            assert dispatch.pick(p) is want, p.__name__
    with dispatch.kernels("fast,Gelu=numba"):
        assert dispatch.pick(Gelu) is dispatch.NUMBA_PATHS[Gelu].fast and dispatch.mode_of(Gelu) == "numba"
        assert dispatch.pick(MaskedSoftmax) is dispatch.FAST_PATHS[MaskedSoftmax].fast
    with dispatch.kernels("numba,Gelu=reference"):
        assert dispatch.pick(Gelu) is Gelu and dispatch.mode_of(Gelu) == "reference"


def test_registering_an_unknown_kind_is_refused_by_name():
    with pytest.raises(ValueError, match="register_fast_path: kind 'gpu'"):
        dispatch.register_fast_path(Gelu, "nothing at all, just a test", kind="gpu")


def test_without_numba_every_choice_runs_the_numpy_paths(monkeypatch):
    monkeypatch.setattr(dispatch, "_numba_found", [False])
    x0 = np.random.default_rng(0).standard_normal((4, 9)).astype(np.float32)
    outs = {}
    for mode in ("fast", "numba", "auto"):
        with dispatch.kernels(mode):
            assert dispatch.pick(Gelu) is dispatch.FAST_PATHS[Gelu].fast
            assert dispatch.fused_adam(x0) is None
            outs[mode] = F.gelu(tg.tensor(x0)).numpy()
    np.testing.assert_array_equal(outs["numba"], outs["fast"])
    np.testing.assert_array_equal(outs["auto"], outs["fast"])


def test_importing_the_engine_does_not_import_numba():
    code = "import sys, tinygrad_gen; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, TGG_KERNELS="numba"),
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
