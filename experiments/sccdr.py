"""Check SCCDR's claims on synthetic domain pairs: weakly (r=0.2) and strongly (r=0.8) related.

For each pair: every model x 3 seeds (`reasonlab recsys bench`), then docs/reproductions/sccdr.md
with the tables, the verdicts (computed here, not typed) on the paper's three claims (SCCDR beats
mixed intra+inter contrastive learning, more so for cold-start users and weakly related domains;
it trains more stably), time per epoch, and retrieval throughput of faiss against brute force.

    python experiments/sccdr.py [--seeds 0,1,2] [--epochs 60]
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from reasonlab.core.runs import write_atomic
from reasonlab.jobs.recsys import DataConfig, bench_config, bench_table, run_bench
from reasonlab.recsys.models import MODELS
from reasonlab.recsys.retrieval import throughput
from reasonlab.recsys.synth import SynthConfig, write_pair
from reasonlab.recsys.training import FitConfig

DOCS = Path("docs/reproductions")
PAIRS = {"weak": 0.2, "strong": 0.8}
METRIC = "ndcg@20"


def mean_std(summary: dict, model: str, key: str) -> tuple[float, float]:
    entry = summary["models"][model]["test"][key]
    return entry["mean"], entry["std"]


def verdict(a: tuple[float, float], b: tuple[float, float]) -> str:
    """'higher' / 'lower' when the means differ by more than the larger std, else 'tie'."""
    gap = a[0] - b[0]
    if abs(gap) <= max(a[1], b[1]):
        return "tie (within one std)"
    return "higher" if gap > 0 else "lower"


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=FitConfig.lr)
    parser.add_argument("--docs", type=Path, default=DOCS, help="Where sccdr.md and its plots go.")
    parser.add_argument("--runs", default="runs", help="Where the data and bench run folders go.")
    args = parser.parse_args()
    docs = args.docs
    seeds = [int(s) for s in args.seeds.split(",")]
    models = list(MODELS)
    summaries = {}
    for name, relatedness in PAIRS.items():
        data_dir = Path(f"{args.runs}/sccdr-data-{name}")
        source, target = write_pair(SynthConfig(relatedness=relatedness), data_dir)
        base = FitConfig(epochs=args.epochs, lr=args.lr)
        data_cfg = DataConfig(source=str(source), target=str(target))
        folder = Path(f"{args.runs}/repro-sccdr-{name}")
        config = bench_config(data_cfg, base, models, seeds)
        done = folder / "config.json"
        if not (done.exists() and json.loads(done.read_text()) == json.loads(json.dumps(config))):
            run_bench(data_cfg, base, models, seeds, str(folder), overwrite=True, progress=True)
        summaries[name] = json.loads((folder / "summary.json").read_text())
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / "loss_stability.png", docs / f"sccdr_training_{name}.png")

    cached = Path(f"{args.runs}/sccdr-throughput.json")  # measured once, on a quiet machine
    if cached.exists():
        large = json.loads(cached.read_text())
    else:
        rng = np.random.default_rng(0)
        large = throughput(rng.standard_normal((2000, 64)), rng.standard_normal((100_000, 64)))
        write_atomic(cached, json.dumps(large))

    lines = [
        "# SCCDR in miniature: synthetic domain pairs",
        "",
        "Written by `python experiments/sccdr.py` (2 CPU cores). Each pair: default `reasonlab recsys synth`",
        "(2000 users per domain, half of the target users also in the source, 800 / 600 items, Zipf",
        "popularity 0.8) with relatedness r = correlation of a person's taste across domains. 20% of the",
        "overlapping users are cold-start (no target training data). Every model x seeds",
        f"{seeds}, up to {args.epochs} epochs with early stopping on validation NDCG@10, lr {args.lr}.",
        "Test metrics, mean ± std over seeds.",
        "",
    ]
    claims = []
    for name, s in summaries.items():
        d = s["data"]
        lines += [
            f"## {name}ly related domains (r = {PAIRS[name]})",
            "",
            f"{d['target_users']} target users ({d['overlapping_users']} shared, {d['cold_start_users']} cold-start),"
            f" {d['target_items']} target items, {d['train']} training interactions.",
            "",
            *bench_table(s["models"], keys=("recall@20", "ndcg@20")),
            "",
            f"![training curves](sccdr_training_{name}.png)",
            "",
        ]
        for users, key in (("all test users", METRIC), ("cold-start users", f"cold/{METRIC}")):
            sc, cc = mean_std(s, "sccdr", key), mean_std(s, "ccdr", key)
            claims.append(
                (
                    name,
                    users,
                    sc,
                    cc,
                    verdict(sc, cc),
                    sc[0] - cc[0],
                    mean_std(s, "graphsage", key),
                    mean_std(s, "pop", key),
                )
            )

    lines += [
        "## The paper's claims, as measured",
        "",
        f"{METRIC}: SCCDR against the CCDR-style mixed objective (same network, no stop-gradient, random",
        "negatives), with target-only GraphSAGE and popularity for scale.",
        "",
        "| domains | users | SCCDR | CCDR-style | SCCDR is | gap | GraphSAGE (target only) | popularity |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, users, sc, cc, v, gap, sage, pop in claims:
        lines.append(
            f"| {name} | {users} | {sc[0]:.4f} ± {sc[1]:.4f} | {cc[0]:.4f} ± {cc[1]:.4f} | {v} | {gap:+.4f} |"
            f" {sage[0]:.4f} | {pop[0]:.4f} |"
        )
    gaps = {(c[0], c[1]): c[5] for c in claims}

    def loss_at(pair: str, epoch: int) -> dict[str, float]:
        rows = [
            json.loads(line)
            for line in (Path(f"{args.runs}/repro-sccdr-{pair}") / "samples.jsonl").read_text().splitlines()
        ]
        out = {}
        for m in ("graphsage", "ccdr", "sccdr"):
            values = [
                r["history"][epoch - 1]["intra_target"]
                for r in rows
                if r["model"] == m and len(r["history"]) >= epoch
            ]
            if values:
                out[m] = float(np.mean(values))
        return out

    loss10 = {n: loss_at(n, 10) for n in summaries}  # each run's samples.jsonl read once
    best = []
    for name, s in summaries.items():
        for users, key in (("all test users", METRIC), ("cold-start users", f"cold/{METRIC}")):
            top = max(s["models"], key=lambda m, key=key, s=s: s["models"][m]["test"][key]["mean"])
            best.append(f"{name} pair, {users}: {top} ({s['models'][top]['test'][key]['mean']:.4f})")
    weak_more = gaps[("weak", "cold-start users")] > gaps[("strong", "cold-start users")]
    cold_more = all(gaps[(n, "cold-start users")] > gaps[(n, "all test users")] for n in PAIRS)
    jitter = {
        n: (s["models"]["sccdr"]["valid_jitter"], s["models"]["ccdr"]["valid_jitter"])
        for n, s in summaries.items()
    }
    lines += [
        "",
        f"- SCCDR's gain over the mixed objective is larger for cold-start users than for all users in both pairs: "
        f"**{'yes' if cold_more else 'no'}**.",
        f"- Its cold-start gain is larger on the weakly related pair than on the strongly related one: "
        f"**{'yes' if weak_more else 'no'}** ({gaps[('weak', 'cold-start users')]:+.4f} vs {gaps[('strong', 'cold-start users')]:+.4f}).",
        "- Stability, as the mean absolute epoch-to-epoch change of validation NDCG@10 (lower is steadier), "
        "SCCDR vs CCDR-style: "
        + "; ".join(f"{n} {_fmt(a)} vs {_fmt(b)}" for n, (a, b) in jitter.items())
        + ". Seed-to-seed std of the test metric is in the tables.",
        "- Best model by " + METRIC + ": " + "; ".join(best) + ".",
        "- Target-domain training loss after 10 epochs (mean over seeds; what the intra-domain encoder is "
        "optimising): "
        + "; ".join(f"{n}: " + ", ".join(f"{m} {v:.3f}" for m, v in loss10[n].items()) for n in summaries)
        + ". The mixed objective's intra-domain loss is higher than SCCDR's in "
        + (
            "both pairs"
            if all(loss10[n]["ccdr"] > loss10[n]["sccdr"] for n in summaries)
            else "not every pair"
        )
        + ": the inter-domain task pulls on its encoders, which the stop-gradient prevents.",
        "",
        "## Speed",
        "",
        "Training time per epoch (mean over seeds, 2 CPU cores) is the `s/epoch` column above. Retrieval",
        "throughput, measured side by side on the same vectors (best of 3), queries/s:",
        "",
        "| catalogue | exact faiss (IndexFlatIP) | IVF faiss | brute force (torch matmul + topk) | IVF recall@20 |",
        "|---|---|---|---|---|",
    ]
    for label, speed in (
        ("weak pair, learned SCCDR vectors", summaries["weak"]["retrieval"]),
        ("100,000 random items, 2,000 queries, dim 64", large),
    ):
        lines.append(
            f"| {label} | {speed['faiss_flat_qps']:,.0f} | {speed['faiss_ivf_qps']:,.0f} | "
            f"{speed['brute_force_qps']:,.0f} | {speed['ivf_recall']:.3f} |"
        )
    lines += [
        "",
        "Random Gaussian vectors are IVF's worst case (no cluster structure), hence its low recall there.",
        "",
    ]
    write_atomic(docs / "sccdr.md", "\n".join(lines))
    print((docs / "sccdr.md").read_text())


if __name__ == "__main__":
    main()
