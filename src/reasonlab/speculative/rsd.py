"""Reward-guided speculative decoding (RSD, Liao et al. 2025), step by step, batched over problems.

Each round, every unfinished solution gets one step from the draft (it stops at the step
delimiter); the PRM scores the solution with that step; a step whose weight w(score) accepts it is
kept, and for the others the target writes the step from the same prefix instead (not scored, as
in the official code). A solution stops on its own: end of sequence, its token cap, or max steps
(not the official code's batch-wide patience, which ends every running solution after some rounds
without a finished one).

All models continue from token ids: the engines reuse the KV of accepted prefixes (their prefix
caches), and the PRM (IncrementalPRM) runs only each new step on top of its cached prefix. The
ledger counts, per model, the tokens generated (accepted and discarded for the draft), the prefill
actually computed and the prefill reused, the 2 x params x tokens FLOPs and the wall time.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from reasonlab.core.cost import Usage
from reasonlab.core.errors import ReasonlabError

# The weightings w(r) of the paper's Table 1. The mixture P = w(r) P_draft + nu P_target keeps a
# draft step with probability w(r); the binary step is the optimum under a compute budget and the
# only one the official code runs. "constant" keeps a draft step with probability delta.
WEIGHTINGS = {
    "binary": lambda r, delta, alpha: float(r >= delta),
    "constant": lambda r, delta, alpha: delta,
    "clip": lambda r, delta, alpha: min(1.0, max(0.0, r)),
    "sigmoidal": lambda r, delta, alpha: max(0.0, r / (1 + r)),
    "logistic": lambda r, delta, alpha: 1 / (1 + math.exp(-alpha * (r - delta))),
}


@dataclass(frozen=True)
class RSDConfig:
    delta: float = 0.7  # the acceptance threshold on the PRM score (the official default)
    weighting: str = "binary"  # w(r) = 1[r >= delta]: the paper's optimum under a budget
    alpha: float = 10.0  # slope of the logistic weighting
    delimiter: str = "\n\n"  # ends a step
    max_steps: int = 100
    max_tokens: int = 512  # per solution, all its steps
    temperature: float = 0.0  # greedy, as the paper's main runs
    top_p: float = 1.0
    seed: int = 0

    def validate(self) -> RSDConfig:
        if not 0 <= self.delta <= 1:
            raise ReasonlabError(f"--delta {self.delta}: must be in [0, 1] (a PRM score is a probability)")
        if self.weighting not in WEIGHTINGS:
            raise ReasonlabError(f"--weighting {self.weighting!r}: choose from {', '.join(WEIGHTINGS)}")
        if self.max_steps < 1 or self.max_tokens < 1:
            raise ReasonlabError("--max-steps and --max-tokens must be at least 1")
        if not self.delimiter:
            raise ReasonlabError("--delimiter is empty: give the text that ends each step")
        return self

    def accepts(self, score: float, rng: random.Random) -> bool:
        """Keep the draft step? Certain for the binary weighting, with probability w(r) otherwise."""
        weight = WEIGHTINGS[self.weighting](score, self.delta, self.alpha)
        return weight >= 1.0 or (weight > 0.0 and rng.random() < weight)


@dataclass
class Ledger(Usage):
    """What one model spent: its tokens (Usage), the draft's kept and discarded tokens, time and
    calls. FLOPs = 2 x params x (generated + prefill computed)."""

    params: int = 0
    accepted: int = 0  # draft: tokens of steps kept
    discarded: int = 0  # draft: tokens of steps the PRM rejected
    seconds: float = 0.0
    calls: int = 0

    @property
    def flops(self) -> float:
        return 2.0 * self.params * (self.generated + self.prefill_computed)

    def add_usage(self, usage: Usage) -> None:
        self.generated += usage.generated
        self.prefill_computed += usage.prefill_computed
        self.prefill_reused += usage.prefill_reused

    def to_dict(self) -> dict:
        return {**asdict(self), "flops": self.flops}


@dataclass
class Step:
    token_ids: list[int]
    source: str  # "draft" or "target"
    score: float | None  # the PRM's score of a draft step; None for the target's


@dataclass
class Solution:
    prompt_ids: list[int]
    steps: list[Step] = field(default_factory=list)
    finish_reason: str | None = None  # "stop" (end of sequence), "length" (token cap) or "max_steps"

    @property
    def token_ids(self) -> list[int]:
        return [t for s in self.steps for t in s.token_ids]

    @property
    def accepted_share(self) -> float:
        return sum(s.source == "draft" for s in self.steps) / max(1, len(self.steps))


def check_tokenizers(*models) -> None:
    """RSD hands token ids from model to model: their tokenizers must agree."""
    vocab = models[0].tokenizer.get_vocab()
    for m in models[1:]:
        if m.tokenizer.get_vocab() != vocab:
            raise ReasonlabError(
                "the draft, target and PRM tokenizers differ: RSD passes token ids between them, so they "
                "must share one tokenizer"
            )


def rsd_generate(
    draft, target, prm, prompts: Sequence[Sequence[int]], cfg: RSDConfig
) -> tuple[list[Solution], dict[str, Ledger]]:
    """Solutions for `prompts` (token ids, shared by the three models) and the ledger per model.
    `draft` and `target` are engines; `prm` is an IncrementalPRM on the same tokenizer."""
    from reasonlab.core.cost import matmul_params
    from reasonlab.core.seeds import derive_seed
    from reasonlab.engines.base import SamplingParams

    cfg.validate()
    tok = draft.tokenizer
    separator = tok.encode(cfg.delimiter, add_special_tokens=False)
    eos = {tok.eos_token_id} if tok.eos_token_id is not None else set()
    ledgers = {
        "draft": Ledger(params=draft.num_params),
        "target": Ledger(params=target.num_params),
        "prm": Ledger(params=matmul_params(prm.prm.backbone)),
    }
    rng = random.Random(cfg.seed)
    solutions = [Solution(list(p)) for p in prompts]
    t0 = time.perf_counter()
    for i, p in enumerate(prompts):
        prm.start(i, p)
    ledgers["prm"].seconds += time.perf_counter() - t0

    def step_params(solution: Solution, i: int, who: str) -> SamplingParams:
        return SamplingParams(
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            max_tokens=cfg.max_tokens - len(solution.token_ids),
            stop=(cfg.delimiter,),
            include_stop_str_in_output=True,
            seed=derive_seed(cfg.seed, who, i, len(solution.steps)),
        )

    def call(model, ledger: Ledger, rows: list[int], who: str):
        t = time.perf_counter()
        outs = model.generate(
            [solutions[i].prompt_ids + solutions[i].token_ids for i in rows],
            [step_params(solutions[i], i, who) for i in rows],
        )
        ledger.seconds += time.perf_counter() - t
        ledger.calls += 1
        out = []
        for request in outs:
            ledger.add_usage(request.usage)
            out.append(request.outputs[0])
        return out

    def prm_ids(ids: list[int]) -> list[int]:
        """A step as the PRM was trained to read it: without the end-of-sequence token, and ended
        by the separator (a final step ends at EOS, not at the delimiter)."""
        ids = ids[:-1] if ids and ids[-1] in eos else ids
        return ids if ids[-len(separator) :] == separator else ids + separator

    active = list(range(len(prompts)))
    while active:
        rejected, last = [], {}
        for i, out in zip(active, call(draft, ledgers["draft"], active, "draft")):
            t = time.perf_counter()
            score = prm.score(i, prm_ids(out.token_ids))
            if cfg.accepts(score, rng):
                ledgers["draft"].accepted += len(out.token_ids)
                solutions[i].steps.append(Step(list(out.token_ids), "draft", score))
                last[i] = out
            else:
                ledgers["draft"].discarded += len(out.token_ids)
                prm.reject(i)
                rejected.append(i)
            ledgers["prm"].seconds += time.perf_counter() - t
        if rejected:
            for i, out in zip(rejected, call(target, ledgers["target"], rejected, "target")):
                solutions[i].steps.append(Step(list(out.token_ids), "target", None))
                t = time.perf_counter()
                prm.extend(i, prm_ids(out.token_ids))
                ledgers["prm"].seconds += time.perf_counter() - t
                last[i] = out
        still = []
        for i in active:
            out, solution = last[i], solutions[i]
            if out.finish_reason != "stop" or out.stop_reason != cfg.delimiter:
                solution.finish_reason = "length" if out.finish_reason == "length" else "stop"
            elif len(solution.token_ids) >= cfg.max_tokens:
                solution.finish_reason = "length"
            elif len(solution.steps) >= cfg.max_steps:
                solution.finish_reason = "max_steps"
            else:
                still.append(i)
                continue
            prm.finish(i)
        active = still
    prm_usage = prm.usage
    ledgers["prm"].prefill_computed = prm_usage.prefill_computed
    ledgers["prm"].prefill_reused = prm_usage.prefill_reused
    return solutions, ledgers
