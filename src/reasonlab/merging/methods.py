"""The merge methods and their defaults, as mergekit defines them (torch-free: configs and the CLI
check names here before any model is read).

mergekit (arcee-ai/mergekit, merge_methods/registry.py) builds task arithmetic, TIES and the DARE
variants from one "generalized task arithmetic" recipe: task vectors (model - base), optionally
sparsified (TIES: keep the largest magnitudes; DARE: random drop), optionally a sign consensus
(TIES), then a weighted sum added back to the base. Each method has its own default for
`normalize` (divide by the summed weights) and for rescaling the sparsified vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

from reasonlab.core.errors import ReasonlabError

# How a sparsified task vector is scaled back up. l1: to its L1 norm before sparsifying (mergekit's
# `rescale: true`, its default for DARE); density: by 1/density (the DARE paper's 1/(1-p));
# none: left as it is (mergekit's default for TIES).
RESCALES = ("none", "l1", "density")


@dataclass(frozen=True)
class Method:
    """One merge method: whether it needs a base, how it sparsifies task vectors, whether it elects
    signs, and mergekit's defaults."""

    name: str
    uses_base: bool  # task vectors against --base (everything but linear)
    sparsify: str | None  # "magnitude" (TIES trim), "random" (DARE drop) or None
    consensus: bool  # TIES sign election, weighted by summed mass ("sum" in mergekit)
    normalize: bool  # mergekit's default for `normalize`
    rescale: str  # mergekit's default rescaling of sparsified task vectors (one of RESCALES)
    reference: str


METHODS = {
    m.name: m
    for m in (
        Method("linear", False, None, False, True, "none", "https://arxiv.org/abs/2203.05482"),
        Method("task_arithmetic", True, None, False, False, "none", "https://arxiv.org/abs/2212.04089"),
        Method("ties", True, "magnitude", True, True, "none", "https://arxiv.org/abs/2306.01708"),
        Method("dare_linear", True, "random", False, False, "l1", "https://arxiv.org/abs/2311.03099"),
        Method("dare_ties", True, "random", True, False, "l1", "https://arxiv.org/abs/2311.03099"),
    )
}


def method_named(name: str) -> Method:
    """The method called `name`; an unknown name is a one-line error listing the known ones."""
    if name not in METHODS:
        raise ReasonlabError(f"unknown merge method {name!r} (choose from {', '.join(METHODS)})")
    return METHODS[name]
