"""Generation defaults follow the model: testbed handles keep their caps, real models get the papers'."""

import json

from reasonlab.cli.common import config_from
from reasonlab.jobs.budget import BudgetJobConfig
from reasonlab.jobs.fractured import FracturedJobConfig
from reasonlab.jobs.generate import GenerateConfig
from reasonlab.models.defaults import OFFICIAL_SYSTEM_PROMPT


def test_testbed_models_keep_testbed_caps():
    cfg = FracturedJobConfig.for_model(model="testbed:target")
    assert (cfg.max_tokens, cfg.answer_max_tokens, cfg.system_prompt) == (512, 32, None)
    budget = BudgetJobConfig.for_model(model="testbed:draft")
    assert (budget.solution, budget.max_thinking) == (48, 512)  # measured in docs/reproductions/budget.md


def test_local_model_folder_gets_official_settings():
    cfg = FracturedJobConfig.for_model(model="/models/r1-distill-7b")
    assert (cfg.max_tokens, cfg.answer_max_tokens) == (32768, 2048)
    assert cfg.system_prompt == OFFICIAL_SYSTEM_PROMPT
    budget = BudgetJobConfig.for_model(model="/models/r1-distill-7b")
    assert (budget.solution, budget.max_thinking) == (1024, 32768)


def test_a_folder_trained_by_testbed_train_keeps_testbed_caps(tmp_path):
    """A freshly trained testbed model is evaluated from its run folder before it is shipped; with
    a real model's 32768 tokens and system prompt it would ramble and score nothing."""
    trained, other = tmp_path / "trained", tmp_path / "other"
    trained.mkdir()
    other.mkdir()
    (trained / "training_log.json").write_text(json.dumps({"preset": {"hidden": 256}, "steps": 10}))
    (other / "training_log.json").write_text("not json")
    cfg = FracturedJobConfig.for_model(model=str(trained))
    assert (cfg.max_tokens, cfg.answer_max_tokens, cfg.system_prompt) == (512, 32, None)
    assert FracturedJobConfig.for_model(model=str(other)).max_tokens == 32768


def test_explicit_values_win_and_empty_system_prompt_means_none():
    cfg = config_from(
        GenerateConfig, {"model": "/models/qwen3", "max_tokens": 4096, "system_prompt": "", "n": 2}
    )
    assert (cfg.max_tokens, cfg.system_prompt, cfg.n) == (4096, "", 2)
    unset = config_from(GenerateConfig, {"model": "/models/qwen3", "max_tokens": None, "system_prompt": None})
    assert (unset.max_tokens, unset.system_prompt) == (32768, OFFICIAL_SYSTEM_PROMPT)


def test_a_folder_made_from_a_testbed_model_keeps_testbed_caps(tmp_path):
    """An RL policy, a merge or a pruned copy of a testbed model has no training_log.json but keeps
    the testbed's tokenizer: with the official system prompt it would see a prompt it was never
    trained on (the meta-ability pipeline's level-2 specialists did, and scored near zero)."""
    import shutil

    from reasonlab.models.loading import resolve_model_path

    derived, other = tmp_path / "derived", tmp_path / "other"
    shutil.copytree(resolve_model_path("testbed:draft"), derived)
    (derived / "training_log.json").unlink()
    other.mkdir()
    (other / "tokenizer.json").write_text('{"version": "1.0"}')
    cfg = FracturedJobConfig.for_model(model=str(derived))
    assert (cfg.max_tokens, cfg.answer_max_tokens, cfg.system_prompt) == (512, 32, None)
    assert FracturedJobConfig.for_model(model=str(other)).system_prompt == OFFICIAL_SYSTEM_PROMPT
