"""`reasonlab grounding eval`: GUI grounding benchmarks (OSWorld-G, ScreenSpot-v2/Pro)."""

from __future__ import annotations

import typer

from reasonlab.cli.common import config_from, console, validated
from reasonlab.core.runs import open_run
from reasonlab.grounding.synth.synthesize import SynthConfig
from reasonlab.jobs.grounding import GroundingEvalConfig, predictions_line

app = typer.Typer(help="GUI grounding: benchmark harness and data synthesis.", no_args_is_help=True)
G = GroundingEvalConfig()
S = SynthConfig()


@app.command("eval")
def eval_cmd(
    data: str = typer.Option(..., help="Dataset folder in its official layout."),
    format: str = typer.Option(G.format, help="osworld-g, screenspot-v2 or screenspot-pro."),
    refined: bool = typer.Option(G.refined, help="OSWorld-G: the refined-instruction variant."),
    adapter: str = typer.Option(
        G.adapter, help="ocr (tesseract), openai (a server), file (predictions) or dom (synthesized sets)."
    ),
    predictions: str = typer.Option(None, help="file adapter: JSONL of id + response, point or box."),
    base_url: str = typer.Option(None, help="openai adapter: e.g. http://localhost:8000/v1"),
    model: str = typer.Option(None, help="openai adapter: the served model name."),
    template: str = typer.Option(G.template, help="Prompt template: point, qwen25vl, jedi, uitars, holo."),
    convention: str = typer.Option(
        None, help="Answer coordinates: pixels, smart_resize, rel1000, rel1 (default: the template's)."
    ),
    min_pixels: int = typer.Option(
        None,
        help="smart_resize lower bound in pixels (default: the template's; qwen25vl and jedi 3136).",
    ),
    max_pixels: int = typer.Option(
        None,
        help="smart_resize upper bound in pixels (default: the template's; qwen25vl 12845056, jedi "
        "2116800). The openai adapter resizes the screenshot itself; keep this at or below the server's.",
    ),
    limit: int = typer.Option(None, help="Evaluate the first N samples only."),
    gallery: int = typer.Option(G.gallery, help="Failures drawn in failures.png."),
    out: str = typer.Option(None, help="Run folder (default runs/grounding-<config hash>)."),
    overwrite: bool = typer.Option(False),
    progress: bool = typer.Option(True),
) -> None:
    """Score a grounding model on a benchmark: overall (with and without refusal items) and per label."""
    from reasonlab.jobs.common import config_dict
    from reasonlab.jobs.grounding import (
        check_predictions,
        load_and_check,
        make_adapter,
        report_markdown,
        run_grounding_eval,
    )

    cfg = config_from(GroundingEvalConfig, locals())
    dataset = load_and_check(cfg)
    for line in dataset.skipped[:10]:
        console.print(f"skipped {line}")
    if dataset.skipped:
        console.print(
            f"skipped {len(dataset.skipped)} of {len(dataset.skipped) + len(dataset.samples)} records"
        )
    grounder = make_adapter(cfg)
    check_predictions(cfg, dataset, grounder)
    inputs = {"data": cfg.data, "predictions": cfg.predictions}
    with open_run(
        "grounding",
        config_dict(cfg),
        out=out,
        inputs=inputs,
        overwrite=overwrite,
        unit="samples",
        say=console.print,
    ) as run:
        summary = run_grounding_eval(cfg, dataset, grounder, run, progress=progress)
        folder = run.finish(summary, report_markdown(summary))
    o, p = summary["overall"], summary["overall_without_refusal"]
    console.print(
        f"{summary['dataset']}: {100 * o['accuracy']:.1f}% of {o['total']} (refusal items included), "
        f"{100 * p['accuracy']:.1f}% of {p['total']} without them"
    )
    if "predictions_matched" in summary:
        console.print(predictions_line(summary["predictions_matched"]))
    for name, groups in summary["by"].items():
        if name in ("category", "platform", "ui_type", "group", "target"):
            cells = ", ".join(f"{k} {100 * v['accuracy']:.1f}% ({v['total']})" for k, v in groups.items())
            console.print(f"  {name}: {cells}")
    console.print(f"run folder: {folder} (failures.png shows what went wrong)")


@app.command("synth")
def synth_cmd(
    out: str = typer.Option(..., help="Folder for the set (OSWorld-G layout)."),
    n: int = typer.Option(S.n, help="Samples to synthesize."),
    per_page: int = typer.Option(S.per_page, help="Samples drawn from one rendered page."),
    seed: int = typer.Option(S.seed),
    overwrite: bool = typer.Option(False, help="Replace an existing data folder."),
    progress: bool = typer.Option(True),
) -> None:
    """Render UI pages in headless Chromium and write a grounding set with DOM-exact boxes."""
    from reasonlab.grounding.synth.synthesize import synthesize

    cfg = validated(SynthConfig(n=n, per_page=per_page, seed=seed), flags={"n": "--n"})
    stats = synthesize(cfg, out, progress=progress, overwrite=overwrite)
    cats = ", ".join(f"{k} {v}" for k, v in stats["per_category"].items())
    console.print(
        f"wrote {stats['samples']} samples from {stats['pages']} pages to {out} "
        f"({stats['samples_per_second']:.1f} samples/s): {cats}"
    )
