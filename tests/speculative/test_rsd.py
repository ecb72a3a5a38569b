"""RSD's step loop on the testbed models: the two ends of delta, the ledger, per-solution stopping."""

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.engines.base import SamplingParams
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.prm.config import PRMTrainConfig
from reasonlab.prm.train import build_prm
from reasonlab.rewards.prm import IncrementalPRM
from reasonlab.speculative.rsd import RSDConfig, check_tokenizers, rsd_generate
from reasonlab.tasks import create_task

TASK = create_task("arith")


@pytest.fixture(scope="module")
def trio():
    draft, target = HFEngine.from_pretrained("testbed:draft"), HFEngine.from_pretrained("testbed:target")
    prm = build_prm(PRMTrainConfig(init="testbed:draft")).eval()  # an untrained head: scores in (0, 1)
    prompts = [chat_prompt_ids(draft.tokenizer, TASK.problem(i).question) for i in range(3)]
    return draft, target, prm, prompts


def _greedy(engine, prompts, max_tokens):
    outs = engine.generate(prompts, SamplingParams(temperature=0.0, max_tokens=max_tokens))
    return [o.outputs[0].token_ids for o in outs]


def test_delta_0_is_the_draft_alone_and_delta_1_the_target_alone(trio):
    draft, target, prm, prompts = trio
    cfg = RSDConfig(delta=0.0, max_tokens=120)
    solutions, ledger = rsd_generate(draft, target, IncrementalPRM(prm), prompts, cfg)
    assert [s.token_ids for s in solutions] == _greedy(draft, prompts, 120)
    assert ledger["target"].generated == 0 and ledger["draft"].discarded == 0
    assert all(s.accepted_share == 1.0 for s in solutions)

    solutions, ledger = rsd_generate(
        draft, target, IncrementalPRM(prm), prompts, RSDConfig(delta=1.0, max_tokens=120)
    )
    assert [s.token_ids for s in solutions] == _greedy(target, prompts, 120)
    assert ledger["draft"].accepted == 0 and ledger["draft"].discarded == ledger["draft"].generated > 0
    assert ledger["target"].generated == sum(len(s.token_ids) for s in solutions)


def test_the_ledger_adds_up_and_the_prm_runs_each_token_once(trio):
    draft, target, prm, prompts = trio
    solutions, ledger = rsd_generate(
        draft, target, IncrementalPRM(prm), prompts, RSDConfig(delta=0.5, max_tokens=100)
    )
    d, t, p = ledger["draft"], ledger["target"], ledger["prm"]
    assert d.generated == d.accepted + d.discarded
    kept = sum(len(s.token_ids) for s in solutions)
    assert d.accepted + t.generated == kept
    # the PRM ran the prompts, every draft step (kept or not) and every target step, each once
    # (plus one separator per step that ended at end of sequence rather than at the delimiter)
    assert p.prefill_computed >= sum(map(len, prompts)) + d.generated + t.generated
    assert p.prefill_computed <= sum(map(len, prompts)) + d.generated + t.generated + 4 * len(prompts)
    assert p.prefill_reused > 0 and d.prefill_reused > 0  # accepted prefixes are not recomputed
    assert all(x.flops > 0 for x in (d, p))


def test_each_solution_stops_on_its_own(trio):
    draft, target, prm, prompts = trio
    solutions, _ = rsd_generate(
        draft, target, IncrementalPRM(prm), prompts, RSDConfig(delta=0.5, max_steps=2)
    )
    assert all(len(s.steps) <= 2 for s in solutions)
    assert {s.finish_reason for s in solutions} <= {"max_steps", "stop", "length"}
    solutions, _ = rsd_generate(
        draft, target, IncrementalPRM(prm), prompts, RSDConfig(delta=0.5, max_tokens=30)
    )
    assert all(len(s.token_ids) <= 30 and s.finish_reason == "length" for s in solutions)


def test_bad_settings_and_mismatched_tokenizers_are_refused(trio):
    draft, *_ = trio
    with pytest.raises(ReasonlabError, match="--delta 1.5: must be in"):
        RSDConfig(delta=1.5).validate()
    with pytest.raises(ReasonlabError, match="--weighting 'soft'"):
        RSDConfig(weighting="soft").validate()

    class Other:
        class tokenizer:  # noqa: N801
            @staticmethod
            def get_vocab():
                return {"a": 0}

    with pytest.raises(ReasonlabError, match="tokenizers differ"):
        check_tokenizers(draft, Other())


def test_weightings_keep_a_draft_step_with_probability_w():
    import random

    rng = random.Random(0)
    assert RSDConfig(delta=0.7).accepts(0.7, rng) and not RSDConfig(delta=0.7).accepts(0.69, rng)
    share = lambda cfg, r: sum(cfg.accepts(r, rng) for _ in range(4000)) / 4000  # noqa: E731
    assert share(RSDConfig(weighting="clip"), 0.3) == pytest.approx(0.3, abs=0.03)
    assert share(RSDConfig(weighting="constant", delta=0.2), 0.99) == pytest.approx(0.2, abs=0.03)
    assert share(RSDConfig(weighting="sigmoidal"), 1.0) == pytest.approx(0.5, abs=0.03)
    assert share(RSDConfig(weighting="logistic", delta=0.7, alpha=10), 0.7) == pytest.approx(0.5, abs=0.03)


def test_baselines_on_the_same_ledger(trio):
    from reasonlab.speculative.baselines import assisted, best_of_n, single_model

    draft, target, prm, prompts = trio
    ids, ledger = single_model(target, prompts, 60)
    assert ids == _greedy(target, prompts, 60) and ledger.generated == sum(map(len, ids))
    questions = [TASK.problem(i).question for i in range(3)]
    candidates = best_of_n(draft, prm, questions, prompts, n=4, max_tokens=60, temperature=1.0, seed=0)
    one, ledger_1 = candidates.choose(1)
    four, ledger_4 = candidates.choose(4)
    assert one == [ids[0] for ids in candidates.token_ids]  # best of one is the first sample
    for ids, scores, chosen in zip(candidates.token_ids, candidates.scores, four):
        assert chosen == ids[max(range(4), key=lambda k: scores[k])]
    assert ledger_4["draft"].generated > ledger_1["draft"].generated
    assert ledger_4["draft"].prefill_computed == ledger_1["draft"].prefill_computed  # one prefill per prompt
    assert ledger_4["prm"].prefill_computed > ledger_4["draft"].generated  # it reads prompt and steps
    # token-level speculative decoding is lossless: the target's own greedy output
    eos = target.tokenizer.eos_token_id
    out, ledgers = assisted(target.model, draft.model, prompts[:2], 60, eos)
    assert out == [x[: len(o)] for x, o in zip(_greedy(target, prompts[:2], 60), out)]
    assert [len(o) for o in out] == [len(x) for x in _greedy(target, prompts[:2], 60)]
    assert ledgers["draft"].generated > 0 and ledgers["target"].prefill_computed > 0
