"""Names of the scoring methods and block kinds (torch-free: configs and the CLI check them)."""

from __future__ import annotations

ENTROPY_METHODS = ("entropy-knn", "entropy-bucket", "entropy-renyi")
STATE_METHODS = ENTROPY_METHODS + ("cosine",)  # scored from hidden states in one pass
SCORE_METHODS = STATE_METHODS + ("nll",)
DROP_METHODS = SCORE_METHODS + ("random",)
BLOCKS = ("attention", "mlp", "layer")
POOLINGS = ("text", "pooled")
DEFAULT_PROTECT = "0,1,-1"  # the official rule: never layer 0, layer 1 or the last
