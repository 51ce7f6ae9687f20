"""Image pool (Shrivastava et al. 2017, used by CycleGAN): the discriminator is shown a history of generated images
rather than only the latest ones, which damps the oscillation of the two players."""
import numpy as np

import tinygrad_gen as tg
from tinygrad_gen.random import generator


class ImagePool:
    """Holds up to ``size`` past generated images.  ``query(images)`` returns a batch of the same shape: while the pool
    fills, each image is stored and returned; afterwards each is, with probability 1/2, swapped for a random stored
    image (which it replaces in the pool), else returned as is.  Images come back detached: D's loss only."""

    def __init__(self, size=50):
        if size < 0:
            raise ValueError(f"ImagePool: size must be >= 0, got {size}")
        self.size = size
        self.images = []

    def query(self, images):
        """Images for the discriminator: half of the time from the pool of past fakes (which then keeps
        the new ones), as CycleGAN's history buffer does."""
        data = images.detach().numpy()
        if self.size == 0:
            return tg.tensor(data, device=images.device)
        rng = generator()
        out = []
        for img in data:
            if len(self.images) < self.size:
                self.images.append(img.copy())
                out.append(img)
            elif rng.random() < 0.5:
                i = int(rng.integers(self.size))
                out.append(self.images[i])
                self.images[i] = img.copy()
            else:
                out.append(img)
        return tg.tensor(np.stack(out), device=images.device)

    def state(self):
        """The stored images as one array (for checkpoints)."""
        return np.stack(self.images) if self.images else np.zeros((0,), np.float32)

    def load_state(self, images):
        """Restore the pool from saved images."""
        self.images = [img.copy() for img in np.asarray(images)][: self.size]
