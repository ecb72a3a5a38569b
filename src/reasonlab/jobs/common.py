"""What every job needs to know: which model, engine, task (or dataset) and thinking markers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from reasonlab.models.defaults import fill_model_defaults


@dataclass
class RunInputs:
    """Fields are CLI flags (cli/options.py): metadata "help" is the flag's help text."""

    model: str = field(
        default="testbed:target", metadata={"help": "Local Hugging Face folder or testbed:<name>."}
    )
    engine: str = field(default="hf", metadata={"help": "hf (transformers) or vllm."})
    task: str = field(default="arith", metadata={"help": "Registered task (see `reasonlab tasks list`)."})
    # Set by the command: from --set key=value, or from --field for a dataset.
    task_options: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "Task options.", "cli": False}
    )
    dataset: str | None = field(
        default=None, metadata={"help": 'A {"problem", "answer"} JSONL file instead of --task.', "cli": False}
    )
    system_prompt: str | None = field(
        default=None,
        metadata={
            "help": 'System message for the chat template; "" for none (default: none for testbed models, '
            'the official "Please reason step by step, and put your final answer within \\boxed{}." '
            "otherwise)."
        },
    )
    think_open: str | None = field(default=None, metadata={"help": "Open-thinking marker, if not <think>."})
    think_close: str | None = field(
        default=None, metadata={"help": "Close-thinking marker, if not </think>."}
    )
    device: str = field(default="cpu", metadata={"help": "cpu, cuda, cuda:1 or mps."})
    dtype: str = field(default="auto", metadata={"help": "auto, float32, bfloat16 or float16."})

    @classmethod
    def for_model(cls, **values: Any):
        """A config whose model-dependent fields (token caps, solution budget, system prompt), when
        left out or None, take the model's defaults (models/defaults.py), not the testbed's."""
        model = values.get("model") or cls.model
        return cls(**fill_model_defaults(values, {f.name for f in fields(cls)}, model))


def load_task(cfg):
    """The task object of a job config (its task and options, or its JSONL dataset), validated
    before any model is loaded."""
    from reasonlab.tasks import create_task

    if cfg.dataset:
        return create_task("jsonl", path=cfg.dataset, **cfg.task_options)
    return create_task(cfg.task, **cfg.task_options)


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
