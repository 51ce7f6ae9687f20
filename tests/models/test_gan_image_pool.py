"""CycleGAN's image pool: fills first, then returns a mix of new and stored images, never more than its size."""
import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen.models.image_pool import ImagePool


def batch(start, n=4):
    return tg.tensor(np.arange(start, start + n, dtype=np.float32)[:, None, None, None] * np.ones((1, 1, 2, 2),
                                                                                                  np.float32))


def ids(t):
    return t.numpy()[:, 0, 0, 0].astype(int).tolist()


def test_pool_returns_the_new_images_while_filling():
    pool = ImagePool(8)
    assert ids(pool.query(batch(0))) == [0, 1, 2, 3]
    assert ids(pool.query(batch(4))) == [4, 5, 6, 7]
    assert len(pool.images) == 8


def test_full_pool_returns_each_image_or_a_stored_one_and_keeps_its_size():
    pool = ImagePool(8)
    pool.query(batch(0, 8))
    seen = set(range(8))
    swapped = 0
    for k in range(50):
        new = list(range(100 + 4 * k, 104 + 4 * k))
        out = ids(pool.query(batch(100 + 4 * k)))
        for o, n in zip(out, new):  # a stored image may be one put in earlier in this same batch
            assert o == n or o in seen
            swapped += o != n
            seen.add(n)
        assert len(pool.images) == 8
        stored = sorted(int(i[0, 0, 0]) for i in pool.images)
        assert len(set(stored)) == 8 and set(stored) <= seen
    assert 0.35 < swapped / 200 < 0.65  # each image swapped with probability 1/2


def test_pool_output_is_detached():
    x = tg.tensor(np.ones((2, 1, 2, 2), np.float32), requires_grad=True) * 2
    assert not ImagePool(4).query(x).requires_grad


def test_pool_of_size_zero_passes_images_through():
    assert ids(ImagePool(0).query(batch(3))) == [3, 4, 5, 6]


def test_pool_state_round_trips():
    pool = ImagePool(4)
    pool.query(batch(0))
    other = ImagePool(4)
    other.load_state(pool.state())
    assert [int(i[0, 0, 0]) for i in other.images] == [0, 1, 2, 3]


def test_negative_pool_size_is_rejected():
    with pytest.raises(ValueError, match="ImagePool"):
        ImagePool(-1)
