"""The KV-cache keyword of a model's forward, under the transformers versions we support."""

from __future__ import annotations

import inspect


def cache_argument(model) -> str:
    """ "cache" where forward takes it, else "past_key_values": transformers renamed the argument, and
    the GPU image runs another version than this machine."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
