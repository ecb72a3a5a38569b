import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.engines import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import ThinkFormat, detect_think_format
from reasonlab.sampling.budget import generate_with_thinking_budget


def test_thinking_is_cut_at_the_budget_and_closed_with_the_marker_ids(tiny):
    engine = HFEngine(*tiny)
    tok = tiny[1]
    think = detect_think_format(tok)
    p = chat_prompt_ids(tok, "Compute 1+2.")
    sp = SamplingParams(n=2, temperature=1.0, max_tokens=30, seed=0, ignore_eos=True)
    results = generate_with_thinking_budget(engine, [p], sp, think, thinking_budget=10)
    for sample in results[0]:
        ids = sample.output.token_ids
        at = think.find_close(ids)
        assert at is not None and at <= 10
        if sample.forced_close:
            assert at == 10 and ids[:10] == ids[:at]
        assert len(ids) - (at + 1 if sample.forced_close else 0) <= 30
    # the continuation reused the first part's KV instead of recomputing it
    assert sum(s.output.usage.prefill_reused for s in results[0]) > 0


def test_budget_needs_markers(tiny):
    engine = HFEngine(*tiny)
    no_markers = ThinkFormat(None, None, model_name="plain")
    with pytest.raises(ReasonlabError, match="plain has no thinking markers"):
        generate_with_thinking_budget(engine, [[5, 6]], SamplingParams(max_tokens=5), no_markers, 2)
