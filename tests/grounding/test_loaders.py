import json

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.grounding.loaders import load_dataset, load_osworld_g


def test_osworld_g_reads_targets_and_categories_and_reports_skipped_records(osworld_g):
    ds = load_osworld_g(osworld_g)
    by_id = {s.id: s for s in ds.samples}
    assert set(by_id) == {"b1", "p1", "r1"}
    assert by_id["b1"].box == (10, 20, 50, 40)  # [x, y, w, h] -> [x1, y1, x2, y2]
    assert by_id["p1"].kind == "polygon" and len(by_id["p1"].polygon) == 8
    assert by_id["r1"].kind == "refusal" and by_id["r1"].box is None
    assert sorted(by_id["b1"].categories) == ["fine_grained_manipulation", "text_matching"]
    assert len(ds.skipped) == 2
    assert any("bad-type: box_type must be one of" in s for s in ds.skipped)
    assert any("bad-image: image" in s and "not found" in s for s in ds.skipped)
    assert all(s.startswith(str(osworld_g / "OSWorld-G.json")) for s in ds.skipped)


def test_refined_variant_shares_ids(osworld_g):
    ds = load_dataset(osworld_g, "osworld-g", refined=True)
    assert ds.name == "osworld-g-refined" and all(s.instruction.endswith("(refined)") for s in ds.samples)


def test_screenspot_v2_and_pro(screenspot_v2, screenspot_pro):
    v2 = load_dataset(screenspot_v2, "screenspot-v2")
    assert {s.platform for s in v2.samples} == {"web", "mobile"}
    web = next(s for s in v2.samples if s.platform == "web")
    assert web.box == (10, 10, 60, 30) and web.image_size == (300, 200) and web.ui_type == "text"
    assert len(v2.skipped) == 1 and "bbox must be a list of numbers" in v2.skipped[0]
    pro = load_dataset(screenspot_pro, "screenspot-pro").samples[0]
    assert pro.box == (100, 50, 140, 70) and pro.group == "Dev" and pro.data_source == "vscode"


def test_broken_files_are_clear_errors(tmp_path, osworld_g):
    (osworld_g / "OSWorld-G.json").write_text('[{"id": 1,}')
    with pytest.raises(ReasonlabError, match=r"OSWorld-G.json:1: not valid JSON"):
        load_osworld_g(osworld_g)
    (osworld_g / "OSWorld-G.json").write_text(json.dumps({"not": "a list"}))
    with pytest.raises(ReasonlabError, match="expected a JSON list"):
        load_osworld_g(osworld_g)
    with pytest.raises(ReasonlabError, match="no screenspot_"):
        load_dataset(tmp_path, "screenspot-v2")
    with pytest.raises(ReasonlabError, match="unknown dataset format"):
        load_dataset(tmp_path, "mind2web")
