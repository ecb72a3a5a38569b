import json

from tests.cli.test_cli import SMALL, run_cli


def test_list_and_compare_read_what_the_runs_wrote(monkeypatch, capsys, tmp_path):
    root = tmp_path / "runs"
    for seed in (0, 1):
        code, _, err = run_cli(
            monkeypatch, capsys, "generate", *SMALL, "--seed", str(seed), "--out", str(root / f"seed{seed}")
        )
        assert code == 0, err
    (root / "seed2.partial").mkdir()  # an interrupted run: config written, one problem done
    (root / "seed2.partial" / "config.json").write_text("{}")
    (root / "seed2.partial" / "samples.jsonl").write_text('{"id": "a"}\n')
    (root / "data").mkdir()  # not a run: no config.json

    code, out, err = run_cli(monkeypatch, capsys, "runs", "list", "--dir", str(root))
    assert code == 0, err
    assert "seed0" in out and "seed1" in out and "interrupted" in out and "finished" in out
    assert "data" not in out.split("key figures")[1]

    code, out, err = run_cli(monkeypatch, capsys, "runs", "compare", str(root / "seed0"), str(root / "seed1"))
    assert code == 0, err
    assert "seed" in out  # the one setting that differs
    a = json.loads((root / "seed0" / "summary.json").read_text())["usage"]["generated"]
    b = json.loads((root / "seed1" / "summary.json").read_text())["usage"]["generated"]
    if a != b:
        assert "usage.generated" in out and str(b - a) in out


def test_compare_refuses_what_is_not_a_finished_run(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "runs", "compare", str(tmp_path), str(tmp_path))
    assert code == 2 and "is not a finished run folder" in err and len(err.strip().splitlines()) == 1
