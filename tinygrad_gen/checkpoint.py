"""Checkpoints of named parts: one safetensors file holding modules, optimizers, loaders, schedulers, the random
states and a JSON-able ``extra`` dict, written atomically by plain functions::

    save_checkpoint("ckpt.safetensors", modules={"model": model}, optimizers={"adam": opt}, extra={"step": 5})
    extra = load_checkpoint("ckpt.safetensors", modules={"model": model}, optimizers={"adam": opt})

Layout: each module's state as tensors ``NAME.KEY`` (the tensors starting with ``"model."`` are the state dict of
the module saved as "model"), optimizer arrays as ``optim/NAME/INDEX/SLOT``, and the JSON-able rest (optimizer
hyperparameters and step counts, the RNG states of the engine, NumPy and the loaders, ``extra``, how many metric
rows were logged) as JSON in the file's safetensors metadata. ``load_run`` rebuilds a ``tgg train`` run folder's
modules for sampling.
"""
import argparse
import json
from pathlib import Path

import numpy as np

from . import backend
from . import random as tg_random
from .jsonable import to_plain

CHECKPOINT = "checkpoint.safetensors"   # its name in a run folder
META_KEY = "tinygrad_gen"  # the safetensors metadata entry that holds the checkpoint's JSON


def _is_array(value):
    from .tensor import Tensor
    return isinstance(value, (Tensor, *backend.ARRAY_TYPES))


def _numpy_state():
    state = np.random.get_state(legacy=False)
    return {**state, "state": {"key": state["state"]["key"].tolist(), "pos": state["state"]["pos"]}}


def _set_numpy_state(state):
    np.random.set_state({**state, "state": {"key": np.asarray(state["state"]["key"], dtype=np.uint32),
                                            "pos": state["state"]["pos"]}})


def _like(template, value):
    """``value`` (from JSON) given the container types of ``template`` (tuples stay tuples: Adam's betas)."""
    if isinstance(template, tuple) and isinstance(value, list):
        return tuple(_like(t, v) for t, v in zip(template, value))
    if isinstance(template, dict) and isinstance(value, dict):
        return {k: _like(template.get(k), v) for k, v in value.items()}
    return value


# ----- checkpoints ---------------------------------------------------------------------------------------------------
def save_checkpoint(path, modules=None, optimizers=None, loaders=None, schedulers=None, extra=None, log_rows=0):
    """Write one safetensors file holding modules, optimizers, loaders, schedulers, RNG states and ``extra``."""
    import tinygrad_gen as tg
    from .tensor import Tensor
    tensors, meta = {}, {"format": 1, "modules": {}, "optimizers": {}, "extra": to_plain(extra or {}),
                         "loaders": {k: to_plain(v.state_dict()) for k, v in (loaders or {}).items()},
                         "schedulers": {k: to_plain(v.state_dict()) for k, v in (schedulers or {}).items()},
                         "rng": {"tg": to_plain(tg_random.get_state()), "numpy": _numpy_state()},
                         "log_rows": int(log_rows)}
    for name, module in (modules or {}).items():
        sd = module.state_dict()
        meta["modules"][name] = list(sd)
        for key, t in sd.items():
            tensors[f"{name}.{key}"] = t
    for name, opt in (optimizers or {}).items():
        sd = opt.state_dict()
        state, kinds = {}, {}
        for idx, slots in sd["state"].items():
            state[str(idx)], kinds[str(idx)] = {}, {}
            for key, value in slots.items():
                if _is_array(value) or isinstance(value, np.generic):  # NumPy scalars too: keep their dtype
                    kind = "tensor" if isinstance(value, Tensor) else "scalar" if np.ndim(value) == 0 else "array"
                    tensors[f"optim/{name}/{idx}/{key}"] = (value if kind == "tensor" else Tensor(
                        value if isinstance(value, backend.ARRAY_TYPES) else np.asarray(value)))
                    kinds[str(idx)][key] = kind
                else:
                    state[str(idx)][key] = to_plain(value)
        meta["optimizers"][name] = {"state": state, "arrays": kinds, "param_groups": to_plain(sd["param_groups"]),
                                    **{k: to_plain(v) for k, v in sd.items() if k not in ("state", "param_groups")}}
    try:
        text = json.dumps(meta)
    except TypeError as e:
        raise TypeError(f"save_checkpoint: the checkpoint's extra/loader/scheduler state must be JSON-able ({e})") \
            from None
    tg.save(tensors, path, metadata={META_KEY: text})
    return Path(path)


def read_checkpoint(path, device="cpu"):
    """``(tensors, meta)`` of a checkpoint file written by :func:`save_checkpoint`."""
    import tinygrad_gen as tg
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"load_checkpoint: no checkpoint at {str(path)!r}")
    metadata = tg.io.load_metadata(path)
    if META_KEY not in metadata:
        raise ValueError(f"load_checkpoint: {str(path)!r} is a safetensors file but not a tgg train checkpoint "
                         f"(no {META_KEY!r} metadata)")
    return tg.load(path, device=device), json.loads(metadata[META_KEY])


def load_checkpoint(path, modules=None, optimizers=None, loaders=None, schedulers=None, device="cpu",
                    restore_rng=False):
    """Load the named parts of a checkpoint (a file or a run folder) in place and return its ``extra`` dict.

    Every name asked for must be in the checkpoint; parts not asked for are left alone (so ``tgg sample`` can load
    just a GAN's generator). ``restore_rng`` also restores the engine's and NumPy's random states."""
    tensors, meta = read_checkpoint(path, device)
    apply_checkpoint(path, tensors, meta, modules, optimizers, loaders, schedulers, restore_rng)
    return meta["extra"]


def apply_checkpoint(path, tensors, meta, modules=None, optimizers=None, loaders=None, schedulers=None,
                     restore_rng=False):
    """Load the parts of a checkpoint already read (``read_checkpoint``) into the given objects, in place."""
    def find(kind, table, name):
        if name not in table:
            raise KeyError(f"load_checkpoint: no {kind} {name!r} in {str(path)!r} (it has {sorted(table)})")
        return table[name]

    for name, module in (modules or {}).items():
        keys = find("module", meta["modules"], name)
        module.load_state_dict({k: tensors[f"{name}.{k}"] for k in keys})
    for name, opt in (optimizers or {}).items():
        saved = find("optimizer", meta["optimizers"], name)
        template = opt.state_dict()
        state = {}
        for idx, slots in saved["state"].items():
            state[int(idx)] = dict(slots)
            for key, kind in saved["arrays"][idx].items():
                t = tensors[f"optim/{name}/{idx}/{key}"]
                state[int(idx)][key] = t if kind == "tensor" else t._data[()] if kind == "scalar" else t._data
        sd = {k: v for k, v in saved.items() if k not in ("state", "arrays")}
        sd["param_groups"] = [_like(t, g) for t, g in zip(template["param_groups"], saved["param_groups"])]
        sd["state"] = state
        opt.load_state_dict(sd)
    for name, loader in (loaders or {}).items():
        loader.load_state_dict(find("loader", meta["loaders"], name))
    for name, sched in (schedulers or {}).items():
        sched.load_state_dict(_like(sched.state_dict(), find("scheduler", meta["schedulers"], name)))
    if restore_rng:
        tg_random.set_state(meta["rng"]["tg"])
        _set_numpy_state(meta["rng"]["numpy"])


def load_config(folder):
    """The arguments a run was trained with (its ``config.json``) as an ``argparse.Namespace``."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"load_config: no config.json in {str(folder)!r}; is it a tgg train output folder?")
    return argparse.Namespace(**json.loads(path.read_text(encoding="utf-8")))


def load_run(folder, build, model=None, device="cpu"):
    """The trained modules of a run folder, for a model's ``sample``: read its config.json (refusing a run of
    another model than ``model``, when given), build the modules with ``build(config) -> {name: Module}`` (the
    names they were checkpointed under), move them to ``device`` and load their state. Returns
    ``(config, modules)``."""
    config = load_config(folder)
    if model is not None and getattr(config, "model", model) != model:
        raise ValueError(f"{str(folder)!r} holds a run of model {config.model!r}, not {model!r}")
    modules = {name: module.to(device) for name, module in build(config).items()}
    load_checkpoint(folder, modules=modules, device=device)
    return config, modules
