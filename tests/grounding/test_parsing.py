import pytest

from reasonlab.grounding.parsing import parse_response, prediction_from_json, smart_resize, to_pixels


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
