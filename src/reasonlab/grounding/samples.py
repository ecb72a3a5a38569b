"""One grounding sample: a screenshot, an instruction and where the answer must land."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

TARGET_KINDS = ("bbox", "polygon", "refusal")


@dataclass
class GroundingSample:
    """`box` is [x1, y1, x2, y2] in pixels for bbox targets; `polygon` a flat [x0, y0, x1, y1, ...]
    in pixels; a refusal target has neither (the element is not on the screen)."""

    id: str
    image: Path
    image_size: tuple[int, int]  # (width, height)
    instruction: str
    kind: str  # bbox | polygon | refusal
    box: tuple[float, float, float, float] | None = None
    polygon: tuple[float, ...] | None = None
    categories: list[str] = field(default_factory=list)  # OSWorld-G classification (multi-label)
    gui_types: list[str] = field(default_factory=list)
    platform: str | None = None
    data_source: str | None = None  # ScreenSpot-v2 data_source, ScreenSpot-Pro application
    ui_type: str | None = None  # text | icon
    group: str | None = None  # ScreenSpot-Pro group (Dev, Creative, CAD, ...)

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["image"] = str(self.image)
        return d
