"""Writing safetensors a tensor at a time, sharded when large.

A safetensors file is an 8-byte header length, a JSON header (every tensor's dtype, shape and byte
range) and the tensors' bytes. The merged tensors' shapes and dtypes are known before any is
computed, so the headers are written first and each tensor's bytes are appended the moment it is
merged: the output never sits in memory. Files are named as transformers' save_pretrained names
them (model.safetensors, or model-0000i-of-0000n.safetensors + model.safetensors.index.json).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import torch

from reasonlab.merging.checkpoints import INDEX_FILE, SINGLE_FILE

TORCH_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F8_E4M3": torch.float8_e4m3fn,
    "F8_E5M2": torch.float8_e5m2,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U64": torch.uint64,
    "U32": torch.uint32,
    "U16": torch.uint16,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
CODES = {dtype: code for code, dtype in TORCH_DTYPES.items()}


@dataclass(frozen=True)
class Entry:
    """A tensor to be written: its name, shape and safetensors dtype code."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * TORCH_DTYPES[self.dtype].itemsize


def plan_shards(entries: list[Entry], max_bytes: int) -> list[list[Entry]]:
    """Entries in order, cut into files of at most `max_bytes` of tensor data (a tensor larger than
    that gets a file of its own), as save_pretrained's max_shard_size does."""
    shards: list[list[Entry]] = [[]]
    size = 0
    for entry in entries:
        if shards[-1] and size + entry.nbytes > max_bytes:
            shards.append([])
            size = 0
        shards[-1].append(entry)
        size += entry.nbytes
    return shards


def shard_names(count: int) -> list[str]:
    if count == 1:
        return [SINGLE_FILE]
    return [f"model-{i:05d}-of-{count:05d}.safetensors" for i in range(1, count + 1)]


def header_bytes(entries: list[Entry]) -> bytes:
    """The length prefix and JSON header of a file holding `entries` back to back, padded with
    spaces to a multiple of 8 bytes (as the safetensors library writes it)."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for e in entries:
        header[e.name] = {
            "dtype": e.dtype,
            "shape": list(e.shape),
            "data_offsets": [offset, offset + e.nbytes],
        }
        offset += e.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text


class ShardedWriter:
    """Writes the planned entries, in order, into `folder`; `write` checks each tensor against its
    entry, `close` checks that every entry was written and adds the index of a sharded model."""

    def __init__(self, folder: Path, entries: list[Entry], max_bytes: int):
        self.folder = Path(folder)
        self.shards = plan_shards(entries, max_bytes)
        self.files = shard_names(len(self.shards))
        self.order = [(e, i) for i, shard in enumerate(self.shards) for e in shard]
        self.written = 0
        self.bytes = 0
        self._file: BinaryIO | None = None
        self._shard = -1

    def write(self, name: str, tensor: torch.Tensor) -> None:
        entry, shard = self.order[self.written]
        if name != entry.name:
            raise ValueError(f"expected tensor {entry.name}, got {name}")
        if tuple(tensor.shape) != entry.shape or CODES.get(tensor.dtype) != entry.dtype:
            raise ValueError(
                f"{name}: planned {entry.dtype} {list(entry.shape)}, got {tensor.dtype} {list(tensor.shape)}"
            )
        if shard != self._shard:
            self._open(shard)
        data = tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()
        self._file.write(data.data)
        self.bytes += data.nbytes
        self.written += 1

    def _open(self, shard: int) -> None:
        self._close_file()
        self._shard = shard
        self._file = (self.folder / self.files[shard]).open("wb")
        head = header_bytes(self.shards[shard])
        self._file.write(head)
        self.bytes += len(head)

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def close(self) -> None:
        """Finish the last file and write model.safetensors.index.json for a sharded model."""
        self._close_file()
        if self.written != len(self.order):
            raise ValueError(f"{len(self.order) - self.written} planned tensors were not written")
        if len(self.files) > 1:
            index = {
                "metadata": {"total_size": sum(e.nbytes for e, _ in self.order)},
                "weight_map": {e.name: self.files[i] for e, i in self.order},
            }
            text = json.dumps(index, indent=2) + "\n"
            (self.folder / INDEX_FILE).write_text(text)
            self.bytes += len(text.encode())

    def abort(self) -> None:
        """Close the open file after a failure (the caller removes the folder)."""
        self._close_file()
