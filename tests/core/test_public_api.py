"""The public API documents itself: every name the binder attaches (Tensor methods, tg.*, F.*), every layer of nn and
every optimizer has a docstring, and every bound function has type hints (DESIGN.md's names are a contract)."""
import inspect

import pytest

import tinygrad_gen as tg
from tinygrad_gen import autograd, binding, nn, ops, optim

ROWS = binding.rows((autograd,) + ops.FAMILIES)
FIRST = ("self", "x", "a", "t", "input", "tensor", "logits", "q", "mu")  # the tensor a method is called on


def _fn(row):
    return row.fn.fget if isinstance(row.fn, property) else row.fn


def _names(row):
    return "/".join(row.methods + row.functions + tuple(f"F.{n}" for n in row.functionals))


@pytest.mark.parametrize("row", ROWS, ids=_names)
def test_every_bound_function_has_a_docstring_and_type_hints(row):
    fn = _fn(row)
    assert (fn.__doc__ or "").strip(), f"{_names(row)}: no docstring"
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    unannotated = [p.name for i, p in enumerate(params)
                   if p.annotation is inspect.Parameter.empty and not (i == 0 and p.name in FIRST)]
    assert not unannotated, f"{_names(row)}: parameters without a type hint: {unannotated}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{_names(row)}: no return type"


def test_the_bound_methods_name_the_pytorch_function_they_mirror():
    silent = [_names(r) for r in ROWS if "torch" not in (_fn(r).__doc__ or "").lower()
              and not all(m.startswith("__") for m in r.methods or ("x",))]
    assert not silent, f"docstrings that do not say which PyTorch name they mirror: {silent}"


def _public_classes(module, base):
    return [obj for name, obj in vars(module).items()
            if inspect.isclass(obj) and issubclass(obj, base) and not name.startswith("_")]


@pytest.mark.parametrize("cls", _public_classes(nn, nn.Module) + _public_classes(optim, optim.Optimizer),
                         ids=lambda c: c.__name__)
def test_every_layer_and_optimizer_documents_itself_and_its_methods(cls):
    assert (cls.__doc__ or "").strip(), f"{cls.__name__}: no docstring"
    for name, member in vars(cls).items():
        if callable(member) and not name.startswith("_"):
            assert (member.__doc__ or "").strip(), f"{cls.__name__}.{name}: no docstring"


def test_help_on_a_tensor_method_is_not_empty():
    assert "clip" in (tg.Tensor.clip.__doc__ or "").lower() or "clamp" in (tg.Tensor.clip.__doc__ or "").lower()
