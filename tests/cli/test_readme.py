"""The README runs as written. Its Python blocks and the commands it shows (in ```sh blocks and in `code` in the prose)
run in one fresh folder, in the README's order, and print what the README says they print. The only changes made to
a command are the tables below, each entry with its reason: SHORTER appends options so that a command that trains or
benchmarks finishes in seconds (argparse keeps the last value: `--epochs 300 --epochs 1` trains one epoch),
INSTANCES fills a template's placeholders, SKIPPED names what is not run here and why. A command added to the README
without an entry fails test_every_readme_command_is_accounted_for, so the tables cannot fall behind."""
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
COMMAND_START = ("tgg ", "python ", "pip ", "mpiexec ", "bash ")

# command as written in the README -> options appended to it (the short run of a command that trains or benchmarks)
SHORTER = {
    "tgg train vae": "--epochs 1",
    "tgg train vae --epochs 50": "--epochs 1",
    "tgg train gan1d": "--steps 2",
    "tgg train gan2d --dataset ring --seeds 5": "--seeds 1 --steps 2",
    "tgg train gan2d --dataset grid --seeds 5": "--seeds 1 --steps 2",
    "tgg train dcgan": "--epochs 1",
    "tgg train cyclegan": "--epochs 1",
    "tgg train cyclegan --domain transpose": "--epochs 1",
    "tgg train gpt": "--steps 2 --eval-batches 1",
    "tgg train bert": "--quick --steps 2",
    "tgg train bert_efficiency": "--quick --steps 4",
    "tgg train icl": "--quick --steps 2",
    "tgg train scaling": "--quick --steps 2",
    "tgg train gpt --ranks 2": "--steps 2 --eval-batches 1",
    "mpiexec -n 2 tgg train gpt": "--steps 2 --eval-batches 1",
    "python -m tinygrad_gen.benchmarks.step_vae --epochs 300": "--epochs 1",
    "tgg bench overhead": "--reps 1 --only mlp",
    "tgg bench step": "--model vae --reps 1",
    "tgg bench conv": "--reps 1 --only max_pool2d",
    "tgg bench dist": "--steps 1",
    "tgg exercise grade hw": "--tasks 1.1,1.2",
    "tgg bench cpu-ops": "--reps 1",
    "tgg bench attention --device cpu": "--sizes 128 --reps 1 --no-memory",
    "tgg bench kernels --device cpu": "--reps 1 --png roofline.png",
}
# a template of the README -> the command run for it (with the short options where it trains)
INSTANCES = {
    "tgg graph MODEL": "tgg graph gpt",
    "tgg train MODEL": "tgg train logreg --epochs 1",
    "tgg train MODEL --help": "tgg train vae --help",
    "tgg sample MODEL --ckpt DIR [--n N] [--out DIR]": "tgg sample vae --ckpt runs/vae --n 4 --out vae_samples",
    "tgg train ae --latent K": "tgg train ae --latent 2 --epochs 1",
    "tgg train bert --layers L --heads A --width H":
        "tgg train bert --layers 1 --heads 2 --width 32 --quick --steps 2",
    "python -m tinygrad_gen.kernels.matmul_numba --print-source [VARIANT]":
        "python -m tinygrad_gen.kernels.matmul_numba --print-source",
    "tgg train --ranks": "tgg train gpt --ranks 2 --steps 2 --eval-batches 1",
    "tgg train --ranks 2": "tgg train gpt --ranks 2 --steps 2 --eval-batches 1",
    "mpiexec -n N": "mpiexec -n 2 tgg train gpt --steps 2 --eval-batches 1 --out runs/gpt_by_hand",
    "tgg exercise grade hw --tasks 1.1,1.7,2.4 --seed 2026": "tgg exercise grade hw --tasks 1.1,2.4 --seed 2026",
}
SKIPPED = {
    "pip install .": "installs: tests/cli/test_install.py installs the package into a fresh venv and runs it",
    'pip install -e ".[dev]"': "installs: these tests run in the environment it made",
    'pip install ".[dist]"': "installs mpi4py and mpich, which [dev] installs too",
    "python -m pytest -q": "the default test suite, which this test is part of",
    "python -m pytest -m slow": "the slow tests, which this test is part of",
    "bash benchmarks/gpu_check.sh": "needs a CUDA GPU",
    "tgg bench matmul": "needs a CUDA GPU",
    "tgg bench attention": "needs a CUDA GPU",
}
MY_OPS = "class Tanh(tg.Function):"  # the block written to my_ops.py, as the README says
WRONG, RIGHT = "return g * (1 - y) ", "return g * (1 - y * y)"  # its wrong line, and the fix the README names


def readme_steps():
    """The README in order: ("file", code) for my_ops.py, ("python", code, shown) for a block, ("sh", command, shown)
    for a command; shown is the output the README prints for it (None where it shows none)."""
    text = README.read_text()
    steps, end = [], 0
    for block in re.finditer(r"^```(\w*)\n(.*?)^```\n", text, re.M | re.S):
        prose, lang, code = text[end:block.start()], block.group(1), block.group(2)
        steps += [("sh", c, None) for c in _inline_commands(prose)]
        printed = re.match(r"\s*prints `([^`]*)`", prose)
        if printed and steps and steps[-1][0] == "python":  # "prints `True True`" right after a block
            steps[-1] = ("python", steps[-1][1], printed.group(1))
        last = steps[-1] if steps else ("", "")
        shows_output = lang == "text" and prose.rstrip().endswith(":")  # "... names the element that disagrees:"
        if shows_output and last[0] == "sh" and f"`{last[1]}`" in prose:  # the output of the command just named
            steps[-1] = ("sh", last[1], code)
        elif shows_output and last[0] == "python" and prose.lstrip().startswith("prints"):  # of the block before
            steps[-1] = ("python", last[1], code)
        elif lang == "python":
            steps.append(("file", code) if MY_OPS in code else ("python", code, None))
        elif lang == "sh":
            steps += [("sh", c, None) for line in code.splitlines() for c in _split(re.split(r"\s+#\s", line)[0])]
        end = block.end()
    return steps + [("sh", c, None) for c in _inline_commands(text[end:])]


def _inline_commands(prose):
    """The commands in `code` spans of the prose (a span may wrap onto the next line)."""
    spans = (span.replace("\n", " ") for span in re.findall(r"`([^`]+)`", prose))
    return [c for span in spans if span.startswith(COMMAND_START) for c in _split(span)]


def _split(line):
    return [part.strip() for part in line.split("&&") if part.strip()]


def _command_line(command):
    """What is run for a README command: its instance, or the command with its short options."""
    line = INSTANCES.get(command, command + (" " + SHORTER[command] if command in SHORTER else ""))
    return shlex.quote(sys.executable) + line[len("python"):] if line.startswith("python ") else line


def _is_slow(command):
    """Commands that train, benchmark or sample from a trained run: the slow test runs them."""
    line = _command_line(command)
    return command in SHORTER or line.startswith("tgg sample") or ("train " in line and "--help" not in line)


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # tgg, mpiexec of this venv
    env.pop("PYTHONPATH", None)
    return env


def _run_command(command, folder):
    return subprocess.run(_command_line(command), shell=True, cwd=folder, env=_env(), capture_output=True, text=True,
                          timeout=900)


def _run_python(code, folder):
    return subprocess.run([sys.executable, "-c", code], cwd=folder, env=_env(), capture_output=True, text=True,
                          timeout=300)


def _walk(folder, slow):
    """Run the README's steps in `folder`; slow=False runs the Python blocks and the quick commands, True the rest."""
    steps, done = readme_steps(), set()
    for step in steps:
        kind, code = step[0], step[1]
        if kind == "sh" and code in done:
            continue  # a command named twice runs once
        done.add(code)
        if kind == "file":
            (folder / "my_ops.py").write_text(code)
        elif kind == "python" and not slow:
            if "tg.draw(" in code and shutil.which("dot") is None:
                continue  # an .svg needs Graphviz's dot (CI installs it)
            if "trace_backward" in code:  # continues the MLP block before it, as the README says
                code = next(s[1] for s in steps if s[0] == "python" and "tg.draw(" in s[1]) + code
            result = _run_python(code, folder)
            if "from my_ops import" in code:  # the README's my_ops.py still has its wrong line: the error names it
                assert result.returncode != 0 and "GradcheckError" in result.stderr, result.stderr[-2000:]
                continue
            assert result.returncode == 0, f"README block failed:\n{code}\n{result.stderr[-3000:]}"
            if step[2] is not None:
                assert result.stdout.strip() == step[2].strip(), f"README block printed:\n{result.stdout}"
        elif kind == "sh" and _is_slow(code) == slow and code not in SKIPPED:
            result = _run_command(code, folder)
            wanted = 1 if code == "tgg gradcheck my_ops.py" else 0  # the README: "exits with status 1"
            assert result.returncode == wanted, f"{code}: exit {result.returncode}\n{result.stderr[-3000:]}"
            if step[2] is not None:
                assert result.stdout.strip() == step[2].strip(), f"{code} printed:\n{result.stdout}"


def test_every_readme_command_is_accounted_for():
    commands = {step[1] for step in readme_steps() if step[0] == "sh"}
    templates = {c for c in commands if re.search(r"\b[A-Z]+\b", c)}
    assert templates <= set(INSTANCES), f"templates without an instance in INSTANCES: {templates - set(INSTANCES)}"
    long_runs = {c for c in commands if re.match(r"(tgg (train|bench)|mpiexec) ", c) and "--help" not in c}
    missing = long_runs - set(SHORTER) - set(INSTANCES) - set(SKIPPED)
    assert not missing, f"commands that train or benchmark without short options in SHORTER: {missing}"
    stale = (set(SHORTER) | set(INSTANCES) | set(SKIPPED)) - commands
    assert not stale, f"table entries the README no longer has: {stale}"


def test_readme_python_blocks_and_quick_commands_run_in_a_fresh_folder(tmp_path):
    _walk(tmp_path, slow=False)
    assert not (tmp_path / "docs").exists()  # nothing writes into a docs/ folder of the current directory


def test_fixing_the_line_the_readme_names_makes_the_exercise_pass(tmp_path):
    code = next(step[1] for step in readme_steps() if step[0] == "file")
    assert WRONG in code
    (tmp_path / "my_ops.py").write_text(code.replace(WRONG, RIGHT + " "))
    assert _run_command("tgg gradcheck my_ops.py", tmp_path).returncode == 0
    snippet = next(step[1] for step in readme_steps() if step[0] == "python" and "from my_ops import" in step[1])
    result = _run_python(snippet, tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "True", result.stderr[-2000:]


@pytest.mark.slow
def test_readme_commands_that_train_or_benchmark_run_in_a_fresh_folder(tmp_path):
    _walk(tmp_path, slow=True)
