"""A Hugging Face model folder's safetensors weights, read one tensor at a time.

Names, shapes and dtypes come from the safetensors headers (the first bytes of each file: no
tensor is touched); `read` opens the file, copies one tensor out and closes it again, so merging a
model never maps more of it than the tensor at hand. Sharded folders
(model.safetensors.index.json) and single files (model.safetensors) are both read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
FLOAT_CODES = ("F64", "F32", "F16", "BF16")  # safetensors dtypes that are merged (in float32 or wider)
COPIED_CODES = ("I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL")  # taken from the reference
# Any other dtype is refused: FP8 (F8_E4M3, F8_E5M2), F8_E8M0, F6_*, F4 hold quantized values whose
# scales, where there are any, are other tensors, so neither merging the raw values nor copying the
# reference's (unmerged, as if merged) is right.
MAX_HEADER = 100 << 20  # safetensors' own limit on the header's length


@dataclass(frozen=True)
class TensorInfo:
    """Where a tensor lives and what it is, read from a safetensors header."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # safetensors code: F32, BF16, I64, ...
    file: str  # file name inside the folder
    nbytes: int


def read_header(path: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file ({name: {dtype, shape, data_offsets}, __metadata__})."""
    try:
        with path.open("rb") as f:
            size = int.from_bytes(f.read(8), "little")
            if not 0 < size <= MAX_HEADER:
                raise ValueError
            return json.loads(f.read(size))
    except (ValueError, UnicodeDecodeError):
        raise ReasonlabError(f"{path} is not a safetensors file (its header cannot be read)") from None


class Checkpoint:
    """One input model: its folder, config.json and the tensors its safetensors files hold, in file
    order. `label` is how errors name it (the name the user gave)."""

    def __init__(self, label: str, path: Path):
        self.label, self.path = label, Path(path)
        try:
            self.config: dict[str, Any] = json.loads((self.path / "config.json").read_text())
        except (OSError, ValueError) as e:
            raise ReasonlabError(f"cannot read {self.path / 'config.json'}: {e}") from None
        self.tensors: dict[str, TensorInfo] = {}
        for file, names in self._files().items():
            header = read_header(self.path / file)
            header.pop("__metadata__", None)
            entries = sorted(header.items(), key=lambda item: item[1]["data_offsets"][0])
            for name, entry in entries:
                if names is not None and name not in names:
                    continue
                begin, end = entry["data_offsets"]
                self.tensors[name] = TensorInfo(
                    name, tuple(entry["shape"]), entry["dtype"], file, end - begin
                )
            missing = sorted((names or set()) - set(header))
            if missing:
                raise ReasonlabError(f"{self.path / INDEX_FILE} maps {missing[0]} to {file}, which lacks it")

    @classmethod
    def open(cls, name: str) -> Checkpoint:
        """The checkpoint of a local folder or a `testbed:<name>` handle."""
        from reasonlab.models.loading import resolve_model_path

        path = resolve_model_path(name)
        if path is None:
            raise ReasonlabError(f"{name} is built in memory, not a folder: save it to a folder to merge it")
        return cls(name, path)

    def _files(self) -> dict[str, set[str] | None]:
        """{safetensors file: the tensor names the index assigns it (None: all of its tensors)}."""
        index = self.path / INDEX_FILE
        if index.is_file():
            try:
                weight_map = json.loads(index.read_text())["weight_map"]
            except (ValueError, KeyError, TypeError):
                raise ReasonlabError(f"{index} has no weight_map") from None
            files: dict[str, set[str]] = {}
            for tensor, file in weight_map.items():
                files.setdefault(file, set()).add(tensor)
            for file in files:
                if not (self.path / file).is_file():
                    raise ReasonlabError(f"{index} names {file}, which is not in {self.path}")
            return dict(sorted(files.items()))
        if (self.path / SINGLE_FILE).is_file():
            return {SINGLE_FILE: None}
        others = sorted(p.name for p in self.path.glob("*.safetensors"))
        if len(others) == 1:
            return {others[0]: None}
        if others:
            raise ReasonlabError(f"{self.path} holds {len(others)} safetensors files but no {INDEX_FILE}")
        raise ReasonlabError(
            f"{self.path} has no safetensors weights (merging reads safetensors only: save the model "
            "with save_pretrained, which writes them)"
        )

    def unmergeable(self) -> str | None:
        """Why this checkpoint cannot be merged, naming its first tensor of a dtype that is neither
        merged nor copied (None: every tensor can)."""
        for info in self.tensors.values():
            if info.dtype not in FLOAT_CODES and info.dtype not in COPIED_CODES:
                why = (
                    "quantized weights are not merged (their scales, if any, are other tensors): "
                    "dequantize the model to bfloat16 or float32 first"
                    if info.dtype.startswith(("F8", "F6", "F4"))
                    else "merging handles floats (F64, F32, F16, BF16) and copies integers and BOOL"
                )
                return f"tensor {info.name} is {info.dtype} in {self.label}: {why}"
        return None

    @property
    def architecture(self) -> tuple[str | None, tuple[str, ...]]:
        """(model_type, architectures) from config.json: what must agree between merged models."""
        return self.config.get("model_type"), tuple(self.config.get("architectures") or ())

    def read(self, name: str, device: str = "cpu"):
        """One tensor, copied out of its file (the file is closed again before returning)."""
        from safetensors import safe_open

        info = self.tensors[name]
        with safe_open(self.path / info.file, framework="pt", device=device) as f:
            return f.get_tensor(name)
