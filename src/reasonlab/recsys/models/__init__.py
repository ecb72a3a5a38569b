"""The recommenders by name. SCCDR and the CCDR-style baseline share one architecture and differ
only in what SCCDR claims matters: the stop-gradient and the negative curriculum."""

from __future__ import annotations

import dataclasses

from reasonlab.core.errors import ReasonlabError
from reasonlab.recsys.data import CrossDomainData
from reasonlab.recsys.models.base import ModelConfig, Recommender
from reasonlab.recsys.models.dual_graph import DualGraph
from reasonlab.recsys.models.mf import BPRMF, EMCDR
from reasonlab.recsys.models.popularity import Popularity

MODELS = {
    "pop": "most popular target items (no learning)",
    "bprmf": "target-only BPR matrix factorisation",
    "graphsage": "target-only GraphSAGE link prediction",
    "emcdr": "MF in both domains + source-to-target mapping for cold-start users",
    "ccdr": "dual GraphSAGE, intra- and inter-domain losses mixed, random negatives",
    "sccdr": "dual GraphSAGE, stop-gradient on the target side of the inter-domain loss, negative curriculum",
}
USES_CURRICULUM = {"sccdr"}


def build_model(name: str, data: CrossDomainData, cfg: ModelConfig) -> Recommender:
    if name not in MODELS:
        raise ReasonlabError(f"unknown model {name!r} (one of {', '.join(MODELS)})")
    if name == "pop":
        return Popularity(data, cfg)
    if name == "bprmf":
        return BPRMF(data, cfg)
    if name == "emcdr":
        return EMCDR(data, cfg)
    if name == "graphsage":
        return DualGraph(data, cfg, use_source=False)
    stop_gradient = cfg.stop_gradient if name == "sccdr" else "none"  # sccdr's "none" = an ablation
    return DualGraph(data, dataclasses.replace(cfg, stop_gradient=stop_gradient), use_source=True)


__all__ = ["MODELS", "USES_CURRICULUM", "ModelConfig", "Recommender", "build_model"]
