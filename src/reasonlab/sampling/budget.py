"""Elastic reasoning budgets at test time: a thinking budget t and a solution budget s, as two phases.

Phase 1 samples thinking for at most t tokens (t = -1: up to `max_thinking`), stopping at the close
marker. A sample that ran out gets an optional wrap-up message (Qwen3 style) and the close marker's
TOKEN IDS appended; a sample that closed before `min_thinking` tokens has its marker replaced by
"Wait" and thinks on (s1 budget forcing), at most `max_extensions` times. Phase 2 continues from
prompt + thinking + marker for at most s tokens. Continuations extend token ids the engine already
holds, so only new tokens are computed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reasonlab.core.cost import Usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.engines.base import CompletionOutput, Engine, SamplingParams
from reasonlab.models.think import ThinkFormat


@dataclass(frozen=True)
class ElasticBudget:
    thinking: int = -1  # t: thinking tokens, -1 = unlimited (capped by max_thinking)
    solution: int = 256  # s: tokens after the close marker
    wrap_up: str | None = None  # text inserted before a forced close, e.g. "Time is up, so I answer now.\n"
    min_thinking: int = 0  # s1-style: extend thinking that closes earlier than this
    wait: str = "Wait"
    max_extensions: int = 1
    max_thinking: int = 4096  # cap used when thinking == -1

    def __post_init__(self) -> None:
        if self.thinking < -1 or self.thinking == 0:
            raise ReasonlabError(f"thinking budget must be -1 (unlimited) or >= 1, got {self.thinking}")
        if self.solution < 1:
            raise ReasonlabError(f"solution budget must be >= 1, got {self.solution}")
        if self.min_thinking < 0 or self.max_extensions < 0 or self.max_thinking < 1:
            raise ReasonlabError("min_thinking and max_extensions must be >= 0, max_thinking >= 1")

    @property
    def thinking_cap(self) -> int:
        return self.max_thinking if self.thinking == -1 else self.thinking


@dataclass
class BudgetedSample:
    thinking_ids: list[int]  # generated thinking (extension words included, the close marker excluded)
    solution_ids: list[int]
    solution_text: str
    forced_close: bool  # the thinking budget ran out and the marker was inserted
    extensions: int  # times "Wait" replaced an early close
    finish_reason: str  # of the solution phase
    usage: Usage

    @property
    def tokens(self) -> int:
        """Thinking plus solution tokens, the quantity budgets are reported in."""
        return len(self.thinking_ids) + len(self.solution_ids)

    def as_completion(self, think: ThinkFormat, tokenizer, index: int = 0) -> CompletionOutput:
        """The whole sample (thinking, marker, solution) as one engine-style output."""
        ids = self.thinking_ids + list(think.close_ids) + self.solution_ids
        text = tokenizer.decode(self.thinking_ids + list(think.close_ids), skip_special_tokens=True)
        return CompletionOutput(index, ids, text + self.solution_text, self.finish_reason, usage=self.usage)


@dataclass
class _State:
    prompt: list[int]
    thinking: list[int]
    usage: Usage
    forced: bool = False
    extensions: int = 0


def budgeted_generate(
    engine: Engine,
    prompts: list[list[int]],
    params: SamplingParams,
    think: ThinkFormat,
    budget: ElasticBudget,
    progress: bool = False,
) -> list[list[BudgetedSample]]:
    """`params.n` samples per prompt under `budget`; `params.max_tokens` is ignored (the budget rules)."""
    think.require("a thinking budget")
    tok = engine.tokenizer
    close = list(think.close_ids)
    stop = (
        dict(stop_token_ids=close[-1:])
        if len(close) == 1
        else dict(stop=(think.close_text,), include_stop_str_in_output=True)
    )
    wait_ids = tok.encode(budget.wait, add_special_tokens=False)
    wrap_ids = tok.encode(budget.wrap_up, add_special_tokens=False) if budget.wrap_up else []
    phase1 = replace(params, max_tokens=budget.thinking_cap, **stop)
    states: list[list[_State]] = []
    for prompt, request in zip(prompts, engine.generate(prompts, phase1, progress)):
        states.append([_State(prompt, list(o.token_ids), o.usage) for o in request.outputs])
    # s1-style extensions: an early close becomes "Wait" and the thinking continues.
    for _ in range(budget.max_extensions if budget.min_thinking else 0):
        short = [
            s
            for row in states
            for s in row
            if _closes(s.thinking, close)
            and len(s.thinking) - len(close) < budget.min_thinking
            and len(s.thinking) < budget.thinking_cap
        ]
        if not short:
            break
        for s in short:
            s.thinking = s.thinking[: -len(close)] + wait_ids
            s.extensions += 1
        cont = [s.prompt + s.thinking for s in short]
        more = [
            replace(
                phase1, n=1, max_tokens=max(1, budget.thinking_cap - len(s.thinking)), seed=_next(params.seed)
            )
            for s in short
        ]
        for s, request in zip(short, engine.generate(cont, more, progress)):
            s.thinking += request.outputs[0].token_ids
            s.usage = s.usage + request.usage
    for row in states:
        for s in row:
            if _closes(s.thinking, close):
                s.thinking = s.thinking[: -len(close)]
            else:
                s.thinking, s.forced = s.thinking[: budget.thinking_cap], True
    phase2_prompts = [
        s.prompt + s.thinking + (wrap_ids if s.forced else []) + close for row in states for s in row
    ]
    phase2 = replace(params, n=1, max_tokens=budget.solution, seed=_next(params.seed))
    answers = iter(engine.generate(phase2_prompts, phase2, progress))
    out = []
    for row in states:
        samples = []
        for s in row:
            request = next(answers)
            o = request.outputs[0]
            samples.append(
                BudgetedSample(
                    s.thinking,
                    list(o.token_ids),
                    o.text,
                    s.forced,
                    s.extensions,
                    o.finish_reason,
                    s.usage + request.usage,
                )
            )
        out.append(samples)
    return out


def _closes(ids: list[int], close: list[int]) -> bool:
    return len(ids) >= len(close) and ids[-len(close) :] == close


def _next(seed: int | None) -> int | None:
    return None if seed is None else seed + 1
