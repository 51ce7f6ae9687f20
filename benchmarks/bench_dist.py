"""Data-parallel GPT training on MPI: tokens per second at 1 and 2 ranks, the scaling efficiency, and the time spent
averaging the gradients.

    tgg bench dist [--ranks 1 2] [--steps 30] [--json FILE]

Each rank runs one BLAS thread (the machine's cores are the ranks). Two ways to scale, both measured:
- weak: every rank keeps the per-rank batch of the default GPT (32 windows), so 2 ranks train on 64 per step;
  efficiency = tokens/s at N ranks / (N x tokens/s at 1 rank);
- strong: the global batch stays 32, split into N shards; efficiency = step time at 1 rank / (N x step time at N).
The all-reduce share is its time per step over the step time (measured on rank 0).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def worker(args):
    """One rank: the default GPT, the GPT-3 recipe, random windows of the embedded text; time args.steps steps."""
    from tinygrad_gen.models import gpt, gpt3_recipe

    import tinygrad_gen as tg
    from tinygrad_gen import distributed as dist
    from tinygrad_gen import optim

    dist.init()
    vocab, train_ids, _ = gpt.encode_corpus()
    tg.manual_seed(0)
    model = gpt.GPT(gpt.GPTConfig(len(vocab)))
    dist.broadcast_parameters(model)
    optimizer = gpt3_recipe.adamw(model, 1e-3)
    rng = np.random.default_rng(0)
    local = args.batch // (1 if args.weak else dist.world_size())
    context = model.config.context
    windows = tg.data.TextWindows(train_ids, context)

    def step():
        x, y = windows[rng.integers(len(windows), size=local * dist.world_size())]  # the global batch
        rows = dist.shard(len(x))
        _, loss = model(tg.tensor(x[rows]), tg.tensor(y[rows]))
        optimizer.zero_grad()
        loss.backward()
        dist.all_reduce_gradients(model.parameters())
        optim.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(3):
        step()
    dist.barrier()
    dist.stats.update(all_reduce_seconds=0.0, all_reduce_calls=0)
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    dist.barrier()
    seconds = (time.perf_counter() - start) / args.steps
    if dist.is_main():
        tokens = local * dist.world_size() * context
        result = {"ranks": dist.world_size(), "weak": args.weak, "global_batch": local * dist.world_size(),
                  "ms_per_step": 1e3 * seconds, "tokens_per_s": tokens / seconds,
                  "all_reduce_ms_per_step": 1e3 * dist.stats["all_reduce_seconds"] / args.steps}
        with open(args.result, "w") as f:
            json.dump(result, f)


def measure(ranks, weak, steps, batch):
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    if mpiexec is None:
        raise SystemExit("tgg bench dist: mpiexec not found; install the extra: pip install 'tinygrad_gen[dist]'")
    with tempfile.TemporaryDirectory() as tmp:
        result = os.path.join(tmp, "result.json")
        cmd = [mpiexec, "-n", str(ranks), sys.executable, "-m", __spec__.name if __spec__ else __name__,
               "--worker", "--result", result, "--steps", str(steps), "--batch", str(batch)] + (["--weak"] if weak
                                                                                                 else [])
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        subprocess.run(cmd, check=True, env=env)
        with open(result) as f:
            return json.load(f)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tgg bench dist", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per measurement")
    parser.add_argument("--batch", type=int, default=32, help="per-rank batch (weak) / global batch (strong)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--weak", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    rows = []
    print(f"{'scaling':<8} {'ranks':>5} {'batch':>6} {'ms/step':>8} {'tokens/s':>9} {'all-reduce ms':>13} "
          f"{'share':>6} {'efficiency':>10}")
    for weak in (True, False):
        base = None
        for ranks in args.ranks:
            r = measure(ranks, weak, args.steps, args.batch)
            base = base or r
            if weak:
                r["efficiency"] = r["tokens_per_s"] / (ranks * base["tokens_per_s"])
            else:
                r["efficiency"] = base["ms_per_step"] / (ranks * r["ms_per_step"])
            r["all_reduce_share"] = r["all_reduce_ms_per_step"] / r["ms_per_step"]
            rows.append(r)
            print(f"{'weak' if weak else 'strong':<8} {ranks:5d} {r['global_batch']:6d} {r['ms_per_step']:8.1f} "
                  f"{r['tokens_per_s']:9.0f} {r['all_reduce_ms_per_step']:13.2f} {r['all_reduce_share']:6.1%} "
                  f"{r['efficiency']:10.2f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": "tgg bench dist " + " ".join(argv or []), "date": time.strftime("%Y-%m-%d"),
                       "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
