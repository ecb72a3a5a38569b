"""`reasonlab grounding eval`: GUI grounding benchmarks (OSWorld-G, ScreenSpot-v2/Pro)."""

from __future__ import annotations

import typer

from reasonlab.cli.common import console
from reasonlab.cli.options import ConfigFlags, config_options
from reasonlab.core.runs import open_run
from reasonlab.grounding.synth.synthesize import SynthConfig
from reasonlab.jobs.grounding import GroundingEvalConfig, predictions_line

app = typer.Typer(help="GUI grounding: benchmark harness and data synthesis.", no_args_is_help=True)


@app.command("eval")
@config_options(GroundingEvalConfig, renamed={"--limit": "--num-samples"})
def eval_cmd(
    flags: ConfigFlags,
    out: str = typer.Option(None, help="Run folder (default runs/grounding-<config hash>)."),
    overwrite: bool = typer.Option(False, help="Replace an existing run folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
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

    cfg = flags.build(GroundingEvalConfig)
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
@config_options(SynthConfig, renamed={"--n": "--num-samples"})
def synth_cmd(
    flags: ConfigFlags,
    out: str = typer.Option(..., help="Folder for the set (OSWorld-G layout)."),
    overwrite: bool = typer.Option(False, help="Replace an existing data folder."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Render UI pages in headless Chromium and write a grounding set with DOM-exact boxes."""
    from reasonlab.grounding.synth.synthesize import synthesize

    cfg = flags.build(SynthConfig)
    stats = synthesize(cfg, out, progress=progress, overwrite=overwrite)
    cats = ", ".join(f"{k} {v}" for k, v in stats["per_category"].items())
    console.print(
        f"wrote {stats['samples']} samples from {stats['pages']} pages to {out} "
        f"({stats['samples_per_second']:.1f} samples/s): {cats}"
    )
