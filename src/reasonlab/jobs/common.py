"""What every job needs to know: which model, engine, task (or dataset) and thinking markers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from reasonlab.models.defaults import fill_model_defaults


@dataclass
class RunInputs:
    model: str = "testbed:target"  # local Hugging Face folder or testbed:<name>
    engine: str = "hf"  # hf (transformers) or vllm
    task: str = "arith"  # registered task name
    task_options: dict[str, Any] = field(default_factory=dict)  # task config (--set key=value)
    dataset: str | None = None  # a {"problem","answer"} JSONL file instead of --task
    system_prompt: str | None = None  # None: the model's default (models/defaults.py); "": none
    think_open: str | None = None  # override the detected thinking markers
    think_close: str | None = None
    device: str = "cpu"
    dtype: str = "auto"

    @classmethod
    def for_model(cls, **values: Any):
        """A config whose model-dependent fields (token caps, solution budget, system prompt), when
        left out or None, take the model's defaults (models/defaults.py), not the testbed's."""
        model = values.get("model") or cls.model
        return cls(**fill_model_defaults(values, {f.name for f in fields(cls)}, model))


def config_dict(cfg) -> dict[str, Any]:
    """A job config as the JSON written to config.json (and hashed for default run folders)."""
    return asdict(cfg)


TRUNCATION_WARNING = 0.2  # share of samples cut by max_tokens before closing their thinking that warns


def sampling_warnings(
    preds: list[str | None], unclosed_at_cap: int, samples: int, max_tokens: int | None
) -> list[str]:
    """Warnings a summary carries (and the table and report show) when its numbers mislead: no
    sample reached an answer at all, or many were cut by max_tokens before closing their thinking."""
    warnings = []
    if preds and all(p is None for p in preds):
        warnings.append(
            "no sample reached an answer (no \\boxed{} in any solution): every score is 0 because the "
            "answer was never written; check the token caps, the prompt and the model's answer format"
        )
    if samples and unclosed_at_cap > TRUNCATION_WARNING * samples:
        warnings.append(
            f"{unclosed_at_cap} of {samples} samples ({100 * unclosed_at_cap / samples:.0f}%) hit "
            f"max_tokens={max_tokens} without closing their thinking: their answers come from "
            "unfinished thinking; raise --max-tokens"
        )
    return warnings


def warning_lines(warnings: list[str]) -> list[str]:
    """Report lines for a summary's warnings."""
    return [f"**Warning:** {w}." for w in warnings]
