"""Engine benchmarks, measured side by side in one run on a randomly initialised small Llama.

1. Sampling throughput: the hf engine versus transformers' own `generate`, same model, batch and
   sampling settings (target: ratio >= 1).
2. Prefix sharing: 8 cuts of a 256-token trace x 4 continuations of 32 tokens, forked from the
   cached trace versus re-prefilling every branch (target: time ratio <= 0.5), with the greedy
   outputs compared token for token.
3. KV growth: the hf engine on its GrowingCache (each step written in place) versus transformers'
   DynamicCache (torch.cat every step), sampling long completions (target: ratio >= 1, same tokens).

    python benchmarks/engine.py [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from transformers import DynamicCache

from reasonlab.core.cost import total_usage
from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.engines.kv_cache import GrowingCache
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.testbed.random_model import random_llama


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def throughput(model, tok, repeats: int, batch: int, new_tokens: int) -> dict:
    questions = [f"Compute {i}+{i * 7 % 13}*3 from left to right, modulo 100." for i in range(batch)]
    prompts = [chat_prompt_ids(tok, q) for q in questions]
    sp = SamplingParams(temperature=1.0, top_p=0.95, max_tokens=new_tokens, ignore_eos=True, seed=0)
    enc = tok.pad({"input_ids": prompts}, padding=True, padding_side="left", return_tensors="pt")

    def hf_generate():
        with torch.inference_mode():
            return model.generate(
                **enc,
                do_sample=True,
                temperature=1.0,
                top_p=0.95,
                top_k=0,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                pad_token_id=tok.pad_token_id,
            )

    engine = HFEngine(model, tok, enable_prefix_caching=False)
    hf_generate()  # warm-up both
    engine.generate(prompts, sp)
    t_ref, t_eng = [], []
    for _ in range(repeats):  # interleaved, so drift in machine load hits both alike
        t_ref.append(timed(hf_generate)[0])
        t_eng.append(timed(lambda: engine.generate(prompts, sp))[0])
    tokens = batch * new_tokens
    ref, eng = tokens / statistics.median(t_ref), tokens / statistics.median(t_eng)
    return {
        "batch": batch,
        "new_tokens": new_tokens,
        "transformers_tok_s": ref,
        "engine_tok_s": eng,
        "ratio": eng / ref,
    }


def prefix_sharing(
    model, tok, repeats: int, prefix_len: int = 256, cuts: int = 8, m: int = 4, new_tokens: int = 32
) -> dict:
    prompt = chat_prompt_ids(tok, "Compute 12+7*3-8+40 from left to right, modulo 100.")
    close = [tok.convert_tokens_to_ids("</think>")] + tok.encode("\n\n", add_special_tokens=False)
    greedy_trace = SamplingParams(temperature=0, max_tokens=prefix_len - len(prompt) + 1, ignore_eos=True)
    branch_sp = SamplingParams(n=m, temperature=0, max_tokens=new_tokens, ignore_eos=True)

    def with_trace():
        engine = HFEngine(model, tok)
        generated = engine.generate([prompt], greedy_trace)[0].outputs[0].token_ids
        trace = prompt + generated[:-1]  # exactly the tokens whose KV the engine now holds
        branches = [trace[: len(trace) * i // cuts] + close for i in range(1, cuts + 1)]
        return engine, branches

    def run_shared():
        engine, branches = with_trace()
        seconds, outs = timed(lambda: engine.generate(branches, branch_sp))
        return seconds, [o.token_ids for r in outs for o in r.outputs], total_usage([r.usage for r in outs])

    cold = HFEngine(model, tok, enable_prefix_caching=False)
    _, branches = with_trace()
    one_each = [b for b in branches for _ in range(m)]

    def run_reprefill():
        seconds, outs = timed(
            lambda: cold.generate(
                one_each, SamplingParams(temperature=0, max_tokens=new_tokens, ignore_eos=True)
            )
        )
        return seconds, [r.outputs[0].token_ids for r in outs]

    def run_prefill_once_per_cut():
        seconds, outs = timed(lambda: cold.generate(branches, branch_sp))
        return seconds, [o.token_ids for r in outs for o in r.outputs]

    run_shared(), run_reprefill()  # warm-up
    shared, reprefill, per_cut = [], [], []
    for _ in range(repeats):
        s_time, s_ids, usage = run_shared()
        r_time, r_ids = run_reprefill()
        c_time, c_ids = run_prefill_once_per_cut()
        shared.append(s_time), reprefill.append(r_time), per_cut.append(c_time)
    return {
        "prefix_len": len(branches[-1]) - len(close),
        "cuts": cuts,
        "continuations": m,
        "new_tokens": new_tokens,
        "shared_s": statistics.median(shared),
        "reprefill_every_branch_s": statistics.median(reprefill),
        "prefill_once_per_cut_s": statistics.median(per_cut),
        "ratio": statistics.median(shared) / statistics.median(reprefill),
        "ratio_vs_prefill_once_per_cut": statistics.median(shared) / statistics.median(per_cut),
        "identical_greedy_outputs": s_ids == r_ids == c_ids,
        "shared_prefill_computed": usage.prefill_computed,
        "shared_prefill_reused": usage.prefill_reused,
    }


def kv_growth(model, tok, repeats: int, batch: int, new_tokens: int) -> dict:
    prompts = [chat_prompt_ids(tok, f"Compute {i}*{i + 3} modulo 100.") for i in range(batch)]
    sp = SamplingParams(temperature=1.0, max_tokens=new_tokens, ignore_eos=True, seed=0)
    engines = {
        name: HFEngine(model, tok, enable_prefix_caching=False, cache_class=cls)
        for name, cls in (("growing", GrowingCache), ("dynamic", DynamicCache))
    }
    outputs = {name: engine.generate(prompts, sp) for name, engine in engines.items()}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(repeats):
        for name, engine in engines.items():
            times[name].append(timed(lambda e=engine: e.generate(prompts, sp))[0])
    ids = {name: [o.token_ids for r in out for o in r.outputs] for name, out in outputs.items()}
    growing, dynamic = statistics.median(times["growing"]), statistics.median(times["dynamic"])
    return {
        "batch": batch,
        "new_tokens": new_tokens,
        "growing_s": growing,
        "dynamic_s": dynamic,
        "speedup": dynamic / growing,
        "identical_outputs": ids["growing"] == ids["dynamic"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    torch.manual_seed(0)
    model, tok = random_llama(seed=0)  # hidden 256, 4 layers
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: random Llama, {n_params / 1e6:.2f}M parameters, torch threads {torch.get_num_threads()}")
    tp = throughput(model, tok, args.repeats, args.batch, args.new_tokens)
    print(
        f"throughput  batch {tp['batch']} x {tp['new_tokens']} tokens: transformers generate "
        f"{tp['transformers_tok_s']:.0f} tok/s, hf engine {tp['engine_tok_s']:.0f} tok/s "
        f"-> ratio {tp['ratio']:.2f} (target >= 1.00)"
    )
    ps = prefix_sharing(model, tok, args.repeats)
    print(
        f"prefix sharing  {ps['cuts']} cuts of a {ps['prefix_len']}-token trace x {ps['continuations']} x "
        f"{ps['new_tokens']} tokens: forked {ps['shared_s']:.3f}s, re-prefill every branch "
        f"{ps['reprefill_every_branch_s']:.3f}s -> ratio {ps['ratio']:.2f} (target <= 0.50); "
        f"prefill once per cut {ps['prefill_once_per_cut_s']:.3f}s "
        f"-> ratio {ps['ratio_vs_prefill_once_per_cut']:.2f}; "
        f"identical greedy outputs: {ps['identical_greedy_outputs']}; prefill computed/reused "
        f"{ps['shared_prefill_computed']}/{ps['shared_prefill_reused']}"
    )
    kv = kv_growth(model, tok, args.repeats, args.batch, 4 * args.new_tokens)
    print(
        f"kv growth  batch {kv['batch']} x {kv['new_tokens']} tokens: GrowingCache {kv['growing_s']:.3f}s, "
        f"DynamicCache {kv['dynamic_s']:.3f}s -> speedup {kv['speedup']:.2f}x (target >= 1.00); "
        f"identical outputs: {kv['identical_outputs']}"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"throughput": tp, "prefix_sharing": ps, "kv_growth": kv}, f, indent=2)


if __name__ == "__main__":
    main()
