"""Install a trained testbed model as the shipped one (`reasonlab testbed ship`).

Training never writes the package; shipping is this separate, explicit step. It checks that the
folder holds a complete model trained by the full recipe of the preset it replaces, builds the new
shipped folder beside the old one and swaps it in by renames, so an interruption leaves the previous
model in place. Measuring a model for its card takes minutes (experiments/testbed_cards.py: 200
problems x 4 samples), so ship keeps the previous card, marked stale on its first line, and names the
command that measures the new weights and rewrites it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from reasonlab.core.errors import ReasonlabError
from reasonlab.testbed.handles import TESTBED_DIR
from reasonlab.testbed.presets import PRESETS, preset_record

# What `reasonlab testbed train` writes and a shipped model cannot do without.
REQUIRED = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "training_log.json",
)
# Files that describe measurements of the shipped weights: testbed_cards.py writes them, not training.
CARD_FILES = ("README.md", "evaluation.json", "depth.png")
STALE_MARK = "> **Stale card:**"


REWARD_MODELS = ("prm", "orm")  # shipped from `reasonlab prm train` runs, not from presets
REWARD_MODEL_FILES = (*REQUIRED, "prm_config.json")


CARD_COMMAND = "python experiments/testbed_cards.py --models "  # the arith models' cards


def measure_command(name: str) -> str:
    """The command that measures shipped model `name` and rewrites its card."""
    if name in REWARD_MODELS:
        return f"python experiments/prm_card.py --models {name}"
    if name == "logic":  # measured on the meta-ability tasks, not on arith alone
        return "python experiments/logic_card.py"
    return CARD_COMMAND + name


def check_reward_model_folder(name: str, folder: Path) -> dict:
    """The training log of `folder` if it holds a complete PRM (or ORM) of `reasonlab prm train`."""
    if not folder.is_dir():
        raise ReasonlabError(f"--from {folder} is not a folder")
    missing = [f for f in REWARD_MODEL_FILES if not (folder / f).is_file()]
    if missing:
        what = "a complete model folder of `reasonlab prm train`"
        raise ReasonlabError(f"--from {folder} is not {what}: no {', '.join(missing)}")
    try:
        log = json.loads((folder / "training_log.json").read_text())
    except json.JSONDecodeError as e:
        raise ReasonlabError(f"--from {folder}: unreadable JSON ({e})") from None
    if log.get("kind") != name:
        raise ReasonlabError(f"--from {folder} was trained as kind {log.get('kind')!r}, not {name!r}")
    return log


def check_model_folder(name: str, folder: Path) -> dict:
    """The training log of `folder` if it holds a complete model trained by testbed:`name`'s full
    recipe (as recorded in its training_log.json); a one-line ReasonlabError otherwise."""
    if name not in PRESETS:
        raise ReasonlabError(f"unknown testbed model {name!r} (choose from {', '.join(PRESETS)})")
    preset = PRESETS[name]
    if not folder.is_dir():
        raise ReasonlabError(f"--from {folder} is not a folder")
    missing = [f for f in REQUIRED if not (folder / f).is_file()]
    if missing:
        raise ReasonlabError(
            f"--from {folder} is not a complete model folder of `reasonlab testbed train`: "
            f"no {', '.join(missing)}"
        )
    try:
        log = json.loads((folder / "training_log.json").read_text())
        config = json.loads((folder / "config.json").read_text())
    except json.JSONDecodeError as e:
        raise ReasonlabError(f"--from {folder}: unreadable JSON ({e})") from None
    recipe = json.loads(json.dumps(preset_record(preset)))  # as training_log.json stores it
    trained = log.get("preset") if isinstance(log.get("preset"), dict) else {}
    differs = sorted(k for k in recipe.keys() | trained.keys() if trained.get(k) != recipe.get(k))
    if differs:
        raise ReasonlabError(
            f"--from {folder} was trained by another recipe than testbed:{name}'s "
            f"(differs in {', '.join(differs)}; trained as {log.get('config', {}).get('model')!r})"
        )
    if log.get("steps") != preset.steps:
        raise ReasonlabError(
            f"--from {folder} was trained for {log.get('steps')} steps, testbed:{name}'s recipe for "
            f"{preset.steps}; only a full run of the recipe is shipped"
        )
    shape = {"hidden_size": preset.hidden, "num_hidden_layers": preset.layers}
    shape |= {"num_attention_heads": preset.heads, "num_key_value_heads": preset.kv_heads}
    wrong = sorted(k for k, v in shape.items() if config.get(k) != v)
    if wrong:
        raise ReasonlabError(
            f"--from {folder}: config.json does not match testbed:{name} ({', '.join(wrong)})"
        )
    return log


def ship(name: str, source: str | Path) -> Path:
    """Replace shipped model `name` by the model folder `source`; returns the shipped folder.

    The new folder is built in TESTBED_DIR/.ship/new-<name> (the model files of `source`, plus the
    previous card files marked stale) and loaded once, then swapped in by two renames; if the second
    fails, the first is undone, and an interruption between them is repaired by the next ship."""
    source = Path(source)
    reward_model = name in REWARD_MODELS
    log = check_reward_model_folder(name, source) if reward_model else check_model_folder(name, source)
    dest = TESTBED_DIR / name
    if source.resolve() == dest.resolve():
        raise ReasonlabError(f"--from {source} is the shipped testbed:{name} itself")
    work = TESTBED_DIR / ".ship"
    new, old = work / f"new-{name}", work / f"old-{name}"
    _recover(dest, old)
    if new.exists():
        shutil.rmtree(new)
    new.mkdir(parents=True)
    try:
        for f in sorted(source.iterdir()):
            if f.is_file() and f.name not in CARD_FILES:
                shutil.copy2(f, new / f.name)
        _stale_card(name, dest, new, source, log)
        (_check_reward_model_loads if reward_model else _check_loads)(new, source, log)
        _swap(new, dest, old)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    finally:
        if work.is_dir() and not any(work.iterdir()):
            work.rmdir()
    return dest


def _recover(dest: Path, old: Path) -> None:
    """Undo what an interrupted swap left: the previous model moved aside but the new one not in."""
    if old.exists():
        if dest.exists():
            shutil.rmtree(old)  # the swap finished; only its clean-up was cut short
        else:
            os.rename(old, dest)


def _swap(new: Path, dest: Path, old: Path) -> None:
    if not dest.exists():
        os.rename(new, dest)
        return
    os.rename(dest, old)
    try:
        os.rename(new, dest)
    except BaseException:
        os.rename(old, dest)
        raise
    shutil.rmtree(old)


def _stale_card(name: str, dest: Path, new: Path, source: Path, log: dict) -> None:
    """Carry the previous card files over, the card's first line saying that its figures describe
    the previous weights (testbed_cards.py keeps the mark until it measures the new ones)."""
    seed = log.get("config", {}).get("seed")
    note = (
        f"{STALE_MARK} these weights were shipped from `{source}` (seed {seed}, {log['steps']} steps) by "
        "`reasonlab testbed ship`; the figures below describe the previous weights until "
        f"`{measure_command(name)}` measures these and rewrites this card."
    )
    for f in CARD_FILES:
        if (dest / f).is_file():
            shutil.copy2(dest / f, new / f)
    card = (new / "README.md").read_text() if (new / "README.md").is_file() else f"# testbed:{name}\n"
    if card.startswith(STALE_MARK):  # shipped twice without measuring: one mark, the latest
        card = card.split("\n", 2)[2] if card.count("\n") >= 2 else ""
    (new / "README.md").write_text(f"{note}\n\n{card}")
    if (new / "evaluation.json").is_file():
        evaluation = json.loads((new / "evaluation.json").read_text())
        (new / "evaluation.json").write_text(json.dumps({**evaluation, "stale": note}, indent=2) + "\n")


def _check_loads(folder: Path, source: Path, log: dict) -> None:
    """Load the staged copy as users will, so that a corrupt file is refused before it is shipped."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    except Exception as e:  # transformers and safetensors raise several types for a bad file
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ReasonlabError(f"--from {source}: the model does not load ({first})") from None
    parameters = sum(p.numel() for p in model.parameters())
    if parameters != log.get("parameters"):
        raise ReasonlabError(
            f"--from {source}: the weights have {parameters} parameters, training_log.json says "
            f"{log.get('parameters')}"
        )


def _check_reward_model_loads(folder: Path, source: Path, log: dict) -> None:
    """Load the staged PRM as users will; its tokenizer must be the testbed's (RSD passes token ids
    between the draft, the target and the PRM)."""
    from reasonlab.rewards.prm import load_prm
    from reasonlab.testbed.tokenizer import build_tokenizer

    try:
        prm = load_prm(str(folder))
    except Exception as e:  # a bad file surfaces as one of several types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ReasonlabError(f"--from {source}: the reward model does not load ({first})") from None
    if prm.tokenizer.get_vocab() != build_tokenizer().get_vocab():
        raise ReasonlabError(f"--from {source}: its tokenizer is not the testbed's")
    parameters = sum(p.numel() for p in prm.parameters())
    if parameters != log.get("parameters"):
        raise ReasonlabError(
            f"--from {source}: the weights have {parameters} parameters, training_log.json says "
            f"{log.get('parameters')}"
        )
