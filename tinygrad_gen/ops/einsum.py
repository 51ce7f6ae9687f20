"""einsum as a composition of differentiable primitives: a diagonal (indexing) for a label repeated inside one
operand, sum for a label only one operand has, and for each pair of operands transpose + reshape + batched matmul.
There is no einsum Function: its backward follows from those ops' rules by the chain rule (no new derivation)."""
import string

import numpy as np


def _parse(equation, shapes):
    """Operand label lists and output labels; ``...`` becomes one upper-case label per broadcast axis."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: equation {equation!r} names {len(terms)} operands but {len(shapes)} were given")
    spare = [c for c in string.ascii_uppercase if c not in eq]
    n_ell = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t), default=0)
    ell = spare[:n_ell]
    labels = []
    for t, shape in zip(terms, shapes):
        if t.count("...") > 1:
            raise ValueError(f"einsum: more than one '...' in {t!r}")
        k = len(shape) - len(t.replace("...", "")) if "..." in t else 0
        lab = list(t.replace("...", "\0"))
        if "\0" in lab:
            i = lab.index("\0")
            lab[i:i + 1] = ell[n_ell - k:]
        if len(lab) != len(shape) or not all(c.isalpha() for c in lab):
            raise ValueError(f"einsum: term {t!r} does not fit an operand of shape {tuple(shape)}")
        labels.append(lab)
    if arrow:
        out = list(rhs.replace("...", "\0"))
        if "\0" in out:
            i = out.index("\0")
            out[i:i + 1] = ell
    else:  # implicit output: ellipsis axes, then the labels seen once, alphabetically
        counts = {}
        for lab in labels:
            for c in lab:
                counts[c] = counts.get(c, 0) + 1
        out = ell + sorted(c for c, n in counts.items() if n == 1 and c not in ell)
    every = {c for lab in labels for c in lab}
    for c in out:
        if c not in every or out.count(c) > 1:
            raise ValueError(f"einsum: output label {c!r} of {equation!r} is unknown or repeated")
    return labels, out


def _diagonal(t, lab):
    """Collapse a label repeated within one operand to its diagonal (indexing with one arange per repeat)."""
    while len(set(lab)) < len(lab):
        c = next(c for c in lab if lab.count(c) > 1)
        i, j = [k for k, d in enumerate(lab) if d == c][:2]
        if t.shape[i] != t.shape[j]:
            raise ValueError(f"einsum: label {c!r} has sizes {t.shape[i]} and {t.shape[j]} in one operand")
        order = [k for k in range(t.ndim) if k not in (i, j)] + [i, j]
        t = t.transpose(*order)
        r = np.arange(t.shape[-1])
        t = t[..., r, r]  # the diagonal goes last
        lab = [lab[k] for k in order[:-2]] + [c]
    return t, lab


def _sum_out(t, lab, keep):
    axes = tuple(i for i, c in enumerate(lab) if c not in keep)
    if axes:
        t = t.sum(axis=axes)
        lab = [c for c in lab if c in keep]
    return t, lab


def einsum(equation, *operands):
    """Einstein summation (``tg.einsum("bij,bjk->bik", a, b)``), with ``...`` and size-1 broadcasting."""
    from ..tensor import Tensor
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [t if isinstance(t, Tensor) else Tensor(np.asarray(t)) for t in operands]
    labels, out = _parse(equation, [t.shape for t in ts])
    size = {}
    for t, lab in zip(ts, labels):
        for c, n in zip(lab, t.shape):
            if size.get(c, 1) != 1 and n != 1 and size[c] != n:
                raise ValueError(f"einsum: label {c!r} has sizes {size[c]} and {n} in {equation!r}")
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
        t = t.transpose(*[lab.index(c) for c in out])
    return t


def _pair(a, la, b, lb, keep, size):
    """Contract two operands: batch labels (in both, kept), contracted (in both, not kept), and each one's own."""
    batch = [c for c in la if c in lb and c in keep]
    con = [c for c in la if c in lb and c not in keep]
    only_a = [c for c in la if c not in lb]
    only_b = [c for c in lb if c not in la]

    def arrange(t, lab, order):
        t = t.transpose(*[lab.index(c) for c in order]) if lab != order else t
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
