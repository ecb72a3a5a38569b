import json
import os
import stat
from pathlib import Path

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import Run, default_run_dir, input_fingerprints, same_recipe, write_atomic


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


def test_volatile_settings_change_on_a_resume_without_a_restart(tmp_path):
    run = Run.open(tmp_path / "run", {"a": 1, "every": 60}, volatile=("every",))
    run.add({"id": "p0"})
    again = Run.open(tmp_path / "run", {"a": 1, "every": 5}, volatile=("every",))
    assert again.resumed == 1
    assert json.loads((again.partial / "config.json").read_text())["every"] == 5
    assert default_run_dir("x", {"a": 1, "every": 60}, {}, ("every",)) == default_run_dir(
        "x", {"a": 1, "every": 5}, {}, ("every",)
    )
    assert Run.open(tmp_path / "run", {"a": 2, "every": 5}, volatile=("every",)).resumed == 0


def test_a_finished_run_is_matched_to_a_config_by_its_recipe(tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("x")
    run = Run.open(tmp_path / "run", {"a": (1, 2), "every": 60}, input_fingerprints({"data": str(data)}))
    folder = run.finish({})
    assert same_recipe(folder, {"a": (1, 2), "every": 5}, volatile=("every",))  # tuples saved as lists
    assert not same_recipe(folder, {"a": (1, 3), "every": 60}, volatile=("every",))
    assert not same_recipe(folder, {"a": (1, 2), "every": 5})


def test_existing_run_needs_overwrite(tmp_path):
    Run.open(tmp_path / "run", {}).finish({}, "")
    with pytest.raises(ReasonlabError, match="already exists"):
        Run.open(tmp_path / "run", {})
    Run.open(tmp_path / "run", {}, overwrite=True).finish({"v": 2}, "")
    assert json.loads((tmp_path / "run" / "summary.json").read_text()) == {"v": 2}


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_written_files_follow_the_umask(tmp_path, umask):
    """Issue 14: config.json, summary.json, report.md and plots were 0600 (mkstemp) beside a 0644
    samples.jsonl; every file a run writes must have the mode the user's umask gives."""
    run = Run.open(tmp_path / "run", {"a": 1})
    run.add({"id": "p0"})
    write_atomic(run.path("plot.png"), b"png")
    folder = run.finish({"score": 1.0}, "# report\n")
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    assert modes == dict.fromkeys(
        ["config.json", "samples.jsonl", "plot.png", "summary.json", "report.md"], 0o666 & ~umask
    )
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask


def write_data(path, lines):
    path.write_text("".join(json.dumps({"problem": q, "answer": a}) + "\n" for q, a in lines))


def test_a_resume_whose_input_changed_is_refused_naming_the_file(tmp_path):
    data = tmp_path / "ds.jsonl"
    write_data(data, [("1+1?", "2"), ("2+2?", "4")])
    run = Run.open(tmp_path / "run", {"a": 1}, inputs=input_fingerprints({"dataset": data}))
    run.add({"id": "p0"})
    config = json.loads((run.partial / "config.json").read_text())
    assert config["a"] == 1 and config["inputs"]["dataset"]["size"] == data.stat().st_size
    assert set(config["inputs"]["dataset"]) >= {"path", "size", "mtime", "sha256"}
    write_data(data, [("1+1?", "2"), ("3+3?", "6")])  # same size, other contents
    with pytest.raises(ReasonlabError, match=f"cannot resume {tmp_path / 'run'}: {data} changed") as e:
        Run.open(tmp_path / "run", {"a": 1}, inputs=input_fingerprints({"dataset": data}))
    assert "contents" in str(e.value) and "--overwrite" in str(e.value) and "\n" not in str(e.value)
    # --overwrite starts over
    fresh = Run.open(tmp_path / "run", {"a": 1}, inputs=input_fingerprints({"dataset": data}), overwrite=True)
    assert fresh.resumed == 0


def test_a_touched_input_still_resumes(tmp_path):
    data = tmp_path / "ds.jsonl"
    write_data(data, [("1+1?", "2")])
    run = Run.open(tmp_path / "run", {"a": 1}, inputs=input_fingerprints({"dataset": data}))
    run.add({"id": "p0"})
    os.utime(data, (1e9, 1e9))  # `touch` or a fresh clone: mtime changes, contents do not
    again = Run.open(tmp_path / "run", {"a": 1}, inputs=input_fingerprints({"dataset": data}))
    assert again.resumed == 1


def test_a_changed_file_in_an_input_folder_is_named(tmp_path):
    folder = tmp_path / "pair"
    (folder / "target").mkdir(parents=True)
    (folder / "target" / "target.inter").write_text("user_id:token\titem_id:token\n1\t2\n")
    (folder / "source.inter").write_text("user_id:token\titem_id:token\n1\t3\n")
    run = Run.open(tmp_path / "run", {}, inputs=input_fingerprints({"target": folder}))
    run.add({"id": "x"})
    (folder / "target" / "target.inter").write_text("user_id:token\titem_id:token\n1\t2\n1\t4\n")
    with pytest.raises(ReasonlabError, match="target.inter changed"):
        Run.open(tmp_path / "run", {}, inputs=input_fingerprints({"target": folder}))


def test_a_model_folders_card_is_not_an_input(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"weights")
    (model / "README.md").write_text("# card, to be measured")
    run = Run.open(tmp_path / "run", {}, inputs=input_fingerprints({"model": model}))
    run.add({"id": "x"})
    (model / "README.md").write_text("# card, measured")  # the card rewritten: the run resumes
    (model / "evaluation.json").write_text("{}")
    (model / "loss_curve.png").write_bytes(b"png")
    assert Run.open(tmp_path / "run", {}, inputs=input_fingerprints({"model": model})).resumed == 1
    (model / "model.safetensors").write_bytes(b"retrained")
    with pytest.raises(ReasonlabError, match="model.safetensors changed"):
        Run.open(tmp_path / "run", {}, inputs=input_fingerprints({"model": model}))
    # a run recorded when the card was still fingerprinted resumes too
    (model / "model.safetensors").write_bytes(b"weights")
    old = input_fingerprints({"model": model})
    old["model"]["files"]["README.md"] = "an old card's sha256"
    old["model"]["sha256"] = "a hash over the card too"
    Run.open(tmp_path / "old", {}, inputs=old).add({"id": "x"})
    assert Run.open(tmp_path / "old", {}, inputs=input_fingerprints({"model": model})).resumed == 1
    # outside a model folder a README is data like any other file
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "README.md").write_text("a")
    before = input_fingerprints({"d": tmp_path / "data"})["d"]["sha256"]
    (tmp_path / "data" / "README.md").write_text("b")
    assert input_fingerprints({"d": tmp_path / "data"})["d"]["sha256"] != before


def test_default_run_names_follow_contents_not_mtime(tmp_path):
    data = tmp_path / "ds.jsonl"
    write_data(data, [("1+1?", "2")])
    config = {"dataset": str(data)}
    first = default_run_dir("generate", config, input_fingerprints({"dataset": data}))
    os.utime(data, (1e9, 1e9))
    assert default_run_dir("generate", config, input_fingerprints({"dataset": data})) == first
    write_data(data, [("1+1?", "3")])
    assert default_run_dir("generate", config, input_fingerprints({"dataset": data})) != first
    # without input files, names are what they were before fingerprints existed
    assert default_run_dir("fractured", {"a": 1}, {}) == Path("runs/fractured-" + "e4ad4daa")


def test_a_config_with_tuples_resumes(tmp_path):
    """config.json turns tuples into lists; a rerun must still see the same config (recsys ks)."""
    run = Run.open(tmp_path / "run", {"ks": (10, 20)})
    run.add({"id": "p0"})
    assert Run.open(tmp_path / "run", {"ks": (10, 20)}).resumed == 1
