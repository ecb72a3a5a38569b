"""`reasonlab grounding eval`: run an adapter over a dataset, score, report, show failures.

Predictions are appended to samples.jsonl as they come (the run resumes after an interruption),
each with the raw response, the scored point and the outcome. The adapter's description (prompt
template, resize rule and its min/max pixels, coordinate convention) goes into summary.json and
report.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.progress import progress_bar
from reasonlab.core.runs import Run
from reasonlab.grounding.adapters import ADAPTERS, Adapter, FileAdapter, OpenAIAdapter, resize_bounds
from reasonlab.grounding.loaders import Dataset, load_dataset
from reasonlab.grounding.parsing import CONVENTIONS, TEMPLATES
from reasonlab.grounding.report import failure_gallery, report_lines, summarize
from reasonlab.grounding.samples import GroundingSample
from reasonlab.grounding.scoring import Prediction, centre, outcome


@dataclass
class GroundingEvalConfig:
    data: str = field(
        default="", metadata={"help": "Dataset folder in its official layout.", "required": True}
    )
    format: str = field(default="osworld-g", metadata={"help": "osworld-g, screenspot-v2 or screenspot-pro."})
    refined: bool = field(default=False, metadata={"help": "OSWorld-G: the refined-instruction variant."})
    adapter: str = field(
        default="ocr",
        metadata={
            "help": "ocr (tesseract), openai (a server), file (predictions) or dom (synthesized sets)."
        },
    )
    predictions: str | None = field(
        default=None, metadata={"help": "file adapter: JSONL of id + response, point or box."}
    )
    base_url: str | None = field(
        default=None, metadata={"help": "openai adapter: e.g. http://localhost:8000/v1"}
    )
    model: str | None = field(default=None, metadata={"help": "openai adapter: the served model name."})
    template: str = field(
        default="point", metadata={"help": "Prompt template: point, qwen25vl, jedi, uitars, holo."}
    )
    convention: str | None = field(
        default=None,
        metadata={
            "help": "Answer coordinates: pixels, smart_resize, rel1000, rel1 (default: the template's)."
        },
    )
    min_pixels: int | None = field(
        default=None,
        metadata={
            "help": "smart_resize lower bound in pixels (default: the template's; qwen25vl and jedi 3136)."
        },
    )
    max_pixels: int | None = field(
        default=None,
        metadata={
            "help": "smart_resize upper bound in pixels (default: the template's; qwen25vl 12845056, jedi "
            "2116800). The openai adapter resizes the screenshot itself; keep this at or below the server's."
        },
    )
    # The items of a grounding benchmark are samples: --num-samples (it was --limit).
    limit: int | None = field(
        default=None, metadata={"help": "Evaluate the first N samples only.", "flag": "--num-samples"}
    )
    gallery: int = field(default=12, metadata={"help": "Failures drawn in failures.png."})

    def validate(self) -> None:
        if self.adapter not in ADAPTERS:
            raise ReasonlabError(f"unknown adapter {self.adapter!r} (one of {', '.join(ADAPTERS)})")
        if self.template not in TEMPLATES:
            raise ReasonlabError(f"unknown prompt template {self.template!r} (one of {', '.join(TEMPLATES)})")
        if self.convention is not None and self.convention not in CONVENTIONS:
            raise ReasonlabError(
                f"unknown coordinate convention {self.convention!r} (one of {', '.join(CONVENTIONS)})"
            )
        if self.adapter == "file" and not self.predictions:
            raise ReasonlabError("--adapter file needs --predictions FILE.jsonl")
        if self.adapter == "openai" and not (self.base_url and self.model):
            raise ReasonlabError("--adapter openai needs --base-url and --model")
        resize_bounds(self.template, self.min_pixels, self.max_pixels)
        if self.limit is not None and self.limit < 1:
            raise ReasonlabError(f"limit must be at least 1, got {self.limit}")


def make_adapter(cfg: GroundingEvalConfig) -> Adapter:
    if cfg.adapter == "file":
        convention = cfg.convention or TEMPLATES[cfg.template].convention
        return FileAdapter(cfg.predictions, convention, cfg.template, cfg.min_pixels, cfg.max_pixels)
    if cfg.adapter == "openai":
        return OpenAIAdapter(
            cfg.base_url,
            cfg.model,
            cfg.template,
            cfg.convention,
            min_pixels=cfg.min_pixels,
            max_pixels=cfg.max_pixels,
        )
    if cfg.adapter == "dom":
        from reasonlab.grounding.synth.oracle import DomAdapter

        return DomAdapter(cfg.data)
    from reasonlab.grounding.ocr import OCRAdapter

    return OCRAdapter()


def prediction_record(sample_id: str, prediction: Prediction, point, result: str) -> dict[str, Any]:
    return {
        "id": sample_id,
        "kind": prediction.kind,
        "coords": list(prediction.coords),
        "point": list(point) if point else None,
        "outcome": result,
        "raw": prediction.raw,
    }


def evaluated_samples(cfg: GroundingEvalConfig, dataset: Dataset) -> list[GroundingSample]:
    """The samples a run scores: the first --num-samples (cfg.limit), or all."""
    return dataset.samples[: cfg.limit] if cfg.limit else dataset.samples


def check_predictions(cfg: GroundingEvalConfig, dataset: Dataset, adapter: Adapter) -> None:
    """Refuse a predictions file none of whose ids is a sample's (before any run folder is made): it
    would score 0% as if the model had failed, when the ids are only named differently."""
    if not isinstance(adapter, FileAdapter):
        return
    samples = evaluated_samples(cfg, dataset)
    if adapter.matching(s.id for s in samples):
        return
    ids = list(adapter.rows)
    example = f" (e.g. prediction id {ids[0]!r}, sample id {samples[0].id!r})" if ids else ""
    raise ReasonlabError(
        f"{adapter.path}: none of the {len(ids)} ids in it match the {len(samples)} samples of "
        f"{dataset.name}{example}"
    )


def predictions_line(matched: dict[str, int]) -> str:
    """How many evaluated samples the predictions file covered, for the console and the report."""
    k, n, rows = matched["matched"], matched["samples"], matched["predictions"]
    line = f"predictions for {k} of {n} samples (the file has {rows} ids)"
    return line if k == n else f"{line}; the other {n - k} count as wrong format"


def run_grounding_eval(
    cfg: GroundingEvalConfig, dataset: Dataset, adapter: Adapter, run: Run, progress: bool = True
) -> dict[str, Any]:
    samples = evaluated_samples(cfg, dataset)
    todo = [s for s in samples if run.done(s.id) is None]
    try:
        with progress_bar(len(todo), f"grounding ({cfg.adapter})", enabled=progress) as advance:
            for sample in todo:
                prediction = adapter.ground(sample)
                point = centre(prediction, sample.image_size)
                run.add(prediction_record(sample.id, prediction, point, outcome(sample, prediction)))
                advance(1)
    finally:
        if hasattr(adapter, "close"):
            adapter.close()
    records = {s.id: run.done(s.id) for s in samples}
    summary = summarize(samples, {k: r["outcome"] for k, r in records.items()})
    failures = [
        (s, Prediction(records[s.id]["kind"], tuple(records[s.id]["coords"]), records[s.id]["raw"]))
        for s in samples
        if records[s.id]["outcome"] != "correct"
    ][: cfg.gallery]
    failure_gallery(failures, run.path("failures.png"))
    summary.update(
        dataset=dataset.name,
        samples=len(samples),
        skipped_records=len(dataset.skipped),
        adapter=adapter.describe(),
        config=asdict(cfg),
    )
    if isinstance(adapter, FileAdapter):
        matched = adapter.matching(s.id for s in samples)
        summary["predictions_matched"] = {
            "matched": matched,
            "samples": len(samples),
            "predictions": len(adapter.rows),
        }
    return summary


def report_markdown(summary: dict[str, Any]) -> str:
    described = ", ".join(
        f"{k}: {v}" for k, v in summary["adapter"].items() if v is not None and k not in ("prompt", "system")
    )
    intro = (
        f"{summary['samples']} samples ({summary['skipped_records']} records skipped on load). {described}."
    )
    if "predictions_matched" in summary:
        matched = predictions_line(summary["predictions_matched"])
        intro += f"\n{matched[:1].upper()}{matched[1:]}."
    lines = [
        f"# Grounding: {summary['dataset']}",
        "",
        intro,
        "",
        *report_lines(summary),
        "",
        "Failures (target in green, predicted point in red): ![failures](failures.png)",
        "",
    ]
    return "\n".join(lines)


def load_and_check(cfg: GroundingEvalConfig) -> Dataset:
    cfg.validate()
    dataset = load_dataset(cfg.data, cfg.format, cfg.refined)
    if not dataset.samples:
        raise ReasonlabError(f"{cfg.data}: no valid samples ({len(dataset.skipped)} records skipped)")
    return dataset
