"""Block pruning's costs, measured side by side in one run (issue 19):

1. scoring time per estimator on the calibration set (one forward with hooks, then each estimator on
   the captured states; greedy NLL separately, as it runs the model once per candidate and round);
2. the kNN estimator, quadratic in tokens, on pooled samples of growing size: its time, and how far
   its attention drop order moves from the order the official per-text scoring gives (Kendall tau,
   and whether the first k to go are the same);
3. decode tokens/s (batch 1, greedy, KV cache) and KV-cache bytes per token after dropping k
   attention sub-blocks, against the unpruned model, timed in alternation.

    python benchmarks/pruning.py [--model testbed:target] [--k 3] [--sample-tokens 128,256,512,1024]
    python benchmarks/pruning.py --random-llama 32,2048 --k 12 --device cuda --dtype bfloat16   # GPU check
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import statistics
import time

import torch
from scipy.stats import kendalltau

from reasonlab.jobs.prune import PruneDropConfig, calibration_ids, calibration_source, settings_of
from reasonlab.models.loading import load_model
from reasonlab.models.pruned import PruningPlan, apply_plan, decoder_layers
from reasonlab.pruning.footprint import decode_tokens_per_second, kv_bytes_per_token
from reasonlab.pruning.methods import STATE_METHODS
from reasonlab.pruning.nll import greedy_nll
from reasonlab.pruning.scores import state_scores
from reasonlab.pruning.select import droppable, lowest_first, parse_protect
from reasonlab.testbed.random_model import random_llama


def random_model(layers: int, hidden: int, device: str, dtype: str):
    """The project's random Llama (testbed/random_model.py) at this size, heads of 64 and 4 query
    heads per KV head: 32 x 2048 is about 1B parameters."""
    heads = hidden // 64
    model, tokenizer = random_llama(
        seed=0, hidden=hidden, layers=layers, heads=heads, kv_heads=max(1, heads // 4)
    )
    return model.to(
        device=device, dtype=getattr(torch, dtype) if dtype != "auto" else torch.float32
    ), tokenizer


def scoring_times(model, texts, cfg, pad: int, candidates: list[int]) -> dict[str, float]:
    scored = state_scores(model, texts, list(STATE_METHODS), ["attention"], settings_of(cfg), pad)
    start = time.perf_counter()
    greedy_nll(model, texts, "attention", candidates, len(candidates), pad, cfg.batch_size)
    return {**scored.seconds, "nll (greedy, all rounds)": time.perf_counter() - start}


def knn_sample_sizes(
    model, texts, cfg, pad: int, candidates: list[int], sizes: list[int], k: int
) -> list[dict]:
    """The kNN attention order per pooled sample size, against the official per-text order."""

    def order_and_time(settings) -> tuple[list[int], float]:
        scored = state_scores(model, texts, ["entropy-knn"], ["attention"], settings, pad)
        return lowest_first(scored.scores["entropy-knn"]["attention"], candidates), scored.seconds[
            "entropy-knn"
        ]

    reference, seconds = order_and_time(settings_of(cfg))
    rows = [
        {
            "sample": "per text (official)",
            "seconds": seconds,
            "order": reference,
            "tau": 1.0,
            "same_first_k": True,
        }
    ]
    for size in sizes:
        order, seconds = order_and_time(
            settings_of(dataclasses.replace(cfg, pooling="pooled", sample_tokens=size))
        )
        tau = kendalltau([reference.index(c) for c in candidates], [order.index(c) for c in candidates])[0]
        same = set(order[:k]) == set(reference[:k])
        rows.append(
            {"sample": size, "seconds": seconds, "order": order, "tau": float(tau), "same_first_k": same}
        )
    return rows


def decode_side_by_side(model, pruned, prompt: list[int], tokens: int, rounds: int) -> dict[str, float]:
    """Tokens/s of both models, alternating rounds (each the best of 2 runs), medians compared."""
    speeds = {"unpruned": [], "pruned": []}
    for _ in range(rounds):
        for name, m in (("unpruned", model), ("pruned", pruned)):
            speeds[name].append(decode_tokens_per_second(m, prompt, tokens, repeats=2))
    return {name: statistics.median(v) for name, v in speeds.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="testbed:target")
    ap.add_argument("--random-llama", default=None, help="LAYERS,HIDDEN: a random Llama instead of --model")
    ap.add_argument("--k", type=int, default=3, help="attention sub-blocks dropped")
    ap.add_argument("--num-texts", type=int, default=32)
    ap.add_argument("--sample-tokens", default="128,256,512,1024")
    ap.add_argument("--decode-tokens", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    cfg = PruneDropConfig(
        model="testbed:target" if args.random_llama else args.model, num_texts=args.num_texts, k=args.k
    )
    cfg = dataclasses.replace(cfg, device=args.device, dtype=args.dtype).validate()
    if args.random_llama:
        layers, hidden = (int(x) for x in args.random_llama.split(","))
        model, tokenizer = random_model(layers, hidden, args.device, args.dtype)
    else:
        model, tokenizer = load_model(cfg.model, device=args.device, dtype=args.dtype)
    (texts, _), pad = calibration_ids(cfg, calibration_source(cfg), tokenizer), tokenizer.pad_token_id or 0
    candidates = droppable(model, "attention", parse_protect(cfg.protect, len(decoder_layers(model))))
    name = f"random Llama {args.random_llama}" if args.random_llama else cfg.model
    millions = sum(p.numel() for p in model.parameters()) / 1e6
    print(
        f"{name}: {len(decoder_layers(model))} layers, {millions:.1f}M "
        f"parameters, {next(model.parameters()).dtype}, {args.device}; {len(texts)} calibration texts, "
        f"{sum(map(len, texts))} tokens"
    )

    times = scoring_times(model, texts, cfg, pad, candidates)
    print("\nscoring seconds (attention sub-blocks):")
    for method, s in times.items():
        print(f"  {method:28s} {s:8.2f}")

    sizes = [int(x) for x in args.sample_tokens.split(",")]
    rows = knn_sample_sizes(model, texts, cfg, pad, candidates, sizes, args.k)
    print(f"\nkNN entropy by sample size (order of the {len(candidates)} droppable attention blocks):")
    for r in rows:
        print(
            f"  {str(r['sample']):20s} {r['seconds']:7.2f}s  tau vs per-text {r['tau']:+.2f}  "
            f"same first {args.k}: {'yes' if r['same_first_k'] else 'no'}  order {r['order']}"
        )

    chosen = sorted(rows[0]["order"][: args.k])
    pruned = apply_plan(copy.deepcopy(model), PruningPlan.of("attention", chosen))
    kv = {"unpruned": kv_bytes_per_token(model), "pruned": kv_bytes_per_token(pruned)}
    speed = decode_side_by_side(model, pruned, texts[0][:32], args.decode_tokens, args.rounds)
    print(f"\ndropping attention of layers {chosen} (entropy-knn order):")
    print(
        f"  KV-cache bytes per token  {kv['unpruned']:10.0f} -> {kv['pruned']:10.0f}  "
        f"({kv['pruned'] / kv['unpruned']:.2f}x)"
    )
    print(
        f"  decode tokens/s           {speed['unpruned']:10.1f} -> {speed['pruned']:10.1f}  "
        f"({speed['pruned'] / speed['unpruned']:.2f}x; median of {args.rounds} alternating rounds)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "model": name,
                    "scoring_seconds": times,
                    "knn_sample_sizes": rows,
                    "dropped": chosen,
                    "kv_bytes_per_token": kv,
                    "decode_tokens_per_s": speed,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
