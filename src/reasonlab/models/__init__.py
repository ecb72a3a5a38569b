"""Model loading and per-model thinking format."""

from reasonlab.models.loading import chat_prompt_ids, load_model, testbed_models
from reasonlab.models.think import ThinkFormat, detect_think_format

__all__ = ["ThinkFormat", "chat_prompt_ids", "detect_think_format", "load_model", "testbed_models"]
