"""Generation defaults that depend on the model: tiny testbed models vs real reasoning models.

The testbed thinks in a few hundred character tokens and answers in about 30; an R1/Qwen3-style
model thinks for thousands of tokens and writes a solution of hundreds. One set of caps cannot
serve both: with the testbed's caps a real model never closes its thinking and never reaches
`\\boxed{}`, so every depth-based method collapses. Real models get the official settings of the
papers' code (frac-cot: 32768 trajectory tokens, 2048 per forced answer, the system prompt below;
Elastic Reasoning: a 1024-token solution budget).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from reasonlab.core.fingerprints import fingerprint
from reasonlab.models.loading import TESTBED_PREFIX
from reasonlab.models.registry import model_handles

OFFICIAL_SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}."

# Testbed solutions are "\n\nThe answer is \boxed{46}." plus the end token: 28 tokens for a
# two-digit answer (27-28 in every sample measured in docs/reproductions/budget.md), so 48 leaves
# room for longer answers (arith with a larger modulus).
TESTBED_DEFAULTS: dict[str, Any] = {
    "max_tokens": 512,  # per trajectory (thinking + solution)
    "answer_max_tokens": 32,  # per forced answer after a thinking cut
    "solution": 48,  # elastic solution budget s
    # Cap that t = -1 (unlimited) stands for: testbed:target thinks for 311 tokens on average and
    # closed its thinking within 512 in all 800 samples of its card; prompt + 512 + solution stays
    # inside the 1024 positions.
    "max_thinking": 512,
    "system_prompt": None,
}

REAL_MODEL_DEFAULTS: dict[str, Any] = {
    "max_tokens": 32768,
    "answer_max_tokens": 2048,
    "solution": 1024,
    "max_thinking": 32768,
    "system_prompt": OFFICIAL_SYSTEM_PROMPT,
}


def is_testbed_model(model: str) -> bool:
    """A testbed handle; a folder that `reasonlab testbed train` wrote (before it is shipped): its
    training_log.json records the testbed recipe it was trained with; or a folder made from a
    testbed model (an RL policy, a merge, a pruned copy), which keeps the testbed's tokenizer."""
    if model.startswith(TESTBED_PREFIX):
        return True
    folder = Path(model)
    try:
        if "preset" in json.loads((folder / "training_log.json").read_text()):
            return True
    except (OSError, ValueError, TypeError):
        pass
    return _tokenizer_digest(folder) in _testbed_tokenizer_digests()


def _tokenizer_digest(folder: Path) -> str | None:
    path = folder / "tokenizer.json"
    try:
        return fingerprint(path)["sha256"] if path.is_file() else None
    except OSError:  # unreadable
        return None


@functools.cache
def _testbed_tokenizer_digests() -> frozenset[str]:
    """The tokenizer.json digests of the shipped testbed models (they share one tokenizer)."""
    folders = [h.path for name, h in model_handles().items() if name.startswith(TESTBED_PREFIX) and h.path]
    return frozenset(d for d in map(_tokenizer_digest, folders) if d is not None)


def model_defaults(model: str) -> dict[str, Any]:
    """The defaults for `model`: testbed models keep the testbed's, anything else gets the papers'."""
    return dict(TESTBED_DEFAULTS if is_testbed_model(model) else REAL_MODEL_DEFAULTS)


def fill_model_defaults(values: dict[str, Any], fields: set[str], model: str) -> dict[str, Any]:
    """`values` plus, for each model-dependent name in `fields` that is missing or None, the model's
    default. An empty system prompt ("") stays: it asks for no system message at all."""
    out = dict(values)
    for name, default in model_defaults(model).items():
        if name in fields and out.get(name) is None:
            out[name] = default
    return out
