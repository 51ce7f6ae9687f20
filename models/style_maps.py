"""The fixed maps that make CycleGAN's domain B out of digits: B = map(A). We know the map; the model never sees it
(A and B are disjoint halves of the training set), so we can check afterwards what unpaired training found.

- ``invert_blur`` (a change of style, the default): inverted intensity and softened strokes, map(x) = 1 - K x, K a
  separable 3-tap blur [w, 1 - 2w, w] (zero outside the image). Every pixel stays where it is; only how it looks
  changes. K is invertible (its eigenvalues are (1 - 2w + 2w cos(k pi / 9)) products, all >= (1 - 3.88 w)^2 > 0
  for w < 0.25), so map^-1(y) = K^-1 (1 - y) is exact.
- ``transpose`` (a change of geometry): map(x) = 1 - x^T, inverted and mirrored in the diagonal. Exactly invertible
  too (it is its own inverse), but cycle consistency does not pin it down: any relabelling G that F undoes
  satisfies both costs, and a digit transposed looks like some other digit (see ``models/cyclegan.py``).

Images are (N, 64) float arrays in [0, 1], rows of the 8x8 image one after another.
"""
import numpy as np

SIDE = 8


def blur_matrix(w, side=SIDE):
    """The (side^2, side^2) matrix of the separable blur [w, 1 - 2w, w] in each direction, zero outside."""
    if not 0 <= w < 0.25:
        raise ValueError(f"blur_matrix: w must be in [0, 0.25) to keep the blur invertible, got {w}")
    b = np.diag(np.full(side, 1 - 2 * w)) + np.diag(np.full(side - 1, w), 1) + np.diag(np.full(side - 1, w), -1)
    return np.kron(b, b)   # row-major 2-D image: (B x B) vec(X) = vec(B X B^T)


class InvertBlur:
    """map(x) = 1 - K x; map^-1(y) = K^-1 (1 - y). ``invertible = True``: map^-1(map(x)) = x to rounding."""
    name, invertible = "invert_blur", True

    def __init__(self, w=0.15):
        self.w = w
        self.K = blur_matrix(w)
        self.K_inv = np.linalg.inv(self.K)

    def __call__(self, x):
        """The map applied to pixel rows."""
        return (1.0 - np.asarray(x, np.float64).reshape(-1, SIDE * SIDE) @ self.K.T).astype(np.float32)

    def inverse(self, y):
        """The map undone (the inverse blur)."""
        return ((1.0 - np.asarray(y, np.float64).reshape(-1, SIDE * SIDE)) @ self.K_inv.T).astype(np.float32)


class Transpose:
    """map(x) = 1 - x^T, its own inverse."""
    name, invertible = "transpose", True

    def __call__(self, x):
        """The map applied to pixel rows."""
        return (1.0 - np.asarray(x).reshape(-1, SIDE, SIDE).transpose(0, 2, 1)).reshape(-1, SIDE * SIDE)

    def inverse(self, y):
        """The map undone: the map itself."""
        return self(y)


MAPS = {"invert_blur": InvertBlur, "transpose": Transpose}


def style_map(name):
    """The domain map named ``name``."""
    if name not in MAPS:
        raise ValueError(f"style_map: unknown domain map {name!r}; choose from {sorted(MAPS)}")
    return MAPS[name]()
