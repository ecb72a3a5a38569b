"""Small benchmark folders in the official layouts, built by hand from the documented schemas."""

import json

import pytest
from PIL import Image


def _png(path, size=(200, 100)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (250, 250, 250)).save(path)


@pytest.fixture()
def osworld_g(tmp_path):
    root = tmp_path / "osworld-g"
    _png(root / "images" / "a.png")
    records = [
        {
            "id": "b1",
            "image_path": "a.png",
            "image_size": [200, 100],
            "instruction": "Click Save",
            "box_type": "bbox",
            "box_coordinates": [10, 20, 40, 20],
            "GUI_types": ["Button"],
        },
        {
            "id": "p1",
            "image_path": "a.png",
            "image_size": [200, 100],
            "instruction": "The slider track",
            "box_type": "polygon",
            "box_coordinates": [100, 10, 190, 10, 190, 30, 100, 30],
            "GUI_types": ["Slider"],
        },
        {
            "id": "r1",
            "image_path": "a.png",
            "image_size": [200, 100],
            "instruction": "Click the Print icon",
            "box_type": "refusal",
            "box_coordinates": [-1, -1, -1, -1],
            "GUI_types": [],
        },
        {
            "id": "bad-type",
            "image_path": "a.png",
            "image_size": [200, 100],
            "instruction": "x",
            "box_type": "circle",
            "box_coordinates": [1, 1, 1],
        },
        {
            "id": "bad-image",
            "image_path": "missing.png",
            "image_size": [200, 100],
            "instruction": "x",
            "box_type": "bbox",
            "box_coordinates": [1, 1, 2, 2],
        },
    ]
    (root / "OSWorld-G.json").write_text(json.dumps(records))
    refined = [dict(r, instruction=r["instruction"] + " (refined)") for r in records[:3]]
    (root / "OSWorld-G_refined.json").write_text(json.dumps(refined))
    classified = {
        "classified": {
            "text_matching": [{"id": "b1"}],
            "fine_grained_manipulation": [{"id": "p1"}, {"id": "b1"}],
            "refusal": [{"id": "r1"}],
        }
    }
    (root / "classification_result.json").write_text(json.dumps(classified))
    return root


@pytest.fixture()
def screenspot_v2(tmp_path):
    root = tmp_path / "ssv2"
    _png(root / "screenspotv2_image" / "web_1.png", (300, 200))
    _png(root / "screenspotv2_image" / "mob_1.png", (100, 200))
    web = [
        {
            "img_filename": "web_1.png",
            "bbox": [10, 10, 50, 20],
            "instruction": "search box",
            "data_type": "text",
            "data_source": "shop",
        }
    ]
    mobile = [
        {
            "img_filename": "mob_1.png",
            "bbox": [5, 5, 10, 10],
            "instruction": "back",
            "data_type": "icon",
            "data_source": "ios",
        },
        {"img_filename": "mob_1.png", "bbox": "oops", "instruction": "x"},
    ]
    (root / "screenspot_web_v2.json").write_text(json.dumps(web))
    (root / "screenspot_mobile_v2.json").write_text(json.dumps(mobile))
    return root


@pytest.fixture()
def screenspot_pro(tmp_path):
    root = tmp_path / "sspro"
    _png(root / "images" / "vscode_macos" / "s1.png", (400, 300))
    rows = [
        {
            "img_filename": "vscode_macos/s1.png",
            "bbox": [100, 50, 140, 70],
            "instruction": "Run button",
            "id": "vscode_0",
            "application": "vscode",
            "platform": "macos",
            "img_size": [400, 300],
            "ui_type": "icon",
            "group": "Dev",
        }
    ]
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "vscode_macos.json").write_text(json.dumps(rows))
    return root


@pytest.fixture()
def screenspot_pro_4k(tmp_path):
    """One ScreenSpot-Pro record on a 3840x2160 screenshot, the target a 40 px box around the centre."""
    root = tmp_path / "sspro4k"
    _png(root / "images" / "premiere_windows" / "s1.png", (3840, 2160))
    rows = [
        {
            "img_filename": "premiere_windows/s1.png",
            "bbox": [1900, 1060, 1940, 1100],
            "instruction": "Play button",
            "id": "premiere_0",
            "application": "premiere",
            "platform": "windows",
            "img_size": [3840, 2160],
            "ui_type": "icon",
            "group": "Creative",
        }
    ]
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "premiere_windows.json").write_text(json.dumps(rows))
    return root
