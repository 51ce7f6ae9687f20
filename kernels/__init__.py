"""Array-level GPU kernels (Numba CUDA): plain arrays in, arrays out; they never import the engine."""
import numpy as _np

if not hasattr(_np, "row_stack"):
    # numba-cuda (<= 0.30) registers an overload of np.row_stack when it first compiles a kernel; NumPy 2.5 removed
    # that alias of vstack, which makes every compile fail with AttributeError. Restore the alias.
    _np.row_stack = _np.vstack
