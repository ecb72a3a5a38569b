"""What RSD is compared with, on the same ledger: one model alone, the draft's best of N by the
PRM, and token-level speculative decoding (transformers' assisted generation, the draft as the
assistant: lossless, so it gives the target's own greedy output at lower latency, not fewer FLOPs)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch

from reasonlab.speculative.rsd import Ledger


def single_model(engine, prompts: Sequence[Sequence[int]], max_tokens: int, temperature: float = 0.0):
    """One greedy (or sampled) solution per prompt from one engine: ([token ids], ledger)."""
    from reasonlab.engines.base import SamplingParams

    ledger = Ledger(engine.num_params)
    t = time.perf_counter()
    outs = engine.generate(
        [list(p) for p in prompts], SamplingParams(temperature=temperature, max_tokens=max_tokens)
    )
    ledger.seconds, ledger.calls = time.perf_counter() - t, 1
    for request in outs:
        ledger.add_usage(request.usage)
    return [request.outputs[0].token_ids for request in outs], ledger


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
):
    """n sampled solutions per prompt from the draft; the PRM scores each (all of its steps, the
    prompt included, one forward per solution) and the best by `aggregation` is kept. Returns
    ([token ids], {"draft": ledger, "prm": ledger})."""
    from reasonlab.core.seeds import derive_seed
    from reasonlab.engines.base import SamplingParams
    from reasonlab.prm.data import split_steps
    from reasonlab.rewards.prm import aggregate_steps
    from reasonlab.speculative.rsd import _matmul_params

    draft_ledger, prm_ledger = Ledger(draft.num_params), Ledger(_matmul_params(prm.backbone))
    params = [
        SamplingParams(n=n, temperature=temperature, max_tokens=max_tokens, seed=derive_seed(seed, "bon", i))
        for i in range(len(prompts))
    ]
    t = time.perf_counter()
    outs = draft.generate([list(p) for p in prompts], params)
    draft_ledger.seconds, draft_ledger.calls = time.perf_counter() - t, 1
    chosen = []
    for question, request in zip(questions, outs):
        draft_ledger.add_usage(request.usage)
        steps = [split_steps(o.text, delimiter) or [o.text] for o in request.outputs]
        t = time.perf_counter()
        scores = prm.score_steps_batch([question] * len(steps), steps)
        prm_ledger.seconds += time.perf_counter() - t
        prm_ledger.calls += 1
        prm_ledger.prefill_computed += sum(
            len(prm.prompt_ids(question)) + len(prm.encode_steps(s)[0]) for s in steps
        )
        best = max(range(len(steps)), key=lambda k: aggregate_steps(scores[k], aggregation))
        chosen.append(request.outputs[best].token_ids)
    return chosen, {"draft": draft_ledger, "prm": prm_ledger}


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

    ledgers = {"target": Ledger(matmul_params(target_model)), "draft": Ledger(matmul_params(draft_model))}
    counters = {"target": TokenCounter(target_model), "draft": TokenCounter(draft_model)}
    out = []
    try:
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
