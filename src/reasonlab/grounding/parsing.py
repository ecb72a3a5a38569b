"""From a model's text to a scored prediction: prompt templates, response parsing, coordinates.

Published grounding numbers differ mostly in three hidden choices: the prompt, how the image was
resized, and the coordinate convention of the answer. All three are named here and recorded with
every result. Conventions:

    pixels        pixels of the original screenshot
    smart_resize  pixels of the image as Qwen2.5-VL's processor resized it (multiples of 28
                  between min_pixels and max_pixels, which each template, adapter and run records);
                  scaled back to the original
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

# Qwen2.5-VL's resize rule: sides are multiples of one merged patch (14 px x 2), and the area lies in
# [min_pixels, max_pixels]. The defaults are Qwen2.5-VL's preprocessor_config.json (and
# qwen_vl_utils' MIN_PIXELS / MAX_PIXELS). Jedi ("-1080p") is driven with a 1080p budget by its
# authors' own agents (xlang-ai/OSWorld mm_agents/jedi_7b_agent.py and jedi_3b_agent.py:
# smart_resize(height, width, max_pixels=2700 * 28 * 28)); a 1920x1080 screen fits it, a 4K one is
# halved.
FACTOR = 28
QWEN_MIN_PIXELS = 56 * 56  # 3,136
QWEN_MAX_PIXELS = 16384 * 28 * 28  # 12,845,056
JEDI_MAX_PIXELS = 2700 * 28 * 28  # 2,116,800


@dataclass(frozen=True)
class Template:
    prompt: str  # with {instruction}
    convention: str  # the coordinate convention its models answer in
    system: str | None = None  # may contain {width} and {height}: the size of the image the model sees
    min_pixels: int = QWEN_MIN_PIXELS  # smart_resize bounds of its models (used when the
    max_pixels: int = QWEN_MAX_PIXELS  # convention is smart_resize)

    def system_text(self, width: int, height: int) -> str | None:
        """The system message for an image of width x height (JSON braces are left alone)."""
        if self.system is None:
            return None
        return self.system.replace("{width}", str(width)).replace("{height}", str(height))


def _computer_use_system() -> str:
    """Jedi's prompt: Qwen2.5-VL's function-call system message around the `computer_use` tool.

    The tool is the one of Qwen2.5-VL's computer-use cookbook (QwenLM/Qwen2.5-VL,
    cookbooks/utils/agent_function_call.py, class ComputerUse), in the variant Jedi's authors send to
    Jedi (xlang-ai/OSWorld, mm_agents/prompts.py, JEDI_GROUNDER_SYS_PROMPT), whose `coordinate` is
    also required by the click actions. The wrapper is qwen-agent's NousFnCallPrompt (one JSON line
    per tool inside <tools></tools>, answers as <tool_call>{"name": ..., "arguments": ...}</tool_call>)
    after Qwen's default system line. "The screen's resolution is {width}x{height}." states the
    RESIZED image, and the answer's coordinate is in that image's pixels. The tool's texts are the
    model's training interface, so they are kept word for word.
    """
    actions = {
        "key": "Performs key down presses on the arguments passed in order, then performs key releases "
        "in reverse order.",
        "type": "Type a string of text on the keyboard.",
        "mouse_move": "Move the cursor to a specified (x, y) pixel coordinate on the screen.",
        "left_click": "Click the left mouse button.",
        "left_click_drag": "Click and drag the cursor to a specified (x, y) pixel coordinate on the screen.",
        "right_click": "Click the right mouse button.",
        "middle_click": "Click the middle mouse button.",
        "double_click": "Double-click the left mouse button.",
        "scroll": "Performs a scroll of the mouse scroll wheel.",
        "wait": "Wait specified seconds for the change to happen.",
        "terminate": "Terminate the current task and report its completion status.",
    }
    description = "\n".join(
        [
            "Use a mouse and keyboard to interact with a computer, and take screenshots.",
            "* This is an interface to a desktop GUI. You do not have access to a terminal or "
            "applications menu. You must click on desktop icons to start applications.",
            "* Some applications may take time to start or process actions, so you may need to wait "
            "and take successive screenshots to see the results of your actions. E.g. if you click on "
            "Firefox and a window doesn't open, try wait and taking another screenshot.",
            "* The screen's resolution is {width}x{height}.",
            "* Whenever you intend to move the cursor to click on an element like an icon, you should "
            "consult a screenshot to determine the coordinates of the element before moving the cursor.",
            "* If you tried clicking on a program or link but it failed to load, even after waiting, "
            "try adjusting your cursor position so that the tip of the cursor visually falls on the "
            "element that you want to click.",
            "* Make sure to click any buttons, links, icons, etc with the cursor tip in the center of "
            "the element. Don't click boxes on their edges unless asked.",
        ]
    )
    clicks = ("mouse_move", "left_click_drag", "left_click", "right_click", "double_click")
    properties = {
        "action": {
            "description": "The action to perform. The available actions are:\n"
            + "\n".join(f"* `{name}`: {text}" for name, text in actions.items()),
            "enum": list(actions),
            "type": "string",
        },
        "keys": {"description": "Required only by `action=key`.", "type": "array"},
        "text": {"description": "Required only by `action=type`.", "type": "string"},
        "coordinate": {
            "description": "(x, y): The x (pixels from the left edge) and y (pixels from the top edge) "
            "coordinates to move the mouse to. Required only by "
            + ", ".join(f"`action={a}`" for a in clicks)
            + ".",
            "type": "array",
        },
        "pixels": {
            "description": "The amount of scrolling to perform. Positive values scroll up, negative "
            "values scroll down. Required only by `action=scroll`.",
            "type": "number",
        },
        "time": {"description": "The seconds to wait. Required only by `action=wait`.", "type": "number"},
        "status": {
            "description": "The status of the task. Required only by `action=terminate`.",
            "type": "string",
            "enum": ["success", "failure"],
        },
    }
    tool = {
        "type": "function",
        "function": {
            "name": "computer_use",
            "description": description,
            "parameters": {"properties": properties, "required": ["action"], "type": "object"},
        },
    }
    return (
        "You are a helpful assistant.\n\n# Tools\n\n"
        "You may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n"
        f"<tools>\n{json.dumps(tool, ensure_ascii=False)}\n</tools>\n\n"
        "For each function call, return a json object with function name and arguments within "
        "<tool_call></tool_call> XML tags:\n"
        '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )


TEMPLATES: dict[str, Template] = {
    "point": Template(
        "Find the element described below on the screenshot and answer with the pixel coordinates of "
        "its centre as (x, y). If it is not on the screen, answer (-1, -1).\n{instruction}",
        "pixels",
    ),
    "qwen25vl": Template(
        'Locate "{instruction}" on the screen; output its bbox_2d in JSON format.', "smart_resize"
    ),
    # The user turn is the screenshot followed by the bare instruction, as in Jedi's own agents.
    "jedi": Template(
        "{instruction}", "smart_resize", system=_computer_use_system(), max_pixels=JEDI_MAX_PIXELS
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


def check_pixel_bounds(min_pixels: int, max_pixels: int) -> None:
    """smart_resize bounds a user gave: positive, ordered, and room for one 28 x 28 patch."""
    for name, value in (("min_pixels", min_pixels), ("max_pixels", max_pixels)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ReasonlabError(f"{name} must be a positive integer, got {value!r}")
    if min_pixels > max_pixels:
        raise ReasonlabError(f"min_pixels {min_pixels} is larger than max_pixels {max_pixels}")
    if max_pixels < FACTOR * FACTOR:
        raise ReasonlabError(f"max_pixels must be at least {FACTOR * FACTOR} (one {FACTOR}x{FACTOR} patch)")


def smart_resize(
    width: int,
    height: int,
    factor: int = FACTOR,
    min_pixels: int = QWEN_MIN_PIXELS,
    max_pixels: int = QWEN_MAX_PIXELS,
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
    min_pixels: int = QWEN_MIN_PIXELS,
    max_pixels: int = QWEN_MAX_PIXELS,
) -> Prediction:
    """Convert a parsed prediction from `convention` to pixels of the original image; smart_resize
    answers are in the image resized with these bounds, which must be the ones the model saw."""
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


def prediction_from_json(
    obj: dict,
    convention: str,
    image_size: tuple[int, int],
    min_pixels: int = QWEN_MIN_PIXELS,
    max_pixels: int = QWEN_MAX_PIXELS,
) -> Prediction:
    """A precomputed prediction: {"response": text} or {"point": [x, y]} or {"box": [...]}
    or {"refusal": true}."""
    bounds = {"min_pixels": min_pixels, "max_pixels": max_pixels}
    if obj.get("refusal") is True:
        return Prediction.refusal(json.dumps(obj))
    if "response" in obj:
        return to_pixels(parse_response(str(obj["response"])), convention, image_size, **bounds)
    for key, n in (("point", 2), ("box", 4)):
        value = obj.get(key)
        if isinstance(value, list) and len(value) == n and all(isinstance(v, int | float) for v in value):
            values = tuple(float(v) for v in value)
            if all(v < 0 for v in values):
                return Prediction.refusal(json.dumps(obj))
            return to_pixels(Prediction(key, values, json.dumps(obj)), convention, image_size, **bounds)
    return Prediction.unparsed(json.dumps(obj))
