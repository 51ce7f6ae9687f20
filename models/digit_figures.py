"""Figures of 8x8 digits shared by the autoencoder and the VAE: image grids and the 2-D latent map.

Each function returns a matplotlib Figure; the caller saves it with ``run.savefig`` (Agg backend)."""
import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def square_cols(n):
    """Columns of the squarest grid that holds ``n`` images: ceil(sqrt(n)), so 16 is 4 x 4 and 10 is 4 x 3."""
    return max(1, int(np.ceil(np.sqrt(n))))


def tile(images, cols):
    """Rows of 8x8 images (n, 64) of ink in [0, 1] -> one (rows*9-1, cols*9-1) array, 1-pixel faint seams."""
    images = np.asarray(images, dtype=np.float32).reshape(-1, 8, 8)
    rows = -(-len(images) // cols)
    canvas = np.full((rows * 9 - 1, cols * 9 - 1), 0.15, dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        canvas[r * 9:r * 9 + 8, c * 9:c * 9 + 8] = img
    return canvas


def grid_figure(images, cols, title="", row_labels=None, size=0.45):
    """A grid of digits (dark ink on white), ``cols`` per row; optional labels down the left side."""
    plt = _pyplot()
    canvas = tile(images, cols)
    rows = (canvas.shape[0] + 1) // 9
    fig, ax = plt.subplots(figsize=(max(2.0, cols * size) + (0.8 if row_labels else 0), rows * size + 0.5))
    ax.imshow(1 - canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    if row_labels:
        ax.set_yticks([r * 9 + 3.5 for r in range(len(row_labels))], row_labels)
        ax.tick_params(length=0)
    else:
        ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def latent_map_figure(codes, labels, title):
    """Scatter of 2-D codes of the test digits, coloured by their class."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4.3))
    pts = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=12)
    fig.colorbar(pts, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
