"""The transformers engine: batched sampling with a KV cache and automatic prefix sharing.

Runs on CPU and CUDA with any causal LM that transformers loads. Prompts are batched with padding
masks; a prompt asked for n samples is prefilled once and its cache forked n ways; finished rows
leave the batch; and every finished sequence's KV goes into a `PrefixCache`, so a later prompt that
extends a cached prefix (a cut of an earlier trace plus a close marker, say) only computes its new
tokens. Padding may sit in the middle of a row (reused prefix, then the row's new tokens right-
aligned); position ids follow the mask, so the result equals an unpadded forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from transformers import DynamicCache

from reasonlab.core.cost import Usage, matmul_params
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.progress import progress_bar
from reasonlab.engines.base import CompletionOutput, RequestOutput, SamplingParams
from reasonlab.engines.kv_cache import GrowingCache
from reasonlab.engines.prefix_cache import PrefixCache
from reasonlab.engines.sampling import next_tokens, token_logprobs
from reasonlab.models.cache import cache_argument


@dataclass
class _Row:
    """One sample being generated."""

    request: int
    index: int
    prompt: list[int]
    generated: list[int] = field(default_factory=list)
    logprobs: list[dict[int, float]] | None = None
    finish_reason: str | None = None
    stop_reason: str | int | None = None
    max_tokens: int = 0  # this request's own cap (requests of one batch may differ, as in vLLM)


class HFEngine:
    """`generate(prompts, params)` over a transformers causal LM.

    enable_prefix_caching: keep finished sequences' KV (up to `prefix_cache_tokens` tokens, least
        recently used evicted first) and reuse it for prompts that extend them.
    max_batch_size: most sequences decoded together; larger requests are split.
    cache_class: the KV cache of a decode; transformers' DynamicCache gives the same outputs, slower.
    """

    def __init__(
        self,
        model,
        tokenizer,
        enable_prefix_caching: bool = True,
        prefix_cache_tokens: int = 65_536,
        max_batch_size: int = 64,
        cache_class: type[DynamicCache] = GrowingCache,
    ):
        self.model = model.eval()
        self.cache_class = cache_class
        self.tokenizer = tokenizer
        self.device = next(model.parameters()).device
        self.max_batch_size = max_batch_size
        self._cache_arg = cache_argument(model)
        cfg = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        sliding = getattr(cfg, "sliding_window", None) or "sliding_attention" in (
            getattr(cfg, "layer_types", None) or []
        )
        # Reusing KV slices is only exact for full-attention layers.
        self.prefix_cache = (
            PrefixCache(prefix_cache_tokens) if enable_prefix_caching and not sliding else None
        )
        self.vocab_size = model.get_output_embeddings().weight.shape[0]
        self.eos_ids = _eos_ids(model, tokenizer)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._num_params = matmul_params(model)
        self._weights_seen = self._weights_state()

    @classmethod
    def from_pretrained(cls, name: str, device: str = "cpu", dtype: str = "auto", **kwargs) -> HFEngine:
        from reasonlab.models.loading import load_model

        model, tokenizer = load_model(name, device=device, dtype=dtype)
        return cls(model, tokenizer, **kwargs)

    @property
    def num_params(self) -> int:
        """Parameters in the 2N-FLOPs rule (see `core.cost.matmul_params`)."""
        return self._num_params

    # ---------------------------------------------------------------- weight sync
    def reset_prefix_cache(self) -> None:
        """Forget every cached prefix (as vLLM's `LLM.reset_prefix_cache`)."""
        if self.prefix_cache is not None:
            self.prefix_cache.clear()
        self._weights_seen = self._weights_state()

    def update_weights(self, state_dict: dict[str, torch.Tensor] | None = None) -> None:
        """Load new weights into the engine's model and drop the KV computed with the old ones.
        Without a state dict the engine shares the trainer's model object, whose weights changed in
        place. Either way the next rollout recomputes every prefix."""
        if state_dict is not None:
            self.model.load_state_dict(state_dict)
        self.reset_prefix_cache()

    def _weights_state(self) -> tuple[tuple[int, int], ...]:
        """Identity and in-place version counter of every parameter: an optimizer step, a
        load_state_dict or any other in-place tensor op bumps a counter. A best-effort safety net:
        writes through `p.data` (some optimizers, quantized kernels) bypass the counter, so trainers
        call update_weights() explicitly (the RL trainer does)."""
        return tuple((id(p), p._version) for p in self.model.parameters())

    # ---------------------------------------------------------------- public API
    def generate(
        self, prompts: list[list[int]], params: SamplingParams | list[SamplingParams], progress: bool = False
    ) -> list[RequestOutput]:
        """One `RequestOutput` per prompt, in order, each with `params.n` samples."""
        per_prompt = list(params) if isinstance(params, list | tuple) else [params] * len(prompts)
        if len(per_prompt) != len(prompts):
            raise ReasonlabError(f"got {len(prompts)} prompts but {len(per_prompt)} sampling params")
        for i, p in enumerate(prompts):
            if len(p) == 0:
                raise ReasonlabError(f"prompt {i} is empty")
            if min(p) < 0 or max(p) >= self.vocab_size:
                raise ReasonlabError(
                    f"prompt {i} has token ids outside the vocabulary [0, {self.vocab_size})"
                )
        if self.prefix_cache is not None and self._weights_state() != self._weights_seen:
            # The weights changed since the cached KV was computed (a training step on a shared
            # model, without update_weights): that KV is stale, so it must not be reused.
            self.reset_prefix_cache()
        results: list[RequestOutput | None] = [None] * len(prompts)
        # Requests that differ only in their seed or token cap are decoded together; as in vLLM,
        # each seeded request draws from its own generator, so its samples do not depend on its
        # batch-mates, and each stops at its own cap.
        groups: dict[SamplingParams, list[int]] = {}
        for i, p in enumerate(per_prompt):
            groups.setdefault(replace(p, seed=None, max_tokens=1), []).append(i)
        total = sum(p.n for p in per_prompt)
        with progress_bar(total, "sampling", enabled=progress) as advance:
            for sp, indices in groups.items():
                per_batch = max(1, self.max_batch_size // sp.n)
                for start in range(0, len(indices), per_batch):
                    chunk = indices[start : start + per_batch]
                    generators = [self._generator(per_prompt[i].seed) for i in chunk]
                    caps = [per_prompt[i].max_tokens for i in chunk]
                    outs = self._generate_batch(
                        [list(prompts[i]) for i in chunk], sp, generators, caps, advance
                    )
                    for i, out in zip(chunk, outs):
                        results[i] = out
        return results  # type: ignore[return-value]

    def _generator(self, seed: int | None) -> torch.Generator | None:
        return None if seed is None else torch.Generator(device=self.device).manual_seed(seed)

    # ---------------------------------------------------------------- internals
    def _forward(self, input_ids, attention_mask, position_ids, cache) -> torch.Tensor:
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            use_cache=True,
            logits_to_keep=1,
            **{self._cache_arg: cache},
        )
        return out.logits[:, -1, :].float()

    def _prefill(
        self, prompts: list[list[int]]
    ) -> tuple[DynamicCache, torch.Tensor, torch.Tensor, list[Usage]]:
        """Cache, mask, last-position logits and usage for a batch of prompts, reusing cached prefixes."""
        found = [self.prefix_cache.lookup(p) if self.prefix_cache else (None, 0) for p in prompts]
        reuse = [n for _, n in found]
        R = max(reuse)
        new = [len(p) - r for p, r in zip(prompts, reuse)]
        E = max(new)
        B, dev = len(prompts), self.device
        cache = self.cache_class()
        mask = torch.zeros(B, R + E, dtype=torch.long, device=dev)
        if R > 0:
            template = next(kv for kv, n in found if n == R)
            for layer, (k0, _) in enumerate(template):
                keys = torch.zeros(B, k0.shape[0], R, k0.shape[-1], dtype=k0.dtype, device=dev)
                values = torch.zeros_like(keys)
                for row, (kv, n) in enumerate(found):
                    if n:
                        keys[row, :, R - n :] = kv[layer][0]
                        values[row, :, R - n :] = kv[layer][1]
                cache.update(keys, values, layer)
        ids = torch.full((B, E), self.pad_id, dtype=torch.long, device=dev)
        for row, (p, r, e) in enumerate(zip(prompts, reuse, new)):
            ids[row, E - e :] = torch.tensor(p[r:], device=dev)
            mask[row, R - r : R] = 1
            mask[row, R + E - e :] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, R:]
        padded = bool((mask == 0).any())
        logits = self._forward(ids, mask if padded else None, positions, cache)
        usages = [Usage(0, e, r) for e, r in zip(new, reuse)]
        return cache, mask, logits, usages

    @torch.inference_mode()
    def _generate_batch(
        self, prompts, sp: SamplingParams, generators, caps: list[int], advance
    ) -> list[RequestOutput]:
        cache, mask, logits, usages = self._prefill(prompts)
        if sp.n > 1:
            cache.batch_repeat_interleave(sp.n)
            mask = mask.repeat_interleave(sp.n, dim=0)
            logits = logits.repeat_interleave(sp.n, dim=0)
        rows = [
            _Row(r, j, prompts[r], logprobs=[] if sp.logprobs is not None else None, max_tokens=caps[r])
            for r in range(len(prompts))
            for j in range(sp.n)
        ]
        active = list(range(len(rows)))
        positions = mask.sum(-1)  # next position of each row
        padded = bool((mask == 0).any())
        stops = _StopChecker(self.tokenizer, sp, self.eos_ids)
        while True:
            chosen = next_tokens(logits, sp, [generators[rows[r].request] for r in active])
            lps = token_logprobs(logits, chosen, sp.logprobs) if sp.logprobs is not None else None
            keep = []
            for slot, (row_id, token) in enumerate(zip(active, chosen.tolist())):
                row = rows[row_id]
                row.generated.append(token)
                if lps is not None:
                    row.logprobs.append(lps[slot])
                stops.check(row)
                if row.finish_reason is None:
                    keep.append(slot)
                else:
                    self._remember(row, cache, mask, slot)
                    advance(1)
            if not keep:
                break
            if len(keep) < len(active):
                index = torch.tensor(keep, device=self.device)
                cache.batch_select_indices(index)
                mask, chosen, positions = mask[index], chosen[index], positions[index]
                active = [active[s] for s in keep]
                # Appended columns are all ones, so only dropping rows can change this.
                padded = bool((mask == 0).any())
            mask = torch.cat([mask, mask.new_ones(len(active), 1)], dim=1)
            logits = self._forward(chosen[:, None], mask if padded else None, positions[:, None], cache)
            positions = positions + 1
        return self._collect(prompts, rows, usages, stops)

    def _remember(self, row: _Row, cache: DynamicCache, mask: torch.Tensor, slot: int) -> None:
        """Store a finished row's KV (prompt + all generated tokens but the last, which was never fed)."""
        if self.prefix_cache is None:
            return
        valid = mask[slot].bool()
        kv = [
            (layer.keys[slot][:, valid].clone(), layer.values[slot][:, valid].clone())
            for layer in cache.layers
        ]
        self.prefix_cache.insert(row.prompt + row.generated[:-1], kv)

    def _collect(
        self, prompts, rows: list[_Row], usages: list[Usage], stops: _StopChecker
    ) -> list[RequestOutput]:
        outputs: list[RequestOutput] = [RequestOutput(p, []) for p in prompts]
        for row in rows:
            text = stops.final_text(row)
            usage = Usage(generated=len(row.generated))
            if row.index == 0:
                usage = usage + usages[row.request]
            outputs[row.request].outputs.append(
                CompletionOutput(
                    index=row.index,
                    token_ids=row.generated,
                    text=text,
                    finish_reason=row.finish_reason,
                    stop_reason=row.stop_reason,
                    logprobs=row.logprobs,
                    usage=usage,
                )
            )
        return outputs


class _StopChecker:
    """Decides when a row is done (eos, stop token, stop string, length) and cuts its final text."""

    def __init__(self, tokenizer, sp: SamplingParams, eos_ids: set[int]):
        self.tokenizer, self.sp = tokenizer, sp
        self.stop_ids = set(sp.stop_token_ids)
        self.eos_ids = set() if sp.ignore_eos else eos_ids
        self.tail = max((len(s) for s in sp.stop), default=0) + 2

    def check(self, row: _Row) -> None:
        token = row.generated[-1]
        if token in self.eos_ids:
            row.finish_reason = "stop"
        elif token in self.stop_ids:
            row.finish_reason, row.stop_reason = "stop", token
        elif self.sp.stop:
            tail_text = self.tokenizer.decode(row.generated[-self.tail :], skip_special_tokens=True)
            hit = next((s for s in self.sp.stop if s in tail_text), None)
            if hit is not None:
                row.finish_reason, row.stop_reason = "stop", hit
        if row.finish_reason is None and len(row.generated) >= row.max_tokens:
            row.finish_reason = "length"

    def final_text(self, row: _Row) -> str:
        text = self.tokenizer.decode(row.generated, skip_special_tokens=True)
        if isinstance(row.stop_reason, str):
            at = text.find(row.stop_reason)
            if at >= 0:
                text = text[: at + (len(row.stop_reason) if self.sp.include_stop_str_in_output else 0)]
        return text


def _eos_ids(model, tokenizer) -> set[int]:
    ids = set()
    for source in (getattr(model, "generation_config", None), model.config, tokenizer):
        value = getattr(source, "eos_token_id", None)
        if value is not None:
            ids.update(value if isinstance(value, list | tuple) else [value])
    return ids
