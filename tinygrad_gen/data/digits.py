"""scikit-learn's 8x8 handwritten digits: the default image data (ships with the install, no download)."""
import numpy as np

N_DIGITS = 1797
N_TRAIN = 1500


def digits():
    """The digits split fixed by DESIGN.md.

    Returns ``(x_train, y_train, x_test, y_test)``: images flattened to 64 pixels scaled from 0..16 to [0, 1] as
    float32, labels int64; the split is ``np.random.default_rng(0).permutation(1797)``, first 1500 train, last 297 test.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise ImportError("tinygrad_gen.data.digits() needs scikit-learn: pip install scikit-learn") from e
    bunch = load_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(N_DIGITS)
    train, test = order[:N_TRAIN], order[N_TRAIN:]
    return x[train], y[train], x[test], y[test]
