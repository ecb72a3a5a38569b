"""What RSD is compared with, on the same ledger: one model alone, the draft's best of N by the
PRM, and token-level speculative decoding (transformers' assisted generation, the draft as the
assistant: lossless, so it gives the target's own greedy output at lower latency, not fewer FLOPs)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from reasonlab.speculative.rsd import Ledger


def single_model(engine, prompts: Sequence[Sequence[int]], max_tokens: int, temperature: float = 0.0):
    """One greedy (or sampled) solution per prompt from one engine: ([token ids], ledger)."""
    from reasonlab.engines.base import SamplingParams

    ledger = Ledger(params=engine.num_params)
    t = time.perf_counter()
    outs = engine.generate(
        [list(p) for p in prompts], SamplingParams(temperature=temperature, max_tokens=max_tokens)
    )
    ledger.seconds, ledger.calls = time.perf_counter() - t, 1
    for request in outs:
        ledger.add_usage(request.usage)
    return [request.outputs[0].token_ids for request in outs], ledger


@dataclass
class Candidates:
    """n sampled solutions per prompt with their PRM scores, from which best-of-N for any N <= n
    is read off: the first N samples are an N-sample run (the prompt prefilled once)."""

    token_ids: list[list[list[int]]]  # [prompt][sample]
    scores: list[list[float]]  # aggregated PRM score per sample
    prm_tokens: list[list[int]]  # tokens the PRM ran per sample (its prompt included)
    prompt_prefill: list[int]  # draft prefill computed per prompt
    draft_params: int
    prm_params: int
    draft_seconds: float
    prm_seconds: float

    def choose(self, n: int) -> tuple[list[list[int]], dict[str, Ledger]]:
        """Best of the first n samples per prompt, and what n samples cost (wall time pro rata
        of tokens: the n samples were drawn as part of a larger batch)."""
        draft, prm = Ledger(params=self.draft_params), Ledger(params=self.prm_params)
        chosen = []
        all_draft = sum(len(x) for row in self.token_ids for x in row) or 1
        all_prm = sum(x for row in self.prm_tokens for x in row) or 1
        for ids, scores, prm_tokens, prefill in zip(
            self.token_ids, self.scores, self.prm_tokens, self.prompt_prefill
        ):
            best = max(range(n), key=lambda k: scores[k])
            chosen.append(ids[best])
            draft.generated += sum(len(x) for x in ids[:n])
            draft.prefill_computed += prefill
            prm.prefill_computed += sum(prm_tokens[:n])
        draft.seconds = self.draft_seconds * draft.generated / all_draft
        prm.seconds = self.prm_seconds * prm.prefill_computed / all_prm
        return chosen, {"draft": draft, "prm": prm}


def best_of_n(
    draft,
    prm,
    questions: Sequence[str],
    prompts: Sequence[Sequence[int]],
    n: int,
    max_tokens: int,
    temperature: float,
    seed: int,
    aggregation: str = "last",
    delimiter: str = "\n\n",
) -> Candidates:
    """n sampled solutions per prompt from the draft, each scored by the PRM over all its steps
    (one forward per solution, prompt included), aggregated by `aggregation`."""
    from reasonlab.core.cost import matmul_params
    from reasonlab.core.seeds import derive_seed
    from reasonlab.engines.base import SamplingParams
    from reasonlab.rewards.base import split_steps
    from reasonlab.rewards.prm import aggregate_steps

    params = [
        SamplingParams(n=n, temperature=temperature, max_tokens=max_tokens, seed=derive_seed(seed, "bon", i))
        for i in range(len(prompts))
    ]
    t = time.perf_counter()
    outs = draft.generate([list(p) for p in prompts], params)
    draft_seconds, prm_seconds = time.perf_counter() - t, 0.0
    token_ids, scores, prm_tokens, prefill = [], [], [], []
    for question, request in zip(questions, outs):
        prefill.append(request.usage.prefill_computed)
        steps = [split_steps(o.text, delimiter) or [o.text] for o in request.outputs]
        t = time.perf_counter()
        step_scores = prm.score_steps_batch([question] * len(steps), steps)
        prm_seconds += time.perf_counter() - t
        token_ids.append([o.token_ids for o in request.outputs])
        scores.append([aggregate_steps(s, aggregation) for s in step_scores])
        prm_tokens.append([len(prm.prompt_ids(question)) + len(prm.encode_steps(s)[0]) for s in steps])
    return Candidates(
        token_ids,
        scores,
        prm_tokens,
        prefill,
        draft.num_params,
        matmul_params(prm.backbone),
        draft_seconds,
        prm_seconds,
    )


class TokenCounter:
    """Counts the tokens a model's forward passes run (each row's new input positions)."""

    def __init__(self, model):
        self.tokens = 0
        self.handle = model.register_forward_pre_hook(self._count, with_kwargs=True)

    def _count(self, module, args, kwargs) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is not None:
            self.tokens += ids.numel()

    def close(self) -> None:
        self.handle.remove()


def assisted(
    target_model, draft_model, prompts: Sequence[Sequence[int]], max_tokens: int, eos_id: int | None
):
    """Token-level speculative decoding with transformers (greedy; one prompt at a time, as assisted
    generation runs). Every forward token of either model counts: the target's `generated` is the
    tokens kept and its `prefill_computed` the rest it ran (prompt, rejected proposals); the
    draft's `generated` is all it ran (its proposals and their context)."""
    from reasonlab.core.cost import matmul_params
    from reasonlab.models.loading import quiet_transformers

    ledgers = {
        "target": Ledger(params=matmul_params(target_model)),
        "draft": Ledger(params=matmul_params(draft_model)),
    }
    counters = {"target": TokenCounter(target_model), "draft": TokenCounter(draft_model)}
    out = []
    try:
        with quiet_transformers():  # assisted generation warns about its own assistant's config
            for prompt in prompts:
                ids = torch.tensor([list(prompt)], device=target_model.device)
                t = time.perf_counter()
                with torch.no_grad():
                    generated = target_model.generate(
                        ids,
                        attention_mask=torch.ones_like(ids),
                        assistant_model=draft_model,
                        do_sample=False,
                        max_new_tokens=max_tokens,
                        eos_token_id=eos_id,
                        pad_token_id=eos_id,
                    )
                ledgers["target"].seconds += time.perf_counter() - t
                ledgers["target"].calls += 1
                out.append(generated[0, ids.shape[1] :].tolist())
    finally:
        for c in counters.values():
            c.close()
    kept = sum(len(x) for x in out)
    ledgers["target"].generated = kept
    ledgers["target"].prefill_computed = counters["target"].tokens - kept
    ledgers["draft"].generated = counters["draft"].tokens
    return out, ledgers
