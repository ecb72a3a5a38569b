"""The official grounding rules (OSWorld-G's evaluator, ScreenSpot-Pro's outcomes).

A prediction is reduced to one point: the centre of a predicted box, or the point itself. When
every coordinate lies in [0, 1] the prediction is read as relative and scaled by the image size.
bbox targets contain the point inclusively on all edges; polygons use the even-odd rule; a
refusal target is answered correctly only when both centre coordinates are negative (models say
[-1, -1, -1, -1]). An answer that could not be parsed is `wrong_format`: wrong, never a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from reasonlab.grounding.samples import GroundingSample

PREDICTION_KINDS = ("point", "box", "refusal", "unparsed")
OUTCOMES = ("correct", "wrong", "wrong_format")


@dataclass
class Prediction:
    kind: str  # point | box | refusal | unparsed
    coords: tuple[float, ...] = ()  # (x, y) or (x1, y1, x2, y2), pixels or [0, 1] relative
    raw: str = ""  # the model's response, kept for the record

    @classmethod
    def refusal(cls, raw: str = "") -> Prediction:
        return cls("refusal", (-1.0, -1.0, -1.0, -1.0), raw)

    @classmethod
    def unparsed(cls, raw: str = "") -> Prediction:
        return cls("unparsed", (), raw)


def centre(prediction: Prediction, image_size: tuple[int, int]) -> tuple[float, float] | None:
    """The point that is scored, in pixels; None for an unparsed answer."""
    if prediction.kind == "unparsed" or len(prediction.coords) not in (2, 4):
        return None
    c = prediction.coords if len(prediction.coords) == 4 else prediction.coords * 2
    if all(0 <= v <= 1 for v in c):
        w, h = image_size
        c = (c[0] * w, c[1] * h, c[2] * w, c[3] * h)
    return (c[0] + c[2]) / 2, (c[1] + c[3]) / 2


def in_box(x: float, y: float, box: tuple[float, float, float, float]) -> bool:
    x1, y1, x2, y2 = box
    return x1 <= x <= x2 and y1 <= y <= y2


def in_polygon(x: float, y: float, flat: tuple[float, ...]) -> bool:
    """Even-odd rule by ray casting to the right."""
    points = list(zip(flat[0::2], flat[1::2]))
    inside = False
    for (xa, ya), (xb, yb) in zip(points, points[1:] + points[:1]):
        if (ya > y) != (yb > y):
            cross = xa + (y - ya) * (xb - xa) / (yb - ya)
            if x < cross:
                inside = not inside
    return inside


def outcome(sample: GroundingSample, prediction: Prediction) -> str:
    point = centre(prediction, sample.image_size)
    if point is None:
        return "wrong_format"
    x, y = point
    if sample.kind == "refusal":
        ok = x < 0 and y < 0
    elif sample.kind == "bbox":
        ok = in_box(x, y, sample.box)
    else:
        ok = in_polygon(x, y, sample.polygon)
    return "correct" if ok else "wrong"
