"""Headless Chromium through Playwright, using the system's browser (no browser download).

The executable is $REASONLAB_CHROMIUM, else `chromium` or `chromium-browser` on PATH (Debian:
apt-get install chromium). One browser and one page are reused for every render.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.optional import require

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--font-render-hinting=none",  # the same glyph positions run to run
]


def chromium_path() -> str:
    path = (
        os.environ.get("REASONLAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        raise ReasonlabError("no Chromium found: apt-get install chromium, or set REASONLAB_CHROMIUM")
    return path


_SHARED: dict[str, Any] = {"playwright": None, "browser": None, "users": 0}


class Browser:
    """`with Browser() as b: png = b.render(html, 1280, 800); b.evaluate(js)`.

    Playwright's sync API allows one instance per thread, so every Browser shares one Chromium
    process (started by the first, closed by the last) and owns a page of its own.
    """

    def __enter__(self) -> Browser:
        if _SHARED["users"] == 0:
            sync_api = require("playwright.sync_api", "grounding", "rendering pages in Chromium")
            pw = sync_api.sync_playwright().start()
            try:
                _SHARED["browser"] = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            except BaseException:
                pw.stop()
                raise
            _SHARED["playwright"] = pw
        _SHARED["users"] += 1
        self._page = _SHARED["browser"].new_page(device_scale_factor=1)
        return self

    def __exit__(self, *exc) -> None:
        self._page.close()
        _SHARED["users"] -= 1
        if _SHARED["users"] == 0:
            _SHARED["browser"].close()
            _SHARED["playwright"].stop()
            _SHARED["browser"] = _SHARED["playwright"] = None

    def render(self, html: str, width: int, height: int) -> bytes:
        """Load `html` at the given viewport and return a PNG of the viewport."""
        self._page.set_viewport_size({"width": width, "height": height})
        self._page.set_content(html, wait_until="load")
        return self._page.screenshot(type="png")

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return self._page.evaluate(script, arg)
