import json

from tests.cli.test_cli import run_cli


def test_file_adapter_scores_precomputed_predictions(monkeypatch, capsys, tmp_path, osworld_g):
    preds = tmp_path / "preds.jsonl"
    rows = [
        {"id": "b1", "response": '{"coordinate": [30, 30]}'},  # inside the bbox
        {"id": "p1", "point": [10, 90]},  # outside the polygon
        {"id": "r1", "response": "(-1, -1)"},  # a correct refusal
    ]
    preds.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "run"
    args = ["grounding", "eval", "--data", str(osworld_g), "--adapter", "file", "--predictions", str(preds)]
    code, stdout, err = run_cli(
        monkeypatch, capsys, *args, "--convention", "pixels", "--out", str(out), "--no-progress"
    )
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["correct"] == 2 and summary["overall"]["total"] == 3
    assert (
        summary["overall_without_refusal"]["total"] == 2
        and summary["overall_without_refusal"]["correct"] == 1
    )
    assert summary["by"]["category"]["fine_grained_manipulation"]["accuracy"] == 0.5
    assert summary["skipped_records"] == 2 and "skipped 2 of 5 records" in stdout
    assert summary["adapter"]["convention"] == "pixels" and summary["adapter"]["adapter"] == "file"
    assert (out / "failures.png").exists()
    report = (out / "report.md").read_text()
    assert "refusal items included" in report and "refusal items excluded" in report


def test_grounding_eval_errors_are_one_line(monkeypatch, capsys, tmp_path, osworld_g):
    base = ["grounding", "eval", "--data", str(osworld_g)]
    for args, message in [
        (["--adapter", "file"], "needs --predictions"),
        (["--adapter", "openai"], "needs --base-url and --model"),
        (["--adapter", "nope"], "unknown adapter"),
        (["--template", "nope"], "unknown prompt template"),
        (["--format", "screenspot-pro"], "no annotation files"),
    ]:
        code, _, err = run_cli(monkeypatch, capsys, *base, *args, "--out", str(tmp_path / "r"))
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (args, err)


def test_pixel_bounds_decide_where_a_4k_answer_lands(monkeypatch, capsys, tmp_path, screenspot_pro_4k):
    """The same Jedi answer, [966, 532] in the resized image, is the centre of a 3840x2160 screenshot
    under Jedi's 1080p budget (resized to 1932x1064) and a miss under Qwen2.5-VL's defaults (3836x2156).
    The bounds used are recorded in the adapter description of the result."""
    preds = tmp_path / "preds.jsonl"
    click = {"action": "left_click", "coordinate": [966, 532]}
    response = "<tool_call>\n" + json.dumps({"name": "computer_use", "arguments": click}) + "\n</tool_call>"
    preds.write_text(json.dumps({"id": "premiere_0", "response": response}) + "\n")
    base = ["grounding", "eval", "--data", str(screenspot_pro_4k), "--format", "screenspot-pro"]
    base += ["--adapter", "file", "--predictions", str(preds), "--template", "jedi", "--no-progress"]
    results = {}
    for name, extra in [("jedi", []), ("qwen", ["--max-pixels", "12845056"])]:
        out = tmp_path / name
        code, _, err = run_cli(monkeypatch, capsys, *base, *extra, "--out", str(out))
        assert code == 0, err
        results[name] = json.loads((out / "summary.json").read_text())
        assert "max_pixels" in (out / "report.md").read_text()
    assert results["jedi"]["overall"]["correct"] == 1 and results["qwen"]["overall"]["correct"] == 0
    jedi, qwen = results["jedi"]["adapter"], results["qwen"]["adapter"]
    assert (jedi["min_pixels"], jedi["max_pixels"]) == (3136, 2700 * 28 * 28)
    assert (qwen["min_pixels"], qwen["max_pixels"]) == (3136, 12845056)


def test_bad_pixel_bounds_are_one_line_cli_errors(monkeypatch, capsys, tmp_path, osworld_g):
    base = ["grounding", "eval", "--data", str(osworld_g), "--adapter", "file", "--predictions", "x.jsonl"]
    for args, message in [
        (["--min-pixels", "0"], "--min-pixels must be a positive integer"),
        (["--max-pixels", "-1"], "--max-pixels must be a positive integer"),
        (["--min-pixels", "5000000", "--max-pixels", "1000000"], "larger than --max-pixels"),
        (["--template", "jedi", "--min-pixels", "3000000"], "larger than --max-pixels"),
    ]:
        code, _, err = run_cli(monkeypatch, capsys, *base, *args, "--out", str(tmp_path / "r"))
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (args, err)


def test_file_adapter_says_how_many_ids_matched_and_refuses_none(monkeypatch, capsys, tmp_path, osworld_g):
    """Predictions keyed by other ids used to score 0% with exit 0, as if the model had failed."""
    preds = tmp_path / "preds.jsonl"
    base = ["grounding", "eval", "--data", str(osworld_g), "--adapter", "file", "--predictions", str(preds)]
    base += ["--convention", "pixels", "--no-progress"]
    preds.write_text('{"id": "0", "point": [30, 30]}\n{"id": "1", "point": [30, 30]}\n')
    code, _, err = run_cli(monkeypatch, capsys, *base, "--out", str(tmp_path / "none"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "none of the 2 ids in" in err and "match the 3 samples" in err and "'b1'" in err, err
    assert not (tmp_path / "none").exists() and not (tmp_path / "none.partial").exists()

    preds.write_text('{"id": "b1", "point": [30, 30]}\n{"id": "x", "point": [1, 1]}\n')
    out = tmp_path / "some"
    code, stdout, err = run_cli(monkeypatch, capsys, *base, "--out", str(out))
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["predictions_matched"] == {"matched": 1, "samples": 3, "predictions": 2}
    assert "predictions for 1 of 3 samples" in " ".join(stdout.split())
    assert "Predictions for 1 of 3 samples" in (out / "report.md").read_text()
