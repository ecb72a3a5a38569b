"""Model loading, named model handles and per-model thinking format."""

from reasonlab.models.loading import chat_prompt_ids, load_model, testbed_models
from reasonlab.models.registry import Handle, model_handles, register_handles
from reasonlab.models.think import ThinkFormat, detect_think_format

__all__ = [
    "Handle",
    "ThinkFormat",
    "chat_prompt_ids",
    "detect_think_format",
    "load_model",
    "model_handles",
    "register_handles",
    "testbed_models",
]
