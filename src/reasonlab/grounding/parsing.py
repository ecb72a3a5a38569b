"""From a model's text to a scored prediction: prompt templates, response parsing, coordinates.

Published grounding numbers differ mostly in three hidden choices: the prompt, how the image was
resized, and the coordinate convention of the answer. All three are named here and recorded with
every result. Conventions:

    pixels        pixels of the original screenshot
    smart_resize  pixels of the image as Qwen2.5-VL's processor resized it (multiples of 28
                  between min_pixels and max_pixels); scaled back to the original
    rel1000       0-1000 relative (UI-TARS, Holo)
    rel1          0-1 relative
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from reasonlab.core.errors import ReasonlabError
from reasonlab.grounding.scoring import Prediction

CONVENTIONS = ("pixels", "smart_resize", "rel1000", "rel1")


@dataclass(frozen=True)
class Template:
    prompt: str  # with {instruction}
    convention: str  # the coordinate convention its models answer in
    system: str | None = None


TEMPLATES: dict[str, Template] = {
    "point": Template(
        "Find the element described below on the screenshot and answer with the pixel coordinates of "
        "its centre as (x, y). If it is not on the screen, answer (-1, -1).\n{instruction}",
        "pixels",
    ),
    "qwen25vl": Template(
        'Locate "{instruction}" on the screen; output its bbox_2d in JSON format.', "smart_resize"
    ),
    "jedi": Template(
        "{instruction}",
        "smart_resize",
        system=(
            "You are a GUI agent. Given a screenshot and an instruction, call the computer_use tool "
            'with {"action": "left_click", "coordinate": [x, y]} on the element the instruction names.'
        ),
    ),
    "uitars": Template(
        "Output only the coordinate of one point in your response. What element matches the "
        "following task: {instruction}",
        "rel1000",
    ),
    "holo": Template(
        "Localize an element on the GUI image according to the provided target and output a click "
        'position as JSON {{"x": int, "y": int}} in [0, 1000].\nYour target is:\n{instruction}',
        "rel1000",
    ),
}


def get_template(name: str) -> Template:
    if name not in TEMPLATES:
        raise ReasonlabError(f"unknown prompt template {name!r} (one of {', '.join(TEMPLATES)})")
    return TEMPLATES[name]


def smart_resize(
    width: int, height: int, factor: int = 28, min_pixels: int = 56 * 56, max_pixels: int = 16384 * 28 * 28
) -> tuple[int, int]:
    """Qwen2.5-VL's resize rule: (width, height) as multiples of `factor` within the pixel bounds."""
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return w, h


_NUM = r"-?\d+(?:\.\d+)?"
_PATTERNS = (
    re.compile(r'"coordinate"\s*:\s*\[\s*(' + _NUM + r")\s*,\s*(" + _NUM + r")\s*\]"),
    re.compile(r'"bbox_2d"\s*:\s*\[\s*(' + ",\\s*(".join([_NUM + ")"] * 4) + r"\s*\]"),
    re.compile(r"x\s*=\s*(" + _NUM + r")\s*,\s*y\s*=\s*(" + _NUM + r")"),  # pyautogui.click(x=.., y=..)
    re.compile(r'"x"\s*:\s*(' + _NUM + r')\s*,\s*"y"\s*:\s*(' + _NUM + r")"),
    re.compile(r"[\[(]\s*(" + r")\s*,\s*(".join([_NUM] * 4) + r")\s*[\])]"),
    re.compile(r"[\[(]\s*(" + _NUM + r")\s*,\s*(" + _NUM + r")\s*[\])]"),
)
_NULL_POINT = re.compile(r'"x"\s*:\s*null|"coordinate"\s*:\s*null', re.IGNORECASE)


def parse_response(text: str) -> Prediction:
    """The first coordinate pattern found (tool call, bbox_2d, x=/y=, JSON x/y, a 4- then a
    2-number bracket), in the model's own units; all-negative numbers or a null point = refusal."""
    body = re.sub(r"<think>.*?</think>", "", text or "", flags=re.DOTALL)
    if _NULL_POINT.search(body):
        return Prediction.refusal(text)
    for pattern in _PATTERNS:
        m = pattern.search(body)
        if m:
            values = tuple(float(v) for v in m.groups())
            if all(v < 0 for v in values):
                return Prediction.refusal(text)
            return Prediction("point" if len(values) == 2 else "box", values, text)
    return Prediction.unparsed(text)


def to_pixels(
    prediction: Prediction,
    convention: str,
    image_size: tuple[int, int],
    min_pixels: int = 56 * 56,
    max_pixels: int = 16384 * 28 * 28,
) -> Prediction:
    """Convert a parsed prediction from `convention` to pixels of the original image."""
    if convention not in CONVENTIONS:
        raise ReasonlabError(
            f"unknown coordinate convention {convention!r} (one of {', '.join(CONVENTIONS)})"
        )
    if prediction.kind in ("refusal", "unparsed") or convention == "pixels":
        return prediction
    w, h = image_size
    if convention == "rel1000":
        sx, sy = w / 1000, h / 1000
    elif convention == "rel1":
        sx, sy = float(w), float(h)
    else:
        rw, rh = smart_resize(w, h, min_pixels=min_pixels, max_pixels=max_pixels)
        sx, sy = w / rw, h / rh
    c = prediction.coords
    scaled = tuple(v * (sx if k % 2 == 0 else sy) for k, v in enumerate(c))
    return Prediction(prediction.kind, scaled, prediction.raw)


def prediction_from_json(obj: dict, convention: str, image_size: tuple[int, int]) -> Prediction:
    """A precomputed prediction: {"response": text} or {"point": [x, y]} or {"box": [...]}
    or {"refusal": true}."""
    if obj.get("refusal") is True:
        return Prediction.refusal(json.dumps(obj))
    if "response" in obj:
        return to_pixels(parse_response(str(obj["response"])), convention, image_size)
    for key, n in (("point", 2), ("box", 4)):
        value = obj.get(key)
        if isinstance(value, list) and len(value) == n and all(isinstance(v, int | float) for v in value):
            values = tuple(float(v) for v in value)
            if all(v < 0 for v in values):
                return Prediction.refusal(json.dumps(obj))
            return to_pixels(Prediction(key, values, json.dumps(obj)), convention, image_size)
    return Prediction.unparsed(json.dumps(obj))
