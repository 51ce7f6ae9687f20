"""The differentiable primitives, filed by family. Each ``<family>.py`` holds:

- its ``Function`` classes: forward on arrays, the hand-derived backward in Tensor ops right beside it (so it can be
  differentiated again), the derivation in the docstring;
- the plain functions users call (``x.sum(...)``, ``tg.cumsum(...)``, ``F.conv2d(...)``), which check their
  arguments (errors name the op and the shapes) and apply those Functions;
- ``BINDINGS``: which of those functions are Tensor methods, ``tg.*`` and ``F.*`` names (``binding.py`` attaches
  them);
- ``CASES``: its ``OpCase`` rows, which drive the gradchecks, the PyTorch comparisons and ``tgg gradcheck``.

What several families use is written once beside them: ``checks.py`` (arguments into Tensors, arrays and axes,
checked), ``special.py`` (erf and the normal CDF and density on arrays), ``windows.py`` (sliding windows for conv and
pooling) and ``case.py`` (``OpCase`` and its samplers). Speed tricks are not here: each is a registered fast path in
``fast/``, chosen in ``dispatch.py``.
"""
from . import (arithmetic, elementwise, conversion, inplace, activations, softmax, losses, reductions, scans,
               indexing, movement, linalg, conv, pooling, resampling, normalization, dropout, attention, gaussian)
from . import fast  # noqa: F401  (registers every fast path with dispatch)

FAMILIES = (arithmetic, elementwise, conversion, inplace, activations, softmax, losses, reductions, scans, indexing,
            movement, linalg, conv, pooling, resampling, normalization, dropout, attention, gaussian)
