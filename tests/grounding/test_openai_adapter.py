"""The openai adapter against a local HTTP server speaking the chat-completions protocol (a real
vLLM server needs a GPU): the request carries the screenshot's bytes and the template's prompt,
and the reply is parsed with the template's coordinate convention."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from PIL import Image

from reasonlab.core.errors import ReasonlabError
from reasonlab.grounding.adapters import OpenAIAdapter
from reasonlab.grounding.samples import GroundingSample


@pytest.fixture()
def server():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, body))
            reply = {"choices": [{"message": {"content": "click(start_box='(500,250)')"}}]}
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
    yield f"http://127.0.0.1:{httpd.server_port}/v1", seen
    httpd.shutdown()


def test_request_and_reply(server, tmp_path):
    url, seen = server
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
