"""Linear algebra: the matrix product (``a @ b``, ``tg.matmul``), the affine layer (``F.linear``) and Einstein
summation (``tg.einsum``). The products run through ``dispatch.matmul``, which sends CUDA arrays to cuBLAS or the
Numba kernel; on the CPU it is NumPy's ``@`` (BLAS)."""
from __future__ import annotations

import string
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..errors import ArgumentError
from .. import dispatch
from ..autograd import Function
from ..binding import bind
from ..tensor import Tensor
from .case import OpCase
from .checks import as_tensor, layer_operands, same_dtype


class Matmul(Function):
    """z = a @ b: z[..., i, j] = sum_k a[..., i, k] b[..., k, j], batch axes broadcast, NumPy's rules for 1-D
    operands (a 1-D a is a row (1, k), a 1-D b a column (k, 1), and the added axis is dropped from z).

    backward, from dz[i, j] / da[i, k] = b[k, j] and dz[i, j] / db[k, j] = a[i, k]:
    da = g @ b^T,  db = a^T @ g  (a 1-D operand is lifted as in the forward, and the axis dropped again; the
    engine sums the gradients over broadcast batch axes). As in PyTorch, b is saved only when da is needed and a
    only when db is."""
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return dispatch.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        row, col = ctx.inputs[0].ndim == 1, ctx.inputs[1].ndim == 1
        if col:  # z lost b's column axis: put it back on g, make b the (k, 1) column it stood for
            g, b = g.unsqueeze(-1), None if b is None else b.reshape(-1, 1)
        if row:  # likewise a's row axis
            g, a = g.unsqueeze(-2), None if a is None else a.reshape(1, -1)
        da = g @ b.swapaxes(-1, -2) if need_a else None
        db = a.swapaxes(-1, -2) @ g if need_b else None
        return (da.squeeze(-2) if row and need_a else da), (db.squeeze(-1) if col and need_b else db)


class Linear(Function):
    """The affine layer y = x @ w^T + b, x of shape (..., in), w (out, in), b (out,) or None: PyTorch's layout.

    forward: the leading axes of x are flattened into rows X (M, in), y = X w^T + b as one matrix product.
    backward, with g (M, out) the upstream gradient in the same rows (y_mo = sum_i X_mi w_oi + b_o):
    dx = g @ w (reshaped to x's shape),  dw = g^T @ X,  db = sum of g's rows. As in PyTorch, w is saved only when
    dx is needed and x only when dw is."""
    @staticmethod
    def forward(ctx, x, w, b):
        need_x, need_w, _ = ctx.needs_input_grad
        ctx.save_for_backward(x if need_w else None, w if need_x else None)
        y = dispatch.matmul(x.reshape(-1, x.shape[-1]), w.T)
        if b is not None:
            y += b
        return y.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        x_shape, (n_out, n_in) = ctx.inputs[0].shape, ctx.inputs[1].shape
        g2 = g.reshape(-1, n_out)
        dx = (g2 @ w).reshape(x_shape) if need_x else None
        dw = g2.T @ x.reshape(-1, n_in) if need_w else None
        db = g2.sum(axis=0) if need_b else None
        return dx, dw, db


# ----- the public functions -----
def matmul(a: Tensor, b: Tensor | ArrayLike) -> Tensor:
    """The matrix product a @ b, over the last two axes with the batch axes broadcast; 1-D operands follow NumPy
    (a vector on the left is a row, on the right a column, and that axis is dropped).

    Args:
        a: a Tensor with at least one axis.
        b: a Tensor, array or nested list with at least one axis (plain data takes a float a's dtype); a number is
            a TypeError (use ``*``).
    PyTorch: ``torch.matmul`` / ``Tensor.__matmul__``."""
    if (isinstance(b, Tensor) and a._data.ndim >= 2 and b._data.ndim >= 2 and a._data.shape[-1] == b._data.shape[-2]
            and a._data.dtype == b._data.dtype):
        return Matmul.apply(a, b)  # the common case, checked first
    if isinstance(b, (int, float, np.generic)):
        raise TypeError(f"matmul: cannot multiply a tensor of shape {a.shape} by a scalar with @")
    if not isinstance(b, Tensor):
        b = as_tensor(b, dtype=a.dtype if a.dtype.kind == "f" else None, device=a.device)
    same_dtype("matmul", a=a, b=b)
    if a.ndim == 0 or b.ndim == 0:
        raise ArgumentError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    rows = b.shape[-2 if b.ndim > 1 else -1]
    if a.shape[-1] != rows:
        raise ArgumentError(f"matmul: shapes {a.shape} and {b.shape} do not align: {a.shape[-1]} columns against "
                            f"{rows} rows")
    return Matmul.apply(a, b)


def rmatmul(b: Tensor, a: ArrayLike) -> Tensor:
    """``a @ b`` where only b is a Tensor (``numpy_array @ t``): a becomes a constant in b's dtype and device.

    Args:
        b: the right operand.
        a: an array or nested list with at least one axis.
    PyTorch: ``Tensor.__rmatmul__``."""
    return matmul(as_tensor(a, dtype=b.dtype, device=b.device), b)


def linear(x: Tensor, w: Tensor | ArrayLike, b: Tensor | ArrayLike | None = None) -> Tensor:
    """The affine map y = x @ w^T + b, applied to the last axis of x.

    Args:
        x: (..., in).
        w: the weight (out, in), PyTorch's layout.
        b: the bias (out,), or None.
    PyTorch: ``torch.nn.functional.linear``."""
    x, w, b = layer_operands(x, w, b, "linear")
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ArgumentError(f"linear: x of shape {x.shape} does not fit weight of shape {w.shape} "
                            f"(expected (..., in) with w (out, in))")
    if b is not None and b.shape != (w.shape[0],):
        raise ArgumentError(f"linear: bias of shape {b.shape} does not match weight of shape {w.shape} "
                            f"(expected ({w.shape[0]},))")
    return Linear.apply(x, w, b)


# ----- einsum: a composition of differentiable ops, no Function of its own -----
def einsum(equation: str, *operands: Tensor | ArrayLike) -> Tensor:
    """Einstein summation: ``tg.einsum("bij,bjk->bik", a, b)``; ``...`` and size-1 broadcasting as in PyTorch.

    Each label names an axis; labels missing from the output (after ``->``, or, without it, every label seen once,
    alphabetically, after the ``...`` axes) are summed over. Built from differentiable ops, so its gradient needs
    no rule of its own: a label repeated inside one operand takes the diagonal (indexing), a label only one operand
    has and the output lacks is summed out first, and each pair of operands is contracted by transpose + reshape +
    one batched matmul (batch labels in both and kept, contracted labels in both and not kept).

    Args:
        equation: e.g. ``"ij,jk->ik"``, ``"ii"`` (the trace), ``"...ij,...kj->...ik"``.
        operands: Tensors (or arrays, made constants in the first Tensor's dtype), or one list of them.
    PyTorch: ``torch.einsum``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    like = next((t for t in operands if isinstance(t, Tensor)), None)
    ts = [as_tensor(t) if like is None else as_tensor(t, like=like) for t in operands]
    labels, out = _parse(equation, [t.shape for t in ts])
    size = {}
    for t, lab in zip(ts, labels):
        for c, n in zip(lab, t.shape):
            if size.get(c, 1) != 1 and n != 1 and size[c] != n:
                raise ArgumentError(f"einsum: label {c!r} has sizes {size[c]} and {n} in {equation!r}")
            size[c] = max(size.get(c, 1), n)
    work = []
    for k, (t, lab) in enumerate(zip(ts, labels)):
        t, lab = _diagonal(t, lab)
        later = set(out).union(*[set(m) for i, m in enumerate(labels) if i != k])
        work.append(_sum_out(t, lab, later))
    t, lab = work[0]
    for k in range(1, len(work)):
        u, ulab = work[k]
        keep = set(out).union(*[set(m) for _, m in work[k + 1:]])
        t, lab = _pair(t, lab, u, ulab, keep, size)
    t, lab = _sum_out(t, lab, set(out))
    if lab != out:
        t = t.permute(*[lab.index(c) for c in out])
    return t


def _parse(equation: str, shapes: Sequence[tuple]):
    """Operand label lists and output labels; ``...`` becomes one upper-case label per broadcast axis."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ArgumentError(f"einsum: equation {equation!r} names {len(terms)} operands but {len(shapes)} were given")
    spare = [c for c in string.ascii_uppercase if c not in eq]
    n_ell = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t), default=0)
    ell = spare[:n_ell]
    labels = []
    for t, shape in zip(terms, shapes):
        if t.count("...") > 1:
            raise ArgumentError(f"einsum: more than one '...' in {t!r}")
        k = len(shape) - len(t.replace("...", "")) if "..." in t else 0
        lab = list(t.replace("...", "\0"))
        if "\0" in lab:
            i = lab.index("\0")
            lab[i:i + 1] = ell[n_ell - k:]
        if len(lab) != len(shape) or not all(c.isalpha() for c in lab):
            raise ArgumentError(f"einsum: term {t!r} does not fit an operand of shape {tuple(shape)}")
        labels.append(lab)
    if arrow:
        out = list(rhs.replace("...", "\0"))
        if "\0" in out:
            i = out.index("\0")
            out[i:i + 1] = ell
    else:  # implicit output: the ellipsis axes, then the labels seen once, alphabetically
        counts = {}
        for lab in labels:
            for c in lab:
                counts[c] = counts.get(c, 0) + 1
        out = ell + sorted(c for c, n in counts.items() if n == 1 and c not in ell)
    every = {c for lab in labels for c in lab}
    for c in out:
        if c not in every or out.count(c) > 1:
            raise ArgumentError(f"einsum: output label {c!r} of {equation!r} is unknown or repeated")
    return labels, out


def _diagonal(t: Tensor, lab: list):
    """Collapse a label repeated within one operand to its diagonal (indexing with one arange per repeat)."""
    while len(set(lab)) < len(lab):
        c = next(c for c in lab if lab.count(c) > 1)
        i, j = [k for k, d in enumerate(lab) if d == c][:2]
        if t.shape[i] != t.shape[j]:
            raise ArgumentError(f"einsum: label {c!r} has sizes {t.shape[i]} and {t.shape[j]} in one operand")
        order = [k for k in range(t.ndim) if k not in (i, j)] + [i, j]
        t = t.permute(*order)
        r = np.arange(t.shape[-1])
        t = t[..., r, r]  # the diagonal goes last
        lab = [lab[k] for k in order[:-2]] + [c]
    return t, lab


def _sum_out(t: Tensor, lab: list, keep: set):
    """Sum ``t`` over the axes whose labels are not in ``keep``."""
    axes = tuple(i for i, c in enumerate(lab) if c not in keep)
    if axes:
        t = t.sum(axis=axes)
        lab = [c for c in lab if c in keep]
    return t, lab


def _pair(a: Tensor, la: list, b: Tensor, lb: list, keep: set, size: dict):
    """Contract two operands: batch labels (in both, kept), contracted (in both, not kept), and each one's own."""
    batch = [c for c in la if c in lb and c in keep]
    con = [c for c in la if c in lb and c not in keep]
    only_a = [c for c in la if c not in lb]
    only_b = [c for c in lb if c not in la]

    def arrange(t, lab, order):
        t = t.permute(*[lab.index(c) for c in order]) if lab != order else t
        want = tuple(size[c] if c in batch or c in con else t.shape[i] for i, c in enumerate(order))
        return t.expand(*want) if want != t.shape else t  # size-1 axes broadcast against the other operand

    a = arrange(a, la, batch + only_a + con)
    b = arrange(b, lb, batch + con + only_b)
    nb = [size[c] for c in batch]
    m = int(np.prod([a.shape[len(batch) + i] for i in range(len(only_a))], dtype=np.int64))
    n = int(np.prod([b.shape[len(batch) + len(con) + i] for i in range(len(only_b))], dtype=np.int64))
    k = int(np.prod([size[c] for c in con], dtype=np.int64))
    y = a.reshape(*nb, m, k) @ b.reshape(*nb, k, n)
    shape = tuple(nb) + a.shape[len(batch):len(batch) + len(only_a)] + b.shape[len(batch) + len(con):]
    return y.reshape(*shape), batch + only_a + only_b


BINDINGS = [
    bind(matmul, method="__matmul__ matmul", tg="matmul"),
    bind(rmatmul, method="__rmatmul__"),
    bind(einsum, tg="einsum"),
    bind(linear, F="linear"),
]


_LEFT = np.linspace(-1.0, 1.0, 12).reshape(3, 4)  # the constant left operand of the ``array @ tensor`` row


def _einsum_outer_sum(a, b):
    return einsum("i,j->j", a, b) + einsum("ij->", a[:, None] * b)


CASES = [
    OpCase("matmul", lambda a, b: a @ b, ((3, 4), (4, 5)), draw="fixed",
           torch=lambda torch, a, b: torch.matmul(a, b)),
    # with batch axes to broadcast (or a vector against a batch), torch.matmul expands and copies its operands before
    # one bmm, so it saves copies and an in-place change of an input still gives it a gradient: not an exact twin
    OpCase("matmul_batched", lambda a, b: a @ b, ((2, 1, 3, 4), (5, 4, 2)), draw="fixed",
           torch=lambda torch, a, b: torch.matmul(a, b), exact_twin=False),
    OpCase("matmul_vector", lambda a, b: a @ b, ((4,), (2, 4, 3)), draw="fixed",
           torch=lambda torch, a, b: torch.matmul(a, b), exact_twin=False),
    OpCase("matmul_dot", lambda a, b: a @ b, ((4,), (4,)), draw="fixed",
           torch=lambda torch, a, b: torch.matmul(a, b)),
    OpCase("Tensor.matmul[matrix,vector]", lambda a, b: a.matmul(b), ((2, 3, 4), (4,)), draw="fixed",
           torch=lambda torch, a, b: a.matmul(b)),
    OpCase("rmatmul", lambda b: _LEFT @ b, ((4, 2),), draw="fixed",
           torch=lambda torch, b: torch.tensor(_LEFT, dtype=b.dtype) @ b),
    OpCase("einsum_matmul", lambda a, b: einsum("ij,jk->ik", a, b), ((3, 4), (4, 2)), draw="fixed",
           torch=lambda torch, a, b: torch.einsum("ij,jk->ik", a, b), exact_twin=False),
    OpCase("einsum_batched_ellipsis", lambda a, b: einsum("...ij,...kj->...ik", a, b), ((2, 3, 4), (2, 5, 4)),
           draw="fixed", torch=lambda torch, a, b: torch.einsum("...ij,...kj->...ik", a, b), exact_twin=False),
    OpCase("einsum_trace", lambda a: einsum("ii", a), ((3, 3),), draw="fixed",
           torch=lambda torch, a: torch.einsum("ii", a), exact_twin=False),
    OpCase("einsum_outer_sum", _einsum_outer_sum, ((3,), (4,)), draw="fixed",
           torch=lambda torch, a, b: torch.einsum("i,j->j", a, b) + torch.einsum("ij->", a[:, None] * b),
           exact_twin=False),
    OpCase("einsum_three", lambda a, b, c: einsum("bi,bj,bk->bijk", a, b, c).sum(axis=0),
           ((2, 3), (2, 2), (2, 4)), draw="fixed",
           torch=lambda torch, a, b, c: torch.einsum("bi,bj,bk->bijk", a, b, c).sum(0), exact_twin=False),
    OpCase("F.linear", linear, ((2, 3), (4, 3), (4,)), draw="fixed",
           torch=lambda torch, x, w, b: torch.nn.functional.linear(x, w, b)),
    OpCase("F.linear[3d_input,no_bias]", linear, ((2, 3, 4), (5, 4)), draw="fixed",
           torch=lambda torch, x, w: torch.nn.functional.linear(x, w)),
]
