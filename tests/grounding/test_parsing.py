import json

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.grounding.parsing import (
    JEDI_MAX_PIXELS,
    QWEN_MIN_PIXELS,
    check_pixel_bounds,
    get_template,
    parse_response,
    prediction_from_json,
    smart_resize,
    to_pixels,
)


@pytest.mark.parametrize(
    "text, kind, coords",
    [
        (
            '<tool_call>{"name": "computer_use", "arguments": '
            '{"action": "left_click", "coordinate": [12, 34]}}</tool_call>',
            "point",
            (12, 34),
        ),
        ('[{"bbox_2d": [1, 2, 30, 40], "label": "OK"}]', "box", (1, 2, 30, 40)),
        ("pyautogui.click(x=100.5, y=200)", "point", (100.5, 200)),
        ('{"x": 500, "y": 250}', "point", (500, 250)),
        ("click(start_box='(420,88)')", "point", (420, 88)),
        ("The element is at [10, 20, 30, 40].", "box", (10, 20, 30, 40)),
        ("<think>maybe (1, 1)</think>(7, 8)", "point", (7, 8)),
    ],
)
def test_response_formats(text, kind, coords):
    p = parse_response(text)
    assert p.kind == kind and p.coords == coords and p.raw == text


@pytest.mark.parametrize("text", ["(-1, -1)", "[-1, -1, -1, -1]", '{"x": null, "y": null}'])
def test_refusals(text):
    assert parse_response(text).kind == "refusal"


def test_unparseable():
    assert parse_response("I cannot see it").kind == "unparsed"
    assert parse_response("").kind == "unparsed"


def test_smart_resize_matches_qwen25vl_rule():
    assert smart_resize(1920, 1080) == (1932, 1092)  # multiples of 28, within bounds
    w, h = smart_resize(3840, 2160, max_pixels=1280 * 28 * 28)
    assert w % 28 == 0 and h % 28 == 0 and w * h <= 1280 * 28 * 28
    w, h = smart_resize(20, 20)
    assert w * h >= 56 * 56


def test_conventions_map_back_to_original_pixels():
    size = (1920, 1080)
    p = parse_response("(500, 500)")
    assert to_pixels(p, "rel1000", size).coords == (960, 540)
    assert to_pixels(
        parse_response('{"coordinate": [966, 546]}'), "smart_resize", size
    ).coords == pytest.approx((966 * 1920 / 1932, 546 * 1080 / 1092))
    assert to_pixels(parse_response("(0.5, 0.25)"), "rel1", size).coords == (960, 270)
    assert to_pixels(parse_response("(-1, -1)"), "rel1000", size).kind == "refusal"


def test_precomputed_rows():
    size = (100, 100)
    assert prediction_from_json({"id": 1, "point": [3, 4]}, "pixels", size).coords == (3, 4)
    assert prediction_from_json({"id": 1, "box": [0, 0, 10, 10]}, "pixels", size).kind == "box"
    assert prediction_from_json({"id": 1, "refusal": True}, "pixels", size).kind == "refusal"
    assert prediction_from_json({"id": 1, "response": "(500, 500)"}, "rel1000", size).coords == (50, 50)
    assert prediction_from_json({"id": 1, "point": "x"}, "pixels", size).kind == "unparsed"


def test_4k_screenshot_with_other_pixel_bounds_maps_back():
    """ScreenSpot-Pro's 3840x2160 screenshots are the ones the bounds change: under Qwen2.5-VL's
    defaults they are only snapped to multiples of 28, under Jedi's 1080p budget they are halved."""
    size = (3840, 2160)
    assert smart_resize(*size) == (3836, 2156)
    assert smart_resize(*size, max_pixels=JEDI_MAX_PIXELS) == (1932, 1064)
    assert smart_resize(*size, min_pixels=4000 * 4000, max_pixels=5000 * 5000)[0] > 3840  # scaled up
    answer = parse_response(
        '<tool_call>\n{"name": "computer_use", "arguments": '
        '{"action": "left_click", "coordinate": [966, 532]}}\n</tool_call>'
    )
    jedi = to_pixels(answer, "smart_resize", size, max_pixels=JEDI_MAX_PIXELS)
    assert jedi.coords == pytest.approx((1920, 1080))
    assert to_pixels(answer, "smart_resize", size).coords == pytest.approx((967.0, 533.0), abs=0.5)
    row = {"id": "1", "response": answer.raw}
    assert prediction_from_json(
        row, "smart_resize", size, QWEN_MIN_PIXELS, JEDI_MAX_PIXELS
    ).coords == pytest.approx((1920, 1080))


@pytest.mark.parametrize(
    "bounds, message",
    [
        ((0, 100_000), "min_pixels must be a positive integer"),
        ((3136, -5), "max_pixels must be a positive integer"),
        ((5_000_000, 1_000_000), "larger than max_pixels"),
        ((100, 500), "at least 784"),
    ],
)
def test_bad_pixel_bounds_are_one_line_errors(bounds, message):
    with pytest.raises(ReasonlabError, match=message):
        check_pixel_bounds(*bounds)


def test_templates_carry_their_models_resize_bounds():
    assert (get_template("qwen25vl").min_pixels, get_template("qwen25vl").max_pixels) == (3136, 12845056)
    assert (get_template("jedi").min_pixels, get_template("jedi").max_pixels) == (3136, 2700 * 28 * 28)


def test_jedi_prompt_is_the_computer_use_tool_call_template():
    """The system message is Qwen2.5-VL's function-call block around the computer_use tool, and it
    states the size of the image the model sees."""
    system = get_template("jedi").system_text(1932, 1064)
    assert system.startswith("You are a helpful assistant.\n\n# Tools\n")
    tools = system.split("<tools>\n", 1)[1].split("\n</tools>", 1)[0].splitlines()
    assert len(tools) == 1
    tool = json.loads(tools[0])
    assert tool["type"] == "function" and tool["function"]["name"] == "computer_use"
    params = tool["function"]["parameters"]
    assert "left_click" in params["properties"]["action"]["enum"] and params["required"] == ["action"]
    assert "`action=left_click`" in params["properties"]["coordinate"]["description"]
    assert "* The screen's resolution is 1932x1064.\n" in tool["function"]["description"]
    assert system.endswith(
        '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )
    assert "{width}" not in system and get_template("jedi").prompt.format(instruction="Save") == "Save"
