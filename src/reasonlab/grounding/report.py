"""Grounding results: accuracy overall and by every label, and a gallery of failures."""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path
from typing import Any

from reasonlab.core.runs import write_atomic
from reasonlab.grounding.samples import GroundingSample
from reasonlab.grounding.scoring import Prediction, centre

# label -> how to read it off a sample (lists are multi-label)
SLICES = {
    "category": lambda s: s.categories,
    "gui_type": lambda s: s.gui_types,
    "platform": lambda s: [s.platform] if s.platform else [],
    "data_source": lambda s: [s.data_source] if s.data_source else [],
    "ui_type": lambda s: [s.ui_type] if s.ui_type else [],
    "group": lambda s: [s.group] if s.group else [],
    "target": lambda s: [s.kind],
}


def _cell(outcomes: list[str]) -> dict[str, Any]:
    n = len(outcomes)
    correct = outcomes.count("correct")
    return {
        "total": n,
        "correct": correct,
        "wrong_format": outcomes.count("wrong_format"),
        "accuracy": correct / n if n else float("nan"),
    }


def summarize(samples: list[GroundingSample], outcomes: dict[str, str]) -> dict[str, Any]:
    """`overall` counts refusal items (as OSWorld-G does); `overall_without_refusal` drops them."""
    every = [outcomes[s.id] for s in samples]
    positive = [outcomes[s.id] for s in samples if s.kind != "refusal"]
    by: dict[str, dict[str, Any]] = {}
    for name, labels in SLICES.items():
        groups: dict[str, list[str]] = defaultdict(list)
        for s in samples:
            for label in labels(s):
                groups[str(label)].append(outcomes[s.id])
        if groups:
            by[name] = {label: _cell(v) for label, v in sorted(groups.items())}
    return {
        "overall": _cell(every),
        "overall_without_refusal": _cell(positive),
        "refusal_items": len(every) - len(positive),
        "by": by,
    }


def report_lines(summary: dict[str, Any]) -> list[str]:
    o, p = summary["overall"], summary["overall_without_refusal"]
    lines = [
        "| slice | items | correct | wrong format | accuracy |",
        "|---|---|---|---|---|",
        f"| overall, refusal items included ({summary['refusal_items']}) | {o['total']} | {o['correct']} | "
        f"{o['wrong_format']} | {100 * o['accuracy']:.1f}% |",
        f"| overall, refusal items excluded | {p['total']} | {p['correct']} | {p['wrong_format']} | "
        f"{100 * p['accuracy']:.1f}% |",
    ]
    for name, groups in summary["by"].items():
        for label, c in groups.items():
            lines.append(
                f"| {name}: {label} | {c['total']} | {c['correct']} | {c['wrong_format']} | "
                f"{100 * c['accuracy']:.1f}% |"
            )
    return lines


def failure_gallery(
    failures: list[tuple[GroundingSample, Prediction]], path: Path, columns: int = 3, width: int = 480
) -> None:
    """Screenshots of failed samples, target in green, predicted point in red, instruction below."""
    from PIL import Image, ImageDraw

    tiles = []
    for sample, prediction in failures:
        with Image.open(sample.image) as im:
            shot = im.convert("RGB")
        scale = width / shot.width
        shot = shot.resize((width, max(1, round(shot.height * scale))))
        draw = ImageDraw.Draw(shot)
        if sample.kind == "bbox":
            draw.rectangle([v * scale for v in sample.box], outline=(0, 170, 0), width=3)
        elif sample.kind == "polygon":
            draw.polygon([v * scale for v in sample.polygon], outline=(0, 170, 0), width=3)
        point = centre(prediction, sample.image_size)
        if point is not None and point[0] >= 0 and point[1] >= 0:
            x, y = point[0] * scale, point[1] * scale
            draw.line([x - 9, y - 9, x + 9, y + 9], fill=(220, 0, 0), width=3)
            draw.line([x - 9, y + 9, x + 9, y - 9], fill=(220, 0, 0), width=3)
        answer = {"refusal": "refused", "unparsed": "unparsed answer"}.get(prediction.kind, "")
        caption = f"{sample.id}: {sample.instruction[:70]}" + (f" [{answer}]" if answer else "")
        tile = Image.new("RGB", (width, shot.height + 22), "white")
        tile.paste(shot, (0, 0))
        ImageDraw.Draw(tile).text((4, shot.height + 5), caption, fill=(0, 0, 0))
        tiles.append(tile)
    if not tiles:
        return
    rows = -(-len(tiles) // columns)
    row_heights = [max(t.height for t in tiles[r * columns : (r + 1) * columns]) for r in range(rows)]
    sheet = Image.new("RGB", (columns * (width + 8), sum(row_heights) + 8 * rows), (235, 235, 235))
    y = 0
    for r in range(rows):
        for c, tile in enumerate(tiles[r * columns : (r + 1) * columns]):
            sheet.paste(tile, (c * (width + 8), y))
        y += row_heights[r] + 8
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    write_atomic(Path(path), buf.getvalue())
