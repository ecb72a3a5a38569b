"""Safetensors written a tensor at a time read back exactly (every dtype, sharded with an index), and
checkpoints read names, shapes and dtypes from headers alone, sharded folders included."""

import json

import pytest
import torch
from safetensors.torch import load_file

from reasonlab.core.errors import ReasonlabError
from reasonlab.merging.checkpoints import INDEX_FILE, Checkpoint
from reasonlab.merging.writer import CODES, Entry, ShardedWriter, plan_shards
from tests.merging.conftest import weights


def _tensors():
    g = torch.Generator().manual_seed(0)
    return {
        "a.weight": torch.randn(8, 4, generator=g),
        "b.weight": torch.randn(16, generator=g).to(torch.bfloat16),
        "c.weight": torch.randn(3, 5, generator=g).to(torch.float16),
        "d.ids": torch.arange(6, dtype=torch.int64),
        "e.scalar": torch.tensor(2.5),
    }


def _write(folder, tensors, max_bytes):
    entries = [Entry(n, tuple(t.shape), CODES[t.dtype]) for n, t in tensors.items()]
    writer = ShardedWriter(folder, entries, max_bytes)
    for name, t in tensors.items():
        writer.write(name, t)
    writer.close()
    return writer


@pytest.mark.parametrize("max_bytes", [10**9, 64])
def test_written_files_load_back_bit_exact_with_the_safetensors_library(tmp_path, max_bytes):
    tensors = _tensors()
    writer = _write(tmp_path, tensors, max_bytes)
    back = {}
    for file in writer.files:
        back.update(load_file(tmp_path / file))
    assert set(back) == set(tensors)
    for name, t in tensors.items():
        assert back[name].dtype == t.dtype and torch.equal(back[name], t), name
    assert writer.bytes == sum((tmp_path / f).stat().st_size for f in [*writer.files]) + (
        (tmp_path / INDEX_FILE).stat().st_size if len(writer.files) > 1 else 0
    )
    if max_bytes == 64:
        # 128 bytes of a alone, then b + c (32 + 30), then d + e (48 + 4)
        assert writer.files[0] == "model-00001-of-00003.safetensors"
        index = json.loads((tmp_path / INDEX_FILE).read_text())
        assert index["weight_map"]["c.weight"] == "model-00002-of-00003.safetensors"
        assert index["metadata"]["total_size"] == sum(t.numel() * t.element_size() for t in tensors.values())
    else:
        assert writer.files == ["model.safetensors"] and not (tmp_path / INDEX_FILE).exists()


def test_shards_hold_at_most_max_bytes_unless_one_tensor_is_larger():
    entries = [Entry(f"t{i}", (n,), "F32") for i, n in enumerate([10, 10, 30, 5])]
    assert [[e.name for e in s] for s in plan_shards(entries, 80)] == [["t0", "t1"], ["t2"], ["t3"]]


def test_the_writer_refuses_a_tensor_out_of_plan(tmp_path):
    writer = ShardedWriter(tmp_path, [Entry("a", (2,), "F32"), Entry("b", (2,), "F32")], 10**6)
    with pytest.raises(ValueError, match="expected tensor a, got b"):
        writer.write("b", torch.zeros(2))
    with pytest.raises(ValueError, match="planned F32"):
        writer.write("a", torch.zeros(3))
    writer.write("a", torch.zeros(2))
    with pytest.raises(ValueError, match="1 planned tensors were not written"):
        writer.close()


def test_a_sharded_folder_reads_like_the_single_file(folders):
    single, sharded = Checkpoint("a", folders["a"]), Checkpoint("a_sharded", folders["a_sharded"])
    assert len({info.file for info in sharded.tensors.values()}) > 1
    assert {n: (i.shape, i.dtype) for n, i in single.tensors.items()} == {
        n: (i.shape, i.dtype) for n, i in sharded.tensors.items()
    }
    reference = weights(folders["a"])
    for name in ("model.embed_tokens.weight", "lm_head.weight", "model.norm.weight"):
        assert torch.equal(sharded.read(name), reference[name])


def test_a_folder_without_safetensors_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(ReasonlabError, match="has no safetensors weights"):
        Checkpoint("m", tmp_path)
