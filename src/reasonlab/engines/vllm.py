"""The vLLM engine: the same protocol over `vllm.LLM`, token-id prompts, prefix caching on.

vLLM is an optional extra (`pip install 'reasonlab[vllm]'`) that needs a CUDA GPU; it is imported
only when this engine is built. Prompts go in as token ids (`TokensPrompt`), never as re-tokenized
text, so cuts and markers land exactly where the method put them.
"""

from __future__ import annotations

import json
from pathlib import Path

from reasonlab.core.cost import Usage
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.optional import require
from reasonlab.engines.base import CompletionOutput, RequestOutput, SamplingParams
from reasonlab.models.loading import resolve_model_path


class VLLMEngine:
    def __init__(
        self, name: str, dtype: str = "auto", enable_prefix_caching: bool = True, seed: int = 0, **llm_kwargs
    ):
        import torch

        from reasonlab.models.pruned import PLAN_FILE

        path = resolve_model_path(name)
        if path is None:
            raise ReasonlabError(f"{name} lives only in memory; save it to a folder to use it with vLLM")
        if (path / PLAN_FILE).exists():  # vLLM would build the dropped blocks with random weights
            raise ReasonlabError(
                f"{path} drops attention or MLP sub-blocks ({PLAN_FILE}), which vLLM cannot apply; "
                "use --engine hf, or drop whole layers (those folders load anywhere)"
            )
        vllm = require("vllm", "vllm", "the vllm engine (CUDA GPU)")
        if not torch.cuda.is_available():
            raise ReasonlabError("the vllm engine needs a CUDA GPU; use --engine hf on this machine")
        self._vllm = vllm
        self.path = path
        self.llm = vllm.LLM(
            model=str(path), dtype=dtype, enable_prefix_caching=enable_prefix_caching, seed=seed, **llm_kwargs
        )
        self.tokenizer = self.llm.get_tokenizer()
        self._num_params = count_matmul_params(path)

    @property
    def num_params(self) -> int:
        return self._num_params

    def reset_prefix_cache(self) -> None:
        self.llm.reset_prefix_cache()

    def update_weights(self, state_dict=None) -> None:
        """Load a trainer's weights into the running engine (in-process, as TRL's colocate mode) and
        drop the prefix cache computed with the old ones. vLLM holds its own copy of the weights,
        so the state dict is required."""
        if state_dict is None:
            raise ReasonlabError("the vllm engine keeps its own copy of the weights: pass the state dict")
        _worker_model(self.llm).load_weights(weights=list(state_dict.items()))
        self.llm.reset_prefix_cache()

    def _convert(self, sp: SamplingParams):
        return self._vllm.SamplingParams(
            n=sp.n,
            temperature=sp.temperature,
            top_p=sp.top_p,
            top_k=sp.top_k if sp.top_k > 0 else -1,
            max_tokens=sp.max_tokens,
            stop=list(sp.stop),
            stop_token_ids=list(sp.stop_token_ids),
            include_stop_str_in_output=sp.include_stop_str_in_output,
            ignore_eos=sp.ignore_eos,
            seed=sp.seed,
            logprobs=sp.logprobs,
        )

    def generate(
        self, prompts: list[list[int]], params: SamplingParams | list[SamplingParams], progress: bool = False
    ) -> list[RequestOutput]:
        TokensPrompt = require("vllm.inputs", "vllm", "the vllm engine (CUDA GPU)").TokensPrompt
        per_prompt = list(params) if isinstance(params, list | tuple) else [params] * len(prompts)
        results = self.llm.generate(
            [TokensPrompt(prompt_token_ids=list(p)) for p in prompts],
            [self._convert(sp) for sp in per_prompt],
            use_tqdm=progress,
        )
        outputs = []
        for prompt, result in zip(prompts, results):
            cached = int(getattr(result, "num_cached_tokens", 0) or 0)
            samples = []
            for o in result.outputs:
                usage = Usage(generated=len(o.token_ids))
                if o.index == 0:
                    usage = usage + Usage(0, len(prompt) - cached, cached)
                logprobs = None
                if o.logprobs is not None:
                    logprobs = [{int(t): float(lp.logprob) for t, lp in step.items()} for step in o.logprobs]
                samples.append(
                    CompletionOutput(
                        index=o.index,
                        token_ids=list(o.token_ids),
                        text=o.text,
                        finish_reason=o.finish_reason or "length",
                        stop_reason=o.stop_reason,
                        logprobs=logprobs,
                        usage=usage,
                    )
                )
            outputs.append(RequestOutput(list(prompt), samples))
        return outputs


def _worker_model(llm):
    """The model inside an in-process vLLM engine (with VLLM_ENABLE_V1_MULTIPROCESSING=0, as TRL's
    colocate mode sets); its path differs between vLLM versions."""
    worker = llm.llm_engine.model_executor.driver_worker
    for path in ("worker.model_runner.model", "model_runner.model"):
        obj = worker
        try:
            for name in path.split("."):
                obj = getattr(obj, name)
        except AttributeError:
            continue
        return obj
    raise ReasonlabError(
        "cannot reach the model inside this vLLM engine to load new weights; run vLLM in-process "
        "(VLLM_ENABLE_V1_MULTIPROCESSING=0)"
    )


def count_matmul_params(path: Path) -> int:
    """Matmul parameters read from safetensors headers, without loading any weights."""
    from safetensors import safe_open

    config = json.loads((path / "config.json").read_text())
    config = config.get("text_config", config)
    tied = bool(config.get("tie_word_embeddings", False))
    total, embed = 0, 0
    for file in sorted(path.glob("*.safetensors")):
        with safe_open(str(file), framework="numpy") as f:
            for key in f.keys():
                n = 1
                for d in f.get_slice(key).get_shape():
                    n *= d
                total += n
                if key.endswith("embed_tokens.weight"):
                    embed += n
    return total if tied else total - embed
