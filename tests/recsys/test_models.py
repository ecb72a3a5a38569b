import dataclasses

import numpy as np
import pytest

from reasonlab.recsys.batches import BatchSampler, warm_overlap
from reasonlab.recsys.curriculum import Curriculum, easy_to_hard, overlap_curriculum
from reasonlab.recsys.graph import katz_centrality
from reasonlab.recsys.models import ModelConfig, build_model


def _batch(data):
    sampler = BatchSampler(data, Curriculum(warm_overlap(data), "none"), batch_size=64, anchors=16)
    return next(iter(sampler.epoch(0)))


@pytest.mark.parametrize("name, encoders_learn", [("sccdr", False), ("ccdr", True)])
def test_stop_gradient_keeps_inter_domain_gradients_out_of_the_encoders(data, name, encoders_learn):
    model = build_model(name, data, ModelConfig(dim=16))
    batch = _batch(data)
    _, (tu, ti, su) = model.intra_losses(batch)
    model.inter_loss(batch, tu, ti, su).backward()
    for encoder in (model.target, model.source):
        grads = [p.grad for p in encoder.parameters()]
        touched = any(g is not None and g.abs().sum() > 0 for g in grads)
        assert touched == encoders_learn
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.transfer.parameters())


def test_intra_domain_loss_trains_both_encoders(data):
    model = build_model("sccdr", data, ModelConfig(dim=16))
    model.loss(_batch(data), 0.0)["loss"].backward()
    assert model.target.embedding.weight.grad.abs().sum() > 0
    assert model.source.embedding.weight.grad.abs().sum() > 0


def test_curriculum_opens_from_easy_to_hard():
    order = easy_to_hard(np.arange(10), np.array([5, 1, 9, 3, 3, 0, 8, 7, 2, 6], dtype=float))
    assert order.tolist() == [5, 1, 8, 3, 4, 0, 9, 7, 6, 2]
    c = Curriculum(order, "root", start=0.2, epochs=4)
    sizes = [len(c.pool(e)) for e in (0, 1, 2, 4, 8)]
    assert sizes == sorted(sizes) and sizes[0] == 2 and sizes[-1] == 10
    assert c.pool(0).tolist() == [5, 1]  # the two easiest
    assert Curriculum(order, "none").competence(0) == 1.0


def test_sccdr_curriculum_orders_overlapping_users_by_katz(data):
    candidates = warm_overlap(data)
    c = overlap_curriculum(data, candidates, "katz", "root", 0.2, 10)
    assert sorted(c.order.tolist()) == sorted(candidates.tolist())
    degree = overlap_curriculum(data, candidates, "degree", "root", 0.2, 10)
    # Katz centrality grows with degree: the easiest tenth by Katz sits mostly in the easy half by degree
    easy_half = set(degree.order[: len(candidates) // 2].tolist())
    tenth = c.order[: len(candidates) // 10].tolist()
    assert sum(u in easy_half for u in tenth) >= 0.8 * len(tenth)


def test_katz_centrality_matches_networkx():
    nx = pytest.importorskip("networkx")
    from scipy.sparse import csr_matrix

    g = nx.gnm_random_graph(30, 70, seed=1)
    a = csr_matrix(nx.to_numpy_array(g))
    lam = max(np.linalg.eigvalsh(a.toarray()))
    ours = katz_centrality(a, alpha_ratio=0.5)
    ref = nx.katz_centrality_numpy(g, alpha=0.5 / lam, beta=1.0)
    assert np.allclose(ours, [ref[k] for k in range(30)], atol=1e-6)


def test_serving_vectors_transfer_source_taste_to_cold_users(data):
    model = build_model("sccdr", data, ModelConfig(dim=16)).eval()
    users, items = model.vectors()
    cold = data.split.cold_users
    assert users.shape == (data.target.n_users, 16) and items.shape == (data.target.n_items, 16)
    assert np.allclose(np.linalg.norm(users[cold], axis=1), 1.0, atol=1e-5)  # the mapped vector alone
    sage = build_model("graphsage", data, dataclasses.replace(ModelConfig(dim=16)))
    assert not hasattr(sage, "source")
