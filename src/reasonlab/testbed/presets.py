"""The shipped testbed models: architecture and training recipe per model, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

from reasonlab.testbed.traces import TraceConfig


@dataclass(frozen=True)
class TestbedPreset:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    steps: int
    cosine_steps: int | None = None  # cosine decay ends here; later steps stay at the floor lr
    batch_size: int = 32
    lr: float = 2e-3
    warmup: int = 200
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    traces: TraceConfig = field(default_factory=TraceConfig)


PRESETS: dict[str, TestbedPreset] = {
    # ~5.1M parameters; sized so training fits in about 40 minutes on 2 CPU cores.
    "target": TestbedPreset(hidden=256, layers=7, heads=8, kv_heads=4, steps=1500, cosine_steps=1100),
    # ~1.1M parameters; same tokenizer, weaker on purpose (RSD needs a draft/target pair).
    "draft": TestbedPreset(hidden=128, layers=6, heads=4, kv_heads=2, steps=2000, lr=3e-3),
}
