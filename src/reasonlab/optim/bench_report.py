"""The GaLore benchmark's report: markdown tables and plots from bench.run_all's results."""

from __future__ import annotations

from typing import Any


def write_report(results: dict[str, Any], out) -> str:
    """Plots (refresh_time.png, finetune.png) and report.md in `out`; returns the markdown."""
    from pathlib import Path

    from reasonlab.core.plots import new_figure, save_figure
    from reasonlab.core.runs import write_atomic, write_json

    out = Path(out)
    write_json(out / "results.json", results)
    fig, ax = new_figure(7, 4)
    names = [r["gradient"] for r in results["refresh"]]
    xs = range(len(names))
    ax.bar([x - 0.25 for x in xs], [r["svd_s"] for r in results["refresh"]], 0.25, label="full SVD")
    ax.bar(list(xs), [r["rsi_s"] for r in results["refresh"]], 0.25, label="rsi")
    ax.bar(
        [x + 0.25 for x in xs],
        [r.get("cross_head_s", 0) for r in results["refresh"]],
        0.25,
        label="cross_head",
    )
    ax.set_yscale("log")
    ax.set_xticks(list(xs), [n.split(" (")[0] + "\n(" + n.split(" (")[1] for n in names], fontsize=7)
    ax.set_ylabel("seconds per refresh (one weight)")
    ax.legend()
    save_figure(fig, out / "refresh_time.png")
    fig, ax = new_figure(7, 4)
    for r in results["finetune"]:
        if r["update_proj_gap"] in (None, 50):
            ax.plot(
                r["losses"],
                label=f"{r['optimizer']}" + (f" gap {r['update_proj_gap']}" if r["update_proj_gap"] else ""),
            )
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    save_figure(fig, out / "finetune.png")

    lines = [
        "# GaLore / GaLore+ benchmark",
        "",
        f"Peak process memory: {results['peak_rss_mb']:.0f} MB.",
        "",
        f"## Projector refresh (rank {results['config']['rank']})",
        "",
        "| gradient | shape | full SVD s | rsi s (speed-up) | cross_head s (speed-up) | energy: svd / rsi / cross_head |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["refresh"]:
        ch = f"{r['cross_head_s']:.3f} ({r['cross_head_speedup']:.0f}x)" if "cross_head_s" in r else "-"
        ech = f" / {r['energy_cross_head']:.4f}" if "energy_cross_head" in r else ""
        lines.append(
            f"| {r['gradient']} | {r['shape'][0]}x{r['shape'][1]} | {r['svd_s']:.3f} | "
            f"{r['rsi_s']:.3f} ({r['rsi_speedup']:.0f}x) | {ch} | {r['energy_svd']:.4f} / {r['energy_rsi']:.4f}{ech} |"
        )
    lines += [
        "",
        f"## Fine-tuning ({results['config']['ft_steps']} steps, hidden {results['config']['ft_hidden']}, "
        f"{results['config']['ft_layers']} layers, rank {results['config']['ft_rank']})",
        "",
        "| optimizer | gap | fwd+bwd s/step | optimizer math s/step | refresh s/step | total s/step | final loss |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results["finetune"]:
        lines.append(
            f"| {r['optimizer']} | {r['update_proj_gap'] or '-'} | {r['forward_backward_s']:.3f} | "
            f"{r['optimizer_math_s']:.3f} | {r['refresh_s']:.3f} | {r['step_s']:.3f} | {r['final_loss']:.4f} |"
        )
    lines += [
        "",
        "## Optimizer state memory (one weight, after one step)",
        "",
        "| weight | optimizer | state MB | AdamW MB | ratio |",
        "|---|---|---|---|---|",
    ]
    for r in results["memory"]:
        lines.append(
            f"| {r['weight']} {r['shape'][0]}x{r['shape'][1]} | {r['optimizer']} | {r['state_bytes'] / 2**20:.1f} | "
            f"{r['adamw_state_bytes'] / 2**20:.1f} | {100 * r['ratio']:.1f}% |"
        )
    lines += ["", "![refresh](refresh_time.png)", "", "![fine-tuning](finetune.png)", ""]
    text = "\n".join(lines)
    write_atomic(out / "report.md", text)
    return text
