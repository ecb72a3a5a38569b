"""The openai adapter against a local HTTP server speaking the chat-completions protocol (a real
vLLM server needs a GPU): the request carries the screenshot's bytes and the template's prompt,
and the reply is parsed with the template's coordinate convention."""

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from PIL import Image

from reasonlab.core.errors import ReasonlabError
from reasonlab.grounding.adapters import OpenAIAdapter
from reasonlab.grounding.parsing import JEDI_MAX_PIXELS, QWEN_MAX_PIXELS, QWEN_MIN_PIXELS
from reasonlab.grounding.samples import GroundingSample


@pytest.fixture()
def server():
    seen = []
    replies = ["click(start_box='(500,250)')"]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, body))
            reply = {"choices": [{"message": {"content": replies[-1]}}]}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/v1", seen, replies
    httpd.shutdown()


def test_request_and_reply(server, tmp_path):
    url, seen, _ = server
    Image.new("RGB", (400, 200), "white").save(tmp_path / "s.png")
    sample = GroundingSample(
        "1", tmp_path / "s.png", (400, 200), "the Save button", "bbox", box=(150, 40, 250, 60)
    )
    adapter = OpenAIAdapter(url, "ui-tars", template="uitars")
    prediction = adapter.ground(sample)
    assert prediction.kind == "point" and prediction.coords == (200, 50)  # 0-1000 relative -> pixels
    path, body = seen[0]
    assert path == "/v1/chat/completions" and body["model"] == "ui-tars" and body["temperature"] == 0
    image, text = body["messages"][-1]["content"]
    assert base64.b64decode(image["image_url"]["url"].split(",", 1)[1]) == (tmp_path / "s.png").read_bytes()
    assert "the Save button" in text["text"]
    assert adapter.describe()["convention"] == "rel1000"


def test_unreachable_server_is_a_clear_error(tmp_path):
    Image.new("RGB", (10, 10)).save(tmp_path / "s.png")
    sample = GroundingSample("1", tmp_path / "s.png", (10, 10), "x", "bbox", box=(0, 0, 5, 5))
    with pytest.raises(ReasonlabError, match="request failed"):
        OpenAIAdapter("http://127.0.0.1:9/v1", "m", timeout=2).ground(sample)


JEDI_CLICK = (
    '<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [966, 532]}}'
    "\n</tool_call>"
)


@pytest.mark.parametrize(
    "max_pixels, seen_size, expected",
    [
        (None, (1932, 1064), (1920, 1080)),  # the jedi template's own budget (1080p)
        (QWEN_MAX_PIXELS, (3836, 2156), (966 * 3840 / 3836, 532 * 2160 / 2156)),
    ],
)
def test_jedi_on_a_4k_screenshot(server, tmp_path, max_pixels, seen_size, expected):
    """The adapter resizes the screenshot itself with the chosen bounds, states that size in the
    computer_use tool, and maps the tool call's coordinate back to the original pixels."""
    url, seen, replies = server
    replies.append(JEDI_CLICK)
    Image.new("RGB", (3840, 2160), "white").save(tmp_path / "s.png")
    sample = GroundingSample(
        "1", tmp_path / "s.png", (3840, 2160), "the Save button", "bbox", box=(1900, 1060, 1940, 1100)
    )
    adapter = OpenAIAdapter(url, "jedi-7b", template="jedi", max_pixels=max_pixels)
    prediction = adapter.ground(sample)
    assert prediction.kind == "point" and prediction.coords == pytest.approx(expected)
    _, body = seen[-1]
    system, user = body["messages"]
    assert (
        system["role"] == "system"
        and f"The screen's resolution is {seen_size[0]}x{seen_size[1]}." in (system["content"])
    )
    image, text = user["content"]
    sent = Image.open(io.BytesIO(base64.b64decode(image["image_url"]["url"].split(",", 1)[1])))
    assert sent.size == seen_size and text["text"] == "the Save button"
    described = adapter.describe()
    assert described["min_pixels"] == QWEN_MIN_PIXELS
    assert described["max_pixels"] == (max_pixels or JEDI_MAX_PIXELS)
    assert described["convention"] == "smart_resize"


def test_screenshot_already_at_its_resized_size_is_sent_as_it_is(server, tmp_path):
    url, seen, replies = server
    replies.append(JEDI_CLICK)
    Image.new("RGB", (1932, 1092), "white").save(tmp_path / "s.png")
    sample = GroundingSample("1", tmp_path / "s.png", (1932, 1092), "x", "bbox", box=(0, 0, 5, 5))
    OpenAIAdapter(url, "jedi-7b", template="jedi").ground(sample)
    image = seen[-1][1]["messages"][-1]["content"][0]
    assert base64.b64decode(image["image_url"]["url"].split(",", 1)[1]) == (tmp_path / "s.png").read_bytes()


def test_bad_pixel_bounds_fail_before_any_request():
    with pytest.raises(ReasonlabError, match="larger than max_pixels"):
        OpenAIAdapter("http://127.0.0.1:9/v1", "m", template="jedi", min_pixels=3_000_000)
