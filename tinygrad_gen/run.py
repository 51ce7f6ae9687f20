"""``Run``: the output folder of one training run, and the few things a training loop writes into it.

A model's ``train(args, run)`` owns its loop, nanoGPT style; the run only writes things down::

    state = run.restore(modules={"model": model}, optimizers={"opt": opt}, loaders={"train": loader}) or {"epoch": 0}
    dp = run.data_parallel                    # the data-parallel job (one process: every call does nothing)
    dp.broadcast(model)
    bar = run.progress(total_steps, desc="train")
    ...                                       # x = dp.shard(batch); loss.backward(); dp.average_gradients(...)
    run.log(step=epoch, train_loss=..., test_acc=...)
    run.save_checkpoint(modules=..., optimizers=..., loaders=..., extra={"epoch": epoch})
    run.finish({"test_acc": ...})

Files in ``run.out``: ``config.json`` (the options), ``metrics.csv`` (one row per ``log``, see ``metrics_log``),
``metrics.json`` (the final figures), PNG figures, and ``checkpoint.safetensors`` (see ``checkpoint``). The folder
is made, and a fresh run's older files removed, the first time the run writes or its folder is asked for
(``run.out``): a run refused before that (a missing ``--text``) leaves nothing behind.

Resuming is exact: the checkpoint holds every random state the loop draws from, and the metrics rows logged after
it are dropped, so an interrupted and resumed run ends bit for bit where an uninterrupted one ends (on the CPU).
Which folder a run writes into, whether it may resume there, and what it prints are the command line's business
(``tinygrad_gen.cli``): a ``Run`` is given them.
"""
import json
import sys
from pathlib import Path
from typing import Any, Mapping, Optional

from . import metrics_log
from .checkpoint import (CHECKPOINT, apply_checkpoint, load_checkpoint, load_config, load_run,  # noqa: F401
                         read_checkpoint, save_checkpoint)
from .distributed import DataParallel
from .jsonable import to_plain, write_text_atomic

STALE = ("metrics.csv", "metrics.json", CHECKPOINT)  # an older run's files that must not mix with a fresh run's


class Run:
    """The output folder of one training run.

    Args:
        out: the folder to write into (made on first use).
        config: the run's options (JSON-able), written to ``config.json``; ``config["model"]`` names the run.
        resume: go on from the checkpoint when there is one (``restore``); otherwise the run starts fresh and
            an older run's metrics and checkpoint in ``out`` are removed when it first writes.
        device: where the model trains (``run.device``, for the loop to use).
        unit: what the logged ``step`` counts ("epoch" for models trained by epochs): the curves' x axis.
        data_parallel: the job this process is a rank of (default: a job of one); only its main rank writes
            checkpoints and shows progress bars.
        checkpoint: the checkpoint to resume from and write (default ``out/checkpoint.safetensors``; the other
            ranks of a job write into a scratch folder but share rank 0's checkpoint)."""

    def __init__(self, out: Any, config: Mapping, *, resume: bool = False, device: str = "cpu", unit: str = "step",
                 data_parallel: Optional[DataParallel] = None, checkpoint: Any = None) -> None:
        self.folder = Path(out)
        self.config = json.loads(json.dumps(to_plain(dict(config)), default=str))  # as config.json holds it
        self.model = self.config.get("model", "run")
        self.device, self.unit = device, unit
        self.data_parallel = data_parallel if data_parallel is not None else DataParallel()
        self.checkpoint_path = Path(checkpoint) if checkpoint is not None else self.folder / CHECKPOINT
        self.resume = bool(resume)
        self.resuming = self.resume and self.checkpoint_path.is_file()
        self.history = []
        self.metrics = None     # what finish() wrote to metrics.json
        self._header = None     # metrics.csv's header, once written
        self._opened = False
        self._bars = []
        self._figures = set()

    @property
    def out(self) -> Path:
        """The run folder, made the first time it is asked for, with the run's ``config.json`` (and, for a fresh
        run, without an older run's metrics and checkpoint)."""
        return self._open()

    def _open(self) -> Path:
        if not self._opened:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not self.resuming:
                for stale in STALE:
                    (self.folder / stale).unlink(missing_ok=True)
            write_text_atomic(self.folder / "config.json", json.dumps(self.config, indent=2) + "\n")
            self._opened = True
        return self.folder

    def child(self, name: str, config: Mapping) -> "Run":
        """A run of its own in the subfolder ``name`` (one model size of a sweep), with this run's resume policy,
        device, unit and data-parallel job."""
        return Run(self.folder / name, config, resume=self.resume, device=self.device, unit=self.unit,
                   data_parallel=self.data_parallel, checkpoint=self.checkpoint_path.parent / name / CHECKPOINT)

    # progress
    def progress(self, total: int, desc: str = "", initial: int = 0):
        """A tqdm bar (``bar.update(n)``, ``bar.set_postfix(loss=...)``); silent when stderr is not a terminal and
        on every rank but the main one. ``finish`` closes it."""
        from tqdm.auto import tqdm
        bar = tqdm(total=total, initial=initial, desc=desc or self.model, dynamic_ncols=True,
                   disable=None if self.data_parallel.is_main else True)
        self._bars.append(bar)
        return bar

    # metrics
    def log(self, step: Any, **scalars: Any) -> dict:
        """Append ``{step, **scalars}`` to the history and to ``metrics.csv`` (Tensors and arrays become numbers)."""
        row = {"step": to_plain(step), **{k: to_plain(v) for k, v in scalars.items()}}
        self.history.append(row)
        path = self.out / "metrics.csv"
        if self._header is not None and set(row) <= set(self._header):
            metrics_log.append_row(path, row, self._header)
        else:  # a new column: the whole table again under the wider header
            self._header = metrics_log.write_table(path, self.history)
        return row

    # checkpoints
    def save_checkpoint(self, modules=None, optimizers=None, extra=None, loaders=None, schedulers=None):
        """Atomically write the checkpoint (on the main rank): modules, optimizers, loaders, schedulers
        (``{name: obj}``), the engine's and NumPy's RNG states, ``extra`` (JSON-able: what the loop needs to go
        on) and how many metric rows were logged."""
        if not self.data_parallel.is_main:
            return None
        self._open()  # the run's config.json goes in before its first checkpoint
        return save_checkpoint(self.checkpoint_path, modules, optimizers, loaders, schedulers, extra,
                               log_rows=len(self.history))

    def restore(self, modules=None, optimizers=None, loaders=None, schedulers=None) -> Optional[dict]:
        """When resuming: load the checkpoint into the given objects in place, restore the RNG states and the
        metrics history up to the checkpoint, and return its ``extra`` dict. Otherwise ``None``."""
        if not self.resuming:
            return None
        tensors, meta = read_checkpoint(self.checkpoint_path, self.device)
        apply_checkpoint(self.checkpoint_path, tensors, meta, modules, optimizers, loaders, schedulers,
                         restore_rng=True)
        self.history = metrics_log.read_table(self.out / "metrics.csv", meta["log_rows"])
        if self.history:
            self._header = metrics_log.write_table(self.out / "metrics.csv", self.history)
        else:
            (self.out / "metrics.csv").unlink(missing_ok=True)
        return meta["extra"]

    # figures
    def savefig(self, fig, name: str) -> Path:
        """Save a matplotlib figure as ``run.out / name`` and close it."""
        import matplotlib.pyplot as plt
        path = self.out / name
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        self._figures.add(name)
        return path

    def plot_curves(self, name="loss.png", keys=None, title=None, xlabel=None, panels=None) -> Path:
        """Line plot of logged metrics against ``step`` (``keys``: default every logged number but ``step``); the x
        axis is labelled ``xlabel``, by default the run's unit ("epoch" for models trained by epochs). ``panels``, a
        list of key lists, draws each list on an axis of its own, side by side (for figures of different scales:
        losses and a distance)."""
        use_agg()
        import matplotlib.pyplot as plt
        if keys is None and panels is None:
            keys = [k for k in metrics_log.columns_of(self.history) if k != "step"]
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
    def finish(self, metrics: Optional[Mapping] = None) -> dict:
        """Close the progress bars, draw ``loss.png`` from the logged losses (unless the model drew it) and write
        ``metrics.json``; returns the metrics as written (also kept as ``run.metrics``)."""
        for bar in self._bars:
            bar.close()
        self._bars = []
        self.metrics = {k: to_plain(v) for k, v in (metrics or {}).items()}
        loss_keys = [k for k in metrics_log.columns_of(self.history) if "loss" in k]
        if loss_keys and "loss.png" not in self._figures:
            self.plot_curves("loss.png", keys=loss_keys)
        write_text_atomic(self.out / "metrics.json", json.dumps(self.metrics, indent=2) + "\n")
        return self.metrics


def use_agg() -> None:
    """Draw with matplotlib's Agg backend (files only, no display needed)."""
    import matplotlib
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
