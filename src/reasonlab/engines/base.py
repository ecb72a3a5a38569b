"""The engine protocol: token ids in, samples out, like vLLM's `LLM.generate`.

Engines take and return TOKEN IDS (text rides along for convenience), so a method can cut a trace
at token t and continue from exactly that prefix. Every sample has its finish reason, per-token
logprobs when asked, and its `Usage`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from reasonlab.core.cost import Usage, total_usage
from reasonlab.core.errors import ReasonlabError


@dataclass(frozen=True)
class SamplingParams:
    """Per-request sampling settings; field names and meanings follow vLLM.

    n: samples per prompt (the prompt is prefilled once for all of them).
    temperature: 0 means greedy.
    top_p: nucleus mass in (0, 1]; top_k: keep the k most likely tokens, -1 or 0 = all.
    max_tokens: cap on generated tokens.
    stop: strings that end a sample; the output text stops before them unless
        include_stop_str_in_output. stop_token_ids: token ids that end a sample (kept in the output).
    ignore_eos: keep going past the end-of-sequence token.
    seed: makes sampling reproducible for the same inputs.
    logprobs: None = none; k >= 0 = the sampled token's logprob plus the top k (raw model logits).
    """

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    stop_token_ids: tuple[int, ...] = ()
    include_stop_str_in_output: bool = False
    ignore_eos: bool = False
    seed: int | None = None
    logprobs: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.stop, str):
            object.__setattr__(self, "stop", (self.stop,))
        object.__setattr__(self, "stop", tuple(self.stop))
        object.__setattr__(self, "stop_token_ids", tuple(self.stop_token_ids))
        if self.n < 1:
            raise ReasonlabError(f"n must be at least 1, got {self.n}")
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ReasonlabError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ReasonlabError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k < -1:
            raise ReasonlabError(f"top_k must be -1 (disabled), 0 (disabled) or positive, got {self.top_k}")
        if self.max_tokens < 1:
            raise ReasonlabError(f"max_tokens must be at least 1, got {self.max_tokens}")
        if self.logprobs is not None and self.logprobs < 0:
            raise ReasonlabError(f"logprobs must be None or >= 0, got {self.logprobs}")
        if any(not s for s in self.stop):
            raise ReasonlabError("stop strings must be non-empty")


@dataclass
class CompletionOutput:
    """One sample. `usage.prefill_*` is charged to sample 0 of its request (the prompt is shared)."""

    index: int
    token_ids: list[int]
    text: str
    finish_reason: str  # "stop" (eos, stop string or stop token) or "length"
    stop_reason: str | int | None = None  # the stop string or token id that ended it
    logprobs: list[dict[int, float]] | None = None
    usage: Usage = field(default_factory=Usage)

    @property
    def cumulative_logprob(self) -> float | None:
        if self.logprobs is None:
            return None
        return float(sum(lp[t] for lp, t in zip(self.logprobs, self.token_ids)))


@dataclass
class RequestOutput:
    prompt_token_ids: list[int]
    outputs: list[CompletionOutput]

    @property
    def usage(self) -> Usage:
        return total_usage([o.usage for o in self.outputs])


class Engine(Protocol):
    """What every engine offers. Prompts are lists of token ids."""

    tokenizer: object

    def generate(
        self, prompts: list[list[int]], params: SamplingParams | list[SamplingParams], progress: bool = False
    ) -> list[RequestOutput]: ...

    @property
    def num_params(self) -> int: ...

    def update_weights(self, state_dict=None) -> None:
        """Take new weights (RL after each optimizer step) and drop KV computed with the old ones."""

    def reset_prefix_cache(self) -> None: ...
