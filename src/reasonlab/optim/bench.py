"""GaLore / GaLore+ benchmarks: projector refresh at LLaMA-7B shapes, end-to-end fine-tuning, memory.

Every figure is measured side by side in one run on this machine; ratios are what the report
states. Used by `reasonlab optim bench` and benchmarks/galore.py.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from reasonlab.core.progress import progress_bar
from reasonlab.optim.galore import GaLoreAdamW
from reasonlab.optim.groups import galore_param_groups
from reasonlab.optim.projectors import captured_energy, cross_head_basis, rsi_basis, std_side, svd_basis


@dataclass
class BenchConfig:
    hidden: int = 4096  # projector shapes: hidden x hidden attention, hidden x mlp
    mlp: int = 11008
    heads: int = 32
    rank: int = 128
    oversample: int = 8
    power_iters: int = 2
    repeats: int = 1
    # end-to-end fine-tuning
    ft_hidden: int = 1024
    ft_layers: int = 2
    ft_heads: int = 8
    ft_steps: int = 50
    ft_gaps: list[int] = field(default_factory=lambda: [10, 50, 200])
    ft_rank: int = 128
    ft_batch: int = 4
    ft_seq: int = 128
    ft_lr: float = 1e-3
    residual_density: float = 0.01
    plus_power_iters: int = 1  # GaLore+ in fine-tuning: warm-started rsi needs fewer iterations
    seed: int = 0


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def low_rank_gradient(m: int, n: int, rank: int, seed: int) -> torch.Tensor:
    """A realistic gradient: a decaying spectrum of `4 rank` directions plus isotropic noise."""
    g = torch.Generator().manual_seed(seed)
    k = 4 * rank
    u = torch.linalg.qr(torch.randn(m, k, generator=g))[0]
    v = torch.linalg.qr(torch.randn(n, k, generator=g))[0]
    s = torch.logspace(0, -2, k)
    return (u * s) @ v.T + 1e-3 * torch.randn(m, n, generator=g) / (m * n) ** 0.25


def refresh_benchmark(cfg: BenchConfig, gradients: dict[str, torch.Tensor]) -> list[dict[str, Any]]:
    """Time and captured energy of svd, rsi (and cross_head for attention) on each gradient."""
    rows = []
    for name, g in gradients.items():
        side = std_side(g.shape)
        t_svd, exact = _timed(lambda g=g, side=side: svd_basis(g, cfg.rank, side), cfg.repeats)
        e_svd = captured_energy(g, exact)
        gen = torch.Generator().manual_seed(cfg.seed)
        t_rsi, approx = _timed(
            lambda g=g, side=side, gen=gen: rsi_basis(
                g, cfg.rank, side, cfg.oversample, cfg.power_iters, generator=gen
            ),
            cfg.repeats,
        )
        row = {
            "gradient": name,
            "shape": list(g.shape),
            "svd_s": t_svd,
            "rsi_s": t_rsi,
            "rsi_speedup": t_svd / t_rsi,
            "energy_svd": e_svd,
            "energy_rsi": captured_energy(g, approx),
            "rsi_energy_ratio": captured_energy(g, approx) / e_svd,
        }
        if "attention" in name:
            heads = cfg.heads if g.shape[0] == cfg.hidden else max(1, g.shape[0] * cfg.heads // cfg.hidden)
            t_ch, (basis, _) = _timed(lambda g=g, h=heads: cross_head_basis(g, cfg.rank, h, 0), cfg.repeats)
            row.update(
                cross_head_s=t_ch,
                cross_head_speedup=t_svd / t_ch,
                energy_cross_head=captured_energy(g, basis),
                cross_head_energy_ratio=captured_energy(g, basis) / e_svd,
            )
        rows.append(row)
    return rows


def small_llama_gradients(cfg: BenchConfig) -> dict[str, torch.Tensor]:
    """Real gradients: one backward pass of the fine-tuning model on testbed-style text."""
    model, ids = _ft_model_and_data(cfg)
    model(input_ids=ids, labels=ids).loss.backward()
    attn = model.model.layers[0].self_attn
    mlp = model.model.layers[0].mlp
    return {
        "attention q_proj (small Llama, real)": attn.q_proj.weight.grad.clone(),
        "mlp up_proj (small Llama, real)": mlp.up_proj.weight.grad.clone(),
    }


def _ft_model_and_data(cfg: BenchConfig):
    from transformers import LlamaConfig, LlamaForCausalLM

    from reasonlab.models.loading import chat_prompt_ids
    from reasonlab.tasks import create_task
    from reasonlab.testbed.tokenizer import build_tokenizer
    from reasonlab.testbed.traces import TraceConfig, build_example

    tok = build_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=cfg.ft_hidden,
        intermediate_size=cfg.ft_hidden * 8 // 3,
        num_hidden_layers=cfg.ft_layers,
        num_attention_heads=cfg.ft_heads,
        num_key_value_heads=cfg.ft_heads,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
    )
    torch.manual_seed(cfg.seed)
    model = LlamaForCausalLM(config)
    rng, task, rows = random.Random(cfg.seed), create_task("arith", seed=cfg.seed), []
    close = tok.convert_tokens_to_ids("</think>")
    for i in range(cfg.ft_batch):
        p = task.problem(i)
        ex = build_example(p, tok, chat_prompt_ids(tok, p.question), close, rng, TraceConfig(p_early_close=0))
        rows.append((ex.ids + [tok.pad_token_id] * cfg.ft_seq)[: cfg.ft_seq])
    return model, torch.tensor(rows)


def finetune_benchmark(cfg: BenchConfig, progress: bool = True) -> list[dict[str, Any]]:
    """Per-step time split (forward/backward, optimizer math, refresh) and final loss per optimizer."""
    import warnings

    runs: list[tuple[str, int | None]] = [("AdamW", None)]
    for gap in cfg.ft_gaps:
        runs += [
            ("galore-torch", gap),
            ("GaLore (svd)", gap),
            ("GaLore+ (rsi + cross_head + residuals)", gap),
        ]
    rows = []
    with progress_bar(len(runs), "fine-tuning runs", enabled=progress) as advance:
        for name, gap in runs:
            model, ids = _ft_model_and_data(cfg)
            opt, refresh_time = _make_optimizer(name, model, cfg, gap)
            fb = step_time = 0.0
            losses = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for _ in range(cfg.ft_steps):
                    t0 = time.perf_counter()
                    loss = model(input_ids=ids, labels=ids).loss
                    loss.backward()
                    t1 = time.perf_counter()
                    opt.step()
                    opt.zero_grad()
                    t2 = time.perf_counter()
                    fb, step_time = fb + t1 - t0, step_time + t2 - t1
                    losses.append(loss.item())
            refresh = refresh_time()
            rows.append(
                {
                    "optimizer": name,
                    "update_proj_gap": gap,
                    "steps": cfg.ft_steps,
                    "forward_backward_s": fb / cfg.ft_steps,
                    "optimizer_math_s": (step_time - refresh) / cfg.ft_steps,
                    "refresh_s": refresh / cfg.ft_steps,
                    "step_s": (fb + step_time) / cfg.ft_steps,
                    "final_loss": sum(losses[-5:]) / 5,
                    "losses": losses,
                }
            )
            advance(1)
    return rows


def _make_optimizer(name: str, model, cfg: BenchConfig, gap: int | None):
    """(optimizer, function returning the seconds it spent refreshing projectors)."""
    if name == "AdamW":
        return torch.optim.AdamW(model.parameters(), lr=cfg.ft_lr), lambda: 0.0
    if name == "galore-torch":
        import galore_torch

        _time_galore_torch_projector()
        _GALORE_TORCH_SPENT[0] = 0.0
        groups = [
            {k: v for k, v in g.items() if k not in ("projector", "weight_decay")} | {"proj_type": "std"}
            if "rank" in g
            else {"params": g["params"]}
            for g in galore_param_groups(model, rank=cfg.ft_rank, update_proj_gap=gap, scale=0.25)
        ]
        opt = galore_torch.GaLoreAdamW(groups, lr=cfg.ft_lr, no_deprecation_warning=True)
        return opt, lambda: _GALORE_TORCH_SPENT[0]
    plus = name.startswith("GaLore+")
    groups = galore_param_groups(
        model,
        rank=cfg.ft_rank,
        update_proj_gap=gap,
        scale=0.25,
        projector="cross_head" if plus else "svd",
        residual_density=cfg.residual_density if plus else 0.0,
        seed=cfg.seed,
        **({"power_iters": cfg.plus_power_iters} if plus else {}),
    )
    opt = GaLoreAdamW(groups, lr=cfg.ft_lr)
    return opt, lambda: opt.refresh_seconds


_GALORE_TORCH_SPENT = [0.0]


def _time_galore_torch_projector() -> None:
    """Wrap galore-torch's SVD (once) so its refresh time can be told apart from the rest."""
    from galore_torch.galore_projector import GaLoreProjector

    if getattr(GaLoreProjector, "_reasonlab_timed", False):
        return
    original = GaLoreProjector.get_orthogonal_matrix

    def timed(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            _GALORE_TORCH_SPENT[0] += time.perf_counter() - start

    GaLoreProjector.get_orthogonal_matrix = timed
    GaLoreProjector._reasonlab_timed = True


def memory_benchmark(cfg: BenchConfig) -> list[dict[str, Any]]:
    """Optimizer-state bytes of one attention and one MLP weight at the 7B shapes, after one step."""
    rows = []
    for name, shape, extra in [
        ("attention", (cfg.hidden, cfg.hidden), {"projector": "cross_head", "num_heads": cfg.heads}),
        ("mlp", (cfg.hidden, cfg.mlp), {"projector": "rsi"}),
    ]:
        grad = torch.randn(*shape) * 1e-3
        p_ref = torch.nn.Parameter(torch.zeros(shape))
        ref = torch.optim.AdamW([p_ref], lr=1e-3)
        p_ref.grad = grad
        ref.step()
        adam_bytes = sum(
            v.numel() * v.element_size()
            for v in ref.state[p_ref].values()
            if isinstance(v, torch.Tensor) and v.dim() > 0
        )
        del ref, p_ref
        for label, options in [
            ("GaLore (svd)", {"projector": "svd"}),
            ("GaLore+", {**extra, "residual_density": cfg.residual_density, "residual_warmup": 0}),
        ]:
            p = torch.nn.Parameter(torch.zeros(shape))
            opt = GaLoreAdamW([{"params": [p], "rank": cfg.rank, **options}], lr=1e-3)
            p.grad = grad
            opt.step()
            rows.append(
                {
                    "weight": name,
                    "shape": list(shape),
                    "optimizer": label,
                    "state_bytes": opt.state_bytes(),
                    "adamw_state_bytes": adam_bytes,
                    "ratio": opt.state_bytes() / adam_bytes,
                }
            )
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_all(cfg: BenchConfig, progress: bool = True) -> dict[str, Any]:
    synthetic = {
        f"attention {cfg.hidden}x{cfg.hidden} (low-rank + noise)": low_rank_gradient(
            cfg.hidden, cfg.hidden, cfg.rank, cfg.seed
        ),
        f"mlp {cfg.hidden}x{cfg.mlp} (low-rank + noise)": low_rank_gradient(
            cfg.hidden, cfg.mlp, cfg.rank, cfg.seed + 1
        ),
    }
    refresh = refresh_benchmark(cfg, synthetic)
    real_cfg = BenchConfig(**{**cfg.__dict__, "heads": cfg.ft_heads, "hidden": cfg.ft_hidden})
    refresh += refresh_benchmark(real_cfg, small_llama_gradients(cfg))
    return {
        "config": cfg.__dict__,
        "refresh": refresh,
        "finetune": finetune_benchmark(cfg, progress),
        "memory": memory_benchmark(cfg),
        "peak_rss_mb": peak_rss_mb(),
    }
