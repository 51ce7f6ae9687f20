"""Sorting along one axis. Only the permutation is computed here (a constant: it is piecewise constant in the
values); sort, topk and the values of cummax / cummin are then a gather by it, so their backward is gather's: each
output's g goes back to the element it was copied from."""
import numpy as np

from ..backend import xp_of


def sort_indices(a, axis, descending=False):
    """The stable sorting permutation of ``a`` along ``axis``; ties keep their original order both ways (PyTorch's
    ``stable=True``). Descending sorts the reversed array ascending and maps back, so integer extremes never
    overflow the way sorting -a would."""
    xp = xp_of(a)
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    return (n - 1 - xp.argsort(a[flip], axis=axis, kind="stable"))[flip]
