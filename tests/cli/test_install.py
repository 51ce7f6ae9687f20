"""`pip install .` (not editable) gives a package that works from the repo root, where the source folder
tinygrad_gen/ shadows the installed copy, and from any other folder, where the installed copy is used: a model test
and a benchmark module run in both places, and each place imports the models from where it should."""
import os
import shutil
import site
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# a fresh clone: the repo without build outputs, run folders and caches (an in-tree build would write build/ here)
NOT_IN_A_CLONE = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "runs", "__pycache__", ".hypothesis",
                                        ".pytest_cache", ".ruff_cache", ".venv")
MODEL_TEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/models/test_vae.py", "-k",
              "iwae_with_one_sample"]
BENCHMARK = ["-m", "tinygrad_gen.benchmarks.step_vae", "--epochs", "1"]
WHERE_MODELS = ["-c", "import tinygrad_gen.models as m; print(m.__file__)"]


def _fresh_venv(folder: Path) -> Path:
    """A new venv whose own site-packages comes first, then this interpreter's packages (numpy, pip, setuptools,
    pytest, torch), so nothing is downloaded. `venv --system-site-packages` would give the base interpreter's
    packages instead, not those of the venv the tests run in; a .pth line adds that folder without running its own
    .pth files (so an editable install of this repo there stays out)."""
    venv.create(folder, with_pip=False)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    own = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    parents = site.getsitepackages() + [sysconfig.get_path("purelib")]
    Path(own, "parent_packages.pth").write_text("\n".join(dict.fromkeys(parents)) + "\n")
    return python


def _run(python: Path, args: list, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"
    result = subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{args} in {cwd} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.slow
def test_non_editable_install_runs_a_model_test_and_a_benchmark_from_the_repo_root_and_elsewhere(tmp_path):
    clone = tmp_path / "clone"
    shutil.copytree(ROOT, clone, ignore=NOT_IN_A_CLONE)
    python = _fresh_venv(tmp_path / "venv")
    _run(python, ["-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", "."], clone)
    installed = Path(_run(python, ["-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path).strip())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    # the repo root: the source folder is imported, and finds models/ beside it
    assert Path(_run(python, WHERE_MODELS, clone).strip()) == clone / "models" / "__init__.py"
    assert "1 passed" in _run(python, MODEL_TEST, clone)
    assert "test_elbo" in _run(python, BENCHMARK, clone)

    # any other folder: the installed copy, with models/ inside it
    assert Path(_run(python, WHERE_MODELS, elsewhere).strip()) == installed / "tinygrad_gen" / "models" / "__init__.py"
    assert "1 passed" in _run(python, MODEL_TEST[:5] + [str(clone / MODEL_TEST[5])] + MODEL_TEST[6:], elsewhere)
    assert "test_elbo" in _run(python, BENCHMARK, elsewhere)
    tgg = python.parent / ("tgg.exe" if os.name == "nt" else "tgg")
    assert subprocess.run([tgg, "--version"], cwd=elsewhere, capture_output=True, text=True).returncode == 0
