"""Engines: one protocol (token ids in, samples with usage out), a transformers and a vLLM backend."""

from reasonlab.core.cost import Usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.engines.base import CompletionOutput, Engine, RequestOutput, SamplingParams

ENGINES = ("hf", "vllm")


def create_engine(kind: str, model: str, device: str = "cpu", dtype: str = "auto", **kwargs) -> Engine:
    """Build an engine by name; `model` is a local folder or a testbed handle."""
    if kind == "hf":
        from reasonlab.engines.hf import HFEngine

        return HFEngine.from_pretrained(model, device=device, dtype=dtype, **kwargs)
    if kind == "vllm":
        from reasonlab.engines.vllm import VLLMEngine

        return VLLMEngine(model, dtype=dtype, **kwargs)
    raise ReasonlabError(f"unknown engine {kind!r} (choose from {', '.join(ENGINES)})")


__all__ = ["CompletionOutput", "Engine", "RequestOutput", "SamplingParams", "Usage", "create_engine"]
