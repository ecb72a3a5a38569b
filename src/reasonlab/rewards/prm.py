"""Process reward models: a causal LM's hidden states, a small head, one score per step.

A PRM reads the prompt and the steps, each followed by a step separator, and scores the hidden
state at the last token of each separator: the score of the solution up to and including that
step. One mechanism covers the common open layouts, which differ only in the head and separator:

- "value" (Skywork-o1-Open-PRM, and the testbed PRM): a linear head to one logit, sigmoid.
  Skywork reads BOS + question + "\n" (no chat template) and steps ended by "\n" (its README; RSD
  used "\n\n"); the testbed PRM reads the policy's own chat prompt, so RSD can share its ids.
- "two-class" (Qwen2.5-Math-PRM): Linear(h, h), ReLU, Linear(h, 2), softmax, the "good" class;
  its chat prompt has a system message, and the separator is the special token "<extra_0>".

Math-Shepherd-style PRMs (a plain LM comparing the logits of "+" and "-" at a step tag) are not
covered yet.

Steps and separators are tokenized apart and concatenated, so the scored positions are exact; a
tokenizer that would merge a separator into its step when the text is tokenized whole (none of the
layouts above does) sees slightly different ids than in its training. An outcome reward model
(ORM) is the same model read at the last separator only.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from reasonlab.core.errors import ReasonlabError
from reasonlab.models.cache import cache_argument
from reasonlab.models.scoring import pack
from reasonlab.rewards.base import RewardFunction, split_steps
from reasonlab.tasks.base import Problem

CONFIG_FILE = "prm_config.json"
AGGREGATIONS = ("last", "min", "prod", "mean")  # a completion's score from its step scores


@dataclass(frozen=True)
class PRMLayout:
    """What a PRM checkpoint looks like: its head and the text that ends each step in its input."""

    head: str = "value"  # "value" (1 logit, sigmoid) or "two-class" (2 logits, softmax, class 1)
    step_separator: str = "\n\n"
    prompt: str = "chat"  # "chat": the tokenizer's chat template; "plain": BOS + question + newline
    system_prompt: str | None = None  # of the chat prompt the PRM was trained on
    aggregation: str = "last"  # how `score` turns step scores into one

    def validate(self) -> PRMLayout:
        if self.head not in HEADS:
            raise ReasonlabError(f"PRM head {self.head!r}: choose from {', '.join(HEADS)}")
        if not self.step_separator:
            raise ReasonlabError("PRM step separator is empty: give the text that ends each step")
        if self.prompt not in ("chat", "plain"):
            raise ReasonlabError(f"PRM prompt {self.prompt!r}: choose from chat, plain")
        if self.aggregation not in AGGREGATIONS:
            raise ReasonlabError(
                f"PRM aggregation {self.aggregation!r}: choose from {', '.join(AGGREGATIONS)}"
            )
        return self


class ValueHead(torch.nn.Module):
    """One logit per position, the log-odds of "good"; the state-dict keys are Skywork's
    (v_head.summary.*)."""

    def __init__(self, hidden: int):
        super().__init__()
        self.summary = torch.nn.Linear(hidden, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.summary(h.to(self.summary.weight.dtype)).squeeze(-1).float()


class TwoClassHead(torch.nn.Sequential):
    """Qwen2.5-Math-PRM's head (score.0 / score.2). Returns the log-odds of the "good" class,
    logit_1 - logit_0, whose sigmoid is the softmax probability of class 1."""

    def __init__(self, hidden: int):
        super().__init__(torch.nn.Linear(hidden, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        logits = super().forward(h.to(self[0].weight.dtype)).float()
        return logits[..., 1] - logits[..., 0]


HEADS = {"value": ("v_head", ValueHead), "two-class": ("score", TwoClassHead)}


class ProcessRewardModel(torch.nn.Module):
    """A backbone (any transformers base model: hidden states out) and a step-scoring head."""

    def __init__(self, backbone, tokenizer, layout: PRMLayout):
        super().__init__()
        self.backbone, self.tokenizer, self.layout = backbone, tokenizer, layout.validate()
        attr, head = HEADS[layout.head]
        self.head_name = attr
        self.add_module(attr, head(backbone.config.hidden_size))
        self.separator_ids = tokenizer.encode(layout.step_separator, add_special_tokens=False)
        if not self.separator_ids:
            raise ReasonlabError(
                f"the PRM tokenizer encodes the step separator {layout.step_separator!r} to nothing"
            )
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    @property
    def head(self) -> torch.nn.Module:
        return getattr(self, self.head_name)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def prompt_ids(self, question: str) -> list[int]:
        """What the PRM reads before the steps."""
        from reasonlab.models.loading import chat_prompt_ids

        if self.layout.prompt == "plain":
            bos = self.tokenizer.bos_token or ""
            return self.tokenizer.encode(bos + question + "\n", add_special_tokens=False)
        return chat_prompt_ids(self.tokenizer, question, self.layout.system_prompt)

    def encode_steps(self, steps: Sequence[str]) -> tuple[list[int], list[int]]:
        """(ids of the steps, each followed by the separator; the index of each separator's last token)."""
        ids, ends = [], []
        for step in steps:
            ids += self.tokenizer.encode(step, add_special_tokens=False) + self.separator_ids
            ends.append(len(ids) - 1)
        return ids, ends

    def step_log_odds(
        self,
        prompts: Sequence[Sequence[int]],
        completions: Sequence[Sequence[int]],
        ends: Sequence[Sequence[int]],
    ) -> list[torch.Tensor]:
        """The log-odds of "good" at `ends` (indices into each completion) from one batched
        forward, with grad (training takes a BCE on them); a step's score is their sigmoid."""
        batch = pack(prompts, completions, self.pad_id, self.device)
        positions = (batch.attention_mask.cumsum(-1) - 1).clamp(min=0)
        hidden = self.backbone(
            input_ids=batch.input_ids, attention_mask=batch.attention_mask, position_ids=positions
        ).last_hidden_state
        out = []
        for row, idx in enumerate(ends):
            columns = torch.tensor(
                [batch.prompt_width + i for i in idx], dtype=torch.long, device=self.device
            )
            out.append(self.head(hidden[row, columns]))
        return out

    @torch.no_grad()
    def score_steps_batch(
        self, questions: Sequence[str], steps: Sequence[Sequence[str]], batch_size: int = 16
    ) -> list[list[float]]:
        """Step scores of many solutions, batched."""
        out: list[list[float]] = []
        for start in range(0, len(questions), batch_size):
            qs, ss = questions[start : start + batch_size], steps[start : start + batch_size]
            encoded = [self.encode_steps(s) for s in ss]
            log_odds = self.step_log_odds(
                [self.prompt_ids(q) for q in qs], [e[0] for e in encoded], [e[1] for e in encoded]
            )
            out += [torch.sigmoid(x).tolist() for x in log_odds]
        return out

    def save_pretrained(self, folder: str | Path) -> None:
        """A Hugging Face folder: the backbone's config and weights with the head's keys beside
        them (as the open checkpoints store them), the tokenizer, and prm_config.json."""
        from safetensors.torch import load_file, save_file

        folder = Path(folder)
        self.backbone.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        weights = load_file(folder / "model.safetensors")
        for key, value in self.head.state_dict().items():
            weights[f"{self.head_name}.{key}"] = value.detach().contiguous().cpu()
        save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
        (folder / CONFIG_FILE).write_text(json.dumps(asdict(self.layout), indent=2) + "\n")


def read_tensors(folder: Path, prefix: str) -> dict[str, torch.Tensor]:
    """The tensors whose names start with `prefix` + ".", prefix removed, from a folder's
    safetensors (one file or shards listed in model.safetensors.index.json)."""
    from safetensors import safe_open

    index = folder / "model.safetensors.index.json"
    files = (
        sorted(set(json.loads(index.read_text())["weight_map"].values()))
        if index.exists()
        else [p.name for p in folder.glob("*.safetensors")]
    )
    out = {}
    for name in files:
        with safe_open(folder / name, framework="pt") as f:
            for key in f.keys():
                if key.startswith(prefix + "."):
                    out[key[len(prefix) + 1 :]] = f.get_tensor(key)
    return out


def detect_layout(folder: Path) -> PRMLayout:
    """prm_config.json when the folder has one (ours); else the layout its head's keys show."""
    if (folder / CONFIG_FILE).exists():
        return PRMLayout(**json.loads((folder / CONFIG_FILE).read_text()))
    config = json.loads((folder / "config.json").read_text())
    if any("ProcessRewardModel" in a for a in config.get("architectures") or []) or read_tensors(
        folder, "score"
    ):
        return PRMLayout(
            head="two-class",
            step_separator="<extra_0>",
            system_prompt="Please reason step by step, and put your final answer within \\boxed{}.",
        )
    if read_tensors(folder, "v_head"):
        return PRMLayout(head="value", step_separator="\n", prompt="plain")
    raise ReasonlabError(
        f"{folder} has no PRM head: no {CONFIG_FILE}, no v_head.* (Skywork) or score.* (Qwen PRM) weights"
    )


def load_backbone(folder: Path, dtype: str = "float32"):
    """(backbone, tokenizer) of a local folder: the base model without any head its checkpoint
    has (a language-model head, a PRM head), which transformers reports as unused keys: expected
    here, so its warnings are silenced. A folder that does not load is a one-line error."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from reasonlab.models.loading import quiet_transformers

    hf_logging.disable_progress_bar()
    try:
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            backbone = AutoModel.from_pretrained(folder, dtype=getattr(torch, dtype), local_files_only=True)
    except (OSError, ValueError) as e:
        raise ReasonlabError(f"cannot load {folder}: {str(e).strip().splitlines()[0]}") from None
    return backbone, tokenizer


def load_prm(name: str, device: str = "cpu", dtype: str = "float32", **layout) -> ProcessRewardModel:
    """A PRM from a local folder or a registered handle (testbed:prm). Keyword arguments replace
    fields of the layout the folder shows (step_separator="\n\n" for Skywork's PRM as RSD ran it)."""
    from reasonlab.models.loading import resolve_model_path

    folder = resolve_model_path(name)
    if folder is None:
        raise ReasonlabError(f"{name} is not a PRM folder")
    layout = dataclasses.replace(detect_layout(folder), **layout)
    prm = ProcessRewardModel(*load_backbone(folder, dtype), layout)
    state = read_tensors(folder, prm.head_name)
    try:
        prm.head.load_state_dict(state)
    except RuntimeError as e:
        raise ReasonlabError(
            f"{folder}: the {layout.head} head's weights do not fit: {str(e).splitlines()[0]}"
        ) from None
    return prm.to(device).eval()


class PRMReward(RewardFunction):
    """A PRM as a Reward: step scores, and a completion's score aggregated from them (search-and-learn's
    last / min / prod, or the mean). `delimiter` cuts a completion into steps (default: the separator)."""

    def __init__(self, prm: ProcessRewardModel, delimiter: str | None = None, batch_size: int = 16):
        self.prm, self.batch_size = prm, batch_size
        self.delimiter = delimiter if delimiter is not None else prm.layout.step_separator
        self.name = f"prm({prm.layout.aggregation})"

    def steps_of(self, completion: str) -> list[str]:
        return split_steps(completion, self.delimiter)

    def score_steps(self, problem: Problem, steps: Sequence[str]) -> list[float]:
        return self.prm.score_steps_batch([problem.question], [list(steps)])[0] if steps else []

    def score(self, problem: Problem, completion: str) -> float:
        return aggregate_steps(
            self.score_steps(problem, self.steps_of(completion)), self.prm.layout.aggregation
        )


def aggregate_steps(scores: Sequence[float], how: str) -> float:
    """One score from step scores; NaN for no steps (nothing to judge)."""
    if not scores:
        return float("nan")
    if how == "last":
        return float(scores[-1])
    if how == "min":
        return float(min(scores))
    if how == "prod":
        return float(torch.tensor(list(scores), dtype=torch.float64).prod())
    if how == "mean":
        return float(sum(scores) / len(scores))
    raise ValueError(f"unknown aggregation {how!r} (choose from {', '.join(AGGREGATIONS)})")


class IncrementalPRM:
    """Scores a growing token sequence one step at a time, keeping the PRM's KV of what stays.

    For step-level search (RSD): the PRM reads the policy's own token ids (same tokenizer, same
    prompt, the separator at the end of each step), so each new step costs only its own tokens.
    `score` runs a step on top of the cached prefix; `reject` crops it back off; `extend` appends
    tokens without scoring them (a step another model wrote). `usage` counts the tokens actually
    run (prefill_computed) and those whose KV was reused (prefill_reused)."""

    def __init__(self, prm: ProcessRewardModel):
        from reasonlab.core.cost import Usage

        self.prm = prm
        self.caches: dict[object, tuple[list, int]] = {}  # key -> ([(keys, values)] per layer, length kept)
        self.before: dict[object, int] = {}  # key -> length before the step last scored
        self.usage = Usage()
        self.cache_arg = cache_argument(prm.backbone)

    def _run(self, key, ids: Sequence[int]) -> torch.Tensor:
        from transformers import DynamicCache

        kv, length = self.caches.get(key, ([], 0))
        cache = DynamicCache()
        for layer, (k, v) in enumerate(kv):  # the kept prefix only (a rejected step is sliced off)
            cache.update(k[:, :, :length], v[:, :, :length], layer)
        positions = torch.arange(length, length + len(ids), device=self.prm.device).unsqueeze(0)
        with torch.no_grad():
            hidden = self.prm.backbone(
                input_ids=torch.tensor([list(ids)], device=self.prm.device),
                position_ids=positions,
                use_cache=True,
                **{self.cache_arg: cache},
            ).last_hidden_state
        self.usage.prefill_computed += len(ids)
        self.usage.prefill_reused += length
        self.caches[key] = ([(layer.keys, layer.values) for layer in cache.layers], length + len(ids))
        return hidden[0, -1]

    def start(self, key, prompt_ids: Sequence[int]) -> None:
        self.caches.pop(key, None)
        self._run(key, prompt_ids)

    def score(self, key, step_ids: Sequence[int]) -> float:
        """The score of the solution once `step_ids` (ending in the separator) is appended; the step
        stays in the cache until `reject`."""
        self.before[key] = self.caches[key][1]
        last = self._run(key, step_ids)
        with torch.no_grad():
            return float(torch.sigmoid(self.prm.head(last.unsqueeze(0)))[0])

    def reject(self, key) -> None:
        """Drop the step `score` just added (its KV is cropped off before the next run)."""
        kv, _ = self.caches[key]
        self.caches[key] = (kv, self.before.pop(key))

    def extend(self, key, ids: Sequence[int]) -> None:
        if ids:
            self._run(key, ids)

    def finish(self, key) -> None:
        self.caches.pop(key, None)
        self.before.pop(key, None)
