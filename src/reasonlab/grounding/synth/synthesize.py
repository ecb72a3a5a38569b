"""Render synthesized pages in Chromium and write an OSWorld-G-format grounding set.

    <out>/OSWorld-G.json               records (bbox [x, y, w, h], refusal), image_size, GUI_types
    <out>/classification_result.json   {"classified": {category: [{"id": ...}]}}
    <out>/images/page_XXXX.png         screenshots (one page serves several samples)
    <out>/pages/page_XXXX.html         the HTML, so the dom oracle can render it again
    <out>/oracle.json                  per sample: how to find the target in the DOM
    <out>/synth.json                   the generator's settings

Deterministic under a seed: page k is built from random.Random(f"{seed}:{k}").
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.progress import progress_bar
from reasonlab.core.runs import data_folder, write_atomic
from reasonlab.grounding.browser import Browser
from reasonlab.grounding.synth import instructions as ins
from reasonlab.grounding.synth.geometry import element_boxes, fine_box
from reasonlab.grounding.synth.page import make_page


@dataclass
class SynthConfig:
    # Fields are `reasonlab grounding synth` flags (metadata "help"); n is --num-samples (it was --n).
    n: int = field(default=500, metadata={"help": "Samples to synthesize.", "flag": "--num-samples"})
    per_page: int = field(
        default=6, metadata={"help": "Samples drawn from one rendered page (its screenshot is shared)."}
    )
    seed: int = field(default=0, metadata={"help": "Seed of the pages and instructions."})

    def validate(self) -> None:
        if self.n < 1 or self.per_page < 1:
            raise ReasonlabError(f"n and per_page must be at least 1, got {self.n} and {self.per_page}")


def page_targets(browser: Browser, page, rng: random.Random, per_page: int) -> list[ins.Target]:
    boxes = element_boxes(browser)
    parts = [
        p
        for c in page.components
        for p in c.parts
        if p.rid in boxes and ins.inside(boxes[p.rid], page.width, page.height)
    ]
    fines = [f for c in page.components for f in c.fine]
    fine_boxes = {}
    for f in fines:
        box = fine_box(browser, f.kind, f.rid, f.params)
        if box is not None and ins.inside(box, page.width, page.height):
            fine_boxes[id(f)] = box
    candidates = {
        "text_matching": ins.text_targets(parts, boxes, rng),
        "element_recognition": ins.recognition_targets(parts, boxes, rng),
        "layout_understanding": ins.layout_targets(parts, boxes, rng),
        "fine_grained_manipulation": ins.fine_targets(fines, fine_boxes),
        "refusal": ins.refusal_targets(parts, rng, k=1 if rng.random() < 0.7 else 0),
    }
    return ins.choose(candidates, per_page, rng)


def synthesize(cfg: SynthConfig, out: str | Path, progress: bool = True, overwrite: bool = False) -> dict:
    """Write the set into `<out>` (built in `<out>.partial`, renamed when complete, so an interrupted
    run leaves nothing); an existing non-empty `<out>` is replaced only with `overwrite`. Returns
    stats."""
    cfg.validate()
    with data_folder(out, overwrite) as tmp:
        return _synthesize_into(cfg, tmp, progress)


def _synthesize_into(cfg: SynthConfig, tmp: Path, progress: bool) -> dict:
    (tmp / "images").mkdir()
    (tmp / "pages").mkdir()
    records, oracle = [], {}
    classified: dict[str, list[dict]] = {c: [] for c in ins.CATEGORIES}
    start = time.perf_counter()
    pages = 0
    with Browser() as browser, progress_bar(cfg.n, "synthesizing", enabled=progress) as advance:
        while len(records) < cfg.n:
            rng = random.Random(f"{cfg.seed}:{pages}")
            page = make_page(rng)
            name = f"page_{pages:04d}"
            pages += 1
            png = browser.render(page.html, page.width, page.height)
            targets = page_targets(browser, page, rng, min(cfg.per_page, cfg.n - len(records)))
            if not targets:
                continue
            write_atomic(tmp / "images" / f"{name}.png", png)
            write_atomic(tmp / "pages" / f"{name}.html", page.html)
            for k, t in enumerate(targets):
                sid = f"{name}-{k}"
                record = {
                    "id": sid,
                    "image_path": f"{name}.png",
                    "image_size": [page.width, page.height],
                    "instruction": t.instruction,
                    "box_type": "refusal" if t.box is None else "bbox",
                    "box_coordinates": [-1, -1, -1, -1]
                    if t.box is None
                    else [t.box[0], t.box[1], t.box[2] - t.box[0], t.box[3] - t.box[1]],
                    "GUI_types": [t.gui_type],
                }
                records.append(record)
                classified[t.category].append({"id": sid})
                oracle[sid] = {"page": f"{name}.html", "viewport": [page.width, page.height], **t.oracle}
            advance(len(targets))
    seconds = time.perf_counter() - start
    write_atomic(tmp / "OSWorld-G.json", json.dumps(records, indent=1))
    write_atomic(tmp / "classification_result.json", json.dumps({"classified": classified}, indent=1))
    write_atomic(tmp / "oracle.json", json.dumps(oracle, indent=1))
    stats = {
        "samples": len(records),
        "pages": pages,
        "seconds": seconds,
        "samples_per_second": len(records) / seconds,
        "per_category": {c: len(v) for c, v in classified.items()},
    }
    write_atomic(tmp / "synth.json", json.dumps({"config": asdict(cfg), **stats}, indent=1))
    return stats
