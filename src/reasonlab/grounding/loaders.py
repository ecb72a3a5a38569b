"""Loaders for OSWorld-G, ScreenSpot-v2 and ScreenSpot-Pro from their official local layouts.

    OSWorld-G       <root>/OSWorld-G.json (or OSWorld-G_refined.json), <root>/images/,
                    <root>/classification_result.json
    ScreenSpot-v2   <root>/screenspot_{desktop,mobile,web}_v2.json, <root>/screenspotv2_image/
    ScreenSpot-Pro  <root>/annotations/*.json, <root>/images/

Every record is validated; a bad one is skipped and reported as `file: id: reason`, and the
loader's `skipped` list says how many, so nothing disappears silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.grounding.samples import TARGET_KINDS, GroundingSample

FORMATS = ("osworld-g", "screenspot-v2", "screenspot-pro")


@dataclass
class Dataset:
    name: str
    samples: list[GroundingSample]
    skipped: list[str] = field(default_factory=list)  # "file: id: reason"


class BadRecord(ValueError):
    pass


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise ReasonlabError(f"{path}: no such file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ReasonlabError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None


def _numbers(value: Any, what: str, count: int | None = None) -> list[float]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        raise BadRecord(f"{what} must be a list of numbers, got {value!r}")
    if count is not None and len(value) != count:
        raise BadRecord(f"{what} must have {count} numbers, got {len(value)}")
    return [float(v) for v in value]


def _text(record: dict, key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRecord(f"missing or empty {key!r}")
    return value


def _size(value: Any, what: str) -> tuple[int, int]:
    w, h = _numbers(value, what, 2)
    if w <= 0 or h <= 0:
        raise BadRecord(f"{what} must be positive, got {value!r}")
    return int(w), int(h)


def _image(root: Path, relative: str) -> Path:
    path = root / relative
    if not path.is_file():
        raise BadRecord(f"image {path} not found")
    return path


def _image_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def _box(x1: float, y1: float, x2: float, y2: float, size: tuple[int, int]) -> tuple[float, ...]:
    if x2 < x1 or y2 < y1:
        raise BadRecord(f"box [{x1}, {y1}, {x2}, {y2}] has negative width or height")
    if x1 > size[0] or y1 > size[1]:
        raise BadRecord(f"box [{x1}, {y1}, {x2}, {y2}] starts outside the {size[0]}x{size[1]} image")
    return x1, y1, x2, y2


def _records(path: Path) -> list:
    data = _read_json(path)
    if not isinstance(data, list):
        raise ReasonlabError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    return data


def _collect(path: Path, records: list, build, samples: list, skipped: list) -> None:
    for k, record in enumerate(records):
        rid = record.get("id", f"#{k}") if isinstance(record, dict) else f"#{k}"
        try:
            if not isinstance(record, dict):
                raise BadRecord("not a JSON object")
            samples.append(build(record, k))
        except BadRecord as e:
            skipped.append(f"{path}: {rid}: {e}")


def load_osworld_g(
    root: str | Path, refined: bool = False, classification: str | Path | None = None
) -> Dataset:
    """OSWorld-G; `refined` reads the refined-instruction variant (same ids)."""
    root = Path(root)
    path = root / ("OSWorld-G_refined.json" if refined else "OSWorld-G.json")
    cls_path = Path(classification) if classification else root / "classification_result.json"
    categories: dict[str, list[str]] = {}
    if cls_path.exists():
        classified = _read_json(cls_path)
        if not isinstance(classified, dict) or not isinstance(classified.get("classified"), dict):
            raise ReasonlabError(f'{cls_path}: expected {{"classified": {{category: [{{"id": ...}}]}}}}')
        for category, items in classified["classified"].items():
            for item in items:
                if isinstance(item, dict) and "id" in item:
                    categories.setdefault(str(item["id"]), []).append(category)

    def build(record: dict, k: int) -> GroundingSample:
        rid = str(record.get("id", "")) or f"#{k}"
        size = _size(record.get("image_size"), "image_size")
        kind = record.get("box_type")
        if kind not in TARGET_KINDS:
            raise BadRecord(f"box_type must be one of {', '.join(TARGET_KINDS)}, got {kind!r}")
        box = polygon = None
        if kind == "bbox":
            x, y, w, h = _numbers(record.get("box_coordinates"), "box_coordinates", 4)
            box = _box(x, y, x + w, y + h, size)
        elif kind == "polygon":
            polygon = tuple(_numbers(record.get("box_coordinates"), "box_coordinates"))
            if len(polygon) < 6 or len(polygon) % 2:
                raise BadRecord(f"polygon needs at least 3 (x, y) pairs, got {len(polygon)} numbers")
        gui = record.get("GUI_types") or []
        return GroundingSample(
            id=rid,
            image=_image(root / "images", _text(record, "image_path")),
            image_size=size,
            instruction=_text(record, "instruction"),
            kind=kind,
            box=box,
            polygon=polygon,
            categories=categories.get(rid, ["unclassified"]),
            gui_types=[str(g) for g in gui] if isinstance(gui, list) else [str(gui)],
        )

    samples: list[GroundingSample] = []
    skipped: list[str] = []
    _collect(path, _records(path), build, samples, skipped)
    return Dataset("osworld-g-refined" if refined else "osworld-g", samples, skipped)


def load_screenspot_v2(root: str | Path) -> Dataset:
    """ScreenSpot-v2: bbox [x, y, w, h]; the platform is the file's (desktop, mobile, web)."""
    root = Path(root)
    files = sorted(root.glob("screenspot_*_v2.json"))
    if not files:
        raise ReasonlabError(f"{root}: no screenspot_*_v2.json files")
    images = root / "screenspotv2_image"
    samples: list[GroundingSample] = []
    skipped: list[str] = []
    for path in files:
        platform = path.stem.split("_")[1]

        def build(record: dict, k: int, platform=platform, path=path) -> GroundingSample:
            image = _image(images, _text(record, "img_filename"))
            size = _image_size(image)
            x, y, w, h = _numbers(record.get("bbox"), "bbox", 4)
            return GroundingSample(
                id=str(record.get("id", f"{path.stem}#{k}")),
                image=image,
                image_size=size,
                instruction=_text(record, "instruction"),
                kind="bbox",
                box=_box(x, y, x + w, y + h, size),
                platform=platform,
                data_source=record.get("data_source"),
                ui_type=record.get("data_type"),
            )

        _collect(path, _records(path), build, samples, skipped)
    return Dataset("screenspot-v2", samples, skipped)


def load_screenspot_pro(root: str | Path) -> Dataset:
    """ScreenSpot-Pro: bbox [x1, y1, x2, y2] with img_size, platform, application, group, ui_type."""
    root = Path(root)
    files = sorted((root / "annotations").glob("*.json"))
    if not files:
        raise ReasonlabError(f"{root / 'annotations'}: no annotation files")
    samples: list[GroundingSample] = []
    skipped: list[str] = []
    for path in files:

        def build(record: dict, k: int, path=path) -> GroundingSample:
            size = _size(record.get("img_size"), "img_size")
            x1, y1, x2, y2 = _numbers(record.get("bbox"), "bbox", 4)
            return GroundingSample(
                id=str(record.get("id", f"{path.stem}#{k}")),
                image=_image(root / "images", _text(record, "img_filename")),
                image_size=size,
                instruction=_text(record, "instruction"),
                kind="bbox",
                box=_box(x1, y1, x2, y2, size),
                platform=record.get("platform"),
                data_source=record.get("application"),
                ui_type=record.get("ui_type"),
                group=record.get("group"),
            )

        _collect(path, _records(path), build, samples, skipped)
    return Dataset("screenspot-pro", samples, skipped)


def load_dataset(root: str | Path, fmt: str, refined: bool = False) -> Dataset:
    if fmt not in FORMATS:
        raise ReasonlabError(f"unknown dataset format {fmt!r} (one of {', '.join(FORMATS)})")
    if fmt == "osworld-g":
        return load_osworld_g(root, refined=refined)
    if refined:
        raise ReasonlabError("--refined applies to osworld-g only")
    return load_screenspot_v2(root) if fmt == "screenspot-v2" else load_screenspot_pro(root)
