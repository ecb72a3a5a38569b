"""A real CPU grounding baseline: read the screen with tesseract, click the best-matching text.

The target phrase is the instruction's quoted text when it has some, else its content words (UI
verbs and element nouns like "click", "button" removed). Screenshots are upscaled before OCR
(tesseract misreads small UI text at 1x). Word runs on each OCR line are scored against the
phrase by string similarity; the best run's centre is the answer. Below `min_similarity` the
adapter answers refusal: it found nothing that reads like the target.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.optional import require
from reasonlab.grounding.samples import GroundingSample
from reasonlab.grounding.scoring import Prediction

QUOTED = re.compile(r"[\"'“‘«]([^\"'”’»]+)[\"'”’»]")
FILLER = set(
    """a an the on in at of to for and or with this that it its please click tap press select choose
    open button icon link tab menu item option field box checkbox radio toggle switch slider text
    label element named called labeled labelled which is shows says reads find locate element's""".split()
)


def target_phrase(instruction: str) -> str:
    quoted = QUOTED.findall(instruction)
    if quoted:
        return max(quoted, key=len).strip()
    words = re.findall(r"[\w%$.:/+-]+", instruction.lower())
    content = [w for w in words if w not in FILLER]
    return " ".join(content) if content else instruction.strip()


@dataclass
class Word:
    text: str
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in original pixels
    line: tuple[int, ...]  # (mode, block, paragraph, line): words of one OCR line


def _iou(a: tuple, b: tuple) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def read_words(image, scale: float = 2.0, modes: tuple[int, ...] = (11, 3)) -> list[Word]:
    """Tesseract words with boxes, in the original image's pixels. Dark screens are inverted;
    each page-segmentation mode finds text the other misses (sparse text vs. text in boxes), so
    their words are merged, a word seen twice at the same place kept once."""
    from PIL import Image, ImageOps, ImageStat

    pytesseract = require("pytesseract", "grounding", "the ocr adapter")

    if shutil.which("tesseract") is None:
        raise ReasonlabError("the ocr adapter needs tesseract (apt-get install tesseract-ocr)")
    gray = image.convert("L")
    if ImageStat.Stat(gray).mean[0] < 110:
        gray = ImageOps.invert(gray)
    big = gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.LANCZOS)
    words: list[Word] = []
    for mode in modes:
        data = pytesseract.image_to_data(big, output_type=pytesseract.Output.DICT, config=f"--psm {mode}")
        for k, text in enumerate(data["text"]):
            if not text.strip() or float(data["conf"][k]) < 0:
                continue
            x, y, w, h = (data[key][k] / scale for key in ("left", "top", "width", "height"))
            word = Word(
                text.strip(),
                (x, y, x + w, y + h),
                (mode, *(data[f"{u}_num"][k] for u in ("block", "par", "line"))),
            )
            if not any(o.text == word.text and _iou(o.box, word.box) > 0.5 for o in words):
                words.append(word)
    return words


def best_run(words: list[Word], phrase: str) -> tuple[float, tuple[float, float, float, float] | None]:
    """(similarity, box) of the run of consecutive words on one line that reads most like `phrase`."""
    target = phrase.lower()
    n = max(1, len(target.split()))
    lines: dict[tuple, list[Word]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    best, box = 0.0, None
    for line in lines.values():
        for i in range(len(line)):
            for j in range(i + 1, min(len(line), i + n + 1) + 1):
                run = line[i:j]
                score = SequenceMatcher(None, " ".join(w.text.lower() for w in run), target).ratio()
                if score > best:
                    best = score
                    xs = [c for w in run for c in (w.box[0], w.box[2])]
                    ys = [c for w in run for c in (w.box[1], w.box[3])]
                    box = (min(xs), min(ys), max(xs), max(ys))
    return best, box


class OCRAdapter:
    def __init__(self, scale: float = 2.0, min_similarity: float = 0.5):
        self.scale, self.min_similarity = scale, min_similarity
        self._cache: dict[str, list[Word]] = {}  # samples often share a screenshot

    def ground(self, sample: GroundingSample) -> Prediction:
        from PIL import Image

        key = str(sample.image)
        if key not in self._cache:
            with Image.open(sample.image) as im:
                self._cache = {key: read_words(im, self.scale)}
        phrase = target_phrase(sample.instruction)
        score, box = best_run(self._cache[key], phrase)
        raw = f"phrase={phrase!r} similarity={score:.2f}"
        if box is None or score < self.min_similarity:
            return Prediction.refusal(raw)
        return Prediction("box", box, raw)

    def describe(self) -> dict[str, Any]:
        pytesseract = require("pytesseract", "grounding", "the ocr adapter")
        return {
            "adapter": "ocr",
            "engine": f"tesseract {pytesseract.get_tesseract_version()}",
            "upscale": self.scale,
            "min_similarity": self.min_similarity,
            "template": None,
            "convention": "pixels",
            "resize": f"x{self.scale} Lanczos before OCR",
        }
