"""Settings of `reasonlab prm data` and `reasonlab prm train`, torch-free so that the CLI reads its
flags from them before anything heavy is imported."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reasonlab.core.errors import ReasonlabError

HEADS = ("value", "two-class")


@dataclass
class PRMDataConfig:
    models: str = field(
        default="testbed:draft,testbed:target",
        metadata={"help": "Policies that write the solutions, comma-separated (folders or testbed:<name>)."},
    )
    task_seed: int = field(
        default=1, metadata={"help": "Seed of the arith problems (1: the testbed's training set)."}
    )
    # Set by the command from --dataset and --field: a JSONL task instead of arith (then the labels
    # must be monte-carlo: only arith steps can be checked exactly).
    dataset: str | None = field(
        default=None, metadata={"help": 'A {"problem", "answer"} JSONL file instead of arith.', "cli": False}
    )
    task_options: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "Task options.", "cli": False}
    )
    num_problems: int = field(
        default=500, metadata={"help": "Problems, each answered n times by every policy."}
    )
    n: int = field(default=2, metadata={"help": "Solutions per problem and policy."})
    temperature: float = field(
        default=1.0, metadata={"help": "Sampling temperature (wrong steps need some)."}
    )
    max_tokens: int = field(default=512, metadata={"help": "Token cap per solution."})
    labels: str = field(
        default="exact",
        metadata={
            "help": "exact (arith: every line checked in context) or monte-carlo (Math-Shepherd rollouts)."
        },
    )
    rollouts: int = field(default=4, metadata={"help": "Monte-Carlo labels: continuations per step."})
    seed: int = field(default=0, metadata={"help": "Sampling seed."})

    def model_list(self) -> list[str]:
        return [m.strip() for m in self.models.split(",") if m.strip()]

    def validate(self) -> PRMDataConfig:
        if not self.model_list():
            raise ReasonlabError("--models is empty: name at least one policy")
        for name in ("num_problems", "n", "max_tokens"):
            if getattr(self, name) < 1:
                raise ReasonlabError(f"--{name.replace('_', '-')} {getattr(self, name)}: must be >= 1")
        if self.labels not in ("exact", "monte-carlo"):
            raise ReasonlabError(f"--labels {self.labels!r}: choose from exact, monte-carlo")
        if self.dataset and self.labels == "exact":
            raise ReasonlabError(
                "--dataset needs --labels monte-carlo: only arith steps can be checked exactly"
            )
        if self.rollouts < 1:
            raise ReasonlabError(f"--rollouts {self.rollouts}: must be >= 1")
        if not self.temperature > 0:
            raise ReasonlabError(f"--temperature {self.temperature}: must be > 0 (greedy repeats itself)")
        return self


@dataclass
class PRMTrainConfig:
    data: str = field(
        default="", metadata={"help": "Step samples to train on (samples.jsonl of `prm data`)."}
    )
    eval_data: str | None = field(
        default=None,
        metadata={"help": "Held-out step samples: AUROC and ProcessBench F1 of the trained PRM."},
    )
    init: str = field(
        default="testbed:draft",
        metadata={"help": "The backbone starts from this model (its LM head dropped)."},
    )
    head: str = field(
        default="value", metadata={"help": "value (Skywork-style) or two-class (Qwen-PRM-style)."}
    )
    step_separator: str = field(
        default="\n\n", metadata={"help": "Text that ends each step in the PRM's input."}
    )
    steps: int = field(default=400, metadata={"help": "Optimizer steps."})
    batch_size: int = field(default=16, metadata={"help": "Solutions per step (every labelled step counts)."})
    learning_rate: float = field(default=3e-4, metadata={"help": "Peak learning rate of AdamW."})
    warmup_steps: int = field(default=20, metadata={"help": "Linear warm-up steps, then cosine decay."})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay."})
    max_grad_norm: float = field(default=1.0, metadata={"help": "Gradient clipping norm."})
    outcome: bool = field(
        default=False,
        metadata={
            "help": "Train an outcome reward model: each solution one step, labelled by its final answer."
        },
    )
    question_negatives: float = field(
        default=0.0,
        metadata={
            "help": "Extra solutions, as a share of the data, paired with another problem's question and "
            "every step labelled wrong (question-shuffled negatives)."
        },
    )
    seed: int = field(default=0, metadata={"help": "Seed of the head's initial weights and the batches."})
    checkpoint_every_s: float = field(
        default=300.0, metadata={"help": "Seconds between checkpoints.", "flag": "--checkpoint-every"}
    )

    def validate(self) -> PRMTrainConfig:
        for name in ("steps", "batch_size"):
            if getattr(self, name) < 1:
                raise ReasonlabError(f"--{name.replace('_', '-')} {getattr(self, name)}: must be >= 1")
        if not self.learning_rate > 0:
            raise ReasonlabError(f"--learning-rate {self.learning_rate}: must be > 0")
        if self.head not in HEADS:
            raise ReasonlabError(f"--head {self.head!r}: choose from {', '.join(HEADS)}")
        if not self.step_separator:
            raise ReasonlabError("--step-separator is empty: give the text that ends each step")
        if not 0 <= self.question_negatives <= 1:
            raise ReasonlabError(f"--question-negatives {self.question_negatives}: must be in [0, 1]")
        return self


NOT_RECIPE = ("checkpoint_every_s", "eval_data")  # settings a resume may change
