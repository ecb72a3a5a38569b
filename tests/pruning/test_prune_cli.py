"""`reasonlab prune score` and `reasonlab prune drop` end to end on testbed:draft, and bad input:
one line, exit code 2, nothing left behind."""

import dataclasses
import json

import pytest
import torch
from transformers import AutoModelForCausalLM

from reasonlab.jobs.prune import PruneDropConfig, PruneScoreConfig
from reasonlab.models.loading import load_model
from reasonlab.models.pruned import PLAN_FILE, DroppedAttention, DroppedMLP, decoder_layers
from tests.cli_runner import run_cli
from tests.pruning.conftest import prompt_ids

SMALL = ["--model", "testbed:draft", "--num-texts", "3", "--seq-len", "64", "--no-progress"]
COST = ["--heldout", "4", "--decode-tokens", "4"]  # prune drop: held-out texts and decode steps


def test_score_writes_scores_a_plot_and_a_report(monkeypatch, capsys, tmp_path):
    out = tmp_path / "score"
    code, stdout, err = run_cli(
        monkeypatch, capsys, "prune", "score", *SMALL, "--nll-steps", "1", "--out", str(out)
    )
    assert code == 0, err
    assert {"config.json", "scores.json", "scores.png", "report.md", "summary.json"} <= {
        p.name for p in out.iterdir()
    }
    scores = json.loads((out / "scores.json").read_text())
    assert scores["layers"] == 6 and scores["protected"] == [0, 1, 5]
    methods = ["entropy-knn", "entropy-bucket", "entropy-renyi", "cosine", "nll"]
    assert list(scores["scores"]) == methods
    for m in methods:
        assert set(scores["scores"][m]) == {"attention", "mlp", "layer"}
        assert all(len(v) == 6 for v in scores["scores"][m].values())
        for order in scores["order"][m].values():
            assert set(order) <= {2, 3, 4} and order  # protected layers never in an order
    assert scores["scores"]["nll"]["attention"][0] is None  # protected: not scored
    assert len(scores["order"]["nll"]["attention"]) == 1  # --nll-steps 1
    assert set(scores["seconds"]) >= {"forward", *methods}
    assert "entropy-knn attention: drop order" in stdout
    report = (out / "report.md").read_text()
    assert "](scores.png)" in report and "| entropy-renyi | mlp |" in report


@pytest.mark.parametrize("by", ["entropy-knn", "cosine", "nll", "random"])
def test_drop_attention_blocks_writes_a_folder_every_command_loads(monkeypatch, capsys, tmp_path, by):
    out = tmp_path / "pruned"
    args = [
        "prune",
        "drop",
        *SMALL,
        *COST,
        "--by",
        by,
        "--blocks",
        "attention",
        "--k",
        "2",
        "--out",
        str(out),
    ]
    code, stdout, err = run_cli(monkeypatch, capsys, *args, "--seed", "1")
    assert code == 0, err
    record = json.loads((out / "pruning.json").read_text())
    before, after = record["before"], record["after"]
    assert after["kv_bytes_per_token"] == before["kv_bytes_per_token"] * 4 / 6  # 4 of 6 layers attend
    assert record["heldout_texts"] == 4 and after["heldout_perplexity"] != before["heldout_perplexity"]
    assert before["decode_tokens_per_s"] > 0 and after["decode_tokens_per_s"] > 0
    kv = f"KV-cache bytes per token: {before['kv_bytes_per_token']:.0f} -> {after['kv_bytes_per_token']:.0f}"
    assert f"{kv} (0.67x)" in stdout and "held-out perplexity (4 texts)" in stdout
    assert len(record["dropped"]) == 2 and set(record["dropped"]) <= {2, 3, 4}
    assert record["dropped"] == sorted(record["order"][:2])
    assert json.loads((out / PLAN_FILE).read_text())["attention"] == record["dropped"]
    assert f"dropped attention blocks of layers {', '.join(map(str, record['dropped']))}" in stdout
    model, tokenizer = load_model(str(out))
    layers = decoder_layers(model)
    assert [i for i, layer in enumerate(layers) if isinstance(layer.self_attn, DroppedAttention)] == record[
        "dropped"
    ]
    assert not (tmp_path / "pruned.partial").exists()


def test_drop_whole_layers_gives_a_plain_hugging_face_folder(monkeypatch, capsys, tmp_path):
    out = tmp_path / "pruned"
    args = [
        "prune",
        "drop",
        *SMALL,
        *COST,
        "--by",
        "entropy-bucket",
        "--blocks",
        "layer",
        "--k",
        "2",
        "--out",
        str(out),
    ]
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 0, err
    assert not (out / PLAN_FILE).exists()
    record = json.loads((out / "pruning.json").read_text())
    plain = AutoModelForCausalLM.from_pretrained(out).eval()
    ours, tokenizer = load_model(str(out))
    assert plain.config.num_hidden_layers == 4 and len(decoder_layers(ours)) == 4
    ids = prompt_ids(tokenizer)
    with torch.no_grad():
        assert torch.equal(plain(ids).logits, ours(ids).logits)
    assert record["nll_after"] > record["nll_before"]
    assert record["after"]["kv_bytes_per_token"] == record["before"]["kv_bytes_per_token"] * 4 / 6


def test_drop_mlp_blocks_with_no_protection_on_a_jsonl_calibration(monkeypatch, capsys, tmp_path):
    data = tmp_path / "c.jsonl"
    data.write_text(
        "".join(
            json.dumps({"text": f"Compute {i}+{i + 3} from left to right. " * 3}) + "\n" for i in range(3)
        )
    )
    out = tmp_path / "pruned"
    args = ["prune", "drop", *SMALL, "--calibration", str(data), "--protect", "none", "--by", "entropy-renyi"]
    code, stdout, err = run_cli(monkeypatch, capsys, *args, "--blocks", "mlp", "--k", "6", "--out", str(out))
    assert code == 0, err
    record = json.loads((out / "pruning.json").read_text())  # all 3 lines calibrate: none held out
    assert record["heldout_texts"] == 0 and record["after"]["heldout_perplexity"] is None
    assert "held-out perplexity" not in stdout
    assert record["after"]["kv_bytes_per_token"] == record["before"]["kv_bytes_per_token"]  # MLPs hold no KV
    model, _ = load_model(str(out))
    assert all(isinstance(layer.mlp, DroppedMLP) for layer in decoder_layers(model))


def test_a_pruned_folder_can_be_pruned_again(monkeypatch, capsys, tmp_path):
    """Blocks dropped already are not candidates; the new folder records old and new drops."""
    first, second = tmp_path / "first", tmp_path / "second"
    base = ["prune", "drop", *SMALL, "--by", "cosine", "--k", "1"]
    assert run_cli(monkeypatch, capsys, *base, "--out", str(first))[0] == 0
    (dropped,) = json.loads((first / "pruning.json").read_text())["dropped"]
    code, _, err = run_cli(monkeypatch, capsys, *base, "--model", str(first), "--out", str(second))
    assert code == 0, err
    record = json.loads((second / "pruning.json").read_text())
    assert dropped not in record["order"] and record["dropped"] != [dropped]
    assert json.loads((second / PLAN_FILE).read_text())["attention"] == sorted([dropped, *record["dropped"]])
    load_model(str(second))


def one_line_exit_2(code, err, message):
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    assert message in err, err


BAD = [
    (
        ["drop", "--k", "4"],
        "cannot drop 4 attention blocks: 3 of 6 may be dropped (protected: 0, 1, 5; change --protect)",
    ),
    (["drop", "--k", "0"], "--k must be at least 1, got 0"),
    (["drop", "--k", "1", "--by", "magnitude"], "unknown method 'magnitude'"),
    (["drop", "--k", "1", "--blocks", "heads"], "unknown block kind 'heads'"),
    (["drop", "--k", "1", "--protect", "0,x"], "protect expects layer indices like 0,1,-1"),
    (["drop", "--k", "1", "--protect", "0,8"], "protect: layer 8 does not exist (the model has 6 layers)"),
    (["drop", "--k", "1", "--calibration", "{empty}"], "calibration data is empty"),
    (["drop", "--k", "1", "--seq-len", "20"], "the kNN estimator (k=25) needs more than 25"),
    (["drop", "--k", "1", "--model", "{gpt2}"], "cannot prune GPT2LMHeadModel: no decoder layers"),
    (["drop", "--k", "1", "--heldout", "-1"], "heldout must be at least 0, got -1"),
    (["score", "--methods", "entropy-knn,shapley"], "unknown method 'shapley'"),
    (["score", "--calibration", "{empty}"], "calibration data is empty"),
    (["score", "--pooling", "layer"], "unknown pooling 'layer'"),
    (["score", "--model", "{gpt2}"], "cannot prune GPT2LMHeadModel: no decoder layers"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[f"{a[0]}-{m or 'ok'}"[:60] for a, m in BAD])
def test_bad_input_is_one_line_and_leaves_nothing(monkeypatch, capsys, tmp_path, gpt2_dir, args, message):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    args = [a.format(empty=empty, gpt2=gpt2_dir) for a in args]
    out = tmp_path / "out"
    code, _, err = run_cli(monkeypatch, capsys, "prune", args[0], *SMALL, *args[1:], "--out", str(out))
    one_line_exit_2(code, err, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.jsonl"]


def test_an_existing_folder_is_replaced_only_with_overwrite(monkeypatch, capsys, tmp_path):
    out = tmp_path / "pruned"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    args = ["prune", "drop", *SMALL, "--by", "random", "--k", "1", "--out", str(out)]
    code, _, err = run_cli(monkeypatch, capsys, *args)
    one_line_exit_2(code, err, "already exists (pass --overwrite to replace it)")
    assert (out / "keep.txt").read_text() == "mine"
    assert run_cli(monkeypatch, capsys, *args, "--overwrite")[0] == 0
    assert not (out / "keep.txt").exists() and (out / PLAN_FILE).exists()


@pytest.mark.parametrize("command,cls", [("score", PruneScoreConfig), ("drop", PruneDropConfig)])
def test_every_config_field_is_a_flag_with_help(command, cls):
    from tests.cli.test_options import click_command, commands

    callback = dict(commands())[f"prune {command}"]
    assert callback.__config_options__[0] == (cls,)
    params = {p.name: p for p in click_command(f"prune {command}").params}
    for f in dataclasses.fields(cls):
        assert f.metadata["help"].strip() and params[f.name].help, f.name
    if command == "drop":
        assert params["k"].opts == ["--k"] and params["k"].required


def test_protect_sets_how_many_blocks_may_go(monkeypatch, capsys, tmp_path):
    args = [
        "prune",
        "drop",
        *SMALL,
        "--by",
        "random",
        "--blocks",
        "layer",
        "--k",
        "4",
        "--out",
        str(tmp_path / "p"),
    ]
    one_line_exit_2(*run_cli(monkeypatch, capsys, *args)[::2], "cannot drop 4 layers: 3 of 6 may be dropped")
    assert run_cli(monkeypatch, capsys, *args, "--protect", "0,-1")[0] == 0
    assert json.loads((tmp_path / "p" / "pruning.json").read_text())["dropped"] == [1, 2, 3, 4]


def test_drop_takes_its_order_from_a_score_run_of_the_same_model(monkeypatch, capsys, tmp_path):
    scored = tmp_path / "scored"
    args = ["prune", "score", *SMALL, "--methods", "cosine", "--blocks", "attention", "--out", str(scored)]
    assert run_cli(monkeypatch, capsys, *args)[0] == 0
    order = json.loads((scored / "scores.json").read_text())["order"]["cosine"]["attention"]
    out = tmp_path / "pruned"
    drop = ["prune", "drop", *SMALL, *COST, "--scores", str(scored), "--by", "cosine", "--k", "2"]
    code, _, err = run_cli(monkeypatch, capsys, *drop, "--out", str(out))
    assert code == 0, err
    record = json.loads((out / "pruning.json").read_text())
    assert record["dropped"] == sorted(order[:2]) and record["scores_from"] == str(scored)
    for extra, message in (
        (["--by", "entropy-knn"], "has no entropy-knn order of attention blocks"),
        (["--protect", "none"], "but here [0, 1, 2, 3, 4, 5] may be dropped"),
        (["--model", "testbed:target"], "scores are of model 'testbed:draft', not 'testbed:target'"),
    ):
        code, _, err = run_cli(monkeypatch, capsys, *drop, *extra, "--out", str(tmp_path / "bad"))
        one_line_exit_2(code, err, message)
        assert not (tmp_path / "bad").exists()
