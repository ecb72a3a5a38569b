"""EntroDrop's two claims in miniature (issue 19), on a testbed model.

The paper: on Llama3.1-8B, dropping 12 of 32 attention sub-blocks (37.5%) in order of lowest entropy
increase keeps at least 95% of performance, ahead of cosine order. A third party: for whole layers,
entropy order loses to ShortGPT's cosine order at light pruning (4 of 32 layers) and wins at heavy
pruning (8 of 32). Here each order (entropy by kNN, bucket and Renyi, cosine, SLEB's greedy NLL, and
random order over 5 seeds) drops 1, 2, ... of the droppable blocks (the official rule protects the
first two layers and the last); each pruned model answers held-out arith problems (greedy) and its
accuracy is divided by the unpruned model's. A set of blocks two orders share is evaluated once. The
verdicts use the paper's fractions of the model's layers, rounded, and are fixed here before the run:

- attention: at k = round(0.375 * layers), an entropy order agrees when it retains >= 95% and at
  least cosine's accuracy;
- whole layers: at light k = round(0.125 * layers) (at least 1) entropy retains less than cosine, and
  at heavy k = round(0.25 * layers) (above light) more.

Each evaluated set is a record in a resumable run folder (runs/repro-pruning-<hash>); the report,
its JSON and the plot go to docs/reproductions/pruning.{md,json,png} (--out-dir elsewhere: the run on
testbed:target, too shallow to separate the orders, is in docs/reproductions/pruning-target/).

    python experiments/pruning.py [--model testbed:deep] [--problems 100] [--seeds 5] [--max-drop 7]
"""

from __future__ import annotations

import argparse
import copy
import statistics
from pathlib import Path

from reasonlab.core.progress import progress_bar
from reasonlab.core.runs import open_run, write_atomic, write_json
from reasonlab.engines.base import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.jobs.generate import grade_sample
from reasonlab.jobs.prune import PruneDropConfig, calibration_ids, calibration_source, settings_of
from reasonlab.models.loading import chat_prompt_ids, load_model, resolve_model_path
from reasonlab.models.pruned import PruningPlan, apply_plan, decoder_layers
from reasonlab.models.think import detect_think_format
from reasonlab.pruning.footprint import perplexity
from reasonlab.pruning.methods import STATE_METHODS
from reasonlab.pruning.ranking import drop_order
from reasonlab.pruning.select import droppable, parse_protect, random_order
from reasonlab.tasks import create_task

ORDERS = (*STATE_METHODS, "nll")
BLOCKS = ("attention", "layer")
ENTROPY = tuple(m for m in STATE_METHODS if m.startswith("entropy"))
OUT = Path("docs/reproductions")


def orders_for(
    model, texts, block, candidates, cfg: PruneDropConfig, seeds: int, pad: int
) -> dict[str, list]:
    """Every order's full drop order of the candidates; random as random-<seed>."""
    out = {m: drop_order(model, texts, m, block, candidates, settings_of(cfg), None, pad)[0] for m in ORDERS}
    for seed in range(seeds):
        out[f"random-{seed}"] = random_order(candidates, seed)
    return out


def evaluate(model, tokenizer, think, task, problems, heldout, pad, max_tokens: int) -> dict[str, float]:
    """Greedy accuracy on the problems and perplexity on the held-out texts."""
    engine = HFEngine(model, tokenizer, enable_prefix_caching=False)
    prompts = [chat_prompt_ids(tokenizer, p.question, None, think) for p in problems]
    outs = engine.generate(prompts, SamplingParams(n=1, temperature=0.0, max_tokens=max_tokens))
    right = [grade_sample(task, p, o.outputs[0], think)["correct"] for p, o in zip(problems, outs)]
    return {"accuracy": sum(right) / len(right), "heldout_perplexity": perplexity(model, heldout, pad)}


def retained_curves(data: dict) -> dict[str, dict[str, list[float]]]:
    """block -> order -> accuracy retained after dropping 0, 1, ... blocks (random: the seeds' mean)."""
    base = data["baseline"]["accuracy"]
    if base == 0:
        raise SystemExit("the unpruned model solves none of the problems: no accuracy to retain")
    curves = {}
    for block, orders in data["orders"].items():
        per = {
            name: [
                data["sets"][block][key(order[:k])]["accuracy"] / base
                for k in range(depth(order, data.get("max_drop")) + 1)
            ]
            for name, order in orders.items()
        }
        randoms = [v for name, v in per.items() if name.startswith("random-")]
        curves[block] = {n: v for n, v in per.items() if not n.startswith("random-")}
        curves[block]["random"] = [statistics.mean(col) for col in zip(*randoms)]
        curves[block]["random-min"] = [min(col) for col in zip(*randoms)]
        curves[block]["random-max"] = [max(col) for col in zip(*randoms)]
    return curves


def depth(order: list[int], max_drop: int | None) -> int:
    """How many blocks of `order` are dropped at most: all of them, or --max-drop."""
    return min(len(order), max_drop or len(order))


def key(dropped: list[int]) -> str:
    return ",".join(map(str, sorted(dropped))) or "none"


def too_shallow(curves: dict, block: str) -> list[str]:
    """A warning line when no order's first drop keeps half the accuracy: then every order is at
    the floor from k = 1 on, and the verdicts cannot tell the orders apart."""
    first = {name: ys[1] for name, ys in curves[block].items() if len(ys) > 1 and name != "random-min"}
    best = max(first.values())
    if best >= 0.5:
        return []
    return [
        f"- **Too few layers to separate the orders ({block})**: the best first drop of any order keeps "
        f"{best:.1%} of the accuracy, so every order is near zero from one dropped block on. A deeper "
        "model is needed to test the claim."
    ]


def verdicts(data: dict, curves: dict) -> list[str]:
    layers, lines = data["layers"], []
    att = curves["attention"]
    k = min(round(0.375 * layers), len(att["cosine"]) - 1)
    lines.append(
        f"**Attention sub-blocks** (paper: 12 of 32 dropped by entropy keep >= 95%, ahead of cosine). "
        f"Here k = {k} of {layers} ({len(data['orders']['attention']['cosine'])} droppable); cosine retains "
        f"{att['cosine'][k]:.1%}, random {att['random'][k]:.1%}, NLL {att['nll'][k]:.1%}."
    )
    shallow = too_shallow(curves, "attention")
    for m in ENTROPY:
        ok = att[m][k] >= 0.95 and att[m][k] >= att["cosine"][k]
        lines.append(f"- {m}: retains {att[m][k]:.1%}: **{word(ok, shallow)}**")
    lines += shallow
    lay = curves["layer"]
    light = max(1, round(0.125 * layers))
    heavy = min(max(light + 1, round(0.25 * layers)), len(lay["cosine"]) - 1)
    lines += [
        "",
        f"**Whole layers** (third party: entropy order behind cosine at light pruning, ahead at heavy). "
        f"Light k = {light}: cosine {lay['cosine'][light]:.1%}; heavy k = {heavy}: cosine "
        f"{lay['cosine'][heavy]:.1%}.",
    ]
    shallow = too_shallow(curves, "layer")
    for m in ENTROPY:
        ok = lay[m][light] < lay["cosine"][light] and lay[m][heavy] > lay["cosine"][heavy]
        lines.append(
            f"- {m}: {lay[m][light]:.1%} at light, {lay[m][heavy]:.1%} at heavy: **{word(ok, shallow)}**"
        )
    return lines + shallow


def word(ok: bool, shallow: list[str]) -> str:
    return "inconclusive" if shallow else "agree" if ok else "disagree"


def plot(curves: dict, path: Path, title: str) -> None:
    from reasonlab.core.plots import new_figure, save_figure

    fig, axes = new_figure(10, 4, ncols=len(curves))
    for ax, (block, per) in zip(axes, curves.items()):
        ks = list(range(len(per["cosine"])))
        ax.fill_between(ks, per["random-min"], per["random-max"], color="0.85", label="random (range)")
        for name, ys in per.items():
            if name not in ("random-min", "random-max"):
                ax.plot(ks, ys, marker="o", label=name, ls="--" if name == "random" else "-")
        ax.axhline(0.95, color="0.5", lw=0.8, ls=":")
        ax.set_title(f"{block} blocks dropped")
        ax.set_xlabel("blocks dropped")
        ax.set_ylabel("accuracy retained")
        ax.set_xticks(ks)
        ax.legend(fontsize=7)
    fig.suptitle(title)
    save_figure(fig, path)


def report(data: dict, curves: dict) -> str:
    b = data["baseline"]
    lines = [
        "# EntroDrop on the testbed: entropy, cosine, NLL and random drop orders",
        "",
        f"Model {data['model']} ({data['layers']} layers; protected {data['protected']}). Accuracy: greedy, "
        f"{data['problems']} held-out arith problems; unpruned {b['accuracy']:.1%}, held-out perplexity "
        f"{b['heldout_perplexity']:.3f}. Calibration: {data['calibration_texts']} arith traces. Command: "
        f"`python experiments/pruning.py --model {data['model']} --problems {data['problems']}"
        f"{' --max-drop ' + str(data['max_drop']) if data.get('max_drop') else ''}"
        f" --max-tokens {data.get('max_tokens', 512)}`. Held-out "
        "perplexity counts every token of prompt and trace, the question's random operands included.",
        "",
        *verdicts(data, curves),
        "",
        "![accuracy retained](pruning.png)",
        "",
        "## Drop orders",
        "",
        "| block | " + " | ".join(ORDERS) + " |",
        "|---|" + "---|" * len(ORDERS),
    ]
    for block, orders in data["orders"].items():
        lines.append(f"| {block} | " + " | ".join(", ".join(map(str, orders[m])) for m in ORDERS) + " |")
    lines += ["", "## Accuracy retained and held-out perplexity per set of dropped blocks", ""]
    lines += ["| block | dropped | accuracy | retained | perplexity |", "|---|---|---|---|---|"]
    for block, sets in data["sets"].items():
        for name, r in sorted(sets.items(), key=lambda kv: (kv[0] != "none", kv[0].count(","), kv[0])):
            lines.append(
                f"| {block} | {name} | {r['accuracy']:.1%} | {r['accuracy'] / b['accuracy']:.1%} | "
                f"{r['heldout_perplexity']:.3f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="testbed:deep")
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--num-texts", type=int, default=32, help="calibration traces")
    parser.add_argument("--seeds", type=int, default=5, help="random orders")
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument(
        "--max-drop", type=int, default=None, help="drop at most this many blocks per order (default: all)"
    )
    parser.add_argument("--out-dir", type=Path, default=OUT, help="where pruning.{md,json,png} go")
    args = parser.parse_args()
    if args.max_drop is not None and args.max_drop < 1:
        parser.error(f"--max-drop must be at least 1, got {args.max_drop}")

    cfg = PruneDropConfig(model=args.model, num_texts=args.num_texts, heldout=32, k=1).validate()
    source = calibration_source(cfg, cfg.heldout)
    model, tokenizer = load_model(cfg.model)
    (texts, heldout), pad = calibration_ids(cfg, source, tokenizer), tokenizer.pad_token_id or 0
    protected = parse_protect(cfg.protect, len(decoder_layers(model)))
    config = {
        "model": args.model,
        "problems": args.problems,
        "num_texts": args.num_texts,
        "seeds": args.seeds,
    }
    if args.max_drop is not None:  # left out when unset, so that earlier runs still resume
        config["max_drop"] = args.max_drop
    if args.max_tokens != 512:  # likewise left out at its default
        config["max_tokens"] = args.max_tokens
    inputs = {"model": resolve_model_path(args.model)}  # new weights: a new run folder, never mixed
    with open_run("repro-pruning", config, inputs=inputs, overwrite=True, unit="pruned models") as run:
        data = run_all(args, cfg, model, tokenizer, texts, heldout, pad, protected, run)
        run.finish({"baseline": data["baseline"]})
    curves = retained_curves(data)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_json(args.out_dir / "pruning.json", {**data, "retained": curves})
    plot(curves, args.out_dir / "pruning.png", f"Accuracy retained after dropping blocks of {args.model}")
    write_atomic(args.out_dir / "pruning.md", report(data, curves))
    print("\n".join(verdicts(data, curves)))


def run_all(args, cfg, model, tokenizer, texts, heldout, pad, protected, run) -> dict:
    """Every order, and every set of blocks an order drops first, evaluated once (resumable)."""
    task, think = create_task("arith"), detect_think_format(tokenizer, model_name=cfg.model)
    problems = task.problems(args.problems)
    orders = {
        b: orders_for(model, texts, b, droppable(model, b, protected), cfg, args.seeds, pad) for b in BLOCKS
    }
    todo = {("none", "none")} | {
        (b, key(o[:k]))
        for b, per in orders.items()
        for o in per.values()
        for k in range(1, depth(o, args.max_drop) + 1)
    }
    with progress_bar(len(todo), "pruned models evaluated") as advance:
        for block, name in sorted(todo):
            if run.done(f"{block}:{name}") is None:
                pruned = copy.deepcopy(model)
                if name != "none":
                    apply_plan(pruned, PruningPlan.of(block, [int(i) for i in name.split(",")]))
                scores = evaluate(pruned, tokenizer, think, task, problems, heldout, pad, args.max_tokens)
                run.add({"id": f"{block}:{name}", **scores})
            advance(1)
    results = {r["id"]: r for r in run.records()}
    baseline = {k: results["none:none"][k] for k in ("accuracy", "heldout_perplexity")}
    return {
        "model": args.model,
        "layers": len(decoder_layers(model)),
        "protected": protected,
        "problems": args.problems,
        "calibration_texts": len(texts),
        "max_drop": args.max_drop,
        "max_tokens": args.max_tokens,
        "baseline": baseline,
        "orders": orders,
        "sets": {
            b: {"none": baseline, **{i.split(":")[1]: r for i, r in results.items() if i.startswith(f"{b}:")}}
            for b in BLOCKS
        },
    }


if __name__ == "__main__":
    main()
