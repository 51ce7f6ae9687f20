"""``Run``: the small library every ``tgg train`` model uses for its files — config, metrics, checkpoints, figures.

A model's ``train(args, run)`` owns its loop; the run only writes things down::

    state = run.restore(modules={"model": model}, optimizers={"opt": opt}, loaders={"train": loader}) or {"epoch": 0}
    bar = run.progress(total_steps, desc="train")
    ...                                       # bar.update(1); bar.set_postfix(loss=...)
    run.log(step=epoch, train_loss=..., test_acc=...)
    run.save_checkpoint(modules=..., optimizers=..., loaders=..., extra={"epoch": epoch})
    run.finish({"test_acc": ...})

Files in ``run.out``: ``config.json`` (the arguments), ``metrics.csv`` (one row per ``log``), ``metrics.json`` (the
final figures), PNG figures, and ``checkpoint.safetensors``: each module's state as tensors ``NAME.KEY`` (so the
tensors starting with ``"model."`` are the state dict of the module saved as "model"), optimizer arrays as
``optim/NAME/INDEX/SLOT``, and the JSON-able rest — optimizer hyperparameters and step counts, the RNG states of the
engine, NumPy and the loaders, the model's ``extra`` — as JSON in the file's safetensors metadata.

Resuming is exact: the checkpoint holds every random state the loop draws from, and the metrics rows logged after
it are dropped, so an interrupted and resumed run ends bit for bit where an uninterrupted one ends (on the CPU).
"""
import argparse
import atexit
import csv
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import backend, distributed
from . import random as tg_random

CHECKPOINT = "checkpoint.safetensors"
META_KEY = "tinygrad_gen"  # the safetensors metadata entry that holds the checkpoint's JSON


# ----- small helpers -------------------------------------------------------------------------------------------------
def _plain(value):
    """A JSON-able copy of ``value``: Tensors and arrays become numbers or nested lists, tuples lists."""
    from .tensor import Tensor
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (Tensor, *backend.ARRAY_TYPES)):
        arr = backend.to_device(value._data if isinstance(value, Tensor) else value, "cpu")
        return arr.item() if arr.ndim == 0 else arr.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _write_atomic(path, text):
    """Write ``text`` to a temporary file beside ``path``, then rename it into place: never a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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
    tensors, meta = {}, {"format": 1, "modules": {}, "optimizers": {}, "extra": _plain(extra or {}),
                         "loaders": {k: _plain(v.state_dict()) for k, v in (loaders or {}).items()},
                         "schedulers": {k: _plain(v.state_dict()) for k, v in (schedulers or {}).items()},
                         "rng": {"tg": _plain(tg_random.get_state()), "numpy": _numpy_state()},
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
                    state[str(idx)][key] = _plain(value)
        meta["optimizers"][name] = {"state": state, "arrays": kinds, "param_groups": _plain(sd["param_groups"]),
                                    **{k: _plain(v) for k, v in sd.items() if k not in ("state", "param_groups")}}
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
    _apply(path, tensors, meta, modules, optimizers, loaders, schedulers, restore_rng)
    return meta["extra"]


def _apply(path, tensors, meta, modules, optimizers, loaders, schedulers, restore_rng):
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


def check_resumable(folder, config, may_change=()):
    """Refuse (ValueError) to resume the run in ``folder`` with ``config`` when its config.json is of another model
    or differs in an option not in ``may_change``. Reads only: a refused resume writes nothing."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        return
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise ValueError(f"--resume: {str(path)!r} is not valid JSON; is {str(folder)!r} a tgg train output folder?") \
            from None
    if old.get("model") != config.get("model"):
        raise ValueError(f"--resume: {str(folder)!r} holds a run of model {old.get('model')!r}, not "
                         f"{config.get('model')!r}; give this run another --out")
    changed = [k for k in config if k in old and k not in may_change and old[k] != config[k]]
    if changed:
        was = ", ".join(f"--{k.replace('_', '-')} {old[k]} (now {config[k]})" for k in changed)
        raise ValueError(f"--resume: {str(folder)!r} was trained with {was}; a resumed run may change only "
                         f"{', '.join('--' + k for k in may_change if k not in ('resume', 'out'))}")


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


# ----- the run -------------------------------------------------------------------------------------------------------
class Run:
    """The output folder of one ``tgg train`` invocation, and the few things a training loop writes into it."""

    # the options a resumed run may change: how long it trains and where; any other change is a different run
    RESUMABLE = ("epochs", "steps", "resume", "out", "device")

    def __init__(self, args, model=None, unit="step"):
        self.args = args
        self.model = model or getattr(args, "model", "run")
        self.unit = unit  # what the logged "step" counts ("epoch" for models trained by epochs): the curves' x axis
        self.device = backend.check_device(getattr(args, "device", "cpu"))
        if self.device == "cuda":
            backend.cupy()  # fail now, with the install hint, rather than mid-run
        self.out = Path(getattr(args, "out", None) or Path("runs") / self.model)
        config = {"model": self.model, **{k: _plain(v) for k, v in vars(args).items()}}
        config = json.loads(json.dumps(config, default=str))  # as config.json will hold it
        resume = bool(getattr(args, "resume", False))
        if resume:  # before anything is written: a failed resume leaves the folder as it was
            check_resumable(self.out, config, self.RESUMABLE)
        self.checkpoint_path = self.out / CHECKPOINT   # every rank resumes from rank 0's checkpoint
        if distributed.world_size() > 1:
            distributed.check_same_config(vars(args))  # before anything is written
            if not distributed.is_main():  # rank 0 alone writes into the run folder; the others into a scratch one
                self.out = Path(tempfile.mkdtemp(prefix=f"tgg-rank{distributed.rank()}-"))
                atexit.register(shutil.rmtree, self.out, True)
        self.out.mkdir(parents=True, exist_ok=True)
        self.resuming = resume and self.checkpoint_path.is_file()
        if resume and not self.resuming:
            print(f"tgg train: no checkpoint in {self.out}, starting from scratch", file=sys.stderr)
        if not self.resuming:  # a fresh run: no rows, figures or weights of an older run may mix with this one's
            for stale in ("metrics.csv", "metrics.json", CHECKPOINT):
                (self.out / stale).unlink(missing_ok=True)
        self.history = []
        self._columns = None  # metrics.csv's header, once written
        self._bars = []
        self._figures = set()
        _write_atomic(self.out / "config.json", json.dumps(config, indent=2) + "\n")

    # progress
    def progress(self, total, desc="", initial=0):
        """A tqdm bar (``bar.update(n)``, ``bar.set_postfix(loss=...)``); silent when stderr is not a terminal.
        ``finish`` closes it."""
        from tqdm.auto import tqdm
        bar = tqdm(total=total, initial=initial, desc=desc or self.model, dynamic_ncols=True,
                   disable=None if distributed.is_main() else True)
        self._bars.append(bar)
        return bar

    # metrics
    def log(self, step, **scalars):
        """Append ``{step, **scalars}`` to the history and to ``metrics.csv`` (Tensors and arrays become numbers)."""
        row = {"step": _plain(step), **{k: _plain(v) for k, v in scalars.items()}}
        self.history.append(row)
        if self._columns is not None and set(row) <= set(self._columns):
            with open(self.out / "metrics.csv", "a", newline="", encoding="utf-8") as f:
                self._writer(f).writerow(self._csv_row(row))
        else:  # a new column: write the whole table again under the wider header
            self._write_csv()
        return row

    def _writer(self, f):
        return csv.DictWriter(f, fieldnames=self._columns, lineterminator="\n")

    @staticmethod
    def _csv_row(row):
        return {k: repr(v) if isinstance(v, float) else v for k, v in row.items()}  # repr: floats read back exactly

    def _write_csv(self):
        self._columns = list(dict.fromkeys(k for row in self.history for k in row))
        buf = io.StringIO()
        writer = self._writer(buf)
        writer.writeheader()
        for row in self.history:
            writer.writerow(self._csv_row(row))
        _write_atomic(self.out / "metrics.csv", buf.getvalue())

    def _read_csv(self, rows):
        """The first ``rows`` rows of ``metrics.csv``, numbers parsed back exactly (floats were written by repr)."""
        path = self.out / "metrics.csv"
        if not path.is_file() or rows == 0:
            return []

        def parse(text):
            for kind in (int, float):
                try:
                    return kind(text)
                except ValueError:
                    pass
            return text
        with open(path, newline="", encoding="utf-8") as f:
            table = list(csv.DictReader(f))[:rows]
        return [{k: parse(v) for k, v in row.items() if v != ""} for row in table]

    # checkpoints
    def save_checkpoint(self, modules=None, optimizers=None, extra=None, loaders=None, schedulers=None):
        """Atomically write ``checkpoint.safetensors``: modules, optimizers, loaders, schedulers (``{name: obj}``),
        the engine's and NumPy's RNG states, ``extra`` (JSON-able: what the loop needs to go on) and how many metric
        rows were logged."""
        if not distributed.is_main():
            return None
        return save_checkpoint(self.checkpoint_path, modules, optimizers, loaders, schedulers, extra,
                               log_rows=len(self.history))

    def restore(self, modules=None, optimizers=None, loaders=None, schedulers=None):
        """With ``--resume`` and a checkpoint: load it into the given objects in place, restore the RNG states and
        the metrics history up to the checkpoint, and return its ``extra`` dict. Otherwise ``None``.
        In a data-parallel job (``tgg train --ranks N``) this is also where the modules get rank 0's parameters,
        their gradients an average over the ranks after each backward, and the loaders a shard of each batch."""
        distributed.attach((modules or {}).values(), (loaders or {}).values())
        if not self.resuming:
            return None
        tensors, meta = read_checkpoint(self.checkpoint_path, self.device)
        _apply(self.checkpoint_path, tensors, meta, modules, optimizers, loaders, schedulers, restore_rng=True)
        self.history = self._read_csv(meta["log_rows"])
        if self.history:
            self._write_csv()
        else:
            (self.out / "metrics.csv").unlink(missing_ok=True)
        print(f"tgg train: resumed from {self.checkpoint_path}", file=sys.stderr)
        return meta["extra"]

    # figures
    def savefig(self, fig, name):
        """Save a matplotlib figure as ``run.out / name`` and close it."""
        import matplotlib.pyplot as plt
        path = self.out / name
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        self._figures.add(name)
        return path

    def plot_curves(self, name="loss.png", keys=None, title=None, xlabel=None, panels=None):
        """Line plot of logged metrics against ``step`` (``keys``: default every logged number but ``step``); the x
        axis is labelled ``xlabel``, by default the run's unit ("epoch" for models trained by epochs). ``panels``, a
        list of key lists, draws each list on an axis of its own, side by side (for figures of different scales:
        losses and a distance)."""
        use_agg()
        import matplotlib.pyplot as plt
        if keys is None and panels is None:
            keys = [k for k in dict.fromkeys(k for row in self.history for k in row) if k != "step"]
        panels = panels or [keys]
        fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4), squeeze=False)
        for ax, panel in zip(axes[0], panels):
            for key in panel:
                points = [(row["step"], row[key]) for row in self.history
                          if isinstance(row.get(key), (int, float)) and not isinstance(row.get(key), bool)]
                if points:
                    ax.plot(*zip(*points), label=key, marker="." if len(points) < 30 else None)
            ax.set_xlabel(xlabel or self.unit)
            ax.grid(alpha=0.3)
            if ax.lines:
                ax.legend()
        fig.suptitle(title or self.model)
        return self.savefig(fig, name)

    # the end
    def finish(self, metrics=None):
        """Close the progress bars, draw ``loss.png`` from the logged losses (unless the model drew it), write
        ``metrics.json`` and print its headline: the numbers and words at its top level (lists and tables, such
        as a confusion matrix or per-step series, stay in the file)."""
        for bar in self._bars:
            bar.close()
        self._bars = []
        metrics = {k: _plain(v) for k, v in (metrics or {}).items()}
        loss_keys = [k for k in dict.fromkeys(k for row in self.history for k in row) if "loss" in k]
        if loss_keys and "loss.png" not in self._figures:
            self.plot_curves("loss.png", keys=loss_keys)
        _write_atomic(self.out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        if distributed.is_main():
            headline = {k: v for k, v in metrics.items() if v is None or isinstance(v, (str, bool, int, float))}
            print(json.dumps(headline, indent=2))
            rest = [k for k in metrics if k not in headline]
            more = f"; {', '.join(rest)} too are in {self.out / 'metrics.json'}" if rest else ""
            print(f"tgg train: wrote {self.out}{more}", file=sys.stderr)
        return metrics


def use_agg():
    """Draw with matplotlib's Agg backend (files only, no display needed)."""
    import matplotlib
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
