"""Elastic reasoning budgets at test time: a thinking budget t and a solution budget s, as two phases.

Phase 1 samples thinking for at most t tokens (t = -1: up to `max_thinking`, a cap the summaries
state), stopping at the close marker. A sample that ran out (or ended without closing) gets an
optional wrap-up message (Qwen3 style) and the close marker's TOKEN IDS appended; a sample that
closed before `min_thinking` tokens has its marker replaced by "Wait" and thinks on (s1 budget
forcing), at most `max_extensions` times. Phase 2 continues from prompt + thinking + marker for at
most s tokens. Continuations extend token ids the engine already holds, so only new tokens are
computed.

Whether a sample closed is read from what the model wrote, not from comparing ids: a close marker
of several tokens is stopped on as text, and the model may spell it with other ids than the
marker's own encoding (or end it inside a longer token), so such a close is found in the decoded
text. Reported tokens are the whole response as the official code counts it (Elastic-Reasoning,
verl/workers/rollout/vllm_rollout/vllm_rollout.py: phase-1 ids, the appended "</think>", then the
solution ids): thinking + marker (wrap-up included) + solution.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reasonlab.core.cost import Usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.seeds import derive_seed
from reasonlab.engines.base import CompletionOutput, Engine, SamplingParams
from reasonlab.models.think import ThinkFormat


@dataclass(frozen=True)
class ElasticBudget:
    thinking: int = -1  # t: thinking tokens, -1 = unlimited (capped by max_thinking)
    solution: int = 1024  # s: tokens after the close marker (the paper's value; the testbed needs ~28)
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
        """The thinking tokens phase 1 may use: t, or `max_thinking` when t = -1."""
        return self.max_thinking if self.thinking == -1 else self.thinking


@dataclass
class BudgetedSample:
    thinking_ids: list[int]  # generated thinking (extension words included, the close marker excluded)
    marker_ids: list[int]  # the model's own close, or (forced) the wrap-up ids + the close marker ids
    solution_ids: list[int]
    solution_text: str
    forced_close: bool  # the thinking budget ran out (or thinking ended unclosed) and the marker was inserted
    extensions: int  # times "Wait" replaced an early close
    finish_reason: str  # of the solution phase: "length" means s cut the solution
    usage: Usage

    @property
    def tokens(self) -> int:
        """The response length budgets are reported in: thinking + marker (and wrap-up) + solution."""
        return len(self.thinking_ids) + len(self.marker_ids) + len(self.solution_ids)

    def as_completion(self, tokenizer, index: int = 0) -> CompletionOutput:
        """The whole sample (thinking, marker, solution) as one engine-style output."""
        head = self.thinking_ids + self.marker_ids
        text = tokenizer.decode(head, skip_special_tokens=True)
        return CompletionOutput(
            index, head + self.solution_ids, text + self.solution_text, self.finish_reason, usage=self.usage
        )


@dataclass
class _State:
    prompt: list[int]
    ids: list[int]  # phase-1 output so far, the model's own close marker included
    usage: Usage
    close_at: int | None = None  # where the model's close marker starts in `ids`; None = not closed
    ended_on_eos: bool = False
    extensions: int = 0
    params: SamplingParams | None = None  # its request's sampling settings
    seed: int | None = None  # this sample's own seed, for its extensions and its solution


class _Closes:
    """Finds the model's own close marker in a phase-1 output."""

    def __init__(self, tokenizer, think: ThinkFormat):
        self.tok, self.ids = tokenizer, list(think.close_ids)
        self.text = think.close_text or tokenizer.decode(self.ids)

    def stop_params(self) -> dict:
        """A one-token marker stops by id; a longer one by its text (the model may use other ids)."""
        if len(self.ids) == 1:
            return dict(stop_token_ids=tuple(self.ids))
        return dict(stop=(self.text,), include_stop_str_in_output=True)

    def update(self, s: _State, out: CompletionOutput) -> None:
        """Append a phase-1 (or extension) output to `s`, noting where its close marker starts."""
        new, offset = list(out.token_ids), len(s.ids)
        s.ids += new
        s.close_at = None if (at := self._find(new)) is None else offset + at
        s.ended_on_eos = s.close_at is None and out.finish_reason == "stop" and out.stop_reason is None

    def _find(self, ids: list[int]) -> int | None:
        if not ids:
            return None
        if len(self.ids) == 1:
            return len(ids) - 1 if ids[-1] == self.ids[0] else None
        at = self.tok.decode(ids, skip_special_tokens=True).find(self.text)
        if at < 0:
            return None
        # The first token that reaches into the marker; decoding is prefix-stable, and the marker is
        # at the end (phase 1 stops on it), so this walks back only a few tokens.
        k = len(ids) - 1
        while k > 0 and len(self.tok.decode(ids[:k], skip_special_tokens=True)) > at:
            k -= 1
        return k


def budgeted_generate(
    engine: Engine,
    prompts: list[list[int]],
    params: SamplingParams | list[SamplingParams],
    think: ThinkFormat,
    budget: ElasticBudget,
    progress: bool = False,
) -> list[list[BudgetedSample]]:
    """`params.n` samples per prompt under `budget` (one params for all prompts, or one per prompt);
    `params.max_tokens` is ignored (the budget rules). Each sample's extensions and solution draw
    from seeds derived from its own request's seed and index, so no two samples share a stream."""
    think.require("a thinking budget")
    per_prompt = list(params) if isinstance(params, list | tuple) else [params] * len(prompts)
    tok = engine.tokenizer
    closes = _Closes(tok, think)
    close = list(think.close_ids)
    cap = budget.thinking_cap
    wait_ids = tok.encode(budget.wait, add_special_tokens=False)
    wrap_ids = tok.encode(budget.wrap_up, add_special_tokens=False) if budget.wrap_up else []
    phase1 = [replace(p, max_tokens=cap, **closes.stop_params()) for p in per_prompt]
    states: list[list[_State]] = []
    for prompt, p, request in zip(prompts, per_prompt, engine.generate(prompts, phase1, progress)):
        row = []
        for j, o in enumerate(request.outputs):
            s = _State(prompt, [], o.usage, params=p, seed=_derive(p.seed, j))
            closes.update(s, o)
            row.append(s)
        states.append(row)
    # s1-style extensions: an early close becomes "Wait" and the thinking continues within the cap.
    for _ in range(budget.max_extensions if budget.min_thinking else 0):
        short = [
            s
            for row in states
            for s in row
            if s.close_at is not None
            and s.close_at < budget.min_thinking
            and s.close_at + len(wait_ids) < cap
        ]
        if not short:
            break
        for s in short:
            s.ids, s.close_at = s.ids[: s.close_at] + wait_ids, None
            s.extensions += 1
        cont = [s.prompt + s.ids for s in short]
        more = [
            replace(
                s.params,
                n=1,
                max_tokens=cap - len(s.ids),
                seed=_derive(s.seed, "wait", s.extensions),
                **closes.stop_params(),
            )
            for s in short
        ]
        for s, request in zip(short, engine.generate(cont, more, progress)):
            closes.update(s, request.outputs[0])
            s.usage = s.usage + request.usage
    flat = [s for row in states for s in row]
    heads = [_head(s, cap, wrap_ids + close) for s in flat]
    phase2 = [
        replace(s.params, n=1, max_tokens=budget.solution, seed=_derive(s.seed, "solution")) for s in flat
    ]
    answers = engine.generate([s.prompt + th + mk for s, (th, mk, _) in zip(flat, heads)], phase2, progress)
    samples = iter(
        BudgetedSample(
            thinking,
            marker,
            list(r.outputs[0].token_ids),
            r.outputs[0].text,
            forced,
            s.extensions,
            r.outputs[0].finish_reason,
            s.usage + r.usage,
        )
        for s, (thinking, marker, forced), r in zip(flat, heads, answers)
    )
    return [[next(samples) for _ in row] for row in states]


def _head(s: _State, cap: int, forced_marker: list[int]) -> tuple[list[int], list[int], bool]:
    """(thinking, marker, forced): the model's own close kept as it wrote it; otherwise the thinking
    (without a final end-of-sequence token) cut at the cap, then the wrap-up and the marker ids."""
    if s.close_at is not None:
        return s.ids[: s.close_at], s.ids[s.close_at :], False
    thinking = s.ids[:-1] if s.ended_on_eos else s.ids
    return thinking[:cap], forced_marker, True


def _derive(seed: int | None, *parts: object) -> int | None:
    return None if seed is None else derive_seed(seed, *parts)
