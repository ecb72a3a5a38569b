"""BenchConfig, the settings of `reasonlab optim bench`, apart from the benchmark so that the CLI can
read its fields (they are the command's flags) without importing torch."""

from __future__ import annotations

from dataclasses import dataclass, field

from reasonlab.core.errors import ReasonlabError


def _f(default, help: str, **meta):
    return field(default=default, metadata={"help": help, **meta})


@dataclass
class BenchConfig:
    # projector refresh benchmark: hidden x hidden attention, hidden x mlp MLP weights
    hidden: int = _f(4096, "Projector benchmark: attention weights are hidden x hidden.")
    mlp: int = _f(11008, "Projector benchmark: MLP weights are hidden x mlp.")
    heads: int = _f(32, "Projector benchmark: attention heads (cross_head bases).")
    rank: int = _f(128, "Projector benchmark rank.")
    oversample: int = _f(8, "Randomized subspace iteration (rsi): extra columns sampled.")
    power_iters: int = _f(2, "rsi: power iterations.")
    repeats: int = _f(1, "Timing repeats (the best is kept).")
    # end-to-end fine-tuning
    ft_hidden: int = _f(1024, "Fine-tuning model width.")
    ft_mlp: int | None = _f(None, "Fine-tuning MLP width (default: 8/3 of --ft-hidden, Llama's ratio).")
    ft_layers: int = _f(2, "Fine-tuning model layers.")
    ft_heads: int = _f(8, "Fine-tuning model attention heads.")
    ft_steps: int = _f(50, "Fine-tuning steps per run.")
    ft_gaps: list[int] = field(
        default_factory=lambda: [10, 50, 200],
        metadata={"help": "update_proj_gap values for the fine-tuning runs."},
    )
    ft_rank: int = _f(128, "GaLore rank in the fine-tuning runs (below --ft-hidden).")
    ft_batch: int = _f(4, "Fine-tuning batch size.")
    ft_seq: int = _f(128, "Fine-tuning sequence length.")
    ft_lr: float = _f(1e-3, "Fine-tuning learning rate.")
    ft_device: str = _f(
        "cpu", "Fine-tuning device; cuda: step times synchronised, peak from torch.cuda.max_memory_allocated."
    )
    ft_dtype: str = _f(
        "float32", "float32 or bfloat16 (weights and activations; GaLore moments stay float32)."
    )
    residual_density: float = _f(0.01, "GaLore+: share of entries kept in the sparse residual.")
    residual_warmup: int = _f(10, "GaLore+: steps that choose the residual index set.")
    plus_power_iters: int = _f(1, "GaLore+ in fine-tuning: rsi iterations (warm-started, so fewer).")
    # peak-memory benchmark: the projected weights of `mem_layers` Llama layers (hidden x mlp above)
    mem_layers: int = _f(2, "Peak-memory benchmark: Llama layers whose weights are projected.")
    mem_steps: int = _f(12, "Peak-memory benchmark: steps (past the residual warm-up).")
    seed: int = _f(0, "Seed of the gradients, models and data.")

    def validate(self) -> None:
        """Sizes a run can use; a rank at or above a fine-tuning weight's smaller side would make
        every GaLore run plain AdamW, so the comparison would measure nothing."""
        sizes = dict(hidden=self.hidden, mlp=self.mlp, heads=self.heads, rank=self.rank)
        sizes |= dict(ft_hidden=self.ft_hidden, ft_heads=self.ft_heads, ft_layers=self.ft_layers)
        sizes |= dict(ft_rank=self.ft_rank, ft_steps=self.ft_steps, mem_layers=self.mem_layers)
        for name, value in sizes.items():
            if value < 1:
                raise ReasonlabError(f"{name} must be at least 1, got {value}")
        if not self.ft_gaps or min(self.ft_gaps) < 1:
            raise ReasonlabError(f"ft_gaps must be positive integers, got {self.ft_gaps}")
        if self.hidden % self.heads or self.ft_hidden % self.ft_heads:
            raise ReasonlabError("hidden must be divisible by heads, and ft_hidden by ft_heads")
        if self.ft_rank >= self.ft_hidden:
            raise ReasonlabError(
                f"ft_rank {self.ft_rank} must be below ft_hidden {self.ft_hidden}: at or above it GaLore "
                "projects nothing and equals AdamW"
            )
