"""``Module``: a layer that owns parameters, buffers and sub-modules; ``Parameter``, the marker of a trainable tensor.

A module registers what is assigned to it, in assignment order: ``self.weight = Parameter(...)`` is a parameter,
``self.fc = Linear(...)`` a sub-module, ``self.register_buffer("running_mean", t)`` a buffer (state that is saved but
not trained). That order fixes ``parameters()`` (what an optimizer sees) and the keys of ``state_dict()``, which use
PyTorch's dotted names ("blocks.0.attn.in_proj_weight"), so a state dict maps one to one onto the PyTorch module.

Calling a module runs its forward hooks around ``forward``, as in PyTorch: ``register_forward_pre_hook`` (may replace
the arguments), ``register_forward_hook`` (may replace the output), and for every module at once
``register_module_forward_pre_hook`` / ``register_module_forward_hook``. Each returns a handle whose ``remove()``
takes the hook off. Tools (``tg.viz.record_modules``) use these instead of changing ``Module``; with no hook
registered a call is ``forward`` plus two empty-dict checks.
"""
from __future__ import annotations

import copy
import itertools
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Tuple, Union

import numpy as np

from .. import backend
from ..backend import check_device, to_device
from ..tensor import Tensor


class Parameter(Tensor):
    """A trainable tensor: ``nn.Parameter(data)`` is a leaf Tensor that requires grad (sharing ``data``'s array),
    and a Module assigned one registers it as a parameter. Ops on a Parameter give plain Tensors (torch.nn.Parameter).
    """
    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data._data if isinstance(data, Tensor) else data)
        self.requires_grad_(requires_grad)


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


# ----- forward hooks -----

# hook id -> (hook, is_pre_hook, with_kwargs, always_call): the hooks every module call runs before the module's own
# (PyTorch's global module hooks); register_module_forward_pre_hook / register_module_forward_hook fill it
_global_hooks: Dict[int, tuple] = {}
_hook_ids = itertools.count()


class RemovableHandle:
    """What registering a hook returns: ``handle.remove()`` takes the hook off again (a second call does nothing);
    ``with handle:`` removes it on leaving the block. Like ``torch.utils.hooks.RemovableHandle``."""
    __slots__ = ("id", "_table")

    def __init__(self, table: Dict[int, tuple], entry: tuple) -> None:
        self.id = next(_hook_ids)
        self._table = table
        table[self.id] = entry

    def remove(self) -> None:
        """Take the hook off; it is not called again."""
        self._table.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register_module_forward_pre_hook(hook: Callable[..., Any], *, with_kwargs: bool = False) -> RemovableHandle:
    """Call ``hook(module, args)`` before the ``forward`` of every Module call, before the module's own pre-hooks;
    like ``torch.nn.modules.module.register_module_forward_pre_hook``. What the hook may return, and
    ``with_kwargs``: see :meth:`Module.register_forward_pre_hook`. Returns a handle; ``handle.remove()`` ends it."""
    return RemovableHandle(_global_hooks, (hook, True, with_kwargs, False))


def register_module_forward_hook(hook: Callable[..., Any], *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Call ``hook(module, args, output)`` after the ``forward`` of every Module call, before the module's own
    forward hooks; like ``torch.nn.modules.module.register_module_forward_hook``. What the hook may return,
    ``with_kwargs`` and ``always_call``: see :meth:`Module.register_forward_hook`. Returns a handle;
    ``handle.remove()`` ends it."""
    return RemovableHandle(_global_hooks, (hook, False, with_kwargs, always_call))


class Module:
    """Base class of every layer and model: define ``forward``, call the module like a function (torch.nn.Module).
    """
    _hooks: Mapping[int, tuple] = {}  # read-only fallback for a module built without __init__ (see _hook_table)

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_hooks"] = {}  # hook id -> (hook, is_pre_hook, with_kwargs, always_call), in registration order

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The module's computation; subclasses define it. Call the module (``m(x)``), not ``forward``, so that
        its hooks run."""
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``forward(*args, **kwargs)``, with the forward hooks (the global ones, then the module's) around it."""
        if _global_hooks or self._hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)  # no hook anywhere: the call is just forward

    def _call_with_hooks(self, args, kwargs):
        """``forward`` between the pre-hooks and the forward hooks (the global ones first, each in registration
        order). If a pre-hook or ``forward`` raises, the ``always_call`` forward hooks still run, with output None."""
        hooks = list(_global_hooks.values()) + list(self._hooks.values())
        try:
            for hook, is_pre, with_kwargs, _ in hooks:
                if not is_pre:
                    continue
                if with_kwargs:
                    result = hook(self, args, kwargs)
                    if result is not None:
                        if not (isinstance(result, tuple) and len(result) == 2):
                            raise RuntimeError(f"{type(self).__name__}: a forward pre-hook with kwargs must return "
                                               f"None or (args, kwargs), got {type(result).__name__}")
                        args, kwargs = result
                else:
                    result = hook(self, args)
                    if result is not None:
                        args = result if isinstance(result, tuple) else (result,)
            output = self.forward(*args, **kwargs)
        except BaseException:
            for hook, _, with_kwargs, always_call in hooks:
                if always_call and with_kwargs:
                    hook(self, args, kwargs, None)
                elif always_call:
                    hook(self, args, None)
            raise
        for hook, is_pre, with_kwargs, _ in hooks:
            if not is_pre:
                result = hook(self, args, kwargs, output) if with_kwargs else hook(self, args, output)
                if result is not None:
                    output = result
        return output

    def _hook_table(self):
        d = self.__dict__
        if "_hooks" not in d:  # a module whose __init__ did not run (see the class attribute)
            d["_hooks"] = {}
        return d["_hooks"]

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward`` of this module (like PyTorch's). ``args`` is the
        tuple of positional arguments; returning a tuple (or a single value) replaces them, returning None keeps
        them. With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs)`` and may return ``(args, kwargs)``.
        Hooks run in registration order; returns a handle whose ``remove()`` takes the hook off."""
        return RemovableHandle(self._hook_table(), (hook, True, with_kwargs, False))

    def register_forward_hook(self, hook: Callable[..., Any], *, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward`` of this module (like PyTorch's); returning
        something other than None replaces the output (the next hook and the caller see the new one). With
        ``with_kwargs=True`` the hook is ``hook(module, args, kwargs, output)``. With ``always_call=True`` it also
        runs when a pre-hook or ``forward`` raises, with ``output`` None (the error then goes on). Hooks run in
        registration order; returns a handle whose ``remove()`` takes the hook off."""
        return RemovableHandle(self._hook_table(), (hook, False, with_kwargs, always_call))

    # ----- registration: attribute assignment decides what a value is -----
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning {name!r}")
        if isinstance(value, Parameter):
            self._forget(name)
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._forget(name)
            d["_modules"][name] = value
        elif name in d["_parameters"]:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to parameter "
                                f"{name!r} (nn.Parameter or None expected)")
            d["_parameters"][name] = None
        elif name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to buffer {name!r} "
                                "(Tensor or None expected)")
            d["_buffers"][name] = value
        elif name in d["_modules"]:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to sub-module "
                                f"{name!r} (Module or None expected)")
            d["_modules"][name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        d = self.__dict__
        d.pop(name, None)
        for table in (d["_parameters"], d["_buffers"], d["_modules"]):
            table.pop(name, None)
        d["_non_persistent"].discard(name)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: parameters, buffers and sub-modules live in their tables
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if any(name in d[t] for t in ("_parameters", "_buffers", "_modules")):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Optional[Tensor], persistent: bool = True) -> None:
        """Register ``tensor`` as the buffer ``name``: state that belongs to the module but is not trained
        (BatchNorm's running statistics). Buffers move with ``to(device)``; persistent ones are saved in
        ``state_dict()``. Like ``torch.nn.Module.register_buffer``."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: buffer name must be a non-empty string without '.', got {name!r}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        if name in self.__dict__ or name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: attribute {name!r} already exists")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Register ``param`` (an ``nn.Parameter``, or None for a missing one) as the parameter ``name``; the same
        as assigning it. Like ``torch.nn.Module.register_parameter``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter or None")
        self._forget(name)
        self._parameters[name] = param

    def add_module(self, name: str, module: Optional[Module]) -> None:
        """Register ``module`` as the sub-module ``name`` (a name that need not be an identifier, such as "0");
        like ``torch.nn.Module.add_module``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    # ----- traversal -----
    def named_modules(self, prefix: str = "", memo: Optional[set] = None) -> Iterator[Tuple[str, Module]]:
        """(dotted name, module) for this module ("") and every sub-module, depth first in registration order,
        each once (like ``torch.nn.Module.named_modules``)."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(prefix + ("." if prefix else "") + name, memo)

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, each once (``named_modules`` without the names)."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[Tuple[str, Module]]:
        """(name, module) for the direct sub-modules, in registration order."""
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, in registration order."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, table, recurse=True):
        seen = set()
        mods = self.named_modules() if recurse else [("", self)]
        for prefix, m in mods:
            for name, t in getattr(m, table).items():
                if t is None or id(t) in seen:
                    continue  # a tied tensor (one Parameter in two places) is listed once
                seen.add(id(t))
                yield prefix + ("." if prefix else "") + name, t

    def named_parameters(self, recurse: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """(dotted name, Parameter) in registration order, a shared one once; the order an optimizer's state is
        keyed by. ``recurse=False``: this module's own only."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters, in ``named_parameters`` order (what an optimizer is given)."""
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse: bool = True) -> Iterator[Tuple[str, Tensor]]:
        """(dotted name, buffer) in registration order, persistent or not."""
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers, in ``named_buffers`` order."""
        for _, b in self.named_buffers(recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn(module)`` on every sub-module and then on this one (like PyTorch, e.g. for initialisation)."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ----- state -----
    def state_dict(self, prefix: str = "") -> OrderedDict[str, Tensor]:
        """Ordered {dotted name: Tensor}: each module's parameters, then its persistent buffers, then its
        sub-modules', as in PyTorch. The tensors share the live arrays (detached); save or copy them."""
        out = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                out[prefix + name] = b.detach()
        for name, m in self._modules.items():
            if m is not None:
                out.update(m.state_dict(prefix + name + "."))
        return out

    def _state_tensors(self):
        """The live tensors behind ``state_dict()``'s keys."""
        out = OrderedDict()
        for prefix, m in self.named_modules():
            p = prefix + "." if prefix else ""
            for name, t in m._parameters.items():
                if t is not None:
                    out[p + name] = t
            for name, t in m._buffers.items():
                if t is not None and name not in m._non_persistent:
                    out[p + name] = t
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers in place (on their device and dtype).

        Values may be Tensors or arrays. Every problem is found before anything is written: a missing or an
        unexpected key (when ``strict``) or a shape that differs raises a ``RuntimeError`` naming them all.
        Returns ``(missing_keys, unexpected_keys)``."""
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict: expected a dict of name -> Tensor, got {type(state_dict).__name__}")
        own = self._state_tensors()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        for k, t in own.items():
            if k in state_dict:
                v = state_dict[k]
                shape = tuple(getattr(v, "shape", np.shape(v)))
                if shape != t.shape:
                    problems.append(f"size mismatch for {k!r}: checkpoint has shape {shape}, "
                                    f"the module has shape {t.shape}")
        if strict:
            if missing:
                problems.append("missing key(s): " + ", ".join(repr(k) for k in missing))
            if unexpected:
                problems.append("unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
        if problems:
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: " + "; ".join(problems))
        for k, t in own.items():
            if k in state_dict:
                v = state_dict[k]
                v = v._data if isinstance(v, Tensor) else v if isinstance(v, backend.ARRAY_TYPES) else np.asarray(v)
                t._data[...] = to_device(v, t.device)
        return IncompatibleKeys(missing, unexpected)

    # ----- modes and devices -----
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops, BatchNorm uses batch statistics) for this module and all inside it."""
        for m in self.modules():
            m.__dict__["training"] = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (Dropout passes through, BatchNorm uses its running statistics); ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, flag: bool = True) -> Module:
        """Turn gradients on or off for every parameter (to freeze a part of a model); returns the module."""
        for p in self.parameters():
            p.requires_grad_(flag)
        return self

    def to(self, device: Any = None, dtype: Any = None) -> Module:
        """Move every parameter, gradient and buffer to ``device`` and/or cast the floating ones to ``dtype``, in
        place (optimizers keep their references), as PyTorch's ``module.to(device)``, ``module.to(dtype)``,
        ``module.to(device, dtype)`` and ``module.to(tensor)``; integer buffers keep their dtype."""
        if isinstance(device, Tensor):
            device, dtype = device.device, device.dtype
        elif device is not None and not isinstance(device, str) and not hasattr(device, "type"):
            device, dtype = None, device  # module.to(tg.float64)
        device = None if device is None else check_device(str(getattr(device, "type", device)))
        dtype = None if dtype is None else np.dtype(dtype)
        for t in list(self.parameters()) + list(self.buffers()):
            for held in (t, t.grad):
                if held is None:
                    continue
                if dtype is not None and held._data.dtype.kind == "f":
                    held._data = held._data.astype(dtype, copy=False)
                if device is not None:
                    held._data = to_device(held._data, device)
        return self

    def double(self) -> Module:
        """Cast the floating parameters and buffers to float64 (PyTorch's ``module.double()``)."""
        return self.to(dtype=np.float64)

    def float(self) -> Module:
        """Cast the floating parameters and buffers to float32 (PyTorch's ``module.float()``)."""
        return self.to(dtype=np.float32)

    def half(self) -> Module:
        """Cast the floating parameters and buffers to float16 (PyTorch's ``module.half()``)."""
        return self.to(dtype=np.float16)

    @property
    def device(self) -> str:
        """Where the module's parameters (or, without any, its buffers) live; "cpu" for a module with neither. The
        one way a model finds the device to put its inputs on."""
        for t in self.parameters():
            return t.device
        for t in self.buffers():
            return t.device
        return "cpu"

    def cpu(self) -> Module:
        """``to("cpu")``."""
        return self.to("cpu")

    def cuda(self) -> Module:
        """``to("cuda")`` (needs CuPy)."""
        return self.to("cuda")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: to None (the default, as in PyTorch), or to zeros."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor(p.grad._data * 0)

    def num_parameters(self) -> int:
        """How many numbers the parameters hold, a shared parameter counted once."""
        return sum(p.numel() for p in self.parameters())

    def __deepcopy__(self, memo: dict) -> Module:
        """An independent copy (e.g. a target network or an EMA of weights) whose parameters are Parameters too.
        The copy starts with no hooks: a hook belongs to whoever registered it, who holds the original's handle."""
        new = object.__new__(type(self))
        memo[id(self)] = new
        for k, v in self.__dict__.items():
            new.__dict__[k] = {} if k == "_hooks" else copy.deepcopy(v, memo)
        return new

    # ----- printing -----
    def extra_repr(self) -> str:
        """The module's settings shown inside its ``repr`` (e.g. ``in_features=3, out_features=4``)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        children = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = ([extra] if extra else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after another; ``Sequential(a, b)(x) == b(a(x))``. Children are named "0", "1", ...,
    or by the keys of one dict given instead (torch.nn.Sequential)."""

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        """Each module in turn on the previous one's output."""
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i: Union[int, slice]) -> Module:
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*mods[i])
        return mods[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position); returns the Sequential."""
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (named "0", "1", ...); it has no forward of its own
    (torch.nn.ModuleList)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end (named by its position); returns the list."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append each of ``modules``; returns the list."""
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i: Union[int, slice]) -> Any:
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return ModuleList(mods[i])
        return mods[i]

    def __setitem__(self, i: int, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: can only hold Modules, got {type(module).__name__}")
        self._modules[list(self._modules)[i]] = module  # replaced in place: the order stays

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """An ordered dict of string -> Module whose modules are registered sub-modules (their parameters are the
    dict's, their ``state_dict()`` keys "<key>.<name>"); it has no forward of its own (``torch.nn.ModuleDict``).
    Insertion order is kept; ``update`` with a plain dict or pairs keeps their order too."""

    def __init__(self, modules: Optional[Mapping[str, Module]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _check(self, key: Any, module: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {type(key).__name__}")
        if not key or "." in key:
            raise KeyError(f"ModuleDict: key {key!r} must be a non-empty string without '.'")
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: {key!r} must be a Module, got {type(module).__name__}")

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self._check(key, module)
        if key in self._modules:
            self._modules[key] = module  # replaced in place: the order stays, as in PyTorch
        else:
            self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it."""
        return self._modules.pop(key)

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._modules.keys()

    def items(self) -> Iterable[Tuple[str, Module]]:
        """(key, module) pairs, in insertion order."""
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return self._modules.values()

    def update(self, modules: Union[Mapping[str, Module], Iterable[Tuple[str, Module]]]) -> None:
        """Add or replace modules from a mapping (a ModuleDict or dict) or from (key, module) pairs, in their
        order; like ``torch.nn.ModuleDict.update``. Everything is checked before anything is added."""
        if isinstance(modules, (str, bytes)) or not hasattr(modules, "__iter__"):
            raise TypeError(f"ModuleDict.update: expected a mapping or pairs, got {type(modules).__name__}")
        if hasattr(modules, "items"):
            pairs = list(modules.items())
        else:
            pairs = []
            for i, pair in enumerate(modules):
                if not hasattr(pair, "__len__") or len(pair) != 2:
                    raise ValueError(f"ModuleDict.update: element {i} should be a (key, module) pair, got {pair!r}")
                pairs.append(tuple(pair))
        for key, module in pairs:
            self._check(key, module)
        for key, module in pairs:
            self[key] = module
