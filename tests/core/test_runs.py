import json

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import Run


def test_run_is_only_visible_when_finished(tmp_path):
    out = tmp_path / "run"
    run = Run.open(out, {"a": 1})
    run.add({"id": "p0", "x": 1})
    assert not out.exists() and run.partial.exists()
    run.finish({"score": 1.0}, "# report\n")
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "report.md",
        "samples.jsonl",
        "summary.json",
    ]
    assert not run.partial.exists()


def test_interrupted_run_resumes_and_drops_a_torn_last_line(tmp_path):
    out = tmp_path / "run"
    run = Run.open(out, {"a": 1})
    run.add({"id": "p0"})
    run.add({"id": "p1"})
    with (run.partial / "samples.jsonl").open("a") as f:
        f.write('{"id": "p2", "tor')  # the process died mid-write
    again = Run.open(out, {"a": 1})
    assert again.resumed == 2 and again.done("p1") == {"id": "p1"} and again.done("p2") is None
    again.add({"id": "p2"})
    lines = (again.partial / "samples.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["p0", "p1", "p2"]


def test_a_different_config_starts_over(tmp_path):
    run = Run.open(tmp_path / "run", {"a": 1})
    run.add({"id": "p0"})
    assert Run.open(tmp_path / "run", {"a": 2}).resumed == 0


def test_existing_run_needs_overwrite(tmp_path):
    Run.open(tmp_path / "run", {}).finish({}, "")
    with pytest.raises(ReasonlabError, match="already exists"):
        Run.open(tmp_path / "run", {})
    Run.open(tmp_path / "run", {}, overwrite=True).finish({"v": 2}, "")
    assert json.loads((tmp_path / "run" / "summary.json").read_text()) == {"v": 2}
