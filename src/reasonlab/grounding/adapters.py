"""Model adapters: one protocol, `ground(sample) -> Prediction` in pixels of the original image.

    openai  any OpenAI-compatible vision server (vLLM serving Jedi, Qwen2.5-VL, UI-TARS, ...)
    file    precomputed predictions (JSONL of id + response, or point / box), parsed with the same
            template and convention rules, so results made elsewhere are scored here
    ocr     a real CPU baseline: tesseract words matched to the instruction's text (grounding/ocr.py)
    dom     the oracle for synthesized sets: renders the page again and asks the DOM (synth/oracle.py)

Each adapter describes itself (`describe()`), and that record goes into every result file. For
answers in smart_resize pixels the record names the resize bounds (min_pixels, max_pixels): the same
answer lands in different places under different bounds (a 4K screenshot is halved under Jedi's
1080p budget and only snapped to multiples of 28 under Qwen2.5-VL's defaults).
"""

from __future__ import annotations

import base64
import io
import json
import mimetypes
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from reasonlab.core.errors import ReasonlabError
from reasonlab.grounding.parsing import (
    FACTOR,
    QWEN_MAX_PIXELS,
    QWEN_MIN_PIXELS,
    check_pixel_bounds,
    get_template,
    parse_response,
    prediction_from_json,
    smart_resize,
    to_pixels,
)
from reasonlab.grounding.samples import GroundingSample
from reasonlab.grounding.scoring import Prediction

ADAPTERS = ("openai", "file", "ocr", "dom")


class Adapter(Protocol):
    def ground(self, sample: GroundingSample) -> Prediction: ...

    def describe(self) -> dict[str, Any]: ...


def resize_bounds(template: str | None, min_pixels: int | None, max_pixels: int | None) -> tuple[int, int]:
    """The smart_resize bounds to use: the ones given, else the template's (its model's own)."""
    t = get_template(template) if template else None
    lo = min_pixels if min_pixels is not None else (t.min_pixels if t else QWEN_MIN_PIXELS)
    hi = max_pixels if max_pixels is not None else (t.max_pixels if t else QWEN_MAX_PIXELS)
    check_pixel_bounds(lo, hi)
    return lo, hi


def _resize_record(convention: str, min_pixels: int, max_pixels: int, how: str) -> dict[str, Any]:
    if convention != "smart_resize":
        return {"resize": "none", "min_pixels": None, "max_pixels": None}
    return {"resize": how, "factor": FACTOR, "min_pixels": min_pixels, "max_pixels": max_pixels}


class FileAdapter:
    """Predictions from a JSONL file: {"id": ..., "response": "..."} or "point" / "box" / "refusal".
    smart_resize answers are mapped back with min_pixels / max_pixels: set them to the bounds the
    predictions were made with (default: the template's)."""

    def __init__(
        self,
        path: str | Path,
        convention: str = "pixels",
        template: str | None = None,
        min_pixels: int | None = None,
        max_pixels: int | None = None,
    ):
        self.path, self.convention, self.template = Path(path), convention, template
        self.min_pixels, self.max_pixels = resize_bounds(template, min_pixels, max_pixels)
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

    def matching(self, ids: Iterable[str]) -> int:
        """How many of these sample ids the file has a prediction for (the others score as wrong
        format, so ids named differently from the benchmark's would pass for a failing model)."""
        return sum(1 for i in ids if str(i) in self.rows)

    def ground(self, sample: GroundingSample) -> Prediction:
        row = self.rows.get(sample.id)
        if row is None:
            return Prediction.unparsed("(no prediction for this id)")
        return prediction_from_json(row, self.convention, sample.image_size, self.min_pixels, self.max_pixels)

    def describe(self) -> dict[str, Any]:
        return {
            "adapter": "file",
            "predictions": str(self.path),
            "template": self.template,
            "convention": self.convention,
            **_resize_record(self.convention, self.min_pixels, self.max_pixels, "smart_resize (assumed)"),
        }


class OpenAIAdapter:
    """Chat completions with the screenshot as a data URL; temperature 0.

    For smart_resize answers the adapter resizes the screenshot itself (Qwen2.5-VL's rule with
    min_pixels / max_pixels, bicubic like its processor) and sends that image: its sides are multiples
    of 28 inside the bounds, so the server's processor leaves it as it is (as long as the server's own
    max_pixels is not smaller), and the size the model sees, the size a template states (jedi) and the
    size answers are mapped back from are one and the same. Other conventions send the file's bytes.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        template: str = "point",
        convention: str | None = None,
        api_key: str = "EMPTY",
        max_tokens: int = 256,
        timeout: float = 120.0,
        min_pixels: int | None = None,
        max_pixels: int | None = None,
    ):
        self.base_url, self.model, self.template_name = base_url.rstrip("/"), model, template
        self.template = get_template(template)
        self.convention = convention or self.template.convention
        self.min_pixels, self.max_pixels = resize_bounds(template, min_pixels, max_pixels)
        self.api_key, self.max_tokens, self.timeout = api_key, max_tokens, timeout

    def image(self, sample: GroundingSample) -> tuple[str, bytes, tuple[int, int]]:
        """(mime type, bytes, (width, height)) of the image the model is shown."""
        mime = mimetypes.guess_type(sample.image.name)[0] or "image/png"
        if self.convention != "smart_resize":
            return mime, sample.image.read_bytes(), sample.image_size
        size = smart_resize(*sample.image_size, min_pixels=self.min_pixels, max_pixels=self.max_pixels)
        with Image.open(sample.image) as im:
            if im.size == size:
                return mime, sample.image.read_bytes(), size
            buffer = io.BytesIO()
            im.convert("RGB").resize(size, Image.Resampling.BICUBIC).save(buffer, format="PNG")
        return "image/png", buffer.getvalue(), size

    def messages(self, sample: GroundingSample) -> list[dict]:
        mime, data, (width, height) = self.image(sample)
        url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
        content = [
            {"type": "image_url", "image_url": {"url": url}},
            {"type": "text", "text": self.template.prompt.format(instruction=sample.instruction)},
        ]
        system = self.template.system_text(width, height)
        return [
            *([{"role": "system", "content": system}] if system else []),
            {"role": "user", "content": content},
        ]

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
        bounds = {"min_pixels": self.min_pixels, "max_pixels": self.max_pixels}
        return to_pixels(parse_response(text), self.convention, sample.image_size, **bounds)

    def describe(self) -> dict[str, Any]:
        return {
            "adapter": "openai",
            "base_url": self.base_url,
            "model": self.model,
            "template": self.template_name,
            "prompt": self.template.prompt,
            "system": self.template.system,
            "convention": self.convention,
            **_resize_record(self.convention, self.min_pixels, self.max_pixels, "smart_resize, client-side"),
        }
