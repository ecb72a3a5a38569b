"""Token and FLOP accounting, shared by every sampler and engine.

Compute is charged the way the papers do (generated tokens) and, separately, the way the hardware
sees it (prefill tokens that were actually computed versus served from a prefix cache).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Usage:
    """Tokens spent by one request or sample.

    generated: tokens sampled by the model.
    prefill_computed: prompt tokens run through the model to build the KV cache.
    prefill_reused: prompt tokens whose KV came from a prefix cache instead.
    """

    generated: int = 0
    prefill_computed: int = 0
    prefill_reused: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.generated + other.generated,
            self.prefill_computed + other.prefill_computed,
            self.prefill_reused + other.prefill_reused,
        )

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def total_usage(usages: list[Usage]) -> Usage:
    return sum(usages, Usage())


def matmul_params(model) -> int:
    """Parameters that take part in a matmul per token (the N of the 2N-FLOPs rule).

    The input embedding is a table lookup, not a matmul, so it is left out; when the output head
    is tied to it, the head still multiplies, so it is counted once.
    """
    total = sum(p.numel() for p in model.parameters())
    embed = model.get_input_embeddings().weight
    head = model.get_output_embeddings()
    tied = head is not None and head.weight.data_ptr() == embed.data_ptr()
    return total if tied else total - embed.numel()


@dataclass
class Flops:
    prefill: float
    decode: float

    @property
    def total(self) -> float:
        return self.prefill + self.decode

    def to_dict(self) -> dict[str, float]:
        return {"prefill": self.prefill, "decode": self.decode, "total": self.total}


def estimate_flops(n_params: int, usage: Usage) -> Flops:
    """Forward-pass FLOPs by the 2 x parameters x tokens rule (attention's quadratic term ignored)."""
    return Flops(prefill=2.0 * n_params * usage.prefill_computed, decode=2.0 * n_params * usage.generated)
