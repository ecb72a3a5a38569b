"""`reasonlab prune score` and `reasonlab prune drop`: block scores on calibration texts, and a pruned
model folder.

`score` writes a run folder: scores.json (per method and block kind, one score per layer, and the
drop order each gives), scores.png (the scores per layer, protected layers shaded) and report.md.
`drop` picks k blocks by one method and writes the pruned model as a Hugging Face folder, built in
`<out>.partial` and renamed when complete; pruning.json records how the blocks were chosen, the
calibration NLL, and held-out perplexity, KV-cache bytes per token and decode tokens/s, before and
after. The configs import neither torch nor transformers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.models.blocks import BLOCKS
from reasonlab.pruning.methods import (
    DEFAULT_PROTECT,
    DROP_METHODS,
    POOLINGS,
    SCORE_METHODS,
    protect_indices,
)


def _names(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ReasonlabError(f"{what} is empty (choose from {', '.join(allowed)})")
    for name in names:
        if name not in allowed:
            raise ReasonlabError(f"unknown {what} {name!r} (choose from {', '.join(allowed)})")
    return names


@dataclass
class PruneInputs:
    """What scoring needs: the model, the calibration texts, the estimators and the protected layers."""

    model: str = field(
        default="testbed:target",
        metadata={
            "help": "Local Hugging Face folder or testbed:<name> (Llama, Qwen2 or Mistral architecture)."
        },
    )
    task: str = field(
        default="arith",
        metadata={
            "help": "Calibrate on this task's problems with their reference traces "
            "(see `reasonlab tasks list`)."
        },
    )
    calibration: str | None = field(
        default=None,
        metadata={"help": 'JSONL file of {"text": ...} lines to calibrate on instead of --task.'},
    )
    num_texts: int = field(
        default=32,
        metadata={"help": "Calibration texts: the first N problems of --task, or lines of --calibration."},
    )
    seq_len: int = field(
        default=256, metadata={"help": "Tokens kept per calibration text (the official code: 256)."}
    )
    protect: str = field(
        default=DEFAULT_PROTECT,
        metadata={
            "help": "Layers never dropped, comma-separated, negative counting from the end; 'none' for "
            "none (default 0,1,-1: the official rule)."
        },
    )
    knn_k: int = field(
        default=25, metadata={"help": "Neighbour k of the kNN entropy estimator (official: 25)."}
    )
    bins: int = field(
        default=20,
        metadata={"help": "Buckets per dimension of the bucket estimator (official: 20; 80 for Mistral)."},
    )
    renyi_alpha: float = field(default=4.0, metadata={"help": "Order of the Renyi entropy (official: 4)."})
    pooling: str = field(
        default="text",
        metadata={
            "help": "text: entropies per calibration text, averaged (as the official code); pooled: one "
            "estimate on --sample-tokens token states drawn from all texts."
        },
    )
    sample_tokens: int = field(
        default=1024, metadata={"help": "Token states in the pooled sample (kNN cost grows as its square)."}
    )
    batch_size: int = field(default=8, metadata={"help": "Calibration texts per forward pass."})
    seed: int = field(default=0, metadata={"help": "Seed of the pooled token sample and of random order."})
    device: str = field(default="cpu", metadata={"help": "cpu, cuda, cuda:1 or mps."})
    dtype: str = field(default="auto", metadata={"help": "auto, float32, bfloat16 or float16."})

    def validate(self) -> PruneInputs:
        for name, least in (("num_texts", 1), ("seq_len", 2), ("knn_k", 1), ("bins", 2), ("batch_size", 1)):
            if getattr(self, name) < least:
                raise ReasonlabError(f"{name} must be at least {least}, got {getattr(self, name)}")
        if self.sample_tokens < 2:
            raise ReasonlabError(f"sample_tokens must be at least 2, got {self.sample_tokens}")
        if not (self.renyi_alpha > 0 and self.renyi_alpha != 1 and math.isfinite(self.renyi_alpha)):
            raise ReasonlabError(f"renyi_alpha must be > 0 and not 1, got {self.renyi_alpha}")
        if self.pooling not in POOLINGS:
            raise ReasonlabError(f"unknown pooling {self.pooling!r} (choose from {', '.join(POOLINGS)})")
        protect_indices(self.protect)
        return self


@dataclass
class PruneScoreConfig(PruneInputs):
    methods: str = field(
        default=",".join(SCORE_METHODS),
        metadata={"help": f"Scores to compute, comma-separated: {', '.join(SCORE_METHODS)}."},
    )
    blocks: str = field(
        default=",".join(BLOCKS),
        metadata={"help": "Block kinds to score, comma-separated: attention, mlp, layer."},
    )
    nll_steps: int = field(
        default=0,
        metadata={
            "help": "Rounds of greedy NLL removal per block kind (0: until every droppable block is ranked)."
        },
    )

    def validate(self) -> PruneScoreConfig:
        super().validate()
        _names(self.methods, SCORE_METHODS, "method")
        _names(self.blocks, BLOCKS, "block kind")
        if self.nll_steps < 0:
            raise ReasonlabError(f"nll_steps must be at least 0, got {self.nll_steps}")
        return self


@dataclass
class PruneDropConfig(PruneInputs):
    by: str = field(
        default="entropy-knn",
        metadata={"help": f"Order of dropping: {', '.join(DROP_METHODS)} (lowest score first)."},
    )
    blocks: str = field(
        default="attention", metadata={"help": "Which blocks to drop: attention, mlp or layer."}
    )
    k: int = field(default=0, metadata={"help": "How many blocks to drop.", "flag": "--k", "required": True})
    scores: str | None = field(
        default=None,
        metadata={
            "help": "Take the drop order from a `prune score` run (its folder or scores.json) instead of "
            "scoring again; it must be of the same model, protected layers and block kind."
        },
    )
    heldout: int = field(
        default=32,
        metadata={
            "help": "Held-out texts for perplexity before and after: the N problems after the calibration "
            "ones, or the N lines after them in --calibration (0: none)."
        },
    )
    decode_tokens: int = field(
        default=64,
        metadata={"help": "Greedy tokens decoded to time decode tokens/s before and after (0: not timed)."},
    )

    def validate(self) -> PruneDropConfig:
        super().validate()
        _names(self.by, DROP_METHODS, "method")
        if self.blocks not in BLOCKS:
            raise ReasonlabError(f"unknown block kind {self.blocks!r} (choose from {', '.join(BLOCKS)})")
        if self.k < 1:
            raise ReasonlabError(f"k must be at least 1, got {self.k}")
        for name in ("heldout", "decode_tokens"):
            if getattr(self, name) < 0:
                raise ReasonlabError(f"{name} must be at least 0, got {getattr(self, name)}")
        return self


def calibration_source(cfg: PruneInputs, extra: int = 0):
    """The calibration texts (strings) or task problems, checked before any model is loaded, with up
    to `extra` more after them (held out: calibration_ids keeps the first cfg.num_texts)."""
    from reasonlab.pruning.calibration import read_texts, task_problems

    if cfg.calibration:
        return read_texts(cfg.calibration, cfg.num_texts + extra)
    from reasonlab.tasks import create_task

    task = create_task(cfg.task)
    return task, task_problems(task, cfg.num_texts + extra)


def calibration_ids(cfg: PruneInputs, source, tokenizer) -> tuple[list[list[int]], list[list[int]]]:
    """Token ids of the calibration texts (the first cfg.num_texts) and of the held-out rest."""
    from reasonlab.models.think import detect_think_format
    from reasonlab.pruning.calibration import check_texts, encode_task, encode_texts

    if isinstance(source, list):
        texts = encode_texts(source, tokenizer, cfg.seq_len)
    else:
        task, problems = source
        think = detect_think_format(tokenizer, model_name=cfg.model)
        texts = encode_task(problems, task, tokenizer, cfg.seq_len, think)
    texts = check_texts(texts)
    return texts[: cfg.num_texts], texts[cfg.num_texts :]


def settings_of(cfg: PruneInputs):
    from reasonlab.pruning.scores import EstimatorSettings

    return EstimatorSettings(
        knn_k=cfg.knn_k,
        bins=cfg.bins,
        renyi_alpha=cfg.renyi_alpha,
        pooling=cfg.pooling,
        sample_tokens=cfg.sample_tokens,
        batch_size=cfg.batch_size,
        seed=cfg.seed,
    )


def _pad_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0


def run_score(cfg: PruneScoreConfig, run, progress: bool = True) -> dict[str, Any]:
    """Score every requested block kind by every requested method; writes scores.json and
    scores.png into the run and returns what scores.json holds."""
    from reasonlab.core.progress import progress_bar
    from reasonlab.core.runs import write_json
    from reasonlab.models.loading import load_model
    from reasonlab.models.pruned import decoder_layers
    from reasonlab.pruning.methods import STATE_METHODS
    from reasonlab.pruning.nll import greedy_nll, greedy_passes
    from reasonlab.pruning.scores import state_scores
    from reasonlab.pruning.select import droppable, lowest_first, parse_protect

    cfg.validate()
    source = calibration_source(cfg)
    methods, blocks = _names(cfg.methods, SCORE_METHODS, "method"), _names(cfg.blocks, BLOCKS, "block kind")
    model, tokenizer = load_model(cfg.model, device=cfg.device, dtype=cfg.dtype)
    num_layers = len(decoder_layers(model))
    protected = parse_protect(cfg.protect, num_layers)
    (texts, _), pad = calibration_ids(cfg, source, tokenizer), _pad_id(tokenizer)
    candidates = {b: droppable(model, b, protected) for b in blocks}
    out: dict[str, Any] = {
        "model": cfg.model,
        "layers": num_layers,
        "protected": protected,
        "candidates": candidates,
        "calibration": {"texts": len(texts), "tokens": sum(map(len, texts))},
        "scores": {},
        "order": {},
        "seconds": {},
    }
    state_methods = [m for m in methods if m in STATE_METHODS]
    if state_methods:
        with progress_bar(len(texts), "hidden-state scores", progress) as advance:
            scored = state_scores(model, texts, state_methods, blocks, settings_of(cfg), pad, advance)
        out["scores"].update(scored.scores)
        out["seconds"].update(scored.seconds)
        out["calibration"]["groups"], out["calibration"]["scored_tokens"] = scored.groups, scored.tokens
        for m in state_methods:
            out["order"][m] = {b: lowest_first(scored.scores[m][b], candidates[b]) for b in blocks}
    if "nll" in methods:
        import time

        start = time.perf_counter()
        steps = {b: cfg.nll_steps or len(candidates[b]) for b in blocks}
        total = sum(greedy_passes(len(candidates[b]), steps[b]) for b in blocks)
        out["scores"]["nll"], out["order"]["nll"], out["nll_greedy"] = {}, {}, {}
        with progress_bar(total, "greedy NLL", progress) as advance:
            for b in blocks:
                g = greedy_nll(model, texts, b, candidates[b], steps[b], pad, cfg.batch_size, advance)
                out["baseline_nll"] = g.baseline
                out["scores"]["nll"][b] = [
                    g.alone[i] - g.baseline if i in g.alone else None for i in range(num_layers)
                ]
                out["order"]["nll"][b] = g.order
                out["nll_greedy"][b] = {"order": g.order, "nll": g.nll}
        out["seconds"]["nll"] = time.perf_counter() - start
    write_json(run.path("scores.json"), out)
    plot_scores(out, run.path("scores.png"))
    return out


def score_summary(scores: dict[str, Any]) -> dict[str, Any]:
    """summary.json of a score run: the drop orders and timings, without the per-layer scores."""
    return {k: scores[k] for k in ("model", "layers", "protected", "calibration", "order", "seconds")}


SCORE_LABELS = {
    "entropy-knn": "entropy increase (kNN), nats",
    "entropy-bucket": "entropy increase (bucket), nats",
    "entropy-renyi": "entropy increase (Renyi), nats",
    "cosine": "1 - mean cos(in, out)",
    "nll": "NLL increase, removed alone",
}


def plot_scores(scores: dict[str, Any], path: Path) -> None:
    """One panel per method: each block kind's score per layer; protected layers shaded."""
    from reasonlab.core.plots import new_figure, save_figure

    methods = list(scores["scores"])
    fig, axes = new_figure(4.2 * len(methods), 3.4, ncols=len(methods))
    axes = [axes] if len(methods) == 1 else list(axes)
    layers = list(range(scores["layers"]))
    for ax, method in zip(axes, methods):
        for block, values in scores["scores"][method].items():
            ys = [float("nan") if v is None else v for v in values]
            ax.plot(layers, ys, marker="o", label=block)
        for i in scores["protected"]:
            ax.axvspan(i - 0.5, i + 0.5, color="0.9", zorder=0)
        ax.set_title(method)
        ax.set_xlabel("layer")
        ax.set_ylabel(SCORE_LABELS[method])
        ax.set_xticks(layers)
        ax.legend(fontsize=8)
    save_figure(fig, path)


def score_report(scores: dict[str, Any]) -> str:
    """report.md: the scores per layer and the drop order per method and block kind."""
    cal = scores["calibration"]
    protected = ", ".join(map(str, scores["protected"])) or "none"
    lines = [
        f"# Block scores: {scores['model']}",
        "",
        f"{scores['layers']} layers; protected (never dropped): {protected}. "
        f"Calibration: {cal['texts']} texts, {cal['tokens']} tokens.",
        "",
        "Lower scores are dropped first (entropy increase: EntroDrop; 1 - cos: ShortGPT / LLM-Drop; "
        "NLL: SLEB's greedy order).",
        "",
        "![scores per layer](scores.png)",
        "",
    ]
    header = "| method | block | " + " | ".join(str(i) for i in range(scores["layers"])) + " | drop order |"
    lines += [header, "|" + "---|" * (scores["layers"] + 3)]
    for method, by_block in scores["scores"].items():
        for block, values in by_block.items():
            cells = " | ".join("-" if v is None else f"{v:.4g}" for v in values)
            order = ", ".join(map(str, scores["order"][method][block]))
            lines.append(f"| {method} | {block} | {cells} | {order} |")
    if scores.get("seconds"):
        lines += ["", "Seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in scores["seconds"].items()) + "."]
    return "\n".join(lines) + "\n"


def scored_order(cfg: PruneDropConfig, candidates: list[int]) -> list[int]:
    """cfg.by's drop order of cfg.blocks from a `prune score` run, checked against this model: the
    same model name and the same droppable blocks (so the same protected layers and earlier drops)."""
    import json

    path = Path(cfg.scores)
    path = path / "scores.json" if path.is_dir() else path
    if not path.is_file():
        raise ReasonlabError(f"scores not found: {path} (give a `prune score` run folder or its scores.json)")
    try:
        scores = json.loads(path.read_text())
        model, order = scores["model"], scores["order"]
        scored_candidates = scores["candidates"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise ReasonlabError(f"{path}: not the scores.json of a `prune score` run") from None
    if model != cfg.model:
        raise ReasonlabError(f"{path}: scores are of model {model!r}, not {cfg.model!r}")
    if cfg.by not in order or cfg.blocks not in order[cfg.by]:
        raise ReasonlabError(f"{path}: has no {cfg.by} order of {cfg.blocks} blocks (score them with it)")
    if scored_candidates.get(cfg.blocks) != candidates:
        raise ReasonlabError(
            f"{path}: scored {cfg.blocks} blocks of layers {scored_candidates.get(cfg.blocks)}, but here "
            f"{candidates} may be dropped (another --protect, or blocks dropped since)"
        )
    ranked = order[cfg.by][cfg.blocks]
    if len(ranked) < cfg.k:
        raise ReasonlabError(f"{path}: its {cfg.by} order ranks {len(ranked)} blocks, fewer than k={cfg.k}")
    return ranked


def run_drop(
    cfg: PruneDropConfig, out: str | Path, overwrite: bool = False, progress: bool = True
) -> dict[str, Any]:
    """Choose cfg.k blocks by cfg.by, drop them, and save the pruned model folder at `out`."""
    from reasonlab.core.progress import progress_bar
    from reasonlab.core.runs import data_folder, write_json
    from reasonlab.models.loading import load_model
    from reasonlab.models.pruned import PruningPlan, apply_plan, decoder_layers, save_pruned
    from reasonlab.pruning.footprint import footprint
    from reasonlab.pruning.nll import calibration_nll, greedy_passes
    from reasonlab.pruning.ranking import drop_order
    from reasonlab.pruning.select import check_k, choose, droppable, parse_protect

    cfg.validate()
    source = calibration_source(cfg, cfg.heldout)
    with data_folder(out, overwrite) as partial:
        model, tokenizer = load_model(cfg.model, device=cfg.device, dtype=cfg.dtype)
        num_layers = len(decoder_layers(model))
        protected = parse_protect(cfg.protect, num_layers)
        candidates = droppable(model, cfg.blocks, protected)
        check_k(cfg.k, cfg.blocks, candidates, num_layers, protected)
        (texts, heldout), pad = calibration_ids(cfg, source, tokenizer), _pad_id(tokenizer)
        prompt = (heldout or texts)[0][:32]
        if cfg.scores:
            order, details = scored_order(cfg, candidates), {"scores_from": str(cfg.scores)}
        else:
            steps = greedy_passes(len(candidates), cfg.k) if cfg.by == "nll" else len(texts)
            with progress_bar(0 if cfg.by == "random" else steps, f"scoring ({cfg.by})", progress) as advance:
                order, details = drop_order(
                    model, texts, cfg.by, cfg.blocks, candidates, settings_of(cfg), cfg.k, pad, advance
                )
        chosen = choose(order, cfg.k)
        greedy = details.get("nll")  # the greedy search measured the intact model already
        before = greedy["baseline"] if greedy else calibration_nll(model, texts, pad, cfg.batch_size)
        cost_before = footprint(model, heldout, prompt, cfg.decode_tokens, pad, cfg.batch_size)
        apply_plan(model, PruningPlan.of(cfg.blocks, chosen))
        after = calibration_nll(model, texts, pad, cfg.batch_size)
        cost_after = footprint(model, heldout, prompt, cfg.decode_tokens, pad, cfg.batch_size)
        record = {
            "source_model": cfg.model,
            "config": asdict(cfg),
            "blocks": cfg.blocks,
            "dropped": chosen,
            "order": order,
            "protected": protected,
            "layers_before": num_layers,
            "calibration": {"texts": len(texts), "tokens": sum(map(len, texts))},
            "nll_before": before,
            "nll_after": after,
            "heldout_texts": len(heldout),
            "before": cost_before,
            "after": cost_after,
            **details,
        }
        save_pruned(model, tokenizer, partial)
        write_json(partial / "pruning.json", record)
    return record
