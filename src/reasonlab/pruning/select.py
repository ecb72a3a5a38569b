"""Which blocks may be dropped, and which k to drop by a score.

The official rule protects layers 0, 1 and the last (their scores are set to infinity); here it is
the default of a `protect` list that counts from the end when negative ("0,1,-1"). Orders: the
lowest entropy increase first (EntroDrop), the lowest 1 - cos first (ShortGPT, LLM-Drop), SLEB's
greedy NLL order, or a seeded random order. Ties go to the lower layer index, as in the official
sort.
"""

from __future__ import annotations

import random

from reasonlab.core.errors import ReasonlabError
from reasonlab.models.blocks import BLOCKS
from reasonlab.models.pruned import decoder_layers, is_dropped
from reasonlab.pruning.methods import protect_indices


def parse_protect(spec: str, num_layers: int) -> list[int]:
    """Layer indices from "0,1,-1" (negative: from the end); "" or "none" protects nothing."""
    out = set()
    for i in protect_indices(spec):
        if not -num_layers <= i < num_layers:
            raise ReasonlabError(f"protect: layer {i} does not exist (the model has {num_layers} layers)")
        out.add(i % num_layers)
    return sorted(out)


def droppable(model, block: str, protected: list[int]) -> list[int]:
    """Layers whose `block` may go: not protected and not dropped already."""
    if block not in BLOCKS:
        raise ReasonlabError(f"unknown block kind {block!r} (choose from {', '.join(BLOCKS)})")
    layers = decoder_layers(model)
    return [i for i, layer in enumerate(layers) if i not in protected and not is_dropped(layer, block)]


def lowest_first(scores: list[float], candidates: list[int]) -> list[int]:
    """Candidates by ascending score, ties by layer index."""
    return sorted(candidates, key=lambda i: (scores[i], i))


def random_order(candidates: list[int], seed: int) -> list[int]:
    order = list(candidates)
    random.Random(f"prune:{seed}").shuffle(order)
    return order


def check_k(k: int, block: str, candidates: list[int], num_layers: int, protected: list[int]) -> None:
    """A one-line error when k blocks cannot be dropped."""
    if k < 1:
        raise ReasonlabError(f"k must be at least 1, got {k}")
    if k > len(candidates):
        kinds = {"attention": "attention blocks", "mlp": "MLP blocks", "layer": "layers"}[block]
        held = f"protected: {', '.join(map(str, protected))}" if protected else "none protected"
        raise ReasonlabError(
            f"cannot drop {k} {kinds}: {len(candidates)} of {num_layers} may be dropped ({held}; change "
            "--protect)"
        )


def choose(order: list[int], k: int) -> list[int]:
    """The first k of an order, sorted by layer."""
    return sorted(order[:k])
