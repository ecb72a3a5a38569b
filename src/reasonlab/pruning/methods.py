"""Names of the scoring methods (torch-free: configs and the CLI check them)."""

from __future__ import annotations

from reasonlab.core.errors import ReasonlabError

ENTROPY_METHODS = ("entropy-knn", "entropy-bucket", "entropy-renyi")
STATE_METHODS = ENTROPY_METHODS + ("cosine",)  # scored from hidden states in one pass
SCORE_METHODS = STATE_METHODS + ("nll",)
DROP_METHODS = SCORE_METHODS + ("random",)
POOLINGS = ("text", "pooled")
DEFAULT_PROTECT = "0,1,-1"  # the official rule: never layer 0, layer 1 or the last


def protect_indices(spec: str) -> list[int]:
    """The layer indices of a protect spec ("0,1,-1"; negative count from the end), unresolved;
    "" or "none" protects nothing. Checked here, before any model is loaded."""
    if spec.strip().lower() in ("", "none"):
        return []
    try:
        return [int(part) for part in spec.split(",")]
    except ValueError:
        raise ReasonlabError(f"protect expects layer indices like 0,1,-1, got {spec!r}") from None
