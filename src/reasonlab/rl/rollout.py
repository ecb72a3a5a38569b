"""Rollouts for RL: n responses per prompt through the engine protocol (one shared prefill per
prompt), plain or under an Elastic Reasoning budget (sampling/budget.py)."""

from __future__ import annotations

from dataclasses import dataclass

from reasonlab.engines.base import Engine, SamplingParams
from reasonlab.models.think import ThinkFormat
from reasonlab.sampling.budget import ElasticBudget, budgeted_generate


@dataclass
class Response:
    completion_ids: list[int]  # what gets trained: with a budget, thinking + (forced) close marker + solution
    text: str
    truncated: bool  # the response (or its solution) hit its token cap
    forced_close: bool = False  # the thinking budget ran out and the close marker was inserted


def rollout(
    engine: Engine,
    prompts: list[list[int]],
    params: SamplingParams | list[SamplingParams],
    think: ThinkFormat,
    budget: ElasticBudget | None = None,
) -> list[list[Response]]:
    """`params.n` responses per prompt (one params for all prompts, or one per prompt). With a
    budget, thinking stops at t tokens, the close marker's ids are appended (and trained on, as in
    the Elastic Reasoning code), and the solution gets at most s tokens; `max_tokens` then plays no
    part."""
    if budget is None:
        return [
            [Response(list(o.token_ids), o.text, o.finish_reason == "length") for o in request.outputs]
            for request in engine.generate(prompts, params)
        ]
    groups = budgeted_generate(engine, prompts, params, think, budget)
    out = []
    for group in groups:
        row = []
        for sample in group:
            completion = sample.as_completion(engine.tokenizer)
            row.append(
                Response(
                    list(completion.token_ids),
                    completion.text,
                    sample.finish_reason == "length",
                    sample.forced_close,
                )
            )
        out.append(row)
    return out
