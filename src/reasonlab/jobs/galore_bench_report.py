"""The GaLore benchmark's report: markdown tables and plots from bench.run_all's results.

Each section is written when its results are present, so a fine-tuning-only run (on a GPU, say)
gets a report of that section alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def write_report(results: dict[str, Any], out) -> str:
    """Plots (refresh_time.png, finetune.png, memory.png) and report.md in `out`; returns the markdown."""
    from reasonlab.core.runs import write_atomic, write_json

    out = Path(out)
    write_json(out / "results.json", results)
    lines = ["# GaLore / GaLore+ benchmark", ""]
    if "peak_rss_mb" in results:
        lines += [f"Peak process memory: {results['peak_rss_mb']:.0f} MB.", ""]
    sections = [
        ("refresh", _refresh_section, "refresh_time.png"),
        ("finetune", _finetune_section, "finetune.png"),
        ("memory", _state_section, None),
        ("peak_memory", _peak_section, "memory.png"),
    ]
    plots = []
    for key, section, plot in sections:
        if key in results:
            lines += section(results, out) + [""]
            plots += [plot] if plot else []
    lines += [line for plot in plots for line in (f"![{plot[:-4]}]({plot})", "")]
    text = "\n".join(lines)
    write_atomic(out / "report.md", text)
    return text


def _refresh_section(results: dict[str, Any], out: Path) -> list[str]:
    from reasonlab.core.plots import new_figure, save_figure

    rows = results["refresh"]
    fig, ax = new_figure(7, 4)
    xs = range(len(rows))
    ax.bar([x - 0.25 for x in xs], [r["svd_s"] for r in rows], 0.25, label="full SVD")
    ax.bar(list(xs), [r["rsi_s"] for r in rows], 0.25, label="rsi")
    ax.bar([x + 0.25 for x in xs], [r.get("cross_head_s", 0) for r in rows], 0.25, label="cross_head")
    ax.set_yscale("log")
    names = [r["gradient"] for r in rows]
    ax.set_xticks(list(xs), [n.split(" (")[0] + "\n(" + n.split(" (")[1] for n in names], fontsize=7)
    ax.set_ylabel("seconds per refresh (one weight)")
    ax.legend()
    save_figure(fig, out / "refresh_time.png")
    lines = [
        f"## Projector refresh (rank {results['config']['rank']})",
        "",
        "| gradient | shape | full SVD s | rsi s (speed-up) | cross_head s (speed-up) | energy: svd / rsi / cross_head |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ch = f"{r['cross_head_s']:.3f} ({r['cross_head_speedup']:.0f}x)" if "cross_head_s" in r else "-"
        ech = f" / {r['energy_cross_head']:.4f}" if "energy_cross_head" in r else ""
        lines.append(
            f"| {r['gradient']} | {r['shape'][0]}x{r['shape'][1]} | {r['svd_s']:.3f} | "
            f"{r['rsi_s']:.3f} ({r['rsi_speedup']:.0f}x) | {ch} | {r['energy_svd']:.4f} / {r['energy_rsi']:.4f}{ech} |"
        )
    return lines


def _finetune_section(results: dict[str, Any], out: Path) -> list[str]:
    from reasonlab.core.plots import new_figure, save_figure

    cfg, rows = results["config"], results["finetune"]
    plotted_gap = cfg["ft_gaps"][0]
    fig, ax = new_figure(7, 4)
    for r in rows:
        if r["update_proj_gap"] in (None, plotted_gap):
            ax.plot(r["losses"], label=r["optimizer"])
    ax.set_title(f"update_proj_gap {plotted_gap} (AdamW has none)", fontsize=9)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    save_figure(fig, out / "finetune.png")
    device, dtype = cfg.get("ft_device", "cpu"), cfg.get("ft_dtype", "float32")
    mlp = cfg.get("ft_mlp") or cfg["ft_hidden"] * 8 // 3
    cuda = device.startswith("cuda")
    memory_note = (
        "Peak memory: the largest optimizer state during the run; torch.cuda.max_memory_allocated over "
        "the steps (weights, gradients, activations, optimizer state, transients); and that peak minus "
        "what was allocated before the first step."
        if cuda
        else "Peak memory: the largest optimizer state during the run, and the peak resident memory the "
        "run added over its start (fresh process per run, glibc's default allocator, which keeps freed "
        "blocks resident: gradients, activations, optimizer state and transient buffers)."
    )
    if not any(r["optimizer"] == "galore-torch" for r in rows):
        from reasonlab.jobs.galore_bench import GALORE_TORCH_MISSING

        memory_note += f" Note: {GALORE_TORCH_MISSING}."
    lines = [
        f"## Fine-tuning ({cfg['ft_steps']} steps, hidden {cfg['ft_hidden']}, mlp {mlp}, "
        f"{cfg['ft_layers']} layers, rank {cfg['ft_rank']}, lr {cfg['ft_lr']:g}, {dtype} on {device})",
        "",
        memory_note,
        "",
        "| optimizer | gap | fwd+bwd s/step | optimizer math s/step | refresh s/step | refresh s (all) "
        "| total s/step | last loss | mean loss, last 5 | state peak MB | peak MB | peak added MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['optimizer']} | {r['update_proj_gap'] or '-'} | {r['forward_backward_s']:.3f} | "
            f"{r['optimizer_math_s']:.3f} | {r['refresh_s']:.3f} | {r.get('refresh_total_s', 0):.2f} | "
            f"{r['step_s']:.3f} | {r.get('last_loss', r['final_loss']):.5f} | {r['final_loss']:.5f} | "
            f"{r['state_peak_bytes'] / 2**20:.1f} | {_mb(r.get('peak_mb'))} | {_mb(r['peak_over_start_mb'])} |"
        )
    return lines


def _state_section(results: dict[str, Any], out: Path) -> list[str]:
    cfg = results["config"]
    lines = [
        f"## Optimizer state memory (one weight, {cfg['mem_steps']} steps, residual warm-up "
        f"{cfg['residual_warmup']}, density {cfg['residual_density']})",
        "",
        "| weight | optimizer | state MB (end) | state MB (peak) | AdamW MB | ratio end / peak |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["memory"]:
        lines.append(
            f"| {r['weight']} {r['shape'][0]}x{r['shape'][1]} | {r['optimizer']} | {r['state_bytes'] / 2**20:.1f} | "
            f"{r['state_peak_bytes'] / 2**20:.1f} | {r['adamw_state_bytes'] / 2**20:.1f} | "
            f"{100 * r['ratio']:.1f}% / {100 * r['peak_ratio']:.1f}% |"
        )
    return lines


def _peak_section(results: dict[str, Any], out: Path) -> list[str]:
    from reasonlab.core.plots import new_figure, save_figure

    cfg = results["config"]
    fig, ax = new_figure(7, 3.5)
    live = [r for r in results["peak_memory"] if r["allocator"] == "live"]
    ys = range(len(live))
    ax.barh([y + 0.2 for y in ys], [r["state_peak_bytes"] / 2**20 for r in live], 0.4, label="state (peak)")
    ax.barh(
        [y - 0.2 for y in ys], [r["peak_over_start_mb"] or 0 for r in live], 0.4, label="peak added (live)"
    )
    ax.set_yticks(list(ys), [r["optimizer"] for r in live], fontsize=8)
    ax.set_xlabel(f"MB ({cfg['mem_layers']} layers of projected weights)")
    ax.legend(fontsize=7)
    save_figure(fig, out / "memory.png")
    lines = [
        f"## Peak memory of the optimizer ({cfg['mem_layers']} layers of projected weights, hidden "
        f"{cfg['hidden']}, mlp {cfg['mlp']}, rank {cfg['rank']}, {cfg['mem_steps']} steps, float32, CPU)",
        "",
        "Weights and gradients are resident before the measurement starts; each configuration runs in a "
        "fresh process, and the peak is the resident-set high-water mark minus the resident set at the "
        "first step (Linux VmHWM after a reset through /proc/self/clear_refs). 'live': glibc's mmap "
        "threshold fixed at 1 MB, so freed buffers go back to the kernel and the peak is the live peak; "
        "'default': glibc as it comes, which also keeps freed blocks resident for reuse.",
        "",
        "| optimizer | weights MB | state MB (end) | state MB (peak) | peak added MB, live | "
        "peak added MB, default |",
        "|---|---|---|---|---|---|",
    ]
    by = {(r["optimizer"], r["allocator"]): r for r in results["peak_memory"]}
    for name in dict.fromkeys(r["optimizer"] for r in results["peak_memory"]):
        r, default = by[(name, "live")], by.get((name, "default"), {})
        lines.append(
            f"| {name} | {r['weights_bytes'] / 2**20:.0f} | {r['state_bytes'] / 2**20:.1f} | "
            f"{r['state_peak_bytes'] / 2**20:.1f} | {_mb(r['peak_over_start_mb'])} | "
            f"{_mb(default.get('peak_over_start_mb'))} |"
        )
    return lines
