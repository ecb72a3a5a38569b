"""GaLore / GaLore+ benchmarks: projector refresh at LLaMA-7B shapes, end-to-end fine-tuning, memory.

Every figure is measured side by side in one run on this machine; ratios are what the report
states. Used by `reasonlab optim bench` and benchmarks/galore.py.

Peak memory on CPU: each fine-tuning run and each memory configuration runs in a fresh (spawned)
process, so no allocation of an earlier run is reused. Just before the first optimizer step the
kernel's resident-set high-water mark is reset (`/proc/self/clear_refs`, Linux); the peak reported is
that mark at the end (VmHWM) minus the resident set at the reset (VmRSS). It counts everything the
steps allocate, optimizer state and transient buffers alike, as resident pages.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import re
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import torch

from reasonlab.core.progress import progress_bar
from reasonlab.jobs.galore_bench_config import BenchConfig
from reasonlab.optim.galore import GaLoreAdamW
from reasonlab.optim.groups import galore_param_groups
from reasonlab.optim.projectors import captured_energy, cross_head_basis, rsi_basis, std_side, svd_basis


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
            gen = torch.Generator().manual_seed(cfg.seed)  # the head is drawn at random, as in GaLore+
            t_ch, (basis, _) = _timed(
                lambda g=g, h=heads, gen=gen: cross_head_basis(g, cfg.rank, h, 0, generator=gen), cfg.repeats
            )
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
        intermediate_size=cfg.ft_mlp or cfg.ft_hidden * 8 // 3,
        num_hidden_layers=cfg.ft_layers,
        num_attention_heads=cfg.ft_heads,
        num_key_value_heads=cfg.ft_heads,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
    )
    torch.manual_seed(cfg.seed)
    model = LlamaForCausalLM(config).to(device=cfg.ft_device, dtype=getattr(torch, cfg.ft_dtype))
    rng, task, rows = random.Random(cfg.seed), create_task("arith", seed=cfg.seed), []
    close = tok.convert_tokens_to_ids("</think>")
    for i in range(cfg.ft_batch):
        p = task.problem(i)
        ex = build_example(p, tok, chat_prompt_ids(tok, p.question), close, rng, TraceConfig(p_early_close=0))
        rows.append((ex.ids + [tok.pad_token_id] * cfg.ft_seq)[: cfg.ft_seq])
    return model, torch.tensor(rows, device=cfg.ft_device)


PLUS = "GaLore+ (rsi + cross_head + residuals)"
PLUS_NO_RESIDUALS = "GaLore+ (rsi + cross_head, no residuals)"


def finetune_benchmark(cfg: BenchConfig, progress: bool = True) -> list[dict[str, Any]]:
    """Per-step time split (forward/backward, optimizer math, refresh), final loss and peak memory per
    optimizer; every run in a fresh process (see the module docstring for the memory measure)."""
    reference = ["galore-torch"] if galore_torch_available() else []
    runs: list[tuple[str, int | None]] = [("AdamW", None)]
    for gap in cfg.ft_gaps:
        runs += [(name, gap) for name in (*reference, "GaLore (svd)", PLUS_NO_RESIDUALS, PLUS)]
    rows = []
    with progress_bar(len(runs), "fine-tuning runs", enabled=progress) as advance:
        for name, gap in runs:
            rows.append(in_fresh_process(_finetune_run, cfg, name, gap))
            advance(1)
    return rows


GALORE_TORCH_MISSING = (
    "galore-torch is not installed, so its reference rows are left out "
    "(pip install 'reasonlab[dev]' or galore-torch==1.0)"
)


def galore_torch_available() -> bool:
    """galore-torch (the official GaLore package, a dev extra) is the benchmark's reference only."""
    import importlib.util

    try:
        return importlib.util.find_spec("galore_torch") is not None
    except (ImportError, ValueError):  # ValueError: a module entry of None, Python's "not installed"
        return False


def _finetune_run(cfg: BenchConfig, name: str, gap: int | None) -> dict[str, Any]:
    import warnings

    model, ids = _ft_model_and_data(cfg)
    opt, refresh_time = _make_optimizer(name, model, cfg, gap)
    cuda = torch.device(cfg.ft_device).type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    if cuda:
        sync()
        torch.cuda.reset_peak_memory_stats()
        start_mb = torch.cuda.memory_allocated() / 2**20
    else:
        start_mb = reset_peak_memory()
    fb = step_time = 0.0
    losses, state_peak = [], 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(cfg.ft_steps):
            t0 = time.perf_counter()
            loss = model(input_ids=ids, labels=ids).loss
            loss.backward()
            sync()
            t1 = time.perf_counter()
            opt.step()
            opt.zero_grad()
            sync()
            t2 = time.perf_counter()
            fb, step_time = fb + t1 - t0, step_time + t2 - t1
            losses.append(loss.item())
            state_peak = max(state_peak, optimizer_state_bytes(opt))
    peak_mb = torch.cuda.max_memory_allocated() / 2**20 if cuda else process_memory_mb()["peak"]
    refresh = refresh_time()
    return {
        "optimizer": name,
        "update_proj_gap": gap,
        "steps": cfg.ft_steps,
        "forward_backward_s": fb / cfg.ft_steps,
        "optimizer_math_s": (step_time - refresh) / cfg.ft_steps,
        "refresh_s": refresh / cfg.ft_steps,
        "refresh_total_s": refresh,
        "step_s": (fb + step_time) / cfg.ft_steps,
        "final_loss": sum(losses[-5:]) / 5,
        "last_loss": losses[-1],
        "losses": losses,
        "state_peak_bytes": state_peak,
        "peak_mb": peak_mb if cuda else None,
        "peak_over_start_mb": None if start_mb is None else peak_mb - start_mb,
    }


def _make_optimizer(name: str, model, cfg: BenchConfig, gap: int | None):
    """(optimizer, function returning the seconds it spent refreshing projectors)."""
    if name == "AdamW":
        return torch.optim.AdamW(model.parameters(), lr=cfg.ft_lr), lambda: 0.0
    if name == "galore-torch":
        import logging

        # galore-torch imports bitsandbytes (for its 8-bit optimizer, unused here), whose CPU backend
        # warns about an optional kernel package on import: not this benchmark's concern.
        logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
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
        residual_density=cfg.residual_density if name == PLUS else 0.0,
        residual_warmup=cfg.residual_warmup,
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
        _synchronize(args[0] if args else None)
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            _synchronize(args[0] if args else None)
            _GALORE_TORCH_SPENT[0] += time.perf_counter() - start

    GaLoreProjector.get_orthogonal_matrix = timed
    GaLoreProjector._reasonlab_timed = True


def _synchronize(tensor: Any) -> None:
    if isinstance(tensor, torch.Tensor) and tensor.is_cuda:
        torch.cuda.synchronize(tensor.device)


def optimizer_state_bytes(opt: torch.optim.Optimizer) -> int:
    """Bytes of the tensors an optimizer keeps (galore-torch's projector matrices included)."""
    total = 0
    for state in opt.state.values():
        for value in state.values():
            value = getattr(value, "ortho_matrix", value)  # galore-torch keeps its basis in an object
            if isinstance(value, torch.Tensor) and value.dim() > 0 and value.dtype != torch.uint8:
                total += value.numel() * value.element_size()
    return total


def process_memory_mb() -> dict[str, float]:
    """This process's resident set now and its high-water mark, in MB (Linux /proc; else ru_maxrss)."""
    try:
        with open("/proc/self/status") as f:
            text = f.read()
        now, peak = (int(re.search(rf"{k}:\s+(\d+)", text).group(1)) / 1024 for k in ("VmRSS", "VmHWM"))
        return {"now": now, "peak": peak}
    except (OSError, AttributeError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"now": peak, "peak": peak}


def reset_peak_memory() -> float | None:
    """Reset the resident-set high-water mark to the current resident set; returns that (MB), or None
    where the kernel offers no reset (then a peak cannot be told apart from what came before)."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    return process_memory_mb()["now"]


def in_fresh_process(fn: Callable[..., Any], *args: Any, env: dict[str, str] | None = None) -> Any:
    """fn(*args) in a newly spawned interpreter, so its memory figures start clean (a worker that dies,
    for example killed for memory, raises BrokenProcessPool here instead of hanging). `env` is added
    to the worker's environment."""
    saved = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            return pool.submit(fn, *args).result()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# glibc keeps freed blocks below its (adaptive, up to 32 MB) mmap threshold for reuse, so the resident
# set also holds memory that is free. A fixed 1 MB threshold hands freed buffers back to the kernel:
# the peak is then the live peak, which is what a GPU allocator's max_memory_allocated reports.
LIVE_MEMORY_ENV = {"MALLOC_MMAP_THRESHOLD_": str(1 << 20)}


def _mem_weights(cfg: BenchConfig) -> list[tuple[str, tuple[int, int], dict[str, Any]]]:
    """The projected weights of one Llama layer at the benchmark's shapes, with GaLore+'s options."""
    attention = {"projector": "cross_head", "num_heads": cfg.heads}
    mlp = {"projector": "rsi", "power_iters": cfg.plus_power_iters}
    h, f = cfg.hidden, cfg.mlp
    return [
        *((name, (h, h), {**attention, "head_axis": 0}) for name in ("q_proj", "k_proj", "v_proj")),
        ("o_proj", (h, h), {**attention, "head_axis": 1}),
        ("gate_proj", (f, h), mlp),
        ("up_proj", (f, h), mlp),
        ("down_proj", (h, f), mlp),
    ]


MEMORY_OPTIMIZERS = ("AdamW", "GaLore+ (no residuals)", "GaLore+ (residuals)")


def _memory_run(cfg: BenchConfig, name: str, allocator: str) -> dict[str, Any]:
    """Peak memory that `mem_steps` optimizer steps add on top of resident weights and gradients."""
    import warnings

    gen = torch.Generator().manual_seed(cfg.seed)
    params, groups = [], []
    for _ in range(cfg.mem_layers):
        for _, shape, options in _mem_weights(cfg):
            p = torch.nn.Parameter(torch.zeros(shape))
            p.grad = torch.randn(shape, generator=gen) * 1e-3
            params.append(p)
            extra = {"residual_density": cfg.residual_density} if name == "GaLore+ (residuals)" else {}
            groups.append(
                {
                    "params": [p],
                    "rank": cfg.rank,
                    "update_proj_gap": 200,
                    "scale": 0.25,
                    "residual_warmup": cfg.residual_warmup,
                    "seed": cfg.seed,
                    **options,
                    **extra,
                }
            )
    opt = torch.optim.AdamW(params, lr=1e-3) if name == "AdamW" else GaLoreAdamW(groups, lr=1e-3)
    weights_bytes = sum(p.numel() * p.element_size() for p in params)
    start_mb = reset_peak_memory()
    state_peak = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(cfg.mem_steps):
            opt.step()
            state_peak = max(state_peak, optimizer_state_bytes(opt))
    return {
        "optimizer": name,
        "allocator": allocator,
        "layers": cfg.mem_layers,
        "weights_bytes": weights_bytes,
        "state_bytes": optimizer_state_bytes(opt),
        "state_peak_bytes": state_peak,
        "peak_over_start_mb": None if start_mb is None else process_memory_mb()["peak"] - start_mb,
    }


def peak_memory_benchmark(cfg: BenchConfig, progress: bool = True) -> list[dict[str, Any]]:
    """AdamW vs GaLore+ with and without residuals on the projected weights of `mem_layers` layers,
    each in a fresh process: optimizer state at the end, its largest size during the run (the
    residual warm-up included) and the peak resident memory the steps added, with glibc's default
    allocator ("default") and with freed buffers handed back ("live", see LIVE_MEMORY_ENV)."""
    runs = [(name, allocator) for allocator in ("live", "default") for name in MEMORY_OPTIMIZERS]
    rows = []
    with progress_bar(len(runs), "peak-memory runs", enabled=progress) as advance:
        for name, allocator in runs:
            env = LIVE_MEMORY_ENV if allocator == "live" else None
            rows.append(in_fresh_process(_memory_run, cfg, name, allocator, env=env))
            advance(1)
    return rows


def memory_benchmark(cfg: BenchConfig) -> list[dict[str, Any]]:
    """Optimizer-state bytes of one attention and one MLP weight at the 7B shapes: at the end of
    `mem_steps` steps and the largest during them (the residual warm-up included)."""
    rows = []
    for name, shape, extra in [
        ("attention", (cfg.hidden, cfg.hidden), {"projector": "cross_head", "num_heads": cfg.heads}),
        ("mlp", (cfg.hidden, cfg.mlp), {"projector": "rsi"}),
    ]:
        grad = torch.randn(*shape, generator=torch.Generator().manual_seed(cfg.seed)) * 1e-3
        adam_bytes = 2 * grad.numel() * grad.element_size()  # exp_avg and exp_avg_sq, like the weight
        for label, options in [
            ("GaLore (svd)", {"projector": "svd"}),
            (
                "GaLore+",
                {**extra, "residual_density": cfg.residual_density, "residual_warmup": cfg.residual_warmup},
            ),
        ]:
            p = torch.nn.Parameter(torch.zeros(shape))
            opt = GaLoreAdamW([{"params": [p], "rank": cfg.rank, **options}], lr=1e-3)
            p.grad = grad
            peak = 0
            for _ in range(cfg.mem_steps):
                opt.step()
                peak = max(peak, opt.state_bytes())
            rows.append(
                {
                    "weight": name,
                    "shape": list(shape),
                    "optimizer": label,
                    "state_bytes": opt.state_bytes(),
                    "state_peak_bytes": peak,
                    "adamw_state_bytes": adam_bytes,
                    "ratio": opt.state_bytes() / adam_bytes,
                    "peak_ratio": peak / adam_bytes,
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
    del synthetic
    real_cfg = BenchConfig(**{**cfg.__dict__, "heads": cfg.ft_heads, "hidden": cfg.ft_hidden})
    refresh += refresh_benchmark(real_cfg, small_llama_gradients(cfg))
    return {
        "config": cfg.__dict__,
        "refresh": refresh,
        "finetune": finetune_benchmark(cfg, progress),
        "memory": memory_benchmark(cfg),
        "peak_memory": peak_memory_benchmark(cfg, progress),
        "peak_rss_mb": peak_rss_mb(),
    }
