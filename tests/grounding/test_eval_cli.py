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
