"""Checkpoints: the safetensors format (checked against the spec and the `safetensors` package), atomic saves that
survive a killed writer, and clear errors for files that are truncated, corrupt or not safetensors at all."""
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from safetensors import safe_open
from safetensors.numpy import load_file as st_load, save_file as st_save
from safetensors.torch import load_file as st_load_torch, save_file as st_save_torch

import tinygrad_gen as tg
from tinygrad_gen import nn
from tinygrad_gen.io import CheckpointError, load_metadata


def sample_state():
    rng = np.random.default_rng(0)
    return {"w": rng.standard_normal((3, 4)).astype(np.float32), "b": np.arange(5, dtype=np.int64),
            "flag": np.array(True), "step": np.array(7, np.int64), "d": rng.standard_normal(2),
            "h": np.ones((2, 2), np.float16), "empty": np.zeros((0, 3), np.float32),
            "strided": np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2]}


def assert_same(loaded, expected):
    assert list(loaded) == list(expected)
    for k, v in expected.items():
        got = loaded[k].numpy() if isinstance(loaded[k], tg.Tensor) else loaded[k]
        assert got.dtype == v.dtype and got.shape == v.shape, k
        np.testing.assert_array_equal(got, v, err_msg=k)


# ----- the format -----
def test_round_trip_keeps_names_order_dtypes_shapes_and_values(tmp_path):
    state = sample_state()
    tg.save({k: tg.tensor(v, dtype=v.dtype) for k, v in state.items()}, tmp_path / "c.safetensors")
    assert_same(tg.load(tmp_path / "c.safetensors"), state)


@given(shapes=st.lists(st.lists(st.integers(0, 4), max_size=3), min_size=1, max_size=4),
       dtype=st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.int8, np.bool_]))
def test_round_trip_any_shapes_and_dtypes(tmp_path_factory, shapes, dtype):
    rng = np.random.default_rng(1)
    state = {f"t{i}": (rng.standard_normal(s) * 10).astype(dtype) for i, s in enumerate(shapes)}
    path = tmp_path_factory.mktemp("rt") / "x.safetensors"
    tg.save(state, path)
    assert_same(tg.load(path), state)


def test_file_layout_follows_the_safetensors_spec(tmp_path):
    state = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, -2], np.int64)}
    tg.save(state, tmp_path / "c.safetensors", metadata={"epoch": "3"})
    raw = (tmp_path / "c.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert (8 + n) % 8 == 0  # data aligned to 8 bytes
    assert header["__metadata__"]["epoch"] == "3"
    data = raw[8 + n:]
    for name, arr in state.items():
        info = header[name]
        assert info["dtype"] == {"float32": "F32", "int64": "I64"}[str(arr.dtype)]
        assert info["shape"] == list(arr.shape)
        begin, end = info["data_offsets"]
        assert data[begin:end] == arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    assert max(h["data_offsets"][1] for k, h in header.items() if k != "__metadata__") == len(data)


def test_safetensors_package_reads_our_files(tmp_path):
    state = {k: v for k, v in sample_state().items()}
    tg.save(state, tmp_path / "c.safetensors", metadata={"model": "mlp"})
    theirs = st_load(str(tmp_path / "c.safetensors"))
    for k, v in state.items():
        np.testing.assert_array_equal(theirs[k], v)
        assert theirs[k].dtype == v.dtype and theirs[k].shape == v.shape
    with safe_open(str(tmp_path / "c.safetensors"), framework="np") as f:
        assert f.metadata()["model"] == "mlp"


def test_we_read_files_the_safetensors_package_writes(tmp_path):
    state = {"z": np.ones((2, 3), np.float16), "y": np.arange(4, dtype=np.int32), "x": np.array(2.5)}
    st_save(state, str(tmp_path / "n.safetensors"), metadata={"k": "v"})
    loaded = tg.load(tmp_path / "n.safetensors")
    for k, v in state.items():
        np.testing.assert_array_equal(loaded[k].numpy(), v)
        assert loaded[k].dtype == v.dtype
    assert load_metadata(tmp_path / "n.safetensors") == {"k": "v"}


def test_bfloat16_from_torch_is_read_as_float32(tmp_path):
    w = torch.randn(3, 4).to(torch.bfloat16)
    st_save_torch({"w": w}, str(tmp_path / "bf.safetensors"))
    loaded = tg.load(tmp_path / "bf.safetensors")["w"]
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded.numpy(), w.float().numpy())


def test_module_state_dict_round_trips_and_loads_into_the_torch_twin(tmp_path):
    ours = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))
    ours(tg.randn(8, 4))  # move the BatchNorm statistics
    ours.eval()
    tg.save(ours.state_dict(), tmp_path / "m.safetensors")
    fresh = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2)).eval()
    fresh.load_state_dict(tg.load(tmp_path / "m.safetensors"))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                                 torch.nn.Linear(6, 2)).eval()
    theirs.load_state_dict(st_load_torch(str(tmp_path / "m.safetensors")))
    x = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(fresh(tg.tensor(x)).numpy(), ours(tg.tensor(x)).numpy())
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(), ours(tg.tensor(x)).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_save_and_load_are_exported_at_the_top_level(tmp_path):
    tg.save({"a": tg.ones(2)}, str(tmp_path / "t.safetensors"))
    assert tg.io.load is tg.load
    np.testing.assert_array_equal(tg.load(str(tmp_path / "t.safetensors"))["a"].numpy(), [1, 1])


def test_load_rejects_an_unknown_device(tmp_path):
    tg.save({"a": tg.ones(2)}, tmp_path / "t.safetensors")
    with pytest.raises(ValueError, match="unknown device"):
        tg.load(tmp_path / "t.safetensors", device="tpu")


# ----- atomic writes -----
WRITER = textwrap.dedent("""
    import os, sys, numpy as np, tinygrad_gen as tg
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "die-before-rename":
        os.replace = lambda *a: os.kill(os.getpid(), 9)  # a crash after fsync, before the rename
        tg.save({"v": np.full(1000, 1.0, np.float32)}, path)
    else:  # save ever newer versions of a big checkpoint until killed
        for i in range(1, 1000):
            tg.save({"v": np.full(8_000_000, float(i), np.float32)}, path)
""")


def start_writer(tmp_path, mode):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "ckpt.safetensors"), mode])


def temp_files(folder):
    return [e for e in os.scandir(folder) if e.name.startswith(".ckpt.safetensors.")]


def test_writer_killed_mid_write_leaves_a_complete_loadable_checkpoint(tmp_path):
    tg.save({"v": np.zeros(8_000_000, np.float32)}, tmp_path / "ckpt.safetensors")
    full = (tmp_path / "ckpt.safetensors").stat().st_size
    proc = start_writer(tmp_path, "loop")
    caught, deadline = None, time.time() + 60
    try:
        while caught is None and time.time() < deadline and proc.poll() is None:
            for e in temp_files(tmp_path):
                size = e.stat().st_size if os.path.exists(e.path) else 0
                if 0 < size < full:  # half written: kill it right now
                    proc.send_signal(signal.SIGKILL)
                    caught = size
                    break
    finally:
        proc.kill()
        proc.wait()
    assert caught is not None, "never saw a half-written temporary file"
    v = tg.load(tmp_path / "ckpt.safetensors")["v"].numpy()
    assert v.shape == (8_000_000,) and v[0] == v[-1] and np.all(v == v[0])  # one whole version, old or new


def test_crash_between_fsync_and_rename_keeps_the_previous_checkpoint(tmp_path):
    tg.save({"v": np.full(1000, 7.0, np.float32)}, tmp_path / "ckpt.safetensors")
    proc = start_writer(tmp_path, "die-before-rename")
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert len(temp_files(tmp_path)) == 1  # the new data never reached the checkpoint's name
    np.testing.assert_array_equal(tg.load(tmp_path / "ckpt.safetensors")["v"].numpy(), np.full(1000, 7.0))


def test_failed_save_removes_its_temporary_file_and_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    tg.save({"v": np.ones(3, np.float32)}, path)

    def disk_full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        tg.save({"v": np.zeros(3, np.float32)}, path)
    monkeypatch.undo()
    assert temp_files(tmp_path) == []
    np.testing.assert_array_equal(tg.load(path)["v"].numpy(), np.ones(3))


# ----- clear errors -----
@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.safetensors"
    tg.save({"weight": np.arange(100, dtype=np.float32), "bias": np.ones(4, np.float32)}, path)
    return path


def test_truncated_file_is_reported_as_truncated_naming_the_tensor(good_file):
    raw = good_file.read_bytes()
    good_file.write_bytes(raw[:-10])  # cuts into the last tensor only
    with pytest.raises(CheckpointError, match="truncated.*'bias'"):
        tg.load(good_file)


def test_file_cut_inside_its_header_is_reported(good_file):
    good_file.write_bytes(good_file.read_bytes()[:30])
    with pytest.raises(CheckpointError, match="truncated"):
        tg.load(good_file)


def test_flipped_data_byte_is_caught_by_the_checksum(good_file):
    raw = bytearray(good_file.read_bytes())
    raw[-5] ^= 0xFF
    good_file.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="corrupt.*checksum"):
        tg.load(good_file)


def test_corrupt_header_is_reported_as_not_valid_json(good_file):
    raw = bytearray(good_file.read_bytes())
    raw[12] = 0xFF
    good_file.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="not valid JSON"):
        tg.load(good_file)


def test_a_text_file_is_not_a_safetensors_file(tmp_path):
    path = tmp_path / "notes.safetensors"
    path.write_text("these are not the tensors you are looking for\n")
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        tg.load(path)


def test_a_tiny_file_is_too_short(tmp_path):
    path = tmp_path / "tiny.safetensors"
    path.write_bytes(b"\x01\x02")
    with pytest.raises(CheckpointError, match="too short"):
        tg.load(path)


def header_edited(tmp_path, edit):
    """A file whose header was changed by ``edit(header)`` (lengths kept consistent)."""
    data = np.arange(6, dtype=np.float32).tobytes()
    header = {"x": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
    edit(header)
    text = json.dumps(header).encode()
    path = tmp_path / "edited.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


@pytest.mark.parametrize("edit, match", [
    (lambda h: h["x"].update(dtype="F99"), "'x' has an unknown dtype"),
    (lambda h: h["x"].update(shape=[2, 4]), r"'x' \(F32, shape \[2, 4\]\) needs 32 bytes"),
    (lambda h: h["x"].update(data_offsets=[0, -24]), "'x' has a malformed"),
    (lambda h: h.update(y={"dtype": "F32", "shape": [1], "data_offsets": [20, 24]}), "overlaps or has a gap"),
])
def test_inconsistent_header_entries_are_named(tmp_path, edit, match):
    with pytest.raises(CheckpointError, match=match):
        tg.load(header_edited(tmp_path, edit))


def test_save_rejects_values_it_cannot_store_naming_where_they_are_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match="'opt.fn' is a function"):
        tg.save({"opt": {"fn": lambda: 0}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="key 1.5 of 'opt'"):
        tg.save({"opt": {1.5: 0}}, tmp_path / "x.safetensors")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        tg.save({"loop": loop}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="the name 'a.b'"):
        tg.save({"a.b": np.ones(1), "a": {"b": np.ones(1)}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="metadata"):
        tg.save({"a": np.ones(1)}, tmp_path / "x.safetensors", metadata={"epoch": 3})
    assert list(tmp_path.iterdir()) == []


def adam_after_steps(seed, steps=3):
    """A two-layer model and its Adam after a few steps on random data."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = tg.optim.Adam([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.05}],
                        lr=0.01, betas=(0.8, 0.99))
    for _ in range(steps):
        adam_step(model, opt)
    return model, opt


def adam_step(model, opt):
    loss = (model(tg.randn(5, 3)) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def test_optimizer_state_saved_and_loaded_into_a_fresh_optimizer_makes_the_next_step_identical(tmp_path):
    model, opt = adam_after_steps(0)
    tg.save(opt.state_dict(), tmp_path / "opt.safetensors")
    tg.save(model.state_dict(), tmp_path / "model.safetensors")
    twin, fresh = adam_after_steps(1, steps=0)          # other weights, empty state, other options
    twin.load_state_dict(tg.load(tmp_path / "model.safetensors"))
    fresh.load_state_dict(tg.load(tmp_path / "opt.safetensors"))
    tg.manual_seed(7)
    adam_step(model, opt)
    tg.manual_seed(7)
    adam_step(twin, fresh)
    for (name, a), b in zip(model.state_dict().items(), twin.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert fresh.param_groups[1]["lr"] == 0.05 and fresh.param_groups[0]["betas"] == (0.8, 0.99)


def test_nested_state_round_trips_with_its_types(tmp_path):
    state = {"state": {0: {"step": 3, "exp_avg": np.arange(4, dtype=np.float32)}},
             "groups": [{"betas": (0.9, 0.99), "name": "decay", "clip": None, "on": True}],
             "weights": {"w": tg.ones(2, 3)}, "count": np.int64(5), "lr": 1e-3}
    tg.save(state, tmp_path / "s.safetensors")
    back = tg.load(tmp_path / "s.safetensors")
    assert back["groups"] == state["groups"] and back["lr"] == 1e-3 and back["state"][0]["step"] == 3
    assert type(back["state"][0]["exp_avg"]) is np.ndarray and isinstance(back["weights"]["w"], tg.Tensor)
    np.testing.assert_array_equal(back["state"][0]["exp_avg"], state["state"][0]["exp_avg"])
    assert back["count"] == 5 and back["count"].dtype == np.int64
    assert list(back) == list(state) and list(back["state"]) == [0]


def test_a_nested_save_is_still_safetensors_with_tensors_named_by_their_path(tmp_path):
    _, opt = adam_after_steps(0)
    tg.save(opt.state_dict(), tmp_path / "opt.safetensors")
    with safe_open(str(tmp_path / "opt.safetensors"), "np") as f:
        assert "state.0.exp_avg" in f.keys()
        np.testing.assert_array_equal(f.get_tensor("state.0.exp_avg"), opt.state_dict()["state"][0]["exp_avg"])
    assert load_metadata(tmp_path / "opt.safetensors") == {}


def test_a_nested_save_with_a_damaged_structure_is_reported_as_corrupt(tmp_path):
    tg.save({"a": {"b": np.ones(2)}}, tmp_path / "n.safetensors")
    raw = (tmp_path / "n.safetensors").read_bytes()
    (tmp_path / "n.safetensors").write_bytes(raw.replace(b'\\"a.b\\"', b'\\"a.c\\"'))
    with pytest.raises(CheckpointError, match="lacks"):
        tg.load(tmp_path / "n.safetensors")


def test_a_save_removes_the_stale_temp_files_of_killed_saves_to_the_same_target(tmp_path):
    target = tmp_path / "c.safetensors"
    stale = tmp_path / ".c.safetensors.abcd1234.tmp"      # what a save killed mid-write leaves behind
    fresh = tmp_path / ".c.safetensors.wxyz5678.tmp"      # maybe a save running right now: kept
    other = tmp_path / ".d.safetensors.abcd1234.tmp"      # another target's: kept
    unlike = tmp_path / ".c.safetensors.notours.tmp"      # not our naming: kept
    for p in (stale, fresh, other, unlike):
        p.write_bytes(b"x" * 100)
    old = time.time() - 3600
    for p in (stale, other, unlike):
        os.utime(p, (old, old))
    tg.save({"w": tg.ones(2)}, target)
    assert not stale.exists()
    assert fresh.exists() and other.exists() and unlike.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, fresh.name, other.name, unlike.name])
