"""Synthesis in a real headless Chromium: component boxes, determinism, the dom oracle, OCR."""

import json

import numpy as np
import pytest
from PIL import Image

from reasonlab.grounding.browser import Browser
from reasonlab.grounding.loaders import load_osworld_g
from reasonlab.grounding.ocr import OCRAdapter, target_phrase
from reasonlab.grounding.samples import GroundingSample
from reasonlab.grounding.scoring import outcome
from reasonlab.grounding.synth.components import BUILDERS, Ids
from reasonlab.grounding.synth.geometry import element_boxes, fine_box
from reasonlab.grounding.synth.oracle import DomAdapter
from reasonlab.grounding.synth.page import Page, _css
from reasonlab.grounding.synth.synthesize import SynthConfig, synthesize


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


def _render(browser, components, seed=0, size=(1280, 800)):
    import random

    css = _css(random.Random(seed))
    cards = "".join(f'<div class="card">{c.html}</div>' for c in components)
    html = f'<html><head><style>{css}</style></head><body><div class="grid-page">{cards}</div></body></html>'
    png = browser.render(html, *size)
    return Page(html, *size, components), png


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_every_component_renders_with_boxes_inside_the_screenshot(browser, kind, tmp_path):
    import random

    component = BUILDERS[kind](random.Random(1), Ids(), set())
    page, png = _render(browser, [component])
    (tmp_path / "shot.png").write_bytes(png)
    width, height = Image.open(tmp_path / "shot.png").size
    assert (width, height) == (1280, 800)
    boxes = element_boxes(browser)
    for part in component.parts:
        x1, y1, x2, y2 = boxes[part.rid]
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height, (kind, part)
    for fine in component.fine:
        box = fine_box(browser, fine.kind, fine.rid, fine.params)
        assert box is not None and 0 <= box[0] < box[2] <= width, (kind, fine)


def test_slider_target_lands_on_the_rendered_thumb(browser, tmp_path):
    """Move the slider to the value, screenshot it, and find the thumb's pixels: the synthesized
    box for that value must contain the thumb's centre."""
    import random

    component = BUILDERS["slider"](random.Random(3), Ids(), set())
    fine = component.fine[0]
    page, _ = _render(browser, [component])
    box = fine_box(browser, fine.kind, fine.rid, fine.params)
    browser.evaluate(
        f"() => document.querySelector('[data-rl=\"{fine.rid}\"]').value = {fine.params['value']}"
    )
    (tmp_path / "s.png").write_bytes(browser._page.screenshot(type="png"))
    rgb = np.asarray(Image.open(tmp_path / "s.png").convert("RGB")).astype(int)
    # the thumb is the accent colour: the most saturated pixels on the slider's row
    y1, y2 = int(box[1]), int(box[3])
    row = rgb[y1:y2]
    saturation = row.max(axis=2) - row.min(axis=2)
    ys, xs = np.nonzero(saturation > 80)
    assert len(xs) > 20
    centre = xs.mean()
    assert box[0] - 1 <= centre <= box[2] + 1, (centre, box)


def test_synthesis_is_deterministic_and_the_dom_oracle_scores_every_item(tmp_path):
    a = synthesize(SynthConfig(n=18, seed=5), tmp_path / "a", progress=False)
    synthesize(SynthConfig(n=18, seed=5), tmp_path / "b", progress=False)
    ra = json.loads((tmp_path / "a" / "OSWorld-G.json").read_text())
    rb = json.loads((tmp_path / "b" / "OSWorld-G.json").read_text())
    assert ra == rb and len(ra) == 18 == a["samples"]
    ds = load_osworld_g(tmp_path / "a")
    assert not ds.skipped and {c for s in ds.samples for c in s.categories} <= {
        "text_matching",
        "element_recognition",
        "layout_understanding",
        "fine_grained_manipulation",
        "refusal",
    }
    oracle = DomAdapter(tmp_path / "a")
    try:
        results = [outcome(s, oracle.ground(s)) for s in ds.samples]
    finally:
        oracle.close()
    assert results == ["correct"] * len(results)


def test_target_phrase_prefers_quoted_text():
    assert target_phrase("Click the 'Save changes' button") == "Save changes"
    assert target_phrase("Click the search icon") == "search"


def test_ocr_adapter_finds_known_text_on_a_rendered_page(browser, tmp_path):
    html = (
        "<html><body style='font-family: DejaVu Sans; font-size: 15px; padding: 30px'>"
        "<p>Quarterly results are ready for review.</p>"
        "<button data-rl='b' style='margin-left: 400px'>Export report</button></body></html>"
    )
    (tmp_path / "p.png").write_bytes(browser.render(html, 800, 300))
    button = tuple(element_boxes(browser)["b"])
    sample = GroundingSample(
        "1", tmp_path / "p.png", (800, 300), "Click the 'Export report' button", "bbox", box=button
    )
    prediction = OCRAdapter().ground(sample)
    assert outcome(sample, prediction) == "correct", prediction
    absent = GroundingSample("2", tmp_path / "p.png", (800, 300), "Click 'Delete account'", "refusal")
    assert outcome(absent, OCRAdapter().ground(absent)) == "correct"
