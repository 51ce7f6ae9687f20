"""Issue 25, deliverable 6: PyTorch idioms run through PyTorch and through tinygrad_gen give the same results.

The snippets are in idiom_table.py; this file runs each one under both frameworks and compares what it leaves in
``out`` (see compare)."""
import numbers

import numpy as np
import pytest
import torch

import tinygrad_gen as tg
from idiom_table import IDIOMS

torch.set_num_threads(1)


def R(*shape):
    """Fixed float32 values of ``shape`` (the same for both frameworks)."""
    rng = np.random.default_rng(sum(shape) * 7 + len(shape))
    return rng.standard_normal(shape).astype(np.float32)


def namespace(framework):
    if framework == "torch":
        return dict(torch=torch, F=torch.nn.functional, nn=torch.nn, optim=torch.optim, np=np, R=R)
    return dict(torch=tg, F=tg.nn.functional, nn=tg.nn, optim=tg.optim, np=np, R=R)


def run(code, framework):
    """(out, None) or (None, the exception) for ``code`` run under ``framework``."""
    ns = namespace(framework)
    if framework == "torch":
        torch.manual_seed(0)
    else:
        tg.manual_seed(0)
    try:
        exec(compile(code, f"<idiom {framework}>", "exec"), ns)
    except Exception as e:  # noqa: BLE001 (a snippet may raise anything; torch's raising is part of the idiom)
        return None, e
    return ns["out"], None


def missing_name(err):
    """Whether ``err`` says a name or a keyword is missing (not that the idiom's input was refused)."""
    if isinstance(err, (AttributeError, ImportError, NameError)):
        return True
    return isinstance(err, TypeError) and any(
        m in str(err) for m in ("unexpected keyword argument", "positional argument", "not callable"))


def is_tensor(x):
    return isinstance(x, (torch.Tensor, tg.Tensor))


def as_array(x):
    """A tensor's values (ours through its public API: detach().numpy())."""
    return np.asarray(x.detach().numpy()) if isinstance(x, torch.Tensor) else np.asarray(x.detach().numpy())


def compare(ours, theirs, where="out"):
    """Assert ``ours`` (tinygrad_gen) matches ``theirs`` (PyTorch): recursively through tuples and lists."""
    if is_tensor(theirs):
        assert isinstance(ours, tg.Tensor), f"{where}: PyTorch gives a Tensor, ours {type(ours).__name__}"
        a, b = as_array(ours), as_array(theirs)
        assert a.shape == b.shape, f"{where}: shape {a.shape}, PyTorch's {b.shape}"
        assert a.dtype == b.dtype, f"{where}: dtype {a.dtype}, PyTorch's {b.dtype}"
        if a.dtype.kind in "fc":
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(theirs, (tuple, list)):  # torch.Size, torch.return_types.* and plain sequences
        assert isinstance(ours, (tuple, list)), f"{where}: PyTorch gives a sequence, ours {type(ours).__name__}"
        assert len(ours) == len(theirs), f"{where}: {len(ours)} items, PyTorch's {len(theirs)}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            compare(o, t, f"{where}[{i}]")
    elif isinstance(theirs, (bool, str)) or theirs is None:
        assert type(ours) is type(theirs) and ours == theirs, f"{where}: {ours!r}, PyTorch's {theirs!r}"
    elif isinstance(theirs, numbers.Number):
        assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} {ours!r}, PyTorch's {type(theirs).__name__}"
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6), f"{where}: {ours!r}, PyTorch's {theirs!r}"
    else:
        raise AssertionError(f"{where}: the table's snippet gives a {type(theirs).__name__}; compare knows not that")


def test_table_is_large_and_raises_are_named():
    assert len(IDIOMS) >= 80
    wrong = [name for name, code in IDIOMS.items()
             if (run(code, "torch")[1] is not None) != name.endswith("_raises")]
    assert not wrong, wrong


@pytest.mark.parametrize("name", sorted(IDIOMS))
def test_idiom(name):
    code = IDIOMS[name]
    theirs, their_err = run(code, "torch")
    ours, our_err = run(code, "tinygrad_gen")
    if their_err is not None:
        assert our_err is not None, f"PyTorch raises {type(their_err).__name__}: {their_err}; ours gives {ours!r}"
        # a missing name is not a refusal: ours must fail for the idiom's reason, not for lack of the name
        assert missing_name(their_err) or not missing_name(our_err), (
            f"PyTorch raises {type(their_err).__name__}: {their_err}; ours fails on a missing name: {our_err}")
        return
    if our_err is not None:
        raise AssertionError(f"ours raises {type(our_err).__name__}: {our_err}") from our_err
    compare(ours, theirs)


@pytest.mark.parametrize("ours, theirs", [
    (tg.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5])),                # values
    (tg.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0], dtype=torch.float64)),  # dtype
    (tg.tensor([[1.0, 2.0]]), torch.tensor([1.0, 2.0])),              # shape
    (tg.tensor([1, 2]), torch.tensor([1, 3])),                        # integer values
    ((tg.tensor(1.0),), (torch.tensor(1.0), torch.tensor(2.0))),      # length
    (1, 1.0), (True, 1), (2.0, 2.5), (None, False),                   # Python scalars: type and value
    (tg.tensor([1.0]), 1.0), ([1.0], torch.tensor([1.0])),            # tensor against not a tensor
])
def test_compare_catches_differences(ours, theirs):
    with pytest.raises(AssertionError):
        compare(ours, theirs)


def test_compare_accepts_equal():
    compare((tg.tensor([1.0, 2.0]), 3, [True, 2.5]), (torch.tensor([1.0, 2.0]), 3, (True, 2.5)))
