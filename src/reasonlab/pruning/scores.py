"""Block scores from the hidden states of calibration texts: entropy increase and cosine change.

For every decoder layer and block kind (attention X->Y, MLP Y->Z, whole layer X->Z, see capture.py)
a score from one group of token states: H(out) - H(in) for each entropy estimator (entropy.py), and
1 - mean cos(in, out). A group is one calibration text (`pooling="text"`, as the official code
scores one 256-token sequence at a time and averages over sequences) or one random sample of
`sample_tokens` token states drawn from all texts (`pooling="pooled"`); scores are averaged over
groups. Each entropy is computed once per point and reused by the spans that share it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from reasonlab.core.errors import ReasonlabError
from reasonlab.models.pruned import decoder_layers
from reasonlab.pruning.capture import POINTS, SPANS, StateCapture
from reasonlab.pruning.entropy import bucket_entropy, cosine_change, knn_entropy, renyi_entropy
from reasonlab.pruning.methods import ENTROPY_METHODS, POOLINGS


@dataclass
class EstimatorSettings:
    knn_k: int = 25  # the official code's k
    bins: int = 20  # the official Llama code's buckets per dimension (its Mistral code: 80)
    renyi_alpha: float = 4.0
    pooling: str = "text"
    sample_tokens: int = 1024
    batch_size: int = 8
    seed: int = 0

    def entropy(self, method: str, x: torch.Tensor) -> float:
        if method == "entropy-knn":
            return knn_entropy(x, self.knn_k)
        if method == "entropy-bucket":
            return bucket_entropy(x, self.bins)
        return renyi_entropy(x, self.renyi_alpha)


@dataclass
class StateScores:
    """scores[method][block][layer], averaged over `groups`; seconds per method (estimators only;
    "forward" is the model's share) and how many token states were scored."""

    scores: dict[str, dict[str, list[float]]]
    seconds: dict[str, float] = field(default_factory=dict)
    groups: int = 0
    tokens: int = 0


def _selection(texts: list[list[int]], settings: EstimatorSettings) -> tuple[list[torch.Tensor], int]:
    """Positions kept per text, and the smallest group's size."""
    if settings.pooling == "text":
        return [torch.arange(len(t)) for t in texts], min(len(t) for t in texts)
    lengths = torch.tensor([len(t) for t in texts])
    total = int(lengths.sum())
    generator = torch.Generator().manual_seed(settings.seed)
    flat = torch.randperm(total, generator=generator)[: settings.sample_tokens].sort().values
    starts = torch.cumsum(lengths, 0) - lengths
    text_of = torch.searchsorted(starts, flat, right=True) - 1
    return [flat[text_of == i] - starts[i] for i in range(len(texts))], len(flat)


def _check_group_size(methods: list[str], size: int, settings: EstimatorSettings) -> None:
    unit = "calibration text" if settings.pooling == "text" else "token sample"
    if "entropy-knn" in methods and size <= settings.knn_k:
        hint = "longer texts or --pooling pooled" if settings.pooling == "text" else "more tokens"
        raise ReasonlabError(
            f"a {unit} has {size} tokens; the kNN estimator (k={settings.knn_k}) needs more than "
            f"{settings.knn_k} per group: give {hint}, or a smaller k"
        )
    if size < 2 and any(m in methods for m in ENTROPY_METHODS):
        raise ReasonlabError(f"a {unit} has {size} token; entropy estimates need at least 2 per group")


def _group_scores(
    layers: list[dict[str, torch.Tensor]], methods: list[str], blocks: list[str], settings, seconds
) -> dict[str, dict[str, list[float]]]:
    out = {m: {b: [] for b in blocks} for m in methods}
    points = sorted({p for b in blocks for p in SPANS[b]}, key=POINTS.index)
    for states in layers:
        for method in methods:
            start = time.perf_counter()
            if method == "cosine":
                for b in blocks:
                    out[method][b].append(cosine_change(states[SPANS[b][0]], states[SPANS[b][1]]))
            else:
                h = {p: settings.entropy(method, states[p]) for p in points}
                for b in blocks:
                    out[method][b].append(h[SPANS[b][1]] - h[SPANS[b][0]])
            seconds[method] = seconds.get(method, 0.0) + time.perf_counter() - start
    return out


def state_scores(
    model,
    texts: list[list[int]],
    methods: list[str],
    blocks: list[str],
    settings: EstimatorSettings | None = None,
    pad_id: int = 0,
    advance=lambda k=1: None,
) -> StateScores:
    """Entropy-increase and cosine scores of every layer's blocks on calibration texts (token ids);
    `advance(k)` is told as texts are done."""
    settings = settings or EstimatorSettings()
    if settings.pooling not in POOLINGS:
        raise ReasonlabError(f"unknown pooling {settings.pooling!r} (choose from {', '.join(POOLINGS)})")
    if not texts:
        raise ReasonlabError("calibration data is empty")
    positions, smallest = _selection(texts, settings)
    _check_group_size(methods, smallest, settings)
    num_layers = len(decoder_layers(model))
    device = next(model.parameters()).device
    sums = {m: {b: [0.0] * num_layers for b in blocks} for m in methods}
    seconds: dict[str, float] = {"forward": 0.0}
    pooled: list[list[dict[str, torch.Tensor]]] = []
    groups = tokens = 0

    def add(layer_states) -> None:
        nonlocal groups
        for m, by_block in _group_scores(layer_states, methods, blocks, settings, seconds).items():
            for b, values in by_block.items():
                sums[m][b] = [s + v for s, v in zip(sums[m][b], values)]
        groups += 1

    with StateCapture(model) as capture, torch.no_grad():
        for start in range(0, len(texts), settings.batch_size):
            batch = list(range(start, min(start + settings.batch_size, len(texts))))
            width = max(len(texts[i]) for i in batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for row, i in enumerate(batch):  # right padding: real tokens never see a pad
                ids[row, : len(texts[i])] = torch.tensor(texts[i])
                mask[row, : len(texts[i])] = 1
            rows = torch.cat([torch.full((len(positions[i]),), row) for row, i in enumerate(batch)])
            capture.select(rows, torch.cat([positions[i] for i in batch]))
            begin = time.perf_counter()
            model(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False)
            layer_states = capture.take()
            seconds["forward"] += time.perf_counter() - begin
            tokens += len(rows)
            if settings.pooling == "pooled":
                pooled.append(layer_states)
            else:
                sizes = [len(positions[i]) for i in batch]
                split = [{p: s[p].split(sizes) for p in POINTS} for s in layer_states]
                for k in range(len(batch)):
                    add([{p: s[p][k] for p in POINTS} for s in split])
            advance(len(batch))
    if pooled:
        add([{p: torch.cat([chunk[i][p] for chunk in pooled]) for p in POINTS} for i in range(num_layers)])
    scores = {
        m: {b: [v / groups for v in values] for b, values in by_block.items()} for m, by_block in sums.items()
    }
    return StateScores(scores, seconds, groups, tokens)
