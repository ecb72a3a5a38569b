"""A synthetic pair of recommendation domains with a known amount of shared taste.

Each person has a shared taste vector z and one private vector per domain; their preference in
domain d is p_d = sqrt(r) z + sqrt(1 - r) e_d, so `relatedness` r is the correlation of the two
domains' preferences. Items have domain-specific factors and a Zipf popularity with exponent
`popularity_skew`. A user picks items without replacement with probability proportional to
exp(sharpness * p.q / sqrt(f) + log popularity) (Gumbel top-k). Written as RecBole atomic files.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import data_folder, write_atomic
from reasonlab.recsys.atomic import write_atomic_file


@dataclass
class SynthConfig:
    source_users: int = 2000
    target_users: int = 2000
    overlap: float = 0.5  # share of target users who also use the source domain
    source_items: int = 800
    target_items: int = 600
    factors: int = 16
    relatedness: float = 0.5  # correlation of a person's preferences across the two domains
    popularity_skew: float = 0.8  # Zipf exponent of item popularity (0 = uniform)
    sharpness: float = 3.0  # how strongly taste, not popularity, drives the choice
    mean_interactions: float = 20.0
    min_interactions: int = 5  # like RecBole's 5-core filtering
    seed: int = 0

    def validate(self) -> None:
        if not 0 < self.overlap <= 1:
            raise ReasonlabError(f"overlap must be in (0, 1], got {self.overlap}")
        if not 0 <= self.relatedness <= 1:
            raise ReasonlabError(f"relatedness must be in [0, 1], got {self.relatedness}")
        if self.popularity_skew < 0:
            raise ReasonlabError(f"popularity_skew must be >= 0, got {self.popularity_skew}")
        shared = round(self.overlap * self.target_users)
        if shared > self.source_users:
            raise ReasonlabError(
                f"overlap {self.overlap} of {self.target_users} target users needs {shared} source users, "
                f"only {self.source_users} exist"
            )
        for name in ("source_items", "target_items"):
            if getattr(self, name) < self.mean_interactions * 2:
                raise ReasonlabError(f"{name} must be at least twice mean_interactions")
        if self.min_interactions < 1 or self.mean_interactions < self.min_interactions:
            raise ReasonlabError("need 1 <= min_interactions <= mean_interactions")


def _interactions(pref: np.ndarray, n_items: int, cfg: SynthConfig, rng: np.random.Generator):
    items = rng.standard_normal((n_items, cfg.factors))
    log_pop = -cfg.popularity_skew * np.log(rng.permutation(n_items) + 1.0)
    logits = cfg.sharpness * pref @ items.T / np.sqrt(cfg.factors) + log_pop
    counts = cfg.min_interactions + rng.poisson(cfg.mean_interactions - cfg.min_interactions, len(pref))
    counts = np.minimum(counts, n_items // 2)
    gumbel = rng.gumbel(size=logits.shape)
    chosen = np.argsort(-(logits + gumbel), axis=1)
    users = np.repeat(np.arange(len(pref)), counts)
    picked = np.concatenate([chosen[u, :c] for u, c in enumerate(counts)])
    return users, picked


def generate(cfg: SynthConfig) -> dict[str, dict[str, tuple[str, list]]]:
    """Atomic-file columns of both domains: {"source": ..., "target": ...}."""
    cfg.validate()
    rng = np.random.default_rng(cfg.seed)
    shared = round(cfg.overlap * cfg.target_users)
    people = cfg.source_users + cfg.target_users - shared
    taste = rng.standard_normal((people, cfg.factors))
    # person k < shared uses both; then source-only people, then target-only people
    source_people = np.arange(cfg.source_users)
    target_people = np.concatenate([np.arange(shared), np.arange(cfg.source_users, people)])
    domains = {}
    for name, who, n_items in (
        ("source", source_people, cfg.source_items),
        ("target", target_people, cfg.target_items),
    ):
        private = rng.standard_normal((len(who), cfg.factors))
        pref = np.sqrt(cfg.relatedness) * taste[who] + np.sqrt(1 - cfg.relatedness) * private
        users, items = _interactions(pref, n_items, cfg, rng)
        prefix = name[0]
        domains[name] = {
            "user_id": ("token", [f"u{who[u]}" for u in users]),
            "item_id": ("token", [f"{prefix}{i}" for i in items]),
            "rating": ("float", [1.0] * len(users)),
            "timestamp": ("float", [float(t) for t in range(len(users))]),
        }
    return domains


def write_pair(cfg: SynthConfig, out: str | Path, overwrite: bool = False) -> tuple[Path, Path]:
    """Write `<out>/source/source.inter`, `<out>/target/target.inter` and `<out>/synth.json`.

    The pair is built in `<out>.partial` and renamed when complete, so an interruption leaves no
    half-written pair; an existing non-empty `<out>` is replaced only with `overwrite`."""
    cfg.validate()  # before touching any folder
    out = Path(out)
    with data_folder(out, overwrite) as tmp:
        for name, columns in generate(cfg).items():
            write_atomic_file(tmp / name / f"{name}.inter", columns)
        write_atomic(tmp / "synth.json", json.dumps(dataclasses.asdict(cfg), indent=2) + "\n")
    return out / "source", out / "target"
