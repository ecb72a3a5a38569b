"""Model adapters: one protocol, `ground(sample) -> Prediction` in pixels of the original image.

    openai  any OpenAI-compatible vision server (vLLM serving Jedi, Qwen2.5-VL, UI-TARS, ...)
    file    precomputed predictions (JSONL of id + response, or point / box), parsed with the same
            template and convention rules, so results made elsewhere are scored here
    ocr     a real CPU baseline: tesseract words matched to the instruction's text (grounding/ocr.py)
    dom     the oracle for synthesized sets: renders the page again and asks the DOM (synth/oracle.py)

Each adapter describes itself (`describe()`), and that record goes into every result file.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

from reasonlab.core.errors import ReasonlabError
from reasonlab.grounding.parsing import get_template, parse_response, prediction_from_json, to_pixels
from reasonlab.grounding.samples import GroundingSample
from reasonlab.grounding.scoring import Prediction

ADAPTERS = ("openai", "file", "ocr", "dom")


class Adapter(Protocol):
    def ground(self, sample: GroundingSample) -> Prediction: ...

    def describe(self) -> dict[str, Any]: ...


class FileAdapter:
    """Predictions from a JSONL file: {"id": ..., "response": "..."} or "point" / "box" / "refusal"."""

    def __init__(self, path: str | Path, convention: str = "pixels", template: str | None = None):
        self.path, self.convention, self.template = Path(path), convention, template
        if not self.path.is_file():
            raise ReasonlabError(f"{self.path}: no such predictions file")
        self.rows: dict[str, dict] = {}
        for lineno, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ReasonlabError(f"{self.path}:{lineno}: not valid JSON ({e.msg})") from None
            if not isinstance(row, dict) or "id" not in row:
                raise ReasonlabError(f"{self.path}:{lineno}: each line needs an 'id' field")
            self.rows[str(row["id"])] = row

    def ground(self, sample: GroundingSample) -> Prediction:
        row = self.rows.get(sample.id)
        if row is None:
            return Prediction.unparsed("(no prediction for this id)")
        return prediction_from_json(row, self.convention, sample.image_size)

    def describe(self) -> dict[str, Any]:
        return {
            "adapter": "file",
            "predictions": str(self.path),
            "template": self.template,
            "convention": self.convention,
            "resize": "smart_resize (Qwen2.5-VL defaults)" if self.convention == "smart_resize" else "none",
        }


class OpenAIAdapter:
    """Chat completions with the screenshot's own bytes as a data URL; temperature 0."""

    def __init__(
        self,
        base_url: str,
        model: str,
        template: str = "point",
        convention: str | None = None,
        api_key: str = "EMPTY",
        max_tokens: int = 256,
        timeout: float = 120.0,
    ):
        self.base_url, self.model, self.template_name = base_url.rstrip("/"), model, template
        self.template = get_template(template)
        self.convention = convention or self.template.convention
        self.api_key, self.max_tokens, self.timeout = api_key, max_tokens, timeout

    def messages(self, sample: GroundingSample) -> list[dict]:
        mime = mimetypes.guess_type(sample.image.name)[0] or "image/png"
        data = base64.b64encode(sample.image.read_bytes()).decode()
        content = [
            {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}},
            {"type": "text", "text": self.template.prompt.format(instruction=sample.instruction)},
        ]
        system = [{"role": "system", "content": self.template.system}] if self.template.system else []
        return [*system, {"role": "user", "content": content}]

    def ground(self, sample: GroundingSample) -> Prediction:
        body = {
            "model": self.model,
            "messages": self.messages(sample),
            "temperature": 0.0,
            "max_tokens": self.max_tokens,
        }
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError) as e:
            raise ReasonlabError(f"{self.base_url}: request failed ({e})") from None
        text = reply["choices"][0]["message"].get("content") or ""
        return to_pixels(parse_response(text), self.convention, sample.image_size)

    def describe(self) -> dict[str, Any]:
        return {
            "adapter": "openai",
            "base_url": self.base_url,
            "model": self.model,
            "template": self.template_name,
            "prompt": self.template.prompt,
            "system": self.template.system,
            "convention": self.convention,
            "resize": "server-side (smart_resize assumed)" if self.convention == "smart_resize" else "none",
        }
