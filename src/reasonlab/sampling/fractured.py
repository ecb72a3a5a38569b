"""Fractured sampling: n trajectories, each cut at H depths, m forced answers per cut.

Per problem: sample n full trajectories; cut each one's thinking at H depths (evenly by tokens as
in the paper, or at step boundaries); append the close marker's ids and the step delimiter; sample
m answers per cut. The full-depth cut of a trajectory that closed its thinking reuses the
trajectory's own solution as its first answer. Branches extend the trajectory's token ids, so the
hf engine serves their prefixes from its cache and vLLM from its prefix cache (cuts can be rounded
down to its KV block size so that the cached blocks match).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reasonlab.core.cost import Usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.progress import progress_bar
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
    reuse_final_solution: bool = True
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
    preds: list[list[list[str | None]]]
    cut_tokens: np.ndarray  # int [n, H]: thinking tokens kept at each cut
    answer_tokens: np.ndarray  # int [n, H, m]: tokens of each forced answer
    thinking_tokens: np.ndarray  # int [n]
    trajectory_tokens: np.ndarray  # int [n]: all tokens each trajectory generated
    closed: np.ndarray  # bool [n]: whether the trajectory closed its thinking by itself
    collapsed_cuts: int = 0  # cuts that fell on an earlier cut (thinking shorter than H tokens)
    usage: Usage = field(default_factory=Usage)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "answer": self.answer,
            "scores": self.scores.astype(int).tolist(),
            "preds": self.preds,
            "cut_tokens": self.cut_tokens.tolist(),
            "answer_tokens": self.answer_tokens.tolist(),
            "thinking_tokens": self.thinking_tokens.tolist(),
            "trajectory_tokens": self.trajectory_tokens.tolist(),
            "closed": self.closed.astype(int).tolist(),
            "collapsed_cuts": self.collapsed_cuts,
            "usage": self.usage.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> ProblemResult:
        return cls(
            id=d["id"],
            answer=d["answer"],
            scores=np.array(d["scores"], dtype=bool),
            preds=d["preds"],
            cut_tokens=np.array(d["cut_tokens"]),
            answer_tokens=np.array(d["answer_tokens"]),
            thinking_tokens=np.array(d["thinking_tokens"]),
            trajectory_tokens=np.array(d["trajectory_tokens"]),
            closed=np.array(d["closed"], dtype=bool),
            collapsed_cuts=d["collapsed_cuts"],
            usage=Usage(**d["usage"]),
        )


def token_cuts(length: int, H: int, block: int = 1) -> list[int]:
    """Cuts i*length/H for i = 1..H (the last is the full thinking), rounded down to `block`."""
    cuts = [length * i // H for i in range(1, H + 1)]
    return [c - c % block if i < H - 1 else c for i, c in enumerate(cuts)]


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
            prompts = [chat_prompt_ids(engine.tokenizer, p.question, cfg.system_prompt) for p in chunk]
            trajectories = engine.generate(prompts, traj_params)
            for problem, prompt, request in zip(chunk, prompts, trajectories):
                result = _fracture(engine, task, problem, prompt, request, think, delim, cfg)
                results.append(result)
                if on_result is not None:
                    on_result(result)
                advance(1)
    return results


def _fracture(engine, task, problem, prompt, request, think, delim, cfg) -> ProblemResult:
    n, H, m = cfg.n, cfg.H, cfg.m
    scores = np.zeros((n, H, m), dtype=bool)
    preds: list[list[list[str | None]]] = [[[None] * m for _ in range(H)] for _ in range(n)]
    cut_tokens = np.zeros((n, H), dtype=int)
    answer_tokens = np.zeros((n, H, m), dtype=int)
    thinking_tokens, trajectory_tokens = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    closed = np.zeros(n, dtype=bool)
    usage = request.usage
    collapsed = 0
    branch_prompts, branch_params, slots = [], [], []  # slots: (i, [cut indices served], first answer index)
    for i, traj in enumerate(request.outputs):
        thinking, _, closed[i] = think.split(traj.token_ids)
        thinking_tokens[i], trajectory_tokens[i] = len(thinking), len(traj.token_ids)
        if cfg.cut_by == "tokens":
            cuts = token_cuts(len(thinking), H, cfg.block_size)
        else:
            cuts = step_cuts(thinking, H, engine.tokenizer, think.step_delimiter)
        cut_tokens[i] = cuts
        served: dict[int, list[int]] = {}
        for h, c in enumerate(cuts):
            served.setdefault(c, []).append(h)
        collapsed += H - len(served)
        for c, hs in served.items():
            first = 0
            if hs[-1] == H - 1 and closed[i] and cfg.reuse_final_solution:
                # The full cut's first answer is the trajectory's own solution.
                own = task.extract_answer(traj.text, think.close_text)
                for h in hs:
                    preds[i][h][0] = own
                    scores[i, h, 0] = task.check(problem, own)
                    answer_tokens[i, h, 0] = len(traj.token_ids) - len(thinking) - len(think.close_ids)
                first = 1
            if first == m:
                continue
            branch_prompts.append(prompt + thinking[:c] + list(think.close_ids) + delim)
            branch_params.append(
                SamplingParams(
                    n=m - first,
                    temperature=cfg.temperature,
                    top_p=cfg.top_p,
                    top_k=cfg.top_k,
                    max_tokens=cfg.answer_max_tokens,
                    seed=cfg.seed + 1,
                )
            )
            slots.append((i, hs, first))
    for (i, hs, first), out in zip(slots, engine.generate(branch_prompts, branch_params)):
        usage = usage + out.usage
        for j, sample in enumerate(out.outputs, start=first):
            pred = task.extract_answer(sample.text, None)
            for h in hs:  # cut indices that collapsed onto one cut share its answers
                preds[i][h][j] = pred
                scores[i, h, j] = task.check(problem, pred)
                answer_tokens[i, h, j] = len(sample.token_ids)
    return ProblemResult(
        problem.id,
        problem.answer,
        scores,
        preds,
        cut_tokens,
        answer_tokens,
        thinking_tokens,
        trajectory_tokens,
        closed,
        collapsed,
        usage,
    )
