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


def _inter_grads(model, batch) -> dict[str, bool]:
    """Which parts of a dual-graph model receive gradient from the inter-domain loss alone."""
    _, (tu, ti, su) = model.intra_losses(batch)
    model.inter_loss(batch, tu, ti, su).backward()
    return {
        part: any(p.grad is not None and p.grad.abs().sum() > 0 for p in getattr(model, part).parameters())
        for part in ("target", "source", "transfer")
    }


@pytest.mark.parametrize(
    "name, placement, target_learns, source_learns",
    [
        ("sccdr", None, False, True),  # the default: the target side is the fixed side of the alignment
        ("ccdr", None, True, True),  # mixed objective: nothing stopped
        ("sccdr", "none", True, True),
        ("sccdr", "source", True, False),
        ("sccdr", "target", False, True),
        ("sccdr", "both", False, False),  # only the transfer network learns
    ],
)
def test_stop_gradient_placement_decides_which_encoder_sees_the_inter_domain_loss(
    data, name, placement, target_learns, source_learns
):
    cfg = ModelConfig(dim=16) if placement is None else ModelConfig(dim=16, stop_gradient=placement)
    grads = _inter_grads(build_model(name, data, cfg), _batch(data))
    assert grads == {"target": target_learns, "source": source_learns, "transfer": True}


def test_sccdr_inter_domain_loss_moves_the_anchor_users_source_embeddings(data):
    model = build_model("sccdr", data, ModelConfig(dim=16))
    batch = _batch(data)
    _inter_grads(model, batch)
    rows = model.source.embedding.weight.grad.abs().sum(1)
    assert (rows[batch.anchor_source] > 0).all()  # each aligned user's own source vector is pulled
    assert model.target.embedding.weight.grad is None  # the target side of the alignment stays put


def test_unknown_stop_gradient_placement_is_a_one_line_error():
    from reasonlab.core.errors import ReasonlabError
    from reasonlab.core.options import from_settings

    with pytest.raises(ReasonlabError, match="stop_gradient must be one of none, source, target, both"):
        from_settings(ModelConfig, {"stop_gradient": "true"}, "model")


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
