"""The shipped testbed models load both ways and answer in the reasoning format (not their accuracy:
that is measured by experiments/testbed_cards.py and recorded in the model cards)."""

import pytest
from transformers import AutoModelForCausalLM

from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids, load_model
from reasonlab.models.think import detect_think_format
from reasonlab.tasks import create_task
from reasonlab.tasks.arith import parse_step
from reasonlab.tasks.extract import last_boxed
from reasonlab.tasks.grade import normalize_int
from reasonlab.testbed.handles import TESTBED_DIR


@pytest.mark.parametrize("name", ["target", "draft"])
def test_shipped_model_thinks_in_steps_then_answers_in_a_box(name):
    model, tokenizer = load_model(f"testbed:{name}")
    assert type(AutoModelForCausalLM.from_pretrained(TESTBED_DIR / name)) is type(model)
    assert (TESTBED_DIR / name / "README.md").is_file()
    engine = HFEngine(model, tokenizer)
    think = detect_think_format(tokenizer)
    task = create_task("arith")
    problems = task.problems(3)
    prompts = [chat_prompt_ids(tokenizer, p.question) for p in problems]
    outs = engine.generate(prompts, SamplingParams(temperature=0, max_tokens=512))
    for problem, out in zip(problems, outs):
        sample = out.outputs[0]
        thinking, solution, closed = think.split(sample.token_ids)
        assert closed and sample.finish_reason == "stop"
        steps = tokenizer.decode(thinking).split(think.step_delimiter)
        assert parse_step(steps[0]) is not None  # the first step is an arithmetic step
        assert parse_step(steps[0])[0] == problem.metadata["start"]  # ...starting from the problem's number
        assert normalize_int(last_boxed(tokenizer.decode(solution, skip_special_tokens=True))) is not None
