"""A drop order by any method: the candidates, first to go first, and the figures behind it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.pruning.methods import DROP_METHODS, STATE_METHODS
from reasonlab.pruning.nll import greedy_nll
from reasonlab.pruning.scores import EstimatorSettings, state_scores
from reasonlab.pruning.select import lowest_first, random_order


def drop_order(
    model,
    texts: list[list[int]],
    by: str,
    block: str,
    candidates: list[int],
    settings: EstimatorSettings | None = None,
    steps: int | None = None,
    pad_id: int = 0,
    advance=lambda k=1: None,
) -> tuple[list[int], dict[str, Any]]:
    """Entropy and cosine: lowest score first; nll: SLEB's greedy order (`steps` rounds, default all);
    random: a shuffle seeded by `settings.seed`."""
    settings = settings or EstimatorSettings()
    if by not in DROP_METHODS:
        raise ReasonlabError(f"unknown method {by!r} (choose from {', '.join(DROP_METHODS)})")
    if by == "random":
        return random_order(candidates, settings.seed), {}
    if by == "nll":
        steps = len(candidates) if steps is None else steps
        greedy = greedy_nll(model, texts, block, candidates, steps, pad_id, settings.batch_size, advance)
        return greedy.order, {"nll": asdict(greedy)}
    assert by in STATE_METHODS
    scored = state_scores(model, texts, [by], [block], settings, pad_id, advance)
    scores = scored.scores[by][block]
    return lowest_first(scores, candidates), {"scores": scores, "seconds": scored.seconds}
