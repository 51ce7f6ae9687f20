"""Where ``tgg train`` writes, and whether it may go on there: the resume policy and the ranks' folders.

- ``--resume`` may change only how long a run trains and where (``RESUMABLE``); a folder holding a run of another
  model, or trained with other options, is refused before anything is written.
- In a data-parallel job rank 0 writes into the run folder; every other rank gets a scratch folder of its own
  (removed when the process ends) and reads rank 0's checkpoint to resume.
"""
import atexit
import json
import shutil
import tempfile
from pathlib import Path

# the options a resumed run may change: how long it trains and where; any other change is a different run
RESUMABLE = ("epochs", "steps", "resume", "out", "device")


def check_resumable(folder, config, may_change=RESUMABLE):
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


def rank_folder(out, data_parallel):
    """The folder this rank writes into: ``out`` on the main rank, a scratch folder (removed at exit) elsewhere."""
    if data_parallel.is_main:
        return Path(out)
    scratch = Path(tempfile.mkdtemp(prefix=f"tgg-rank{data_parallel.rank}-"))
    atexit.register(shutil.rmtree, scratch, True)
    return scratch
