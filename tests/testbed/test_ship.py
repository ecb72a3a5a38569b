"""`reasonlab testbed ship`: the only way a trained model replaces a shipped one, checked and atomic.

The draft preset's recipe is shortened to 2 steps here (PRESETS patched), so that a full run of "the
recipe" takes seconds; every ship goes into a temporary copy of the shipped models."""

import dataclasses
import json
import os
import shutil

import pytest

from reasonlab.testbed import ship as ship_module
from reasonlab.testbed.presets import PRESETS
from reasonlab.testbed.train import TrainConfig, train
from tests.cli_runner import run_cli
from tests.testbed.conftest import tree_hashes

SHORT_DRAFT = dataclasses.replace(PRESETS["draft"], steps=2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A full run of the shortened draft recipe: (run folder, model folder)."""
    work = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(PRESETS, "draft", SHORT_DRAFT)
        model = train(TrainConfig(model="draft", compile=False, work_dir=str(work)), progress=False)
    return work, model


@pytest.fixture
def short_recipe(monkeypatch):
    monkeypatch.setitem(PRESETS, "draft", SHORT_DRAFT)


def test_train_then_ship_replaces_the_weights_and_marks_the_card_stale(
    shipped, short_recipe, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    old_card = (shipped / "draft" / "README.md").read_text()
    old_target = tree_hashes(shipped / "target")
    code, out, err = run_cli(
        monkeypatch, capsys, "testbed", "train", "--model", "draft", "--no-compile", "--no-progress"
    )
    assert code == 0, err
    hint = "reasonlab testbed ship --model draft --from runs/testbed-draft/model"
    assert hint in " ".join(out.split())
    code, out, err = run_cli(monkeypatch, capsys, *hint.split()[1:])
    assert code == 0, err
    assert "python experiments/testbed_cards.py --models draft" in " ".join(out.split())
    run, now = tree_hashes(tmp_path / "runs" / "testbed-draft" / "model"), tree_hashes(shipped / "draft")
    assert all(now[f] == h for f, h in run.items())  # weights, tokenizer, training log, loss curve
    # The card files describe measurements: the previous ones stay, said to be stale on the first line.
    assert {"README.md", "evaluation.json", "depth.png"} <= now.keys()
    card = (shipped / "draft" / "README.md").read_text()
    assert card.startswith(ship_module.STALE_MARK) and card.endswith(old_card)
    assert "describe the previous weights" in card.splitlines()[0]
    assert "stale" in json.loads((shipped / "draft" / "evaluation.json").read_text())
    assert tree_hashes(shipped / "target") == old_target and not (shipped / ".ship").exists()
    # Shipped again before measuring: still one mark.
    assert run_cli(monkeypatch, capsys, *hint.split()[1:])[0] == 0
    assert (shipped / "draft" / "README.md").read_text().count(ship_module.STALE_MARK) == 1


def corrupt(model, tmp_path, change):
    folder = tmp_path / "bad"
    shutil.copytree(model, folder)
    change(folder)
    return folder


def drop_weights(folder):
    (folder / "model.safetensors").unlink()


def truncate_weights(folder):
    path = folder / "model.safetensors"
    path.write_bytes(path.read_bytes()[:1000])


def fewer_steps(folder):
    log = json.loads((folder / "training_log.json").read_text())
    (folder / "training_log.json").write_text(json.dumps({**log, "steps": 1}))


@pytest.mark.parametrize(
    ("change", "model", "message"),
    [
        (drop_weights, "draft", "no model.safetensors"),
        (truncate_weights, "draft", "does not load"),
        (fewer_steps, "draft", "trained for 1 steps"),
        (None, "target", "another recipe than testbed:target's (differs in"),
        (None, "nope", "unknown testbed model 'nope'"),
    ],
)
def test_ship_refuses_what_is_not_a_full_run_of_the_preset(
    shipped, short_recipe, trained, tmp_path, monkeypatch, capsys, change, model, message
):
    before = tree_hashes(shipped)
    folder = corrupt(trained[1], tmp_path, change) if change else trained[1]
    code, _, err = run_cli(monkeypatch, capsys, "testbed", "ship", "--model", model, "--from", str(folder))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert tree_hashes(shipped) == before


def test_ship_refuses_an_incomplete_folder_without_a_training_log(
    shipped, short_recipe, tmp_path, monkeypatch, capsys
):
    before = tree_hashes(shipped)
    code, _, err = run_cli(
        monkeypatch, capsys, "testbed", "ship", "--model", "draft", "--from", str(tmp_path)
    )
    assert code == 2 and "no config.json" in err and "training_log.json" in err, err
    assert tree_hashes(shipped) == before


def interrupt_copy(monkeypatch):
    real, calls = shutil.copy2, []

    def copy2(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ship_module.shutil, "copy2", copy2)


def interrupt_load(monkeypatch):
    def load(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(ship_module, "_check_loads", load)


def interrupt_swap(monkeypatch):
    # The old model was moved aside; moving the new one in is interrupted.
    real, calls = os.rename, []

    def rename(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(ship_module.os, "rename", rename)


@pytest.mark.parametrize("interrupt", [interrupt_copy, interrupt_load, interrupt_swap])
def test_an_interrupted_ship_leaves_the_previous_model_intact(
    shipped, short_recipe, trained, monkeypatch, interrupt
):
    before = tree_hashes(shipped)
    interrupt(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        ship_module.ship("draft", trained[1])
    assert tree_hashes(shipped) == before and not (shipped / ".ship").exists()


def test_a_ship_killed_between_its_renames_is_repaired_by_the_next(shipped, short_recipe, trained):
    # What a kill -9 after the first rename leaves: the previous model aside, none in place.
    old_card = (shipped / "draft" / "README.md").read_text()
    (shipped / ".ship").mkdir()
    os.rename(shipped / "draft", shipped / ".ship" / "old-draft")
    ship_module.ship("draft", trained[1])
    assert (shipped / "draft" / "README.md").read_text().endswith(old_card)  # the previous card, marked
    assert not (shipped / ".ship").exists()


def test_rendering_the_cards_again_keeps_the_stale_mark_until_the_model_is_measured(
    shipped, short_recipe, trained, monkeypatch
):
    # experiments/testbed_cards.py --render-only rewrites every card from evaluation.json: the card
    # of a model shipped but not yet measured must still say so on its first line.
    import sys

    from tests.experiment_scripts import load_experiment

    cards = load_experiment("testbed_cards")
    monkeypatch.setattr(cards, "TESTBED_DIR", shipped)
    ship_module.ship("draft", trained[1])
    monkeypatch.setattr(sys, "argv", ["testbed_cards.py", "--render-only"])
    cards.main()
    draft, target = ((shipped / m / "README.md").read_text() for m in ("draft", "target"))
    assert draft.startswith(ship_module.STALE_MARK) and "# testbed:draft" in draft
    assert "testbed ship --model draft --from runs/testbed-draft/model" in " ".join(draft.split())
    assert target.startswith("# testbed:target")


def test_a_trained_prm_ships_as_testbed_prm_and_loads_by_its_handle(shipped, tmp_path, monkeypatch, capsys):
    from reasonlab.rewards.prm import load_prm

    monkeypatch.chdir(tmp_path)
    steps = [
        "prm",
        "data",
        "--models",
        "testbed:draft",
        "--num-problems",
        "2",
        "-n",
        "1",
        "--max-tokens",
        "32",
    ]
    assert run_cli(monkeypatch, capsys, *steps, "--out", "runs/d", "--no-progress")[0] == 0
    train_args = ["prm", "train", "--data", "runs/d/steps.jsonl", "--steps", "2", "--batch-size", "2"]
    assert run_cli(monkeypatch, capsys, *train_args, "--out", "runs/prm", "--no-progress")[0] == 0
    code, out, err = run_cli(
        monkeypatch, capsys, "testbed", "ship", "--model", "orm", "--from", "runs/prm/model"
    )
    assert code == 2 and "trained as kind 'prm', not 'orm'" in out + err
    code, out, err = run_cli(
        monkeypatch, capsys, "testbed", "ship", "--model", "target", "--from", "runs/prm/model"
    )
    assert code == 2 and "another recipe" in out + err  # a PRM is not the target's recipe
    code, out, err = run_cli(
        monkeypatch, capsys, "testbed", "ship", "--model", "prm", "--from", "runs/prm/model"
    )
    assert code == 0, out + err
    assert "python experiments/prm_card.py --models prm" in " ".join(out.split())
    prm = load_prm("testbed:prm")
    assert prm.layout.step_separator == "\n\n" and (shipped / "prm" / "training_log.json").exists()
