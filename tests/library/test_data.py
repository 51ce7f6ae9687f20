"""tinygrad_gen.data: the digits split, toy mixtures, text vocabularies, the IDX reader and the DataLoader."""
import gzip
import struct

import numpy as np
import pytest
from scipy import integrate, stats

import tinygrad_gen as tg
from tinygrad_gen import data


# ---- digits -----------------------------------------------------------------------------------------------------
def test_digits_split_is_the_one_design_md_fixes():
    from sklearn.datasets import load_digits
    raw = load_digits()
    order = np.random.default_rng(0).permutation(1797)
    x_train, y_train, x_test, y_test = data.digits()
    np.testing.assert_array_equal(x_train, (raw.data[order[:1500]] / 16).astype(np.float32))
    np.testing.assert_array_equal(y_test, raw.target[order[1500:]])
    assert x_test.shape == (297, 64) and y_train.shape == (1500,)


def test_digits_dtypes_and_range():
    x_train, y_train, x_test, _ = data.digits()
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0.0 == min(x_train.min(), x_test.min()) and max(x_train.max(), x_test.max()) == 1.0


# ---- toy mixtures -------------------------------------------------------------------------------------------------
def test_ring_density_integrates_to_one():
    mix = data.ring_mixture(n_modes=8, radius=2.0, std=0.2)
    ticks = np.linspace(-4, 4, 801)   # a Riemann sum is spectrally accurate for a smooth density that vanishes
    gx, gy = np.meshgrid(ticks, ticks)
    total = mix.pdf(np.stack([gx.ravel(), gy.ravel()], 1)).sum() * (ticks[1] - ticks[0]) ** 2
    assert abs(total - 1) < 1e-6


def test_grid_density_matches_scipy_mixture():
    mix = data.grid_mixture(side=5, spacing=2.0, std=0.3)
    pts = np.random.default_rng(1).uniform(-5, 5, size=(50, 2))
    ticks = [-4, -2, 0, 2, 4]
    ref = sum(stats.multivariate_normal([a, b], 0.09 * np.eye(2)).pdf(pts) for a in ticks for b in ticks) / 25
    np.testing.assert_allclose(mix.pdf(pts), ref, rtol=1e-10)


def test_1d_mixture_density_integrates_to_one_with_unequal_weights():
    mix = data.mixture_1d(means=(-1.0, 3.0), stds=(0.3, 1.2), weights=(0.25, 0.75))
    total, _ = integrate.quad(lambda x: mix.pdf(np.array([x]))[0], -20, 20, points=[-1, 3])
    assert abs(total - 1) < 1e-8


def test_1d_samples_follow_the_density():
    mix = data.mixture_1d(means=(-1.0, 3.0), stds=(0.3, 1.2), weights=(0.25, 0.75))
    x = data.gaussians_1d(20000, rng=3, means=(-1.0, 3.0), stds=(0.3, 1.2), weights=(0.25, 0.75))
    assert x.shape == (20000, 1) and x.dtype == np.float32

    def cdf(t):
        return 0.25 * stats.norm.cdf(t, -1, 0.3) + 0.75 * stats.norm.cdf(t, 3, 1.2)
    assert stats.kstest(x[:, 0], cdf).pvalue > 1e-3
    assert mix.dim == 1


def test_ring_samples_cover_every_mode_equally():
    mix = data.ring_mixture()
    x = data.ring_gaussians(8000, rng=0)
    idx, dist = mix.nearest_mode(x)
    counts = np.bincount(idx, minlength=8)
    assert stats.chisquare(counts).pvalue > 1e-3
    assert np.quantile(dist, 0.99) < 4 * 0.02      # within a few std of their mode


def test_toy_samples_follow_the_engine_seed():
    tg.manual_seed(5)
    a = data.grid_gaussians(10)
    tg.manual_seed(5)
    np.testing.assert_array_equal(a, data.grid_gaussians(10))


def test_mixture_rejects_bad_weights():
    with pytest.raises(ValueError, match="weights"):
        data.GaussianMixture([[0.0], [1.0]], 1.0, weights=[0.5, 0.6])


# ---- text ---------------------------------------------------------------------------------------------------------
def test_text_corpus_is_sorted_pydoc_topics_with_last_tenth_held_out():
    from pydoc_data.topics import topics
    full = "\n".join(topics[k] for k in sorted(topics))
    train, val = data.text_corpus()
    assert train + val == full
    assert abs(len(val) - 0.1 * len(full)) <= 1


def test_text_corpus_reads_a_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("abcdefghij", encoding="utf-8")
    assert data.text_corpus(path, holdout=0.2) == ("abcdefgh", "ij")


def test_char_vocab_round_trip():
    train, val = data.text_corpus()
    vocab = data.CharVocab(train + val)
    ids = vocab.encode(val[:5000])
    assert ids.dtype == np.int64 and ids.max() < len(vocab)
    assert vocab.decode(ids) == val[:5000]


def test_char_vocab_unknown_character_is_a_clear_error():
    with pytest.raises(ValueError, match="'z'"):
        data.CharVocab("abc").encode("abz")


def test_word_vocab_specials_come_first():
    vocab = data.WordVocab("b a b c b a")
    assert vocab.itos[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert (vocab.pad_id, vocab.unk_id, vocab.cls_id, vocab.sep_id, vocab.mask_id) == (0, 1, 2, 3, 4)
    assert vocab.itos[5:] == ["b", "a", "c"]            # by count, then alphabetically


def test_word_vocab_round_trip_and_unknown_words():
    vocab = data.WordVocab("The cat sat. The dog sat!", min_count=1)
    assert vocab.decode(vocab.encode("the DOG sat.")) == "the dog sat ."
    assert vocab.encode("the zebra").tolist() == [vocab.stoi["the"], vocab.unk_id]


def test_word_vocab_min_count_drops_rare_words():
    vocab = data.WordVocab(["x", "x", "y"], min_count=2)
    assert "x" in vocab.stoi and "y" not in vocab.stoi


def test_tokenize_lowercases_and_splits_punctuation():
    assert data.tokenize("Don't call __init__(x)!") == ["don't", "call", "__init__", "(", "x", ")", "!"]


def test_sentence_documents_keep_pydoc_topics_apart_and_in_order():
    from pydoc_data.topics import topics
    docs = data.sentence_documents(data.pydoc_text())
    assert docs[0][0] == "Assert statements are a convenient way to insert debugging assertions into a program:"
    assert 40 < len(docs) <= len(topics)
    assert all(len(d) >= 2 for d in docs)


def test_split_sentences_drops_headings_and_code():
    doc = "Title\n*****\n\nFirst one. Second one? Third\nline here.\n\n   code = 1\n\nLast."
    assert data.split_sentences(doc) == ["First one.", "Second one?", "Third line here.", "Last."]


# ---- IDX ----------------------------------------------------------------------------------------------------------
def _write_idx(path, array, code, compress=False):
    raw = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw += array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


@pytest.mark.parametrize("code,dtype", [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32),
                                        (0x0D, np.float32), (0x0E, np.float64)])
def test_read_idx_every_type_code(tmp_path, code, dtype):
    a = (np.random.default_rng(0).normal(size=(3, 4, 5)) * 50).astype(dtype)
    _write_idx(tmp_path / "a.idx", a, code)
    out = data.read_idx(tmp_path / "a.idx")
    assert out.dtype == np.dtype(dtype) and out.shape == (3, 4, 5)
    np.testing.assert_array_equal(out, a)


def test_read_idx_gzip_transparently(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a-idx3-ubyte.gz", a, 0x08, compress=True)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a-idx3-ubyte.gz"), a)


def test_read_idx_bad_magic(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "bad")


def test_read_idx_unknown_type_code(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x00\x00\x07\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ValueError, match="type code 0x07"):
        data.read_idx(tmp_path / "bad")


def test_read_idx_truncated_data(tmp_path):
    a = np.arange(10, dtype=np.uint8)
    _write_idx(tmp_path / "a", a, 0x08)
    (tmp_path / "a").write_bytes((tmp_path / "a").read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "a")


def test_mnist_folder_reads_like_digits(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("t10k", 4)):
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)).astype(np.uint8),
                   0x08, compress=True)
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n).astype(np.uint8), 0x08)
    x_train, y_train, x_test, y_test = data.mnist(tmp_path)
    assert x_train.shape == (6, 784) and x_test.shape == (4, 784) and x_train.dtype == np.float32
    assert y_train.dtype == np.int64 and 0 <= x_train.min() and x_train.max() <= 1


# ---- DataLoader ---------------------------------------------------------------------------------------------------
def test_loader_pass_covers_every_example_once():
    x = np.arange(103)
    batches = list(data.DataLoader(x, batch_size=10, seed=0))
    assert [len(b) for b in batches] == [10] * 10 + [3]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), x)


def test_loader_drop_last_and_len():
    loader = data.DataLoader(np.arange(103), batch_size=10, drop_last=True, seed=0)
    assert len(loader) == 10 and all(len(b) == 10 for b in loader)


def test_loader_keeps_arrays_aligned():
    x = np.arange(50)
    for xb, yb in data.DataLoader(x, x * 2, batch_size=7, seed=1):
        np.testing.assert_array_equal(yb, xb * 2)


def test_loader_same_seed_same_batches_and_new_order_each_pass():
    a = data.DataLoader(np.arange(40), batch_size=8, seed=3)
    b = data.DataLoader(np.arange(40), batch_size=8, seed=3)
    first_a, first_b = np.concatenate(list(a)), np.concatenate(list(b))
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, np.concatenate(list(a)))


def test_loader_without_shuffle_keeps_order():
    np.testing.assert_array_equal(np.concatenate(list(data.DataLoader(np.arange(9), batch_size=4, shuffle=False))),
                                  np.arange(9))


def test_loader_state_resumes_mid_pass_exactly():
    def make():
        return data.DataLoader(np.arange(30), batch_size=4, seed=7)

    ref = make().batches()
    expected = [next(ref) for _ in range(20)]
    first = make()
    stream = first.batches()
    got = [next(stream) for _ in range(11)]
    state = first.state_dict()
    second = make()
    second.load_state_dict(state)
    stream = second.batches()
    got += [next(stream) for _ in range(9)]
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(e, g)


def test_loader_rejects_arrays_of_different_length():
    with pytest.raises(ValueError, match=r"\[5, 4\]"):
        data.DataLoader(np.zeros(5), np.zeros(4))


def test_loader_yields_tensors_on_device():
    xb = next(iter(data.DataLoader(np.ones((4, 2), np.float32), batch_size=2, seed=0, device="cpu")))
    assert isinstance(xb, tg.Tensor) and xb.shape == (2, 2)


# ---- the PyTorch form: Dataset, TensorDataset, default_collate, DataLoader(dataset, ...) -----------------------
from tinygrad_gen.utils.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset,  # noqa: E402
                                     default_collate, random_split)


class _Squares(Dataset):
    """A map-style dataset of dict samples."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return {"x": np.full(2, float(i)), "y": i * i, "name": f"s{i}"}


def test_utils_data_is_the_data_package():
    from tinygrad_gen import utils
    assert DataLoader is data.DataLoader is utils.data.DataLoader


def test_tensor_dataset_is_indexed_by_one_sample_and_checks_its_sizes():
    x, y = tg.randn(5, 3), tg.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.numpy(), x.numpy()[2])
    assert yi.item() == 2
    with pytest.raises(ValueError, match=r"size mismatch.*\(5, 3\), \(4,\)"):
        TensorDataset(x, tg.arange(4))


def test_default_collate_matches_pytorch():
    pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    samples = [(1, 2.5, True, np.array([1.0, 2.0]), np.float32(3)), (3, 4.5, False, np.array([3.0, 4.0]),
                                                                     np.float32(5))]
    ours, want = default_collate(samples), torch_collate(samples)
    assert isinstance(ours, list) and len(ours) == len(want)
    for o, w in zip(ours, want):
        np.testing.assert_array_equal(o.numpy(), w.numpy())
        assert o.dtype == np.dtype(str(w.dtype).replace("torch.", ""))
    d = default_collate([{"a": 1, "b": [1, 2], "s": "p"}, {"a": 2, "b": [3, 4], "s": "q"}])
    assert d["a"].tolist() == [1, 2] and [b.tolist() for b in d["b"]] == [[1, 3], [2, 4]] and d["s"] == ["p", "q"]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object()])


def test_loader_over_a_dataset_has_pytorchs_defaults_and_batches():
    torch = pytest.importorskip("torch")
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    ours = DataLoader(TensorDataset(tg.tensor(x), tg.arange(10)), batch_size=4)
    want = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x), torch.arange(10)),
                                       batch_size=4)
    assert len(ours) == len(want) == 3 and ours.batch_size == 4 and not ours.shuffle
    for (ox, oy), (wx, wy) in zip(ours, want):
        assert isinstance(ox, tg.Tensor)
        np.testing.assert_array_equal(ox.numpy(), wx.numpy())
        np.testing.assert_array_equal(oy.numpy(), wy.numpy())
    one = DataLoader(TensorDataset(tg.tensor(x)))
    assert len(one) == 10 and next(iter(one))[0].shape == (1, 2)  # PyTorch's batch_size=1


def test_loader_over_a_tensor_a_list_and_a_custom_dataset():
    t = tg.arange(5.0)
    assert [b.tolist() for b in DataLoader(t, batch_size=2)] == [[0.0, 1.0], [2.0, 3.0], [4.0]]
    pairs = [(i, float(i) / 2) for i in range(4)]
    a, b = next(iter(DataLoader(pairs, batch_size=4)))
    assert a.dtype == np.int64 and b.dtype == np.float64 and b.tolist() == [0.0, 0.5, 1.0, 1.5]
    batch = next(iter(DataLoader(_Squares(), batch_size=3, drop_last=True)))
    assert batch["x"].shape == (3, 2) and batch["y"].tolist() == [0, 1, 4] and batch["name"] == ["s0", "s1", "s2"]
    assert len(DataLoader(_Squares(), batch_size=3, drop_last=True)) == 2


def test_loader_over_a_dataset_shuffles_with_a_generator_and_reiterates():
    ds = TensorDataset(tg.arange(30))
    a = DataLoader(ds, batch_size=7, shuffle=True, generator=tg.random.Generator().manual_seed(4))
    b = DataLoader(ds, batch_size=7, shuffle=True, generator=tg.random.Generator().manual_seed(4))
    pass1 = np.concatenate([x.numpy() for (x,) in a])
    np.testing.assert_array_equal(pass1, np.concatenate([x.numpy() for (x,) in b]))
    assert sorted(pass1) == list(range(30)) and not np.array_equal(pass1, np.arange(30))
    pass2 = np.concatenate([x.numpy() for (x,) in a])
    assert sorted(pass2) == list(range(30)) and not np.array_equal(pass1, pass2)
    tg.manual_seed(0)
    c = np.concatenate([x.numpy() for (x,) in DataLoader(ds, batch_size=7, shuffle=True)])
    tg.manual_seed(0)
    np.testing.assert_array_equal(c, np.concatenate([x.numpy() for (x,) in DataLoader(ds, batch_size=7,
                                                                                       shuffle=True)]))


def test_loader_over_a_dataset_resumes_mid_pass_exactly():
    ds = TensorDataset(tg.arange(20))

    def make():
        return DataLoader(ds, batch_size=3, shuffle=True, generator=tg.random.Generator().manual_seed(2))
    ref = make().batches()
    expected = [next(ref)[0].tolist() for _ in range(12)]
    first = make()
    stream = first.batches()
    got = [next(stream)[0].tolist() for _ in range(5)]
    second = make()
    second.load_state_dict(first.state_dict())
    stream = second.batches()
    got += [next(stream)[0].tolist() for _ in range(7)]
    assert got == expected


def test_loader_samplers_and_positional_batch_size():
    ds = TensorDataset(tg.arange(6))
    assert [b[0].tolist() for b in DataLoader(ds, 4)] == [[0, 1, 2, 3], [4, 5]]
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=2, sampler=[5, 3, 1])] == [[5, 3], [1]]
    assert [b[0].tolist() for b in DataLoader(ds, batch_sampler=[[0, 5], [2]])] == [[0, 5], [2]]
    assert [b[0].item() for b in DataLoader(ds, batch_size=None)][:3] == [0, 1, 2]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"batch_size": 0}, ValueError, "batch_size should be a positive integer"),
    ({"shuffle": True, "sampler": [0, 1]}, ValueError, "mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, ValueError, "batch_sampler option is mutually exclusive"),
    ({"num_workers": -1}, ValueError, "num_workers option should be non-negative"),
    ({"generator": 3}, TypeError, "generator must be a tg.Generator"),
    ({"seed": 3}, TypeError, "generator=tg.Generator"),
    ({"device": "cpu"}, TypeError, r"\.to\(device\)"),
])
def test_loader_over_a_dataset_refuses_what_pytorch_refuses(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(TensorDataset(tg.arange(4)), **kwargs)


def test_the_array_form_refuses_pytorch_only_arguments_and_a_positional_batch_size():
    with pytest.raises(TypeError, match="belong to the PyTorch form"):
        DataLoader(np.zeros(4), collate_fn=default_collate)
    with pytest.raises(TypeError, match="give batch_size= .* by keyword"):
        DataLoader(np.zeros(4), 2)


def test_the_array_form_is_unchanged_and_has_a_dataset_attribute():
    x = np.arange(10)
    loader = DataLoader(x, x * 2, batch_size=4, seed=0)
    assert loader.batch_size == 4 and loader.shuffle and loader.dataset[0] is x
    xb, yb = next(iter(loader))
    assert isinstance(xb, np.ndarray)
    np.testing.assert_array_equal(yb, xb * 2)
    assert DataLoader(x, seed=0).batch_size == 64


def test_loader_dataset_cannot_be_replaced():
    loader = DataLoader(TensorDataset(tg.arange(3)))
    with pytest.raises(ValueError, match="should not be set"):
        loader.dataset = TensorDataset(tg.arange(4))


def test_random_split_subset_and_concat():
    parts = random_split(range(10), [0.3, 0.7], generator=tg.random.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7] and all(isinstance(p, Subset) for p in parts)
    assert sorted([parts[0][i] for i in range(3)] + [parts[1][i] for i in range(7)]) == list(range(10))
    assert [len(p) for p in random_split(range(10), [0.33, 0.33, 0.34])] == [4, 3, 3]  # PyTorch's round-robin
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(range(10), [3, 3])
    both = ConcatDataset([TensorDataset(tg.arange(2)), TensorDataset(tg.arange(3))])
    assert len(both) == 5 and both[3][0].item() == 1 and both[-1][0].item() == 2

