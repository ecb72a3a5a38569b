"""The dom oracle: answers a synthesized sample by rendering its page again and asking the DOM.

It is the upper bound for a synthesized set: anything short of 100% on non-refusal items means
the annotations disagree with a fresh render (a synthesizer bug), not that a model failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.grounding.browser import Browser
from reasonlab.grounding.samples import GroundingSample
from reasonlab.grounding.scoring import Prediction
from reasonlab.grounding.synth.geometry import element_boxes, fine_box


class DomAdapter:
    def __init__(self, data: str | Path):
        self.root = Path(data)
        path = self.root / "oracle.json"
        if not path.is_file():
            raise ReasonlabError(f"{path}: the dom oracle works on synthesized sets only (no oracle.json)")
        self.targets: dict[str, dict] = json.loads(path.read_text())
        self._browser: Browser | None = None
        self._page: str | None = None

    def ground(self, sample: GroundingSample) -> Prediction:
        t = self.targets.get(sample.id)
        if t is None:
            return Prediction.unparsed("(sample not in oracle.json)")
        if t["kind"] == "refusal":
            return Prediction.refusal("not on the page")
        if self._browser is None:
            self._browser = Browser().__enter__()
        if self._page != t["page"]:
            html = (self.root / "pages" / t["page"]).read_text(encoding="utf-8")
            self._browser.render(html, *t["viewport"])
            self._page = t["page"]
        if t["kind"] == "element":
            box = element_boxes(self._browser).get(t["rid"])
        else:
            box = fine_box(self._browser, t["kind"], t["rid"], t.get("params", {}))
        if box is None:
            return Prediction.unparsed(f"{t['rid']} not found in {t['page']}")
        return Prediction("box", tuple(box), f"dom box of {t['rid']}")

    def close(self) -> None:
        if self._browser is not None:
            self._browser.__exit__(None, None, None)
            self._browser = None

    def describe(self) -> dict[str, Any]:
        return {"adapter": "dom", "template": None, "convention": "pixels", "resize": "none (fresh render)"}
