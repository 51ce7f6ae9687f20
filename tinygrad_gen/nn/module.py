"""``Module``: a layer that owns parameters, buffers and sub-modules, and ``Parameter``, the marker for a trainable tensor.

A module registers what is assigned to it, in assignment order: ``self.weight = Parameter(...)`` is a parameter,
``self.fc = Linear(...)`` a sub-module, ``self.register_buffer("running_mean", t)`` a buffer (state that is saved but
not trained). That order fixes ``parameters()`` (what an optimizer sees) and the keys of ``state_dict()``, which use
PyTorch's dotted names ("blocks.0.attn.in_proj_weight"), so a state dict maps one to one onto the PyTorch module.
"""
import copy
from collections import OrderedDict, namedtuple

import numpy as np

from .. import backend
from ..backend import check_device, to_device
from ..tensor import Tensor

class Parameter(Tensor):
    """A trainable tensor: ``nn.Parameter(data)`` is a leaf Tensor that requires grad (sharing ``data``'s array),
    and a Module assigned one registers it as a parameter. Ops on a Parameter give plain Tensors."""
    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data.data if isinstance(data, Tensor) else data)
        self.requires_grad_(requires_grad)


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer and model: define ``forward``, call the module like a function."""

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ----- registration: attribute assignment decides what a value is -----
    def __setattr__(self, name, value):
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

    def __getattr__(self, name):
        # only called when normal lookup fails: parameters, buffers and sub-modules live in their tables
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        d = self.__dict__
        if any(name in d[t] for t in ("_parameters", "_buffers", "_modules")):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def register_buffer(self, name, tensor, persistent=True):
        """State that belongs to the module but is not trained (BatchNorm's running statistics). Buffers move with
        ``to(device)``; persistent ones are saved in ``state_dict()``."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: buffer name must be a non-empty string without '.', got {name!r}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        if name in self.__dict__ or name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: attribute {name!r} already exists")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter or None")
        self._forget(name)
        self._parameters[name] = param

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    # ----- traversal -----
    def named_modules(self, prefix="", memo=None):
        """This module and every sub-module, depth first in registration order, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(prefix + ("." if prefix else "") + name, memo)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
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

    def named_parameters(self, recurse=True):
        """(dotted name, Parameter) in registration order; the order an optimizer's state is keyed by."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse=True):
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse):
            yield b

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module and then on this one (like PyTorch, e.g. for initialisation)."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ----- state -----
    def state_dict(self, prefix=""):
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

    def load_state_dict(self, state_dict, strict=True):
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
                v = v.data if isinstance(v, Tensor) else v if isinstance(v, backend.ARRAY_TYPES) else np.asarray(v)
                t.data[...] = to_device(v, t.device)
        return IncompatibleKeys(missing, unexpected)

    # ----- modes and devices -----
    def train(self, mode=True):
        """Training mode (Dropout drops, BatchNorm uses batch statistics) for this module and all inside it."""
        for m in self.modules():
            m.__dict__["training"] = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, flag=True):
        for p in self.parameters():
            p.requires_grad_(flag)
        return self

    def to(self, device):
        """Move every parameter, gradient and buffer to ``device`` in place (optimizers keep their references)."""
        device = check_device(device)
        for t in list(self.parameters()) + list(self.buffers()):
            t.data = to_device(t.data, device)
            if t.grad is not None:
                t.grad.data = to_device(t.grad.data, device)
        return self

    @property
    def device(self):
        """Where the module's parameters (or, without any, its buffers) live; "cpu" for a module with neither. The
        one way a model finds the device to put its inputs on."""
        for t in self.parameters():
            return t.device
        for t in self.buffers():
            return t.device
        return "cpu"

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor(p.grad.data * 0)

    def num_parameters(self):
        return sum(p.size for p in self.parameters())

    def __deepcopy__(self, memo):
        """An independent copy (e.g. a target network or an EMA of weights) whose parameters are Parameters too."""
        new = object.__new__(type(self))
        memo[id(self)] = new
        for k, v in self.__dict__.items():
            new.__dict__[k] = copy.deepcopy(v, memo)
        return new

    # ----- printing -----
    def extra_repr(self):
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        children = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = ([extra] if extra else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after another; ``Sequential(a, b)(x) == b(a(x))``. Children are named "0", "1", ..."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*mods[i])
        return mods[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (named "0", "1", ...); it has no forward of its own."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i):
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return ModuleList(mods[i])
        return mods[i]

    def __setitem__(self, i, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: can only hold Modules, got {type(module).__name__}")
        self._modules[list(self._modules)[i]] = module  # replaced in place: the order stays

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())
