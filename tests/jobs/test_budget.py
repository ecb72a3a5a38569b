"""The budget job reports what the official code counts and says what t = -1 stands for."""

from reasonlab.core.runs import Run
from reasonlab.engines.hf import HFEngine
from reasonlab.jobs.budget import BudgetJobConfig, report_markdown, run_budget
from reasonlab.jobs.common import config_dict
from reasonlab.models.think import detect_think_format
from reasonlab.tasks import create_task

WRAP = "Time is up.\n"


def test_tokens_include_the_marker_and_wrap_up_and_the_cap_is_stated(tmp_path):
    engine = HFEngine.from_pretrained("testbed:target")
    think = detect_think_format(engine.tokenizer, model_name="testbed:target")
    cfg = BudgetJobConfig.for_model(
        model="testbed:target", num_problems=2, n=2, thinking=[8, -1], wrap_up=WRAP, max_thinking=500
    )
    run = Run.open(tmp_path / "run", config_dict(cfg))
    summary = run_budget(cfg, engine, create_task("arith"), think, run, progress=False)
    forced, unlimited = summary["budgets"]
    wrap = len(engine.tokenizer.encode(WRAP, add_special_tokens=False))
    assert forced["forced_rate"] == 1 and forced["thinking_tokens"] == 8
    assert forced["marker_tokens"] == wrap + 1  # the wrap-up and "</think>" are part of the response
    for row in (forced, unlimited):
        assert row["tokens"] == row["thinking_tokens"] + row["marker_tokens"] + row["solution_tokens"]
        assert row["solution_cut_rate"] == 0  # s = 48 fits the testbed's solutions
    assert unlimited["forced_rate"] == 0 and unlimited["marker_tokens"] == 1  # the model's own close
    assert (forced["thinking_cap"], unlimited["thinking_cap"]) == (8, 500)
    assert summary["max_thinking"] == 500
    report = report_markdown(cfg, summary)
    assert "| unlimited (capped at 500) |" in report and "at most 500 thinking tokens" in report


def test_report_warns_when_the_solution_budget_cuts_solutions(tmp_path):
    engine = HFEngine.from_pretrained("testbed:target")
    think = detect_think_format(engine.tokenizer)
    cfg = BudgetJobConfig.for_model(model="testbed:target", num_problems=1, n=2, thinking=[-1], solution=16)
    run = Run.open(tmp_path / "run", config_dict(cfg))
    summary = run_budget(cfg, engine, create_task("arith"), think, run, progress=False)
    [row] = summary["budgets"]
    assert row["solution_cut_rate"] == 1 and row["accuracy"] == 0
    assert "s = 16 cut 100% of the solutions" in report_markdown(cfg, summary)
