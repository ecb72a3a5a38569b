"""Fractured sampling with prefix sharing versus naive re-prefill, side by side in one run.

For each setting, the same fractured run (greedy, so outputs must match token for token) on two
engines: one with prefix caching (branches fork the trajectory's KV) and one without (every branch
prompt is prefilled from scratch; the m answers of a branch share that prefill, as vLLM's n does).
Reported: branch prefill tokens computed (target: <= 5% of naive), wall time ratio (target: <= 0.5),
whether outputs are identical, and tokens/s against the engine's plain sampling of as many tokens.

    python benchmarks/fractured.py [--problems 4] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time

from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids, load_model
from reasonlab.models.think import ThinkFormat, detect_think_format
from reasonlab.sampling.fractured import FracturedConfig, fractured_sample
from reasonlab.tasks import create_task
from reasonlab.testbed.random_model import random_llama


def compare(model, tok, think: ThinkFormat, cfg: FracturedConfig, problems, task) -> dict:
    def run(caching: bool):
        engine = HFEngine(model, tok, enable_prefix_caching=caching)
        start = time.perf_counter()
        results = fractured_sample(engine, task, problems, think, cfg)
        return time.perf_counter() - start, results

    run(True)  # warm-up (kernels, allocator)
    t_shared, shared = run(True)
    t_naive, naive = run(False)
    # Trajectory prefill is the same in both; branch prefill is what sharing saves.
    prompt_tokens = sum(len(chat_prompt_ids(tok, p.question)) for p in problems)
    branch_shared = sum(r.usage.prefill_computed for r in shared) - prompt_tokens
    branch_naive = sum(r.usage.prefill_computed for r in naive) - prompt_tokens
    generated = sum(r.usage.generated for r in shared)
    identical = all(
        a.preds == b.preds and (a.answer_tokens == b.answer_tokens).all() for a, b in zip(shared, naive)
    )
    # Plain sampling of as many tokens, for a tokens/s reference.
    engine = HFEngine(model, tok, enable_prefix_caching=False)
    prompts = [chat_prompt_ids(tok, p.question) for p in problems]
    per_prompt = max(1, generated // (len(prompts) * 64))
    plain_sp = SamplingParams(n=64, temperature=0, max_tokens=per_prompt, ignore_eos=True)
    start = time.perf_counter()
    plain = engine.generate(prompts, plain_sp)
    t_plain = time.perf_counter() - start
    plain_tokens = sum(r.usage.generated for r in plain)
    return {
        "trace_tokens": float(sum(r.thinking_tokens.mean() for r in shared) / len(shared)),
        "branch_prefill_shared": branch_shared,
        "branch_prefill_naive": branch_naive,
        "prefill_ratio": branch_shared / branch_naive,
        "seconds_shared": t_shared,
        "seconds_naive": t_naive,
        "time_ratio": t_shared / t_naive,
        "identical_greedy_outputs": identical,
        "fractured_tok_s": generated / t_shared,
        "plain_sampling_tok_s": plain_tokens / t_plain,
    }


def show(name: str, r: dict) -> None:
    print(
        f"{name}: thinking {r['trace_tokens']:.0f} tokens/trajectory; branch prefill computed "
        f"{r['branch_prefill_shared']} vs {r['branch_prefill_naive']} naive "
        f"-> {100 * r['prefill_ratio']:.1f}% "
        f"(target <= 5%); wall {r['seconds_shared']:.1f}s vs {r['seconds_naive']:.1f}s -> ratio "
        f"{r['time_ratio']:.2f} (target <= 0.50); identical greedy outputs: {r['identical_greedy_outputs']}; "
        f"{r['fractured_tok_s']:.0f} generated tok/s vs plain sampling {r['plain_sampling_tok_s']:.0f} tok/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=4)
    parser.add_argument("--json")
    args = parser.parse_args()
    task = create_task("arith")
    problems = task.problems(args.problems)
    out = {}
    cfg = FracturedConfig(
        n=8, H=8, m=4, temperature=0, max_tokens=512, answer_max_tokens=32, chunk=args.problems
    )
    model, tok = load_model("testbed:target")
    out["testbed_target"] = compare(model, tok, detect_think_format(tok), cfg, problems, task)
    show("testbed:target, n=8 H=8 m=4", out["testbed_target"])
    # Long traces, as real reasoning models write: a random model rarely closes its thinking, so its
    # trajectories run to max_tokens and are cut over all 1024 tokens.
    model, tok = random_llama(seed=0)
    long_cfg = FracturedConfig(n=4, H=8, m=4, temperature=0, max_tokens=1024, answer_max_tokens=16, chunk=1)
    out["random_1024"] = compare(model, tok, detect_think_format(tok), long_cfg, problems[:1], task)
    show("random 2.9M Llama, 1024-token traces, n=4 H=8 m=4", out["random_1024"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
