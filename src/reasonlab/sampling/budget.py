"""Thinking budgets by forcing: cap the thinking, close it with the marker's ids, let the model answer.

A sample that runs out of thinking budget without closing gets the close marker's TOKEN IDS and the
step delimiter appended, then continues with the remaining (solution) budget; one that closed in
time but was cut mid-answer simply continues. The continuation reuses the sample's KV through the
engine's prefix cache, so forcing costs only the new tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reasonlab.engines.base import CompletionOutput, Engine, RequestOutput, SamplingParams
from reasonlab.models.think import ThinkFormat


@dataclass
class BudgetedSample:
    output: CompletionOutput  # token_ids/text cover thinking, any forced close, and the solution
    forced_close: bool


def generate_with_thinking_budget(
    engine: Engine,
    prompts: list[list[int]],
    params: SamplingParams,
    think: ThinkFormat,
    thinking_budget: int,
    progress: bool = False,
) -> list[list[BudgetedSample]]:
    """Per prompt, `params.n` samples whose thinking is at most `thinking_budget` tokens.

    The solution may use up to `params.max_tokens - thinking_budget` tokens after the close.
    """
    think.require("a thinking budget")
    first = engine.generate(
        prompts, replace(params, max_tokens=min(thinking_budget, params.max_tokens)), progress
    )
    solution_budget = params.max_tokens - thinking_budget
    delimiter = engine.tokenizer.encode(think.step_delimiter, add_special_tokens=False)
    pending: list[tuple[int, int, list[int]]] = []  # (prompt index, sample index, forced continuation)
    results = [[BudgetedSample(o, False) for o in r.outputs] for r in first]
    for i, request in enumerate(first):
        for o in request.outputs:
            if o.finish_reason != "length" or solution_budget <= 0:
                continue
            closed = think.find_close(o.token_ids) is not None
            forced = [] if closed else list(think.close_ids) + delimiter
            pending.append((i, o.index, forced))
    if pending:
        conts = [prompts[i] + results[i][j].output.token_ids + forced for i, j, forced in pending]
        rest = replace(
            params, n=1, max_tokens=solution_budget, seed=None if params.seed is None else params.seed + 1
        )
        second = engine.generate(conts, rest, progress)
        for (i, j, forced), request in zip(pending, second):
            results[i][j] = BudgetedSample(_join(results[i][j].output, forced, request, engine), bool(forced))
    return results


def _join(head: CompletionOutput, forced: list[int], tail: RequestOutput, engine: Engine) -> CompletionOutput:
    """One sample from its first part, the forced ids and its continuation; usage adds up."""
    cont = tail.outputs[0]
    ids = head.token_ids + forced + cont.token_ids
    logprobs = None
    if head.logprobs is not None and cont.logprobs is not None:
        logprobs = head.logprobs + [{t: 0.0} for t in forced] + cont.logprobs
    # Forced tokens were inserted, never sampled: the continuation charges them as prefill.
    usage = head.usage + tail.usage
    text = engine.tokenizer.decode(head.token_ids + forced, skip_special_tokens=True) + cont.text
    return CompletionOutput(head.index, ids, text, cont.finish_reason, cont.stop_reason, logprobs, usage)
