"""What a task is graded on, computed the same way for the engine (the expected values) and the student's code
(the received ones), and the comparison that names the first wrong element.

For each op row of a task and each drawn input shape: the output and the vector-Jacobian product with a random
upstream gradient, in float64 and float32; in float64 also the central differences of the forward (a gradcheck:
the student's backward against the numbers, not only against our backward) and, where the task asks for it, the
gradient of that vector-Jacobian product again (gradgradcheck). A task with a model trains it briefly; a kernel
task runs the kernel at ragged sizes.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

import tinygrad_gen as tg

from .cases import as_float_inputs, case_named, sample_shapes
from .tasks import Task

TOL = {"float64": dict(rtol=1e-7, atol=1e-9), "float32": dict(rtol=2e-4, atol=2e-5),
       "gradcheck": dict(rtol=1e-4, atol=1e-6), "model": dict(rtol=0.0, atol=0.05)}
SHAPES_PER_CASE = 3


@dataclass
class Failure:
    """Why a task failed: what was checked, on which input, and (for a wrong value) the element."""
    what: str
    detail: str

    def __str__(self) -> str:
        return f"{self.what}: {self.detail}"


def _host(t) -> Optional[np.ndarray]:
    return None if t is None else np.array(t.numpy() if hasattr(t, "numpy") else t, dtype=np.float64)


def evaluate(case_name: str, shapes, seed: int, dtype: str, gradgrad: bool = False) -> dict:
    """{"out", "grads", "second"?} of the op row ``case_name`` at ``shapes`` (values and upstream gradient from
    ``seed``): what the grader compares."""
    case = case_named(case_name)
    inputs = as_float_inputs(case, shapes, seed, np.dtype(dtype))
    tg.manual_seed(seed)
    out = case.fn(*inputs)
    g = tg.tensor(np.random.default_rng(seed + 1).standard_normal(out.shape), dtype=out.dtype)
    grads = tg.grad(out, inputs, g, create_graph=gradgrad, allow_unused=True)
    result = {"out": _host(out), "grads": [_host(x) for x in grads]}
    if gradgrad:
        v = [None if x is None else tg.tensor(np.random.default_rng(seed + 2 + i).standard_normal(x.shape),
                                              dtype=x.dtype) for i, x in enumerate(grads)]
        used = [(x, w) for x, w in zip(grads, v) if x is not None and x.requires_grad]
        if used:
            total = sum((x * w).sum() for x, w in used)
            result["second"] = [_host(x) for x in tg.grad(total, inputs, allow_unused=True)]
    return result


def numeric_vjp(case_name: str, shapes, seed: int, eps: float = 1e-6) -> list:
    """Central differences of <f(x), g> for each float64 input (None where the engine gives no gradient)."""
    case = case_named(case_name)
    inputs = as_float_inputs(case, shapes, seed, np.float64)
    g = None
    out = []

    def value(xs):
        nonlocal g
        tg.manual_seed(seed)  # no no_grad here: a row may differentiate inside (the R1 penalty)
        y = case.fn(*[tg.tensor(x) for x in xs]).detach().numpy().astype(np.float64)
        if g is None:
            g = np.random.default_rng(seed + 1).standard_normal(y.shape)
        return float((y * g).sum())

    arrays = [x.numpy().copy() for x in inputs]
    value(arrays)
    for a in arrays:
        d = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            saved = a[j]
            a[j] = saved + eps
            up = value(arrays)
            a[j] = saved - eps
            down = value(arrays)
            a[j] = saved
            d[j] = (up - down) / (2 * eps)
        out.append(d)
    return out


def _show(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=5, threshold=30, max_line_width=100)


def compare(what: str, got, want, tol: dict, inputs_text: str) -> Optional[Failure]:
    """None when ``got`` matches ``want`` within ``tol``, else a Failure naming the worst element."""
    if want is None and got is None:
        return None
    if want is None or got is None:
        return Failure(what, f"expected {'no gradient' if want is None else 'a gradient'}, received "
                             f"{'none' if got is None else 'one'}; {inputs_text}")
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return Failure(what, f"expected shape {want.shape}, received shape {got.shape}; {inputs_text}")
    if got.size == 0:
        return None
    with np.errstate(invalid="ignore"):
        excess = np.abs(got - want) - (tol["atol"] + tol["rtol"] * np.abs(want))
    excess = np.where(np.isnan(got) != np.isnan(want), np.inf, np.nan_to_num(excess, nan=-1.0))
    worst = np.unravel_index(int(np.argmax(excess)), got.shape)
    if excess[worst] <= 0:
        return None
    return Failure(what, f"element {tuple(int(i) for i in worst)}: expected {want[worst]:.8g}, received "
                         f"{got[worst]:.8g}; {inputs_text}")


def describe_inputs(case_name: str, shapes, seed: int) -> str:
    """The inputs of one example, for a failure message."""
    case = case_named(case_name)
    arrays = [x.numpy() for x in as_float_inputs(case, shapes, seed, np.float64)]
    shown = "; ".join(f"input {i} {a.shape} = {_show(a)}" for i, a in enumerate(arrays))
    return f"op row {case_name!r}, inputs {shown}"


def examples(task: Task, seed: int) -> list:
    """The task's (row, shapes, seed) examples: each row's own shapes and drawn ones, smallest first."""
    out = []
    for name in task.cases:
        for k, shapes in enumerate(sample_shapes(case_named(name), seed, SHAPES_PER_CASE)):
            out.append((name, tuple(tuple(s) for s in shapes), seed + 1000 * k))
    return sorted(out, key=lambda e: sum(int(np.prod(s)) for s in e[1]))


def expected(task: Task, seed: int) -> list:
    """The engine's values on every example (computed before any student code is loaded)."""
    rows = []
    for name, shapes, s in examples(task, seed):
        rows.append({"example": (name, shapes, s),
                     "float64": evaluate(name, shapes, s, "float64", task.gradgrad),
                     "float32": evaluate(name, shapes, s, "float32"),
                     "numeric": numeric_vjp(name, shapes, s)})
    return rows


def first_failure(task: Task, reference: list) -> Optional[Failure]:
    """Evaluate the (installed) student code on the reference's examples; the first mismatch, or None."""
    for row in reference:
        name, shapes, s = row["example"]
        text = None
        for dtype in ("float64", "float32"):
            got = evaluate(name, shapes, s, dtype, task.gradgrad and dtype == "float64")
            want = row[dtype]
            checks = [("forward", got["out"], want["out"])]
            checks += [(f"gradient of input {i}", a, b) for i, (a, b) in enumerate(zip(got["grads"], want["grads"]))]
            if "second" in want:
                checks += [(f"second derivative (gradgradcheck) of input {i}", a, b)
                           for i, (a, b) in enumerate(zip(got.get("second") or [None] * len(want["second"]),
                                                          want["second"]))]
            for what, a, b in checks:
                text = text or describe_inputs(name, shapes, s)
                failure = compare(f"{what}, {dtype}", a, b, TOL[dtype], text)
                if failure:
                    return failure
            if dtype == "float64":
                for i, (a, b) in enumerate(zip(got["grads"], row["numeric"])):
                    if a is not None and b is not None:
                        failure = compare(f"gradcheck of input {i} against central differences, float64", a, b,
                                          TOL["gradcheck"], text)
                        if failure:
                            return failure
    return None
