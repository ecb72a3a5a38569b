"""Fractured sampling: n trajectories, each cut at H depths, m forced answers per cut.

Per problem: sample n full trajectories; cut each one's thinking at H depths (evenly by tokens as
in the paper, or at step boundaries); append the close marker's ids and the step delimiter; sample
m answers per cut. As in the official frac-cot code, answer 0 at the full cut is always the
trajectory's own output, scored as it is (closed or cut off by max_tokens), so the n axis is plain
sampling; only answers 1..m-1 there are forced. Branches extend the trajectory's token ids, so the
hf engine serves their prefixes from its cache and vLLM from its prefix cache (cuts can be rounded
down to its KV block size so that the cached blocks match).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from reasonlab.core.cost import Usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.progress import progress_bar
from reasonlab.core.seeds import derive_seed
from reasonlab.engines.base import Engine, SamplingParams
from reasonlab.models.defaults import TESTBED_DEFAULTS
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import ThinkFormat
from reasonlab.tasks.base import Problem, Task


@dataclass
class FracturedConfig:
    n: int = 8  # trajectories per problem
    H: int = 8  # cut depths per trajectory (the last is the full thinking)
    m: int = 4  # answers per cut
    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int = -1
    max_tokens: int = TESTBED_DEFAULTS["max_tokens"]  # per trajectory (thinking + solution)
    answer_max_tokens: int = TESTBED_DEFAULTS["answer_max_tokens"]  # per forced answer
    cut_by: str = "tokens"  # "tokens" (the paper) or "steps" (at step delimiters)
    block_size: int = 1  # round cuts down to a multiple of this (16 helps vLLM's prefix cache)
    seed: int = 0
    system_prompt: str | None = None
    chunk: int = 4  # problems per engine call
    early_first: int = 1  # early stopping (an aggregation): first probed cut index...
    early_interval: int = 1  # ...then every this many cuts

    def validate(self) -> None:
        for name in ("n", "H", "m", "max_tokens", "answer_max_tokens", "block_size", "chunk"):
            if getattr(self, name) < 1:
                raise ReasonlabError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.early_first < 0 or self.early_interval < 1:
            raise ReasonlabError("early_first must be >= 0 and early_interval >= 1")
        if self.cut_by not in ("tokens", "steps"):
            raise ReasonlabError(f"cut_by must be 'tokens' or 'steps', got {self.cut_by!r}")
        SamplingParams(temperature=self.temperature, top_p=self.top_p, top_k=self.top_k)


@dataclass
class ProblemResult:
    """Everything measured on one problem; arrays are indexed [trajectory, cut, answer]."""

    id: str
    answer: str
    scores: np.ndarray  # bool [n, H, m]
    preds: list[list[list[str | None]]]  # raw extracted answers, for display
    keys: list[list[list[str | None]]]  # vote keys: equivalent answers share one (Task.vote_keys)
    cut_tokens: np.ndarray  # int [n, H]: thinking tokens kept at each cut
    answer_tokens: np.ndarray  # int [n, H, m]: tokens of each forced answer
    thinking_tokens: np.ndarray  # int [n]
    trajectory_tokens: np.ndarray  # int [n]: all tokens each trajectory generated
    closed: np.ndarray  # bool [n]: whether the trajectory closed its thinking by itself
    truncated: np.ndarray  # bool [n]: stopped by max_tokens without closing its thinking
    duplicate: np.ndarray  # bool [n, H]: cut index whose cut equals a deeper one's (shares its answers)
    usage: Usage = field(default_factory=Usage)
    question: str = ""
    trajectories: list[str] = field(default_factory=list)  # each trajectory's text, to inspect

    @property
    def collapsed_cuts(self) -> int:
        """Cut indices that fell on a deeper cut (thinking shorter than H tokens, or coarse steps)."""
        return int(self.duplicate.sum())

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "answer": self.answer,
            "scores": self.scores.astype(int).tolist(),
            "preds": self.preds,
            "keys": self.keys,
            "cut_tokens": self.cut_tokens.tolist(),
            "answer_tokens": self.answer_tokens.tolist(),
            "thinking_tokens": self.thinking_tokens.tolist(),
            "trajectory_tokens": self.trajectory_tokens.tolist(),
            "closed": self.closed.astype(int).tolist(),
            "truncated": self.truncated.astype(int).tolist(),
            "duplicate": self.duplicate.astype(int).tolist(),
            "usage": self.usage.to_dict(),
            "question": self.question,
            "trajectories": self.trajectories,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ProblemResult:
        return cls(
            id=d["id"],
            answer=d["answer"],
            scores=np.array(d["scores"], dtype=bool),
            preds=d["preds"],
            keys=d["keys"],
            cut_tokens=np.array(d["cut_tokens"]),
            answer_tokens=np.array(d["answer_tokens"]),
            thinking_tokens=np.array(d["thinking_tokens"]),
            trajectory_tokens=np.array(d["trajectory_tokens"]),
            closed=np.array(d["closed"], dtype=bool),
            truncated=np.array(d["truncated"], dtype=bool),
            duplicate=np.array(d["duplicate"], dtype=bool),
            usage=Usage(**d["usage"]),
            question=d.get("question", ""),
            trajectories=d.get("trajectories", []),
        )


def token_cuts(length: int, H: int, block: int = 1) -> list[int]:
    """Cuts i*length/H for i = 1..H (the last is the full thinking), never at 0 thinking tokens.

    With block > 1 the cuts before the last are rounded down to a multiple of `block` (so vLLM's
    cached KV blocks match), unless rounding would cut at 0 or merge two cuts: then the exact cuts
    are kept, since the alignment only saves compute and must not change what is measured."""
    exact = [max(length * i // H, min(1, length)) for i in range(1, H + 1)]
    if block == 1:
        return exact
    rounded = [c - c % block for c in exact[:-1]] + [length]
    if min(rounded) > 0 and len(set(rounded)) == len(set(exact)):
        return rounded
    return exact


def step_cuts(thinking: list[int], H: int, tokenizer, delimiter: str) -> list[int]:
    """H cuts at step boundaries (just after a delimiter), spread evenly over the steps."""
    ends, text = [], ""
    for i, token in enumerate(thinking):
        text += tokenizer.decode([token])
        if text.endswith(delimiter):
            ends.append(i + 1)
    ends = [e for e in ends if e < len(thinking)] + [len(thinking)]
    return [ends[max(0, len(ends) * i // H - 1)] for i in range(1, H)] + [len(thinking)]


def fractured_sample(
    engine: Engine,
    task: Task,
    problems: list[Problem],
    think: ThinkFormat,
    cfg: FracturedConfig,
    progress: bool = False,
    on_result=None,
) -> list[ProblemResult]:
    """Run fractured sampling on `problems`; `on_result(result)` is called as each one finishes."""
    cfg.validate()
    think.require("fractured sampling")
    delim = engine.tokenizer.encode(think.step_delimiter, add_special_tokens=False)
    traj_params = SamplingParams(
        n=cfg.n,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        top_k=cfg.top_k,
        max_tokens=cfg.max_tokens,
        seed=cfg.seed,
    )
    results = []
    with progress_bar(len(problems), "fractured sampling", enabled=progress) as advance:
        for start in range(0, len(problems), cfg.chunk):
            chunk = problems[start : start + cfg.chunk]
            prompts = [chat_prompt_ids(engine.tokenizer, p.question, cfg.system_prompt, think) for p in chunk]
            # Seeded per problem: a resumed run samples exactly what an uninterrupted one does.
            params = [replace(traj_params, seed=derive_seed(cfg.seed, p.id)) for p in chunk]
            trajectories = engine.generate(prompts, params)
            for problem, prompt, request in zip(chunk, prompts, trajectories):
                result = _fracture(engine, task, problem, prompt, request, think, delim, cfg)
                results.append(result)
                if on_result is not None:
                    on_result(result)
                advance(1)
    return results


def _cuts(thinking: list[int], engine: Engine, think: ThinkFormat, cfg: FracturedConfig) -> list[int]:
    if cfg.cut_by == "tokens":
        return token_cuts(len(thinking), cfg.H, cfg.block_size)
    return step_cuts(thinking, cfg.H, engine.tokenizer, think.step_delimiter)


def _fracture(engine, task, problem, prompt, request, think, delim, cfg) -> ProblemResult:
    n, H, m = cfg.n, cfg.H, cfg.m
    preds: list[list[list[str | None]]] = [[[None] * m for _ in range(H)] for _ in range(n)]
    cut_tokens = np.zeros((n, H), dtype=int)
    answer_tokens = np.zeros((n, H, m), dtype=int)
    thinking_tokens, trajectory_tokens = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    closed, truncated = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    duplicate = np.zeros((n, H), dtype=bool)
    usage = request.usage
    branch_prompts, slots = [], []  # slots: (trajectory, cut, cut indices served, first answer index)
    for i, traj in enumerate(request.outputs):
        thinking, solution, closed[i] = think.split(traj.token_ids)
        truncated[i] = not closed[i] and traj.finish_reason == "length"
        thinking_tokens[i], trajectory_tokens[i] = len(thinking), len(traj.token_ids)
        cut_tokens[i] = cuts = _cuts(thinking, engine, think, cfg)
        served: dict[int, list[int]] = {}
        for h, c in enumerate(cuts):
            served.setdefault(c, []).append(h)
        for c, hs in served.items():
            duplicate[i, hs[:-1]] = True  # the deepest index of a shared cut stands for it
            full = hs[-1] == H - 1
            if full:
                # Answer 0 at the full cut is the trajectory's own output, whether or not it closed
                # (frac-cot's n axis is plain sampling); its tokens are the trajectory's.
                own = task.extract_answer(traj.text, think.close_text)
                for h in hs:
                    preds[i][h][0] = own
                    answer_tokens[i, h, 0] = len(solution)
            if full and m == 1:
                continue
            # The full cut of a closed trace continues its own tokens after the marker, as frac-cot does.
            tail = [] if full and closed[i] else delim
            branch_prompts.append(prompt + thinking[:c] + list(think.close_ids) + tail)
            slots.append((i, c, hs, 1 if full else 0))
    answer_params = [
        SamplingParams(
            n=m - first,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            top_k=cfg.top_k,
            max_tokens=cfg.answer_max_tokens,
            seed=derive_seed(cfg.seed, problem.id, i, c),
        )
        for i, c, _, first in slots
    ]
    for (i, _, hs, first), out in zip(slots, engine.generate(branch_prompts, answer_params)):
        usage = usage + out.usage
        for j, sample in enumerate(out.outputs, start=first):
            pred = task.extract_answer(sample.text, None)
            for h in hs:  # cut indices that collapsed onto one cut share its answers
                preds[i][h][j] = pred
                answer_tokens[i, h, j] = len(sample.token_ids)
    flat = [p for trajectory in preds for cut in trajectory for p in cut]
    verdicts = {p: task.check(problem, p) for p in set(flat)}  # math-verify once per distinct answer
    correct = [verdicts[p] for p in flat]
    keys = iter(task.vote_keys(problem, flat, correct))
    return ProblemResult(
        id=problem.id,
        answer=problem.answer,
        scores=np.array(correct, dtype=bool).reshape(n, H, m),
        preds=preds,
        keys=[[[next(keys) for _ in range(m)] for _ in range(H)] for _ in range(n)],
        cut_tokens=cut_tokens,
        answer_tokens=answer_tokens,
        thinking_tokens=thinking_tokens,
        trajectory_tokens=trajectory_tokens,
        closed=closed,
        truncated=truncated,
        duplicate=duplicate,
        usage=usage,
        question=problem.question,
        trajectories=[traj.text for traj in request.outputs],
    )
