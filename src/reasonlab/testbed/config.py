"""TrainConfig, the settings of `reasonlab testbed train`, apart from the training code so that the
CLI can read its fields (they are the command's flags) without importing torch or transformers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reasonlab.core.errors import ReasonlabError
from reasonlab.testbed.presets import PRESETS, TestbedPreset


@dataclass
class TrainConfig:
    model: str = field(
        default="target",
        metadata={"help": "Testbed model, a recipe of testbed/presets.py (target, draft, logic, deep)."},
    )
    seed: int = field(default=0, metadata={"help": "Seed of the initial weights and the training data."})
    steps: int | None = field(
        default=None, metadata={"help": "Optimizer steps, at least 1 (default: the model's recipe)."}
    )
    out: str | None = field(
        default=None, metadata={"help": "Model folder (default: <work-dir>/model; never the package's)."}
    )
    work_dir: str | None = field(
        default=None,
        metadata={
            "help": "Run folder for checkpoints and logs (default runs/testbed-<model>); reruns resume."
        },
    )
    checkpoint_every_s: float = field(
        default=120.0, metadata={"help": "Seconds between checkpoints (> 0).", "flag": "--checkpoint-every"}
    )
    bf16: bool | None = field(
        default=None, metadata={"help": "bfloat16 autocast (default: on when the CPU has AVX-512/AMX)."}
    )
    compile: bool = field(
        default=True, metadata={"help": "torch.compile the training step (~15% faster on CPU)."}
    )

    def preset(self) -> TestbedPreset:
        if self.model not in PRESETS:
            raise ReasonlabError(f"unknown testbed model {self.model!r} (choose from {', '.join(PRESETS)})")
        return PRESETS[self.model]

    def validate(self) -> None:
        """Refuse bad flags before anything is built or written (--steps 0 is not "the default")."""
        self.preset()
        if not 0 <= self.seed < 2**63:  # torch.manual_seed's range
            raise ReasonlabError(f"--seed must be in [0, 2**63), got {self.seed}")
        if self.steps is not None and self.steps < 1:
            raise ReasonlabError(f"--steps must be at least 1, got {self.steps}")
        if not self.checkpoint_every_s > 0:  # also refuses nan
            raise ReasonlabError(
                f"--checkpoint-every must be a positive number of seconds, got {self.checkpoint_every_s}"
            )

    def total_steps(self) -> int:
        """--steps, or the preset's step count when it is unset."""
        return self.preset().steps if self.steps is None else self.steps

    def work_path(self) -> Path:
        return Path(self.work_dir or f"runs/testbed-{self.model}")

    def out_path(self) -> Path:
        return Path(self.out) if self.out else self.work_path() / "model"
