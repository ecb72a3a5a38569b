"""The settings of recsys runs (FitConfig: training; DataConfig: the domain pair and its split),
apart from the torch code so that the CLI can read their fields (they are the flags of
`reasonlab recsys train|bench`) without importing torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reasonlab.core.errors import ReasonlabError

if TYPE_CHECKING:
    from reasonlab.recsys.data import CrossDomainData
    from reasonlab.recsys.models.base import ModelConfig

KS = (10, 20, 50)  # = recsys.evaluation.DEFAULT_KS (a test keeps them equal)


def _f(default: Any, help: str, **meta: Any) -> Any:
    return field(default=default, metadata={"help": help, **meta})


def _model_config() -> ModelConfig:
    from reasonlab.recsys.models.base import ModelConfig

    return ModelConfig()


@dataclass
class FitConfig:
    model: str = _f("sccdr", "pop, bprmf, graphsage, emcdr, ccdr or sccdr.")
    seed: int = _f(0, "Seed of the weights, batches and negatives.")
    epochs: int = _f(60, "Most epochs to train.")
    patience: int = _f(5, "Epochs without a better validation NDCG@10 before stopping.")
    batch_size: int = _f(1024, "Training interactions per batch.")
    lr: float = _f(5e-3, "Adam learning rate.")
    weight_decay: float = _f(0.0, "Adam weight decay.")
    negatives: int = _f(10, "Sampled items per positive in intra-domain learning.")
    anchors: int = _f(256, "Overlapping users per batch in inter-domain learning.")
    anchor_negatives: int = _f(32, "Negatives per anchor in inter-domain learning.")
    pacing: str = _f("root", "Curriculum pacing (sccdr): none, linear, root.")
    curriculum_start: float = _f(0.2, "Curriculum (sccdr): share of the negatives pool open at the start.")
    curriculum_epochs: float = _f(10.0, "Curriculum (sccdr): epochs until the whole pool is open.")
    difficulty: str = _f("katz", "Negative difficulty (sccdr): katz or degree.")
    index: str = _f("flat", "faiss index for evaluation: flat (exact) or ivf.")
    eval_mode: str = _f("full", "full (rank every item) or uni100 (100 sampled negatives per positive).")
    ks: tuple[int, ...] = _f(KS, "Cut-offs K of the metrics, e.g. 10,20,50.")
    # Model hyperparameters come from --set key=value (models/base.py ModelConfig).
    hparams: ModelConfig = field(
        default_factory=_model_config, metadata={"help": "Model hyperparameters.", "cli": False}
    )

    def validate(self) -> None:
        from reasonlab.recsys.curriculum import DIFFICULTIES, PACINGS
        from reasonlab.recsys.evaluation import EVAL_MODES
        from reasonlab.recsys.models import MODELS
        from reasonlab.recsys.retrieval import INDEX_KINDS

        for name, value, allowed in (
            ("model", self.model, MODELS),
            ("pacing", self.pacing, PACINGS),
            ("difficulty", self.difficulty, DIFFICULTIES),
            ("index", self.index, INDEX_KINDS),
            ("eval_mode", self.eval_mode, EVAL_MODES),
        ):
            if value not in allowed:
                raise ReasonlabError(f"unknown {name} {value!r} (one of {', '.join(allowed)})")
        for name in ("epochs", "batch_size", "negatives", "anchors", "anchor_negatives", "patience"):
            if getattr(self, name) < 1:
                raise ReasonlabError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.ks or min(self.ks) < 1:
            raise ReasonlabError(f"ks must be positive cut-offs, got {self.ks}")
        if self.lr <= 0:
            raise ReasonlabError(f"lr must be positive, got {self.lr}")


@dataclass
class DataConfig:
    source: str = _f("", "Source domain: RecBole dataset folder or .inter file.", required=True)
    target: str = _f("", "Target domain: RecBole dataset folder or .inter file.", required=True)
    link: str | None = _f(None, "Atomic file with source_user_id and target_user_id fields.")
    cold_ratio: float = _f(0.2, "Share of overlapping users held out as cold-start.")
    order: str = _f("RO", "RO (random) or TO (time) order within each user before splitting.")
    split_seed: int = _f(0, "Seed of the train/valid/test split.")

    def validate(self) -> None:
        """The split settings, checked before any file is read."""
        from reasonlab.recsys.data import check_split

        check_split(self.cold_ratio, self.order)

    def input_files(self) -> dict[str, str | None]:
        """The files (or dataset folders) a run reads, by role: fingerprinted into config.json."""
        return {"source": self.source, "target": self.target, "link": self.link}

    def load(self) -> CrossDomainData:
        from reasonlab.recsys.data import load_pair

        return load_pair(self.source, self.target, self.link, self.cold_ratio, self.order, self.split_seed)
