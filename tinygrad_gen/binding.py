"""The binder: one table per op family says which names a user calls; this module attaches them.

Each family in ``ops/`` ends with a ``BINDINGS`` list of rows like::

    bind(sum, method="sum", tg="sum")          # x.sum(...) and tg.sum(x, ...)
    bind(clip, method="clip clamp", tg="clip clamp")
    bind(gelu, method=True, F=True)            # True: the function's own name

``attach(families)`` sets the methods on ``Tensor`` (the one place that does); ``functions(families)`` and
``functionals(families)`` give the ``tg.*`` and ``F.*`` namespaces. Two rules hold for every bound name, so no op
repeats them:

- PyTorch's spellings ``dim=`` and ``keepdim=`` are aliases of NumPy's ``axis=`` and ``keepdims=`` wherever a
  function takes those (giving both spellings is an error naming the op);
- a ``tg.*`` form of a method converts its first argument with ``as_tensor`` (``tg.exp([0.0, 1.0])`` works).
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Callable, Iterable

from .tensor import Tensor, as_tensor

ALIASES = {"dim": "axis", "keepdim": "keepdims"}  # PyTorch's spelling -> NumPy's


@dataclass(frozen=True)
class Binding:
    """One row of a family's table: an implementation and the names it is called by."""
    fn: Callable
    methods: tuple = ()
    functions: tuple = ()
    functionals: tuple = ()


def _names(fn, spec) -> tuple:
    if not spec:
        return ()
    if spec is True:
        return (getattr(fn, "__name__", "").rstrip("_"),)
    return tuple(spec.split())


def bind(fn: Callable, method: str | bool | None = None, tg: str | bool | None = None,
         F: str | bool | None = None) -> Binding:
    """A table row: ``fn`` bound as Tensor method(s), ``tg.*`` function(s) and ``F.*`` function(s).

    Each of ``method``, ``tg``, ``F`` is None (not bound there), True (the function's own name, without a trailing
    underscore) or a string of space-separated names."""
    return Binding(fn, _names(fn, method), _names(fn, tg), _names(fn, F))


def _alias_error(op, alias, name, kwargs):
    raise TypeError(f"{op}: got both {name}={kwargs[name]!r} and its alias {alias}={kwargs[alias]!r}; give one")


def accept_aliases(fn: Callable) -> Callable:
    """``fn`` taking ``dim=`` for ``axis=`` and ``keepdim=`` for ``keepdims=`` (if it has those parameters)."""
    if isinstance(fn, property) or not callable(fn):
        return fn
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    pairs = tuple((alias, name) for alias, name in ALIASES.items() if name in params and alias not in params)
    if not pairs:
        return fn
    op = fn.__qualname__.replace(".__init__", "").rstrip("_")  # a module's __init__ says the module's name

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs:
            for alias, name in pairs:
                if alias in kwargs:
                    if name in kwargs:
                        _alias_error(op, alias, name, kwargs)
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)
    return call


def _function_form(fn: Callable, name: str) -> Callable:
    """``tg.name(x, ...)``: the method ``fn`` with ``x`` made a Tensor first."""
    @functools.wraps(fn)
    def call(x, *args, **kwargs):
        return fn(x if isinstance(x, Tensor) else as_tensor(x), *args, **kwargs)
    call.__name__ = call.__qualname__ = name
    return call


def rows(families: Iterable) -> list:
    """Every binding row of ``families`` (modules with a ``BINDINGS`` list), in order."""
    return [row for family in families for row in getattr(family, "BINDINGS", ())]


def attach(families: Iterable) -> None:
    """Set every method of the families' tables on ``Tensor``; a name bound twice is an error."""
    seen = {}
    for row in rows(families):
        impl = accept_aliases(row.fn)
        for name in row.methods:
            if name in seen:
                raise RuntimeError(f"binding: Tensor.{name} is bound twice ({seen[name]} and {row.fn})")
            seen[name] = row.fn
            setattr(Tensor, name, impl)


def functions(families: Iterable) -> dict:
    """The ``tg.*`` namespace of the families' tables: {name: callable}."""
    out = {}
    for row in rows(families):
        impl = accept_aliases(row.fn)
        for name in row.functions:
            out[name] = _function_form(impl, name) if row.methods else impl
    return out


def functionals(families: Iterable) -> dict:
    """The ``F.*`` namespace of the families' tables: {name: callable}."""
    return {name: accept_aliases(row.fn) for row in rows(families) for name in row.functionals}
