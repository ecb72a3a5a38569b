"""Issue 16's device check: GRPO steps with the hf engine on a randomly initialised Llama of about
0.5B parameters (bf16) on CUDA, group size 8, 256-token completions. Prints the step time split
(rollout, scoring, update) and checks that after the weights changed no stale KV was reused: the
trainer's engine, whose prefix cache held (and reused) the prompt's KV before training, must reuse
none of it after, and decode the tokens and log-probabilities a fresh engine on the trained weights
decodes.

A random model never answers arith right, so every GRPO group would agree and nothing would train;
the reward here is the parity of the completion's characters (spread within groups), which is
enough to move the weights.

    python benchmarks/rl_device.py                        # CUDA, ~0.5B, 20 steps
    python benchmarks/rl_device.py --device cpu --hidden 64 --layers 2 --steps 2 --max-tokens 16   # a dry run
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from reasonlab.cli.common import config_from
from reasonlab.core.runs import Run
from reasonlab.engines.base import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import detect_think_format
from reasonlab.rewards import VerifierReward
from reasonlab.rl.config import RLConfig
from reasonlab.rl.trainer import RLTrainer, train
from reasonlab.tasks import create_task
from reasonlab.testbed.random_model import random_llama


class ParityReward(VerifierReward):
    """+1 / -1 by the parity of the completion's character codes."""

    def score(self, problem, completion):
        return 1.0 if sum(map(ord, completion)) % 2 == 0 else -1.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--hidden", type=int, default=1536)
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--prompts", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    dtype = torch.bfloat16 if args.device.startswith("cuda") else torch.float32
    model, tok = random_llama(
        hidden=args.hidden,
        layers=args.layers,
        heads=max(2, args.hidden // 128),
        kv_heads=max(1, args.hidden // 256),
    )
    model = model.to(args.device, dtype=dtype)
    params = sum(p.numel() for p in model.parameters())
    think = detect_think_format(tok, model_name="testbed:random")
    task = create_task("arith")
    cfg = config_from(
        RLConfig,
        {
            "model": "testbed:random", "algo": "grpo", "steps": args.steps, "prompts_per_step": args.prompts,
            "num_generations": args.group, "max_tokens": args.max_tokens, "learning_rate": 1e-4,
            "checkpoint_every_s": 1e9, "temperature": 1.0,
        },
    ).validate()  # fmt: skip
    engine = HFEngine(model, tok)
    probe = chat_prompt_ids(tok, task.problem(10_000).question, None, think)
    greedy = SamplingParams(temperature=0.0, max_tokens=32, logprobs=0)
    engine.generate([probe], greedy)  # the prompt's KV now sits in the prefix cache...
    reused_before = engine.generate([probe], greedy)[0].usage.prefill_reused  # ...and is reused
    trainer = RLTrainer(cfg, model, tok, engine, think, task, ParityReward(task))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        history = train(trainer, Run.open(Path(tmp) / "rl", {"device_check": True}), progress=True)["history"]
    seconds = time.perf_counter() - t0
    after = engine.generate([probe], greedy)[0].outputs[0]
    fresh = HFEngine(model, tok).generate([probe], greedy)[0].outputs[0]
    # nothing reused once the weights changed, and the same tokens and log-probabilities as a
    # fresh engine: any reused stale KV would shift them
    same = (
        after.usage.prefill_reused == 0
        and after.token_ids == fresh.token_ids
        and all(abs(a[t] - b[t]) < 1e-3 for a, b, t in zip(after.logprobs, fresh.logprobs, after.token_ids))
    )
    later = history[1:] or history
    result = {
        "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device,
        "parameters": params,
        "dtype": str(dtype),
        "steps": args.steps,
        "seconds_total": seconds,
        "seconds_per_step_median": {
            part: statistics.median(h[f"seconds_{part}"] for h in later)
            for part in ("rollout", "scoring", "update")
        },
        "skipped_steps": sum(h["skipped"] for h in history),
        "mean_response_tokens": statistics.mean(h["response_length"] for h in history),
        "probe_prefill_reused_before_training": reused_before,
        "probe_prefill_reused_after_training": after.usage.prefill_reused,
        "no_stale_kv": same,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    if not result["no_stale_kv"]:
        raise SystemExit("stale KV: the trained engine decoded differently from a fresh one")


if __name__ == "__main__":
    main()
