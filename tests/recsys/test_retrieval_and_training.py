import numpy as np
import pytest

from reasonlab.recsys.evaluation import clamp_ks
from reasonlab.recsys.retrieval import ItemIndex, brute_force_topk
from reasonlab.recsys.training import FitConfig, fit


def test_faiss_search_equals_brute_force_with_exclusions():
    rng = np.random.default_rng(0)
    users, items = rng.standard_normal((20, 8)), rng.standard_normal((100, 8))
    exclude = [rng.choice(100, size=rng.integers(0, 15), replace=False) for _ in range(20)]
    exact = ItemIndex(items).search(users, 10, exclude)
    assert np.array_equal(exact, brute_force_topk(users, items, 10, exclude))
    assert all(not set(row) & set(ex) for row, ex in zip(exact, exclude))
    approx = ItemIndex(items, kind="ivf", nlist=4, nprobe=4).search(users, 10, exclude)
    assert ((approx >= 0) & (approx < 100)).all()


def test_k_larger_than_the_catalogue_is_clamped_with_a_note():
    ks, notes = clamp_ks((10, 20, 50), 30)
    assert ks == (10, 20, 30) and notes == ["K=50 exceeds the 30 target items: clamped to 30"]


def test_learned_models_beat_popularity_on_a_tiny_synthetic_pair(data):
    pop = fit(data, FitConfig(model="pop"), progress=False).test["ndcg@20"]
    for model in ("bprmf", "sccdr"):
        result = fit(data, FitConfig(model=model, epochs=10, lr=1e-2, batch_size=256), progress=False)
        assert result.test["ndcg@20"] > pop, model


def test_an_interrupted_fit_resumes_to_the_same_result(data, tmp_path):
    cfg = FitConfig(model="sccdr", epochs=3, patience=10, lr=5e-3, batch_size=512)
    straight = fit(data, cfg, progress=False)
    ckpt = tmp_path / "checkpoint.pt"
    fit(data, FitConfig(**{**cfg.__dict__, "epochs": 1}), checkpoint=ckpt, progress=False)
    resumed = fit(data, cfg, checkpoint=ckpt, progress=False)
    assert [h["loss"] for h in resumed.history] == pytest.approx([h["loss"] for h in straight.history])
    assert resumed.test == pytest.approx(straight.test)


def test_uni100_ranks_held_out_items_among_sampled_negatives():
    from reasonlab.recsys.evaluation import sampled_ranking

    rng = np.random.default_rng(1)
    items = rng.standard_normal((300, 8))
    items /= np.linalg.norm(items, axis=1, keepdims=True)  # unit vectors: an item scores itself highest
    users = items[[5, 17]] * 10  # each user points at one item
    ranked = sampled_ranking(
        users, items, [np.array([5]), np.array([17])], [np.array([1, 2]), np.array([])], k=10
    )
    assert ranked[:, 0].tolist() == [5, 17]
    assert ranked.shape == (2, 10) and not set(ranked[0]) & {1, 2}
