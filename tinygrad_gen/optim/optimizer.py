"""``Optimizer``: parameter groups, per-parameter state, and a state dict for saving and resuming bit for bit.

An update is plain array arithmetic done in place on ``p._data`` (NumPy or CuPy), outside any graph: an optimizer
step is not part of the model being differentiated, so recording it would only cost time and memory."""
from .. import backend
from ..backend import to_device
from ..tensor import Tensor, bump_version

required = object()  # marks an option with no default (SGD's lr)


class Optimizer:
    """Base class: subclasses give ``defaults`` and ``update(p, grad, state, group)`` for one parameter's arrays."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.param_groups = []
        self.state = {}  # Tensor -> {name: array or number}; a Tensor hashes by identity
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or of dicts, "
                            "got a single Tensor")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group):
        """Add a dict {"params": [...], option: value, ...}; options it leaves out take the optimizer's defaults."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' key, got {group!r}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (shape {p.shape}); use a leaf, "
                                 "e.g. nn.Parameter or x.detach().requires_grad_()")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError(f"{name}: a parameter appears more than once (in this group or another group)")
        group = dict(group, params=params)
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"{name}: parameter group didn't specify a value of required option {key!r}")
            group.setdefault(key, default)
        self.check_options(group)
        self.param_groups.append(group)

    def check_options(self, group):
        """Check a parameter group's options (lr, weight_decay); subclasses add their own."""
        name = type(self).__name__
        if not group["lr"] >= 0:
            raise ValueError(f"{name}: invalid learning rate {group['lr']}")
        if not group.get("weight_decay", 0) >= 0:
            raise ValueError(f"{name}: invalid weight_decay {group['weight_decay']}")

    def zero_grad(self, set_to_none=True):
        """Clear every gradient: None, or zeros with ``set_to_none=False`` (PyTorch's ``zero_grad``)."""
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None if set_to_none or p.grad is None else Tensor(p.grad._data * 0)

    def step(self):
        """One update of every parameter that has a gradient (parameters without one are left alone)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.update(p, p.grad._data, self.state.setdefault(p, {}), group)
                    bump_version(p)  # written in place: a graph that saved p before this step can no longer backward

    def update(self, p, grad, state, group):
        """Update one parameter ``p`` in place from its gradient array; each optimizer defines it."""
        raise NotImplementedError

    def to(self, device):
        """Move the per-parameter state arrays (Adam's moments, SGD's momentum) to ``device``, in place. Call it
        with the model's move, ``model.to(d); optimizer.to(d)``, once state exists (after a step or a resume)."""
        device = backend.check_device(device)
        for slots in self.state.values():
            for key, value in slots.items():
                if isinstance(value, backend.ARRAY_TYPES):
                    slots[key] = to_device(value, device)
        return self

    # ----- saving and resuming -----
    def state_dict(self):
        """{"state": {index: {name: array copy or number}}, "param_groups": [{option: value, "params": [index]}]};
        parameters are numbered across groups in order, as in PyTorch. Arrays are copies: a snapshot."""
        index = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index[p] = len(index)
                ids.append(index[p])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {}
        for p, s in self.state.items():
            if s and p in index:
                state[index[p]] = {k: v.copy() if isinstance(v, backend.ARRAY_TYPES) else v for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and state saved by ``state_dict()`` (keys may be ints or strings, values arrays or
        Tensors, e.g. read back from a checkpoint). Everything is checked before anything changes."""
        name = type(self).__name__
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if groups is None or "state" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups'")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has {len(groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        params = []
        for i, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(f"{name}.load_state_dict: group {i} has {len(saved['params'])} parameters in "
                                 f"the saved state and {len(own['params'])} here")
            params.extend(own["params"])
        new_state = {}
        for key, saved in state_dict["state"].items():
            i = int(key)
            if not 0 <= i < len(params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, but there are {len(params)}")
            p, entry = params[i], {}
            for k, v in saved.items():
                v = v._data if isinstance(v, Tensor) else v
                if isinstance(v, backend.ARRAY_TYPES):
                    if v.shape != p.shape and v.ndim:
                        raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {i} has shape "
                                         f"{v.shape}, the parameter has shape {p.shape}")
                    v = to_device(v, p.device).astype(p.dtype) if v.ndim else v.item()
                entry[k] = v
            new_state[p] = entry
        for saved, own in zip(groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    own[k] = tuple(v) if isinstance(v, list) else v
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
