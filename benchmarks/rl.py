"""reasonlab's GRPO step against TRL's GRPOTrainer, side by side in one run, on CPU.

Same model (a fresh copy each), task (arith), group size, prompts per step, completion cap,
temperature, learning rate, KL coefficient (so both keep a reference model), one PPO epoch and
token-level loss aggregation. Reported per trainer: median seconds per RL step (the first step is
left out: compile and allocator warm-up), rollout tokens per second, and the loss of the first step.
The two sample different completions (different random streams), so first-step losses agree only in
size, not digit for digit. Goal (issue 16): at least 1.5x TRL's step throughput.

    pip install 'reasonlab[bench]'   # trl
    python benchmarks/rl.py [--model testbed:draft] [--steps 6] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from reasonlab.cli.common import config_from
from reasonlab.core.runs import Run
from reasonlab.engines.hf import HFEngine
from reasonlab.models.loading import chat_prompt_ids, load_model
from reasonlab.models.think import detect_think_format
from reasonlab.rewards import VerifierReward
from reasonlab.rl.config import RLConfig
from reasonlab.rl.trainer import RLTrainer, train
from reasonlab.tasks import create_task


def ours(args, task, workdir) -> dict:
    cfg = config_from(
        RLConfig,
        {
            "model": args.model,
            "steps": args.steps,
            "prompts_per_step": args.prompts,
            "num_generations": args.group,
            "max_tokens": args.max_tokens,
            "learning_rate": 1e-6,
            "beta": 0.001,
            "checkpoint_every_s": 1e9,
        },
    ).validate()
    model, tok = load_model(args.model, dtype="float32")
    think = detect_think_format(tok, model_name=args.model)
    trainer = RLTrainer(cfg, model, tok, HFEngine(model, tok), think, task, VerifierReward.signed(task))
    run = Run.open(workdir, {"bench": "rl"}, overwrite=True, resumes=False)
    history = train(trainer, run, progress=False)["history"]
    steps = [h["seconds_rollout"] + h["seconds_scoring"] + h["seconds_update"] for h in history]
    tokens = [h["response_length"] * args.prompts * args.group for h in history]
    return {
        "seconds_per_step": statistics.median(steps[1:]),
        "rollout_tokens_per_second": sum(tokens[1:]) / sum(h["seconds_rollout"] for h in history[1:]),
        "first_step_loss": history[0]["loss"],
        "mean_response_tokens": statistics.mean(h["response_length"] for h in history),
        "split": {
            part: statistics.median(h[f"seconds_{part}"] for h in history[1:])
            for part in ("rollout", "scoring", "update")
        },
    }


def trl_grpo(args, task, workdir) -> dict:
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    model, tok = load_model(args.model, dtype="float32")
    think = detect_think_format(tok, model_name=args.model)
    n_problems = args.prompts * (args.steps + 1)
    problems = [task.problem(i) for i in range(n_problems)]
    prompts = [tok.decode(chat_prompt_ids(tok, p.question, None, think)) for p in problems]
    data = Dataset.from_dict({"prompt": prompts, "idx": list(range(n_problems))})
    verifier = VerifierReward.signed(task)

    def reward(prompts, completions, idx, **kwargs):
        return [verifier.score(problems[i], c) for i, c in zip(idx, completions)]

    class Clock(TrainerCallback):
        def __init__(self):
            self.starts, self.ends, self.logs = [], [], []

        def on_step_begin(self, *a, **k):
            self.starts.append(time.perf_counter())

        def on_step_end(self, *a, **k):
            self.ends.append(time.perf_counter())

        def on_log(self, args_, state, control, logs=None, **k):
            if logs and "loss" in logs:
                self.logs.append(dict(logs))

    clock = Clock()
    config = GRPOConfig(
        output_dir=str(workdir),
        per_device_train_batch_size=args.prompts * args.group,
        num_generations=args.group,
        max_completion_length=args.max_tokens,
        temperature=1.0,
        learning_rate=1e-6,
        beta=0.001,
        num_iterations=1,
        loss_type="dapo",
        scale_rewards="group",
        max_steps=args.steps,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        bf16=False,
        seed=0,
        shuffle_dataset=False,
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[reward],
        args=config,
        train_dataset=data,
        processing_class=tok,
        callbacks=[clock],
    )
    trainer.train()
    steps = [e - s for s, e in zip(clock.starts, clock.ends)]
    lengths = [log.get("completions/mean_length", 0.0) for log in clock.logs]
    tokens = [m * args.prompts * args.group for m in lengths]
    return {
        "seconds_per_step": statistics.median(steps[1:]),
        # TRL does not time its rollouts apart from the step: tokens over the whole step
        "rollout_tokens_per_second": sum(tokens[1:]) / sum(steps[1:]),
        "first_step_loss": clock.logs[0]["loss"] if clock.logs else float("nan"),
        "mean_response_tokens": statistics.mean(lengths) if lengths else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="testbed:draft")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--group", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--workdir", default="runs/bench-rl", help="scratch folder, replaced each run")
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.manual_seed(0)
    task = create_task("arith")
    a = ours(args, task, f"{args.workdir}/ours")
    b = trl_grpo(args, task, f"{args.workdir}/trl")
    ratio = b["seconds_per_step"] / a["seconds_per_step"]
    print(
        f"model {args.model}, {args.prompts} prompts x {args.group} responses, "
        f"<= {args.max_tokens} tokens, CPU"
    )
    for name, r in (("reasonlab", a), ("trl GRPOTrainer", b)):
        print(
            f"{name:>16}: {r['seconds_per_step']:.2f} s/step, {r['rollout_tokens_per_second']:.0f} rollout "
            f"tokens/s, {r['mean_response_tokens']:.1f} tokens per response, first-step loss "
            f"{r['first_step_loss']:.4f}"
        )
    split = ", ".join(f"{k} {v:.2f} s" for k, v in a["split"].items())
    print(f"reasonlab step split: {split}")
    print(f"step throughput, reasonlab / trl: {ratio:.2f}x (goal >= 1.5x)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"reasonlab": a, "trl": b, "ratio": ratio, "args": vars(args)}, f, indent=2)


if __name__ == "__main__":
    main()
