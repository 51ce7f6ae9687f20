#!/usr/bin/env bash
# One script for a lent GPU machine (CuPy, numba-cuda, PyTorch, pytest, hypothesis already there; no registry):
# installs nothing; times every compiled variant of both kernels (the autotune sweep), runs both kernel benchmarks
# with the sweep's winners, then the CUDA tests, and prints a short table last. About 4 minutes; at most 240 s.
# The sweeps time the current default and the best new variants (SWEEP_*), not every compiled one: on the H200 run of
# 2026-11-26 a 6 + 3 variant sweep and 57 s for the tests did not fit (benchmarks/RESULTS.md).
#   pip install . && bash benchmarks/gpu_check.sh [OUTDIR]    (JSON and logs go to OUTDIR, default gpu_check_out
#   beside benchmarks/; without a registry: pip install --no-deps --no-build-isolation .)
set -uo pipefail
# The tests are the repo's (beside this script); the package, benchmarks included, is the installed one
# (pip install . maps kernels/, models/ and benchmarks/ into tinygrad_gen): everything runs from OUT, so the
# checkout's own tinygrad_gen/ folder (without those) never shadows the installation.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/gpu_check_out}"
mkdir -p "$OUT" && OUT="$(cd "$OUT" && pwd)"
cd "$OUT"
if ! python -c "import tinygrad_gen.kernels.matmul_numba, tinygrad_gen.benchmarks.bench_kernels" \
        2>"$OUT/import.txt"; then
    echo "gpu_check: tinygrad_gen is not installed with its kernels and benchmarks; run: pip install $ROOT" >&2
    tail -1 "$OUT/import.txt" >&2
    exit 1
fi
python -c "import tinygrad_gen; print('tinygrad_gen', tinygrad_gen.__version__, 'from', tinygrad_gen.__path__[0])"
export CUPY_TF32=0
export NUMBA_CUDA_ARRAY_INTERFACE_SYNC=0  # CuPy, Numba and torch all use the default stream here
BENCH="python -m tinygrad_gen.benchmarks.bench_kernels"
SWEEP_MATMUL="128x128x16-r128 128x128x16-u2-r128 128x128x16-u"
SWEEP_ATTENTION="tiled-wide tiled-big"

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
python -c "import numba, cupy, torch; from numba import cuda; print('numba', numba.__version__, 'cupy', cupy.__version__, 'torch', torch.__version__, 'numba.cuda from', cuda.__name__, cuda.__file__)"

echo "== variants: matmul (${SECONDS} s)"
timeout 25 $BENCH matmul-variants --variants $SWEEP_MATMUL --json "$OUT/matmul_variants.json" 2>&1 | tee "$OUT/matmul_variants.txt"
echo "== variants: attention (${SECONDS} s)"
timeout 45 $BENCH attention-variants --variants $SWEEP_ATTENTION --json "$OUT/attention_variants.json" 2>&1 | tee "$OUT/attention_variants.txt"
# the winners (empty when a sweep found none: then the kernels' defaults run)
MM_WIN="$(python -c "import json; print(json.load(open('$OUT/matmul_variants.json'))['winner'] or '')" 2>/dev/null)"
ATT_WIN="$(python -c "
import json; w = json.load(open('$OUT/attention_variants.json'))['winners']
d64 = [v for c, v in w.items() if ' d64' in c and v]; d128 = [v for c, v in w.items() if ' d128' in c and v]
print(','.join(f'{k}:{v[0]}' for k, v in (('64', d64), ('128', d128)) if v))" 2>/dev/null)"
echo "winners: matmul=${MM_WIN:-default} attention=${ATT_WIN:-default}"

echo "== tgg bench matmul (${SECONDS} s)"
timeout 25 $BENCH matmul ${MM_WIN:+--variant "$MM_WIN"} --json "$OUT/matmul.json" 2>&1 | tee "$OUT/matmul.txt"
echo "== tgg bench attention (${SECONDS} s)"
timeout 50 $BENCH attention ${ATT_WIN:+--variant "$ATT_WIN"} --json "$OUT/attention.json" 2>&1 \
    | tee "$OUT/attention.txt"

echo "== CUDA tests (${SECONDS} s)"
timeout 80 python -m pytest -q --no-header -p no:cacheprovider -c "$ROOT/pytest.ini" --rootdir "$ROOT" \
    -o addopts="" --tb=short -rf "$ROOT/tests/kernels/test_cuda.py" > "$OUT/tests.txt" 2>&1
tail -30 "$OUT/tests.txt"
TESTS="$(tail -1 "$OUT/tests.txt")"

echo
echo "== summary ($(date -u +%Y-%m-%d), $(head -1 "$OUT/gpu.txt" | cut -d, -f1), ${SECONDS} s)"
echo "tests/kernels/test_cuda.py: $TESTS"
echo "winners: matmul=${MM_WIN:-default} attention=${ATT_WIN:-default}"
$BENCH summary $(ls "$OUT"/matmul_variants.json "$OUT"/attention_variants.json "$OUT"/matmul.json \
    "$OUT"/attention.json 2>/dev/null)
