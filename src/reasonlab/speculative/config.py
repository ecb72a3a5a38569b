"""Settings of `reasonlab rsd`, torch-free (the CLI reads its flags from them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.models.loading import DTYPES

BASELINES = ("target", "draft", "best-of-n", "assisted")
WEIGHTING_NAMES = ("binary", "constant", "clip", "sigmoidal", "logistic")  # speculative/rsd.py's


def _floats(text: str, flag: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ReasonlabError(f"{flag} {text!r}: expected numbers separated by commas") from None


@dataclass
class RSDRunConfig:
    draft: str = field(default="testbed:draft", metadata={"help": "Draft model: writes each step first."})
    target: str = field(default="testbed:target", metadata={"help": "Target model: rewrites rejected steps."})
    prm: str = field(
        default="testbed:prm", metadata={"help": "Process reward model (a PRM folder or testbed:prm)."}
    )
    delta: str = field(
        default="0.7",
        metadata={"help": "Acceptance threshold(s) on the PRM score; several (0.5,0.7,0.9) = a sweep."},
    )
    weighting: str = field(
        default="binary", metadata={"help": "w(r): binary, constant, clip, sigmoidal or logistic."}
    )
    alpha: float = field(default=10.0, metadata={"help": "Slope of the logistic weighting."})
    task: str = field(default="arith", metadata={"help": "Registered task (see `reasonlab tasks list`)."})
    # Set by the command: from --set key=value, or from --field for a dataset.
    task_options: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "Task options.", "cli": False}
    )
    dataset: str | None = field(
        default=None, metadata={"help": 'A {"problem", "answer"} JSONL file instead of --task.', "cli": False}
    )
    num_problems: int = field(
        default=100, metadata={"help": "Problems (the first ones of the task or dataset)."}
    )
    max_tokens: int = field(default=512, metadata={"help": "Token cap per solution."})
    max_steps: int = field(default=100, metadata={"help": "Step cap per solution."})
    baselines: str = field(
        default="target,draft,best-of-n,assisted",
        metadata={"help": "Baselines in the same run, comma-separated: target, draft, best-of-n, assisted."},
    )
    best_of: str = field(default="1,2,4,8,16", metadata={"help": "N of the draft's best-of-N by the PRM."})
    bon_temperature: float = field(default=0.7, metadata={"help": "Sampling temperature of best-of-N."})
    chunk: int = field(default=16, metadata={"help": "Problems per batch (and per resumable record)."})
    seed: int = field(default=0, metadata={"help": "Seed of every sampled choice."})
    device: str = field(default="cpu", metadata={"help": "cpu, cuda, cuda:1 or mps (all three models)."})
    dtype: str = field(
        default="auto", metadata={"help": "auto, float32, bfloat16 or float16 (all three models)."}
    )

    def deltas(self) -> list[float]:
        return _floats(self.delta, "--delta")

    def best_of_ns(self) -> list[int]:
        return [int(n) for n in _floats(self.best_of, "--best-of")]

    def baseline_list(self) -> list[str]:
        return [b.strip() for b in self.baselines.split(",") if b.strip()]

    def validate(self) -> RSDRunConfig:
        for d in self.deltas() or [None]:
            if d is None or not 0 <= d <= 1:
                raise ReasonlabError(f"--delta {self.delta!r}: each threshold must be in [0, 1]")
        if self.weighting not in WEIGHTING_NAMES:
            raise ReasonlabError(f"--weighting {self.weighting!r}: choose from {', '.join(WEIGHTING_NAMES)}")
        unknown = [b for b in self.baseline_list() if b not in BASELINES]
        if unknown:
            raise ReasonlabError(
                f"--baselines: unknown {', '.join(unknown)} (choose from {', '.join(BASELINES)})"
            )
        if any(n < 1 for n in self.best_of_ns()) or not self.best_of_ns():
            raise ReasonlabError(f"--best-of {self.best_of!r}: each N must be at least 1")
        if self.dtype not in DTYPES:
            raise ReasonlabError(f"--dtype {self.dtype!r}: choose from {', '.join(DTYPES)}")
        for name in ("num_problems", "max_tokens", "max_steps", "chunk"):
            if getattr(self, name) < 1:
                raise ReasonlabError(f"--{name.replace('_', '-')} {getattr(self, name)}: must be >= 1")
        return self
