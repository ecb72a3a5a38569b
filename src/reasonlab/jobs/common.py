"""What every job needs to know: which model, engine, task (or dataset) and thinking markers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RunInputs:
    model: str = "testbed:target"  # local Hugging Face folder or testbed:<name>
    engine: str = "hf"  # hf (transformers) or vllm
    task: str = "arith"  # registered task name
    task_options: dict[str, Any] = field(default_factory=dict)  # task config (--set key=value)
    dataset: str | None = None  # a {"problem","answer"} JSONL file instead of --task
    system_prompt: str | None = None
    think_open: str | None = None  # override the detected thinking markers
    think_close: str | None = None
    device: str = "cpu"
    dtype: str = "auto"


def config_dict(cfg) -> dict[str, Any]:
    """A job config as the JSON written to config.json (and hashed for default run folders)."""
    return asdict(cfg)
