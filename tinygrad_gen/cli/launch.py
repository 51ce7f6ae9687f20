"""``tgg train MODEL --ranks N``: start N copies of ``tgg train MODEL`` under ``mpiexec`` (data-parallel training,
see ``tinygrad_gen.distributed``) and report which rank failed if one did.

``mpiexec -n N tgg train MODEL`` does the same by hand; ``--ranks`` only finds ``mpiexec`` and turns MPI's "bad
termination" report into one line that names the rank. Either way each rank takes its share of the cores itself
(``tinygrad_gen.threads.use_threads``, read from the variables ``mpiexec`` sets), so both ways run alike.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

PID_DIR = "TGG_RANK_PID_DIR"  # where each rank writes its process id (read back to name a rank that died)


def find_mpiexec():
    """The ``mpiexec`` to launch ranks with: the virtual environment's own first, then the PATH's."""
    here = str(Path(sys.executable).parent)  # a virtual environment's own mpiexec (the mpich wheel) comes first
    found = shutil.which("mpiexec", path=here + os.pathsep + os.environ.get("PATH", ""))
    if found is None:
        raise SystemExit("tgg train: --ranks needs MPI; install the extra: pip install 'tinygrad_gen[dist]'")
    return found


def without_ranks(argv):
    """``argv`` without its ``--ranks N`` / ``--ranks=N``."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--ranks":
            skip = True
        elif not a.startswith("--ranks="):
            out.append(a)
    return out


def record_pid():
    """Called by every rank at start (from ``tgg train``): leaves ``rank<r>`` holding its pid for the launcher."""
    folder = os.environ.get(PID_DIR)
    if folder:
        from tinygrad_gen import distributed
        Path(folder, f"rank{distributed.rank()}").write_text(str(os.getpid()))


def launch(ranks, argv):
    """Run ``tgg train`` + ``argv`` on ``ranks`` processes; the job's exit status (non-zero if any rank failed)."""
    mpiexec = find_mpiexec()
    with tempfile.TemporaryDirectory(prefix="tgg-ranks-") as pids:
        env = {**os.environ, PID_DIR: pids}  # no thread variables: each rank takes its share (tgg train --threads)
        cmd = [mpiexec, "-n", str(ranks), sys.executable, "-m", "tinygrad_gen.cli", "train", *without_ranks(argv)]
        job = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        seen = []  # MPI reports a dead process on stdout: both streams are passed on and read
        pumps = [threading.Thread(target=_pass_through, args=(job.stdout, sys.stdout, seen)),
                 threading.Thread(target=_pass_through, args=(job.stderr, sys.stderr, seen))]
        for pump in pumps:
            pump.start()
        try:
            code = job.wait()
        except KeyboardInterrupt:  # mpiexec passes Ctrl-C on to the ranks; wait for them to stop
            code = job.wait()
        for pump in pumps:
            pump.join()
        if code != 0:
            rank = _dead_rank("".join(seen), pids)
            if rank is not None:
                print(f"tgg train: rank {rank} of {ranks} was terminated; the job stopped (exit status {code})",
                      file=sys.stderr)
        return code


def _pass_through(stream, to, seen):
    for line in stream:
        to.write(line)
        to.flush()
        seen.append(line)


def _dead_rank(report, pids):
    """The rank whose pid MPI's bad-termination report names, or None."""
    match = re.search(r"PID (\d+)", report)
    if not match:
        return None
    for f in Path(pids).glob("rank*"):
        if f.read_text().strip() == match.group(1):
            return int(f.name[4:])
    return None
