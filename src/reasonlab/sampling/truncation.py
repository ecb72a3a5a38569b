"""Forced answers from truncated thinking: cut a trace at a depth, close it by id, let the model answer.

The branch prompt is prompt + thinking[:cut] + close-marker ids + step delimiter. All branches of a
trace extend the same cached sequence, so with prefix caching only the marker, the delimiter and
the answer are computed. Fractured sampling generalises this to n x H x m; evaluation uses it to
measure how accuracy grows with thinking depth.
"""

from __future__ import annotations

from dataclasses import dataclass

from reasonlab.core.errors import ReasonlabError
from reasonlab.engines.base import CompletionOutput, Engine, SamplingParams
from reasonlab.models.think import ThinkFormat


def cut_points(length: int, fractions: list[float]) -> list[int]:
    """Token counts to keep for each fraction of a thinking of `length` tokens (rounded down)."""
    for f in fractions:
        if not 0 <= f <= 1:
            raise ReasonlabError(f"cut fractions must be in [0, 1], got {f}")
    return [int(f * length) for f in fractions]


@dataclass
class Branch:
    trace: int  # index of the trace in the input list
    fraction: float
    cut: int  # thinking tokens kept
    prompt: list[int]


def build_branches(
    prompts: list[list[int]],
    traces: list[list[int]],
    fractions: list[float],
    think: ThinkFormat,
    delimiter_ids: list[int],
) -> list[Branch]:
    """One branch per (trace, fraction). `prompts[i]` is the prompt trace i continued."""
    think.require("forcing an answer at a thinking cut")
    branches = []
    for i, (prompt, trace) in enumerate(zip(prompts, traces, strict=True)):
        thinking, _, _ = think.split(trace)
        for f, cut in zip(fractions, cut_points(len(thinking), fractions)):
            branches.append(
                Branch(i, f, cut, prompt + thinking[:cut] + list(think.close_ids) + delimiter_ids)
            )
    return branches


def forced_answers(
    engine: Engine,
    branches: list[Branch],
    params: SamplingParams | list[SamplingParams],
    progress: bool = False,
) -> list[list[CompletionOutput]]:
    """`params.n` answers per branch (the answer part only: what follows the close marker); one
    params for all branches or one per branch (seeded apart, so equal prompts differ)."""
    if not branches:
        return []
    return [r.outputs for r in engine.generate([b.prompt for b in branches], params, progress)]


def delimiter_ids(tokenizer, think: ThinkFormat) -> list[int]:
    return tokenizer.encode(think.step_delimiter, add_special_tokens=False)
