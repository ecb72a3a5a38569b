"""`reasonlab rsd` as a job: RSD at each delta and the baselines, on the same problems and one
ledger, in a run folder that resumes chunk by chunk; accuracy against FLOPs as JSON and a plot."""

from __future__ import annotations

from collections.abc import Callable

from reasonlab.core.runs import Run
from reasonlab.speculative.config import RSDRunConfig


def method_names(cfg: RSDRunConfig) -> list[str]:
    names = [f"rsd delta={d:g}" for d in cfg.deltas()]
    for b in cfg.baseline_list():
        if b == "best-of-n":
            names += [f"best-of-{n}" for n in cfg.best_of_ns()]
        else:
            names.append("assisted" if b == "assisted" else f"{b} only")
    return names


def _record(texts: list[str], problems, task, close: str, ledgers: dict, extra: dict | None = None) -> dict:
    return {
        "correct": [bool(task.score(p, t, close)) for p, t in zip(problems, texts)],
        "ledgers": {name: ledger.to_dict() for name, ledger in ledgers.items()},
        **(extra or {}),
    }


def run_chunk(cfg: RSDRunConfig, models: dict, problems, task) -> dict:
    """Every method on one chunk of problems: {method: record}."""
    from reasonlab.models.loading import chat_prompt_ids
    from reasonlab.rewards.prm import IncrementalPRM
    from reasonlab.speculative.baselines import assisted, best_of_n, single_model
    from reasonlab.speculative.rsd import RSDConfig, rsd_generate

    draft, target, prm, think = models["draft"], models["target"], models["prm"], models["think"]
    tok = draft.tokenizer
    prompts = [chat_prompt_ids(tok, p.question, None, think) for p in problems]
    decode = lambda ids: tok.decode(ids, skip_special_tokens=True)  # noqa: E731
    close = think.close_text
    out = {}
    for delta in cfg.deltas():
        rsd = RSDConfig(
            delta=delta, weighting=cfg.weighting, alpha=cfg.alpha, max_steps=cfg.max_steps,
            max_tokens=cfg.max_tokens, seed=cfg.seed,
        )  # fmt: skip
        solutions, ledgers = rsd_generate(draft, target, IncrementalPRM(prm), prompts, rsd)
        steps = [len(s.steps) for s in solutions]
        drafted = [sum(x.source == "draft" for x in s.steps) for s in solutions]
        out[f"rsd delta={delta:g}"] = _record(
            [decode(s.token_ids) for s in solutions], problems, task, close, ledgers,
            {"steps": steps, "draft_steps": drafted},
        )  # fmt: skip
    baselines = cfg.baseline_list()
    for name, engine in (("target", target), ("draft", draft)):
        if name in baselines:
            ids, ledger = single_model(engine, prompts, cfg.max_tokens)
            out[f"{name} only"] = _record([decode(x) for x in ids], problems, task, close, {name: ledger})
    if "best-of-n" in baselines:
        questions = [p.question for p in problems]
        candidates = best_of_n(
            draft,
            prm,
            questions,
            prompts,
            max(cfg.best_of_ns()),
            cfg.max_tokens,
            cfg.bon_temperature,
            cfg.seed,
        )
        for n in cfg.best_of_ns():
            ids, ledgers = candidates.choose(n)
            out[f"best-of-{n}"] = _record([decode(x) for x in ids], problems, task, close, ledgers)
    if "assisted" in baselines:
        ids, ledgers = assisted(target.model, draft.model, prompts, cfg.max_tokens, tok.eos_token_id)
        out["assisted"] = _record([decode(x) for x in ids], problems, task, close, ledgers)
    return out


def model_folders(cfg: RSDRunConfig) -> dict:
    """Draft, target and PRM folders by role: the inputs a run fingerprints, so that chunks made by
    models since retrained are never reused."""
    from reasonlab.models.loading import resolve_model_path

    return {name: resolve_model_path(getattr(cfg, name)) for name in ("draft", "target", "prm")}


def load_models(cfg: RSDRunConfig) -> dict:
    """Engines for draft and target, the PRM, the thinking format; refuses mismatched tokenizers."""
    from reasonlab.core.errors import ReasonlabError
    from reasonlab.engines.hf import HFEngine
    from reasonlab.models.think import detect_think_format
    from reasonlab.rewards.prm import load_prm
    from reasonlab.speculative.rsd import RSDConfig, check_tokenizers

    draft = HFEngine.from_pretrained(cfg.draft, device=cfg.device, dtype=cfg.dtype)
    target = HFEngine.from_pretrained(cfg.target, device=cfg.device, dtype=cfg.dtype)
    prm = load_prm(cfg.prm, device=cfg.device, dtype="float32" if cfg.dtype == "auto" else cfg.dtype)
    check_tokenizers(draft, target, prm)
    delimiter = RSDConfig().delimiter
    if prm.layout.step_separator != delimiter:
        raise ReasonlabError(
            f"the PRM {cfg.prm} scores steps ended by {prm.layout.step_separator!r}; RSD's steps end at "
            f"{delimiter!r}"
        )
    think = detect_think_format(draft.tokenizer, model_name=cfg.draft)
    return {"draft": draft, "target": target, "prm": prm, "think": think}


def summarize(cfg: RSDRunConfig, records: list[dict]) -> dict:
    """Per method: accuracy, FLOPs (prefill included, and as the official code counts them, generated
    tokens only) and wall seconds per problem, each model's and in all; for RSD the share of steps
    the draft wrote; ratios against the target alone."""
    methods = {}
    for name in method_names(cfg):
        rows = [r["methods"][name] for r in records if name in r["methods"]]
        if not rows:
            continue
        correct = [c for r in rows for c in r["correct"]]
        n = len(correct)
        per_model: dict[str, dict[str, float]] = {}
        for r in rows:
            for model, ledger in r["ledgers"].items():
                acc = per_model.setdefault(
                    model, {"flops": 0.0, "generated_flops": 0.0, "seconds": 0.0, "tokens": 0}
                )
                acc["flops"] += ledger["flops"]
                acc["generated_flops"] += 2.0 * ledger["params"] * ledger["generated"]
                acc["seconds"] += ledger["seconds"]
                acc["tokens"] += ledger["generated"] + ledger["prefill_computed"]
        entry = {
            "accuracy": sum(correct) / n,
            "problems": n,
            "flops_per_problem": sum(m["flops"] for m in per_model.values()) / n,
            # The official code's count: generated tokens only (no prefill, and so no PRM).
            "generated_flops_per_problem": sum(m["generated_flops"] for m in per_model.values()) / n,
            "seconds_per_problem": sum(m["seconds"] for m in per_model.values()) / n,
            "by_model": {m: {k: v / n for k, v in figures.items()} for m, figures in per_model.items()},
        }
        if "steps" in rows[0]:
            steps = sum(sum(r["steps"]) for r in rows)
            entry["draft_step_share"] = sum(sum(r["draft_steps"]) for r in rows) / max(1, steps)
            draft = [r["ledgers"]["draft"] for r in rows]
            entry["draft_token_acceptance"] = sum(x["accepted"] for x in draft) / max(
                1, sum(x["generated"] for x in draft)
            )
        methods[name] = entry
    base = methods.get("target only")
    if base:
        for entry in methods.values():
            entry["flops_vs_target"] = entry["flops_per_problem"] / base["flops_per_problem"]
            entry["generated_flops_vs_target"] = (
                entry["generated_flops_per_problem"] / base["generated_flops_per_problem"]
            )
            entry["seconds_vs_target"] = entry["seconds_per_problem"] / base["seconds_per_problem"]
    return {"methods": methods}


def plot(summary: dict, path, title: str) -> None:
    from reasonlab.core.plots import new_figure, save_figure

    fig, ax = new_figure(6.5, 4.2)
    groups = {
        "rsd": ("RSD (by delta)", "o-"),
        "best-of": ("draft best-of-N + PRM", "s--"),
    }
    for prefix, (label, style) in groups.items():
        pts = sorted(
            (m["flops_per_problem"], m["accuracy"], name)
            for name, m in summary["methods"].items()
            if name.startswith(prefix)
        )
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label)
            for x, y, name in pts:
                ax.annotate(
                    name.split(" ")[-1].replace("delta=", "").replace("best-of-", "N="), (x, y), fontsize=7
                )
    for name in ("target only", "draft only", "assisted"):
        if name in summary["methods"]:
            m = summary["methods"][name]
            ax.plot([m["flops_per_problem"]], [m["accuracy"]], "*", markersize=11, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("FLOPs per problem (2N x tokens, every model)")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(fontsize=8)
    save_figure(fig, path)


def run_rsd(cfg: RSDRunConfig, run: Run, progress: bool = True, say: Callable[[str], None] = print) -> dict:
    """Chunks of problems, each a record of every method's results (resumable); the summary."""
    from reasonlab.core.errors import ReasonlabError
    from reasonlab.core.progress import progress_bar
    from reasonlab.jobs.common import load_task

    task = load_task(cfg)
    if len(task) == 0:
        raise ReasonlabError(f"{cfg.dataset or cfg.task}: no problems to solve")
    problems = [task.problem(i) for i in range(min(cfg.num_problems, len(task)))]
    chunks = [problems[i : i + cfg.chunk] for i in range(0, len(problems), cfg.chunk)]
    models = None
    with progress_bar(len(problems), "rsd", enabled=progress) as advance:
        for k, chunk in enumerate(chunks):
            if run.done(f"chunk-{k}") is not None:
                advance(len(chunk))
                continue
            models = models or load_models(cfg)
            run.add({"id": f"chunk-{k}", "methods": run_chunk(cfg, models, chunk, task)})
            advance(len(chunk))
    summary = summarize(cfg, list(run.records()))
    plot(
        summary,
        run.path("accuracy_vs_flops.png"),
        f"RSD on {cfg.dataset or cfg.task} ({len(problems)} problems)",
    )
    return summary
