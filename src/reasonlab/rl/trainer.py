"""One RL step, and the run around it: rollouts -> rewards -> advantages -> policy updates.

Per step: `prompts_per_step` problems, `num_generations` responses each from the engine, which holds
the very model object being trained (hf) and drops its cached KV when the weights change; rewards
from a `Reward` (default: the task's verifier as -1/+1, as in the paper, plus an optional format
reward); advantages by the algorithm; groups dropped where --filter-groups says; then one pass
over the batch (one PPO epoch) in `mini_batches` optimizer steps, each teacher-forced through the
policy `micro_batch_size` responses at a time (gradients accumulated), scored against the frozen
initial policy for the KL. With one mini-batch the sampling
policy's log-probabilities equal the current ones, so they are not recomputed (old = logp.detach()).

Under `accelerate launch` (training/distributed.py) each process samples and scores its share of
the prompts, every process then holds the whole batch (advantages and metrics are the one-process
ones), and each mini-batch is split across processes, each part's loss weighted by its share of the
mini-batch's normaliser (as micro-batches are): the update is the one-process update.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

import torch

from reasonlab.core.runs import Run
from reasonlab.core.seeds import derive_seed
from reasonlab.engines.base import SamplingParams
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.scoring import forward_scores, pack
from reasonlab.models.think import ThinkFormat
from reasonlab.rewards import FormatReward, Reward, VerifierReward, WeightedSum
from reasonlab.rewards.tags import tag_reward
from reasonlab.rl.advantages import advantages, dropped_groups
from reasonlab.rl.config import NOT_RECIPE, RLConfig
from reasonlab.rl.losses import aggregate, clipped_surrogate, kl_estimate, likelihood_loss
from reasonlab.rl.rollout import rollout
from reasonlab.sampling.budget import ElasticBudget
from reasonlab.tasks.answer_tags import TaggedAnswerTask
from reasonlab.tasks.base import Problem, Task
from reasonlab.training.checkpoint import load_checkpoint, save_checkpoint
from reasonlab.training.distributed import DataParallel
from reasonlab.training.loop import run_steps
from reasonlab.training.schedule import WarmupCosine, set_lr


def default_reward(cfg: RLConfig, task: Task, think: ThinkFormat) -> Reward:
    """The paper's -1/+1 verifier on the answer after the thinking, plus the format reward if weighted.
    Tasks answered in <answer> tags (the meta-ability tasks) get their paper's format + answer reward
    (-3 to +3), counted on the model's own markers: the chat prompt opens the thinking whenever the
    model has an open marker (chat_prompt_ids appends it where the template does not, as for Qwen3)."""
    if isinstance(task, TaggedAnswerTask):
        markers = {"open_think": think.open_text, "close_think": think.close_text}
        markers = {k: v for k, v in markers.items() if v}
        return tag_reward(task, prompt_opens_think=bool(think.open_ids), **markers)
    close = think.close_text if think.has_markers else None
    verifier = VerifierReward.signed(task, close_marker=close)
    if cfg.format_weight == 0 or close is None:
        return verifier
    return WeightedSum([verifier, FormatReward(close)], [1.0, cfg.format_weight])


def token_whitening(rewards: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, std) of the rewards over response tokens, each response's reward counted once per
    token, with the unbiased variance and 1e-8 inside the root: verl's masked_whiten of outcome
    returns, which are the response's reward at every token."""
    weights = lengths.to(rewards.dtype)
    total = weights.sum()
    mean = (weights * rewards).sum() / total
    var = (weights * (rewards - mean) ** 2).sum() / (total - 1).clamp(min=1)
    return mean, torch.sqrt(var + 1e-8)


def group_advantages(
    cfg: RLConfig, rewards: torch.Tensor, lengths: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """([G, n] advantages, [G] kept groups). NaN rewards (a reward that could not score) get
    advantage 0 and stay out of their group's statistics. A group is dropped from the batch when
    --filter-groups says so (its rewards all agree, or agree on one side); Reinforce-Rej's rejected
    groups are not dropped: they get advantage 0 and stay, as in the official estimator. `lengths`
    ([G, n] response tokens) are needed by REINFORCE++ with --reward-norm token."""
    valid = ~torch.isnan(rewards)
    adv = torch.zeros_like(rewards)
    kept = torch.ones(rewards.shape[0], dtype=torch.bool)
    kwargs = {"reject": cfg.reject or "zero-variance"} if cfg.algo == "reinforce-rej" else {}
    batch_std = rewards[valid].std() if valid.sum() > 1 else torch.tensor(1.0)
    if cfg.algo == "grpo":
        kwargs = {"scale": cfg.scale_rewards, "batch_std": batch_std}
    if cfg.algo == "reinforce++" and cfg.reward_norm == "token":
        if lengths is None:
            raise ValueError("--reward-norm token needs the responses' lengths")
        mean, std = token_whitening(rewards[valid], lengths[valid])
        kwargs = {"batch_mean": mean, "batch_std": std, "eps": 0.0}
    elif cfg.algo == "reinforce++":
        kwargs = {"batch_mean": rewards[valid].mean(), "batch_std": batch_std}
    for g in range(rewards.shape[0]):
        r = rewards[g][valid[g]].unsqueeze(0)
        alone = r.numel() == 1 and rewards.shape[1] > 1 and cfg.algo != "reinforce++"
        if r.numel() == 0 or alone:
            # nothing left to compare against (NaN rewards took the rest): no signal, not a full +-1;
            # REINFORCE++ compares with the batch, so one reward still counts
            kept[g] = False
            continue
        adv[g][valid[g]] = advantages(cfg.algo, r, **kwargs)[0]
        kept[g] = not bool(dropped_groups(r, cfg.filter_groups)[0])
    return adv, kept


class RLTrainer:
    """The policy, its frozen reference, the engine that samples from the policy, the optimizer."""

    def __init__(
        self,
        cfg: RLConfig,
        model,
        tokenizer,
        engine,
        think: ThinkFormat,
        task: Task,
        reward: Reward,
        dp: DataParallel | None = None,
    ):
        self.cfg, self.model, self.tok, self.engine = cfg, model, tokenizer, engine
        self.dp = dp or DataParallel()
        self.think, self.task, self.reward = think, task, reward
        self.reference = copy.deepcopy(model).eval().requires_grad_(False)
        self.optimizer = torch.optim.AdamW(
            model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay
        )
        # A floor of 1 x peak makes the cosine flat: "constant" after the warm-up.
        floor = cfg.min_lr_ratio if cfg.lr_decay == "cosine" else 1.0
        self.schedule = WarmupCosine(cfg.learning_rate, cfg.warmup_steps, cfg.steps, floor)
        pair = cfg.budget_pair()
        self.budget = ElasticBudget(thinking=pair[0], solution=pair[1]) if pair else None
        # The longest completion a rollout can return: the normaliser of the "sum-norm" loss.
        self.cap = cfg.completion_cap() if pair is None else pair[0] + len(think.close_ids or ()) + pair[1]
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.nan_rewards = 0
        self.warn: Callable[[str], None] = print
        self._warned_nan = False

    def problems(self, step: int) -> list[Problem]:
        return step_problems(self.task, step, self.cfg.prompts_per_step)

    def _score(self, problem: Problem, text: str) -> float:
        raw = self.reward.score(problem, text)
        value = float("nan") if raw is None else float(raw)
        if math.isnan(value):
            if not self._warned_nan:
                self.warn(
                    f"warning: the reward returned NaN (problem {problem.id}); such samples are skipped"
                )
                self._warned_nan = True
        return value

    def _correct(self, problem: Problem, text: str) -> bool:
        return bool(self.task.score(problem, text, self.think.close_text))

    def step(self, step: int) -> dict[str, float]:
        cfg, t0 = self.cfg, time.perf_counter()
        problems = self.problems(step)
        prompts = [
            chat_prompt_ids(self.tok, p.question, cfg.system_prompt or None, self.think) for p in problems
        ]
        params = [  # one stream per prompt: a shared seed would give every group the same draws
            SamplingParams(
                n=cfg.num_generations,
                temperature=cfg.temperature,
                top_p=cfg.top_p,
                max_tokens=cfg.completion_cap(),
                seed=derive_seed(cfg.seed, "rl", step, i),
            )
            for i in range(len(prompts))
        ]
        self.model.eval()
        mine = list(range(len(prompts)))[self.dp.rows(len(prompts))]  # this process's prompts
        local = (
            rollout(
                self.engine, [prompts[i] for i in mine], [params[i] for i in mine], self.think, self.budget
            )
            if mine
            else []
        )
        scored = [  # (responses, rewards, final answer right) per prompt
            (
                g,
                [self._score(problems[i], r.text) for r in g],
                [self._correct(problems[i], r.text) for r in g],
            )
            for i, g in zip(mine, local)
        ]
        groups, reward_rows, correct = zip(*self.dp.gather_rows(scored, len(prompts)))
        t_rollout = time.perf_counter()
        rewards = torch.tensor(reward_rows)
        self.nan_rewards += int(torch.isnan(rewards).sum())
        lengths = torch.tensor([[len(r.completion_ids) for r in g] for g in groups])
        adv, kept = group_advantages(cfg, rewards, lengths)
        rows = [
            (prompts[g], r.completion_ids, adv[g, j].item())
            for g in range(len(groups))
            if kept[g]
            for j, r in enumerate(groups[g])
            if not math.isnan(rewards[g, j].item()) and r.completion_ids
        ]
        responses = [r for g in groups for r in g]
        valid = rewards[~torch.isnan(rewards)]
        metrics = {
            "reward": valid.mean().item() if valid.numel() else float("nan"),
            "accuracy": sum(map(sum, correct)) / len(responses),  # final answers, whatever the reward
            "response_length": sum(len(r.completion_ids) for r in responses) / len(responses),
            "truncated": sum(r.truncated for r in responses) / len(responses),
            "forced_close": sum(r.forced_close for r in responses) / len(responses),
            "filtered": 1 - kept.float().mean().item(),
            # groups that teach nothing through the policy loss (GRPO's agreeing groups, Reinforce-
            # Rej's rejected ones), whether dropped or kept for the KL and entropy terms
            "zero_advantage": (adv.abs().sum(1) == 0).float().mean().item(),
            "nan_rewards": float(self.nan_rewards),
            "lr": self.schedule(step),
        }
        if not rows:  # every group dropped: nothing to learn from this batch
            return {
                **metrics,
                "loss": 0.0,
                "kl": float("nan"),  # nothing was scored: no figure rather than a false 0
                "entropy": float("nan"),
                "clip_fraction": 0.0,
                "skipped": 1.0,
                "seconds_rollout": t_rollout - t0,
                "seconds_scoring": 0.0,
                "seconds_update": 0.0,
            }
        return {**metrics, **self.update(rows, step), "skipped": 0.0, "seconds_rollout": t_rollout - t0}

    def update(self, rows: list[tuple[list[int], list[int], float]], step: int) -> dict[str, float]:
        """One pass over (prompt, completion, advantage) rows in `mini_batches` optimizer steps. The
        sampling policy's log-probs are the policy's before the first step: with one mini-batch they
        equal the current ones (ratio 1, so the clip never acts and RAFT++ is RAFT); with several,
        the later mini-batches are off-policy and the clip does its work, as in verl's PPO loop.
        Data-parallel, each process takes its rows of every mini-batch; those go through the model
        `micro_batch_size` at a time, each part's loss weighted by its share of the mini-batch's
        normaliser (tokens for token-mean, responses otherwise), so the gradients add up to the
        mini-batch's."""
        cfg, dp, t0 = self.cfg, self.dp, time.perf_counter()
        device = next(self.model.parameters()).device
        k = min(cfg.mini_batches, len(rows))
        chunks = [rows[i::k] for i in range(k)]  # groups spread over the mini-batches
        parts = []  # per mini-batch: (rows, weight, packed batch) of each micro-batch of this process
        for chunk in chunks:
            mine = chunk[dp.rows(len(chunk))]
            pieces = [mine[i : i + cfg.micro_batch_size] for i in range(0, len(mine), cfg.micro_batch_size)]
            parts.append(
                [
                    (
                        piece,
                        _share(chunk, piece, cfg.loss_type),
                        pack([r[0] for r in piece], [r[1] for r in piece], self.pad_id, device),
                    )
                    for piece in pieces
                ]
            )
        with torch.no_grad():
            score = lambda m, b: forward_scores(m, b, cfg.temperature, with_entropy=False).logprobs  # noqa: E731
            refs = [[score(self.reference, b) for _, _, b in mini] for mini in parts]
            olds = [[score(self.model, b) if k > 1 else None for _, _, b in mini] for mini in parts]
        t_scored = time.perf_counter()
        set_lr(self.optimizer, self.schedule(step))
        sums = dict.fromkeys(["loss", "kl", "entropy", "clip_fraction", "grad_norm"], 0.0)
        skipped_updates = 0
        self.model.train()
        for mini, mini_refs, mini_olds in zip(parts, refs, olds):
            for (piece, weight, batch), ref, old in zip(mini, mini_refs, mini_olds):
                self._backward(piece, batch, ref, old, weight, sums, k)
            dp.reduce_gradients(self.model)
            grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.max_grad_norm)
            if torch.isfinite(grad_norm):
                self.optimizer.step()
            else:  # a NaN/inf gradient would poison every weight: skip this update, keep count
                skipped_updates += 1
            self.optimizer.zero_grad(set_to_none=True)
            sums["grad_norm"] += float(grad_norm) / k
        self.model.eval()
        self.sync_engine()
        tokens = sum(len(r[1]) for r in rows)
        for key in sums:
            if key != "grad_norm":  # the same on every process already
                sums[key] = dp.sum(sums[key])
        for key in ("kl", "entropy", "clip_fraction"):
            sums[key] /= max(1, tokens)
        return {
            **sums,
            "nonfinite_updates": float(skipped_updates),
            "seconds_scoring": t_scored - t0,
            "seconds_update": time.perf_counter() - t_scored,
        }

    def _backward(self, rows, batch, ref, old, weight: float, sums: dict[str, float], k: int) -> None:
        """The loss of one micro-batch (rows of this process's part of a mini-batch), times `weight`
        (its share of the mini-batch's normaliser), backpropagated; adds to `sums` its part of the
        loss and its token sums of KL, entropy and clipped tokens."""
        cfg = self.cfg
        adv = torch.tensor([r[2] for r in rows], device=batch.input_ids.device)
        scores = forward_scores(self.model, batch, cfg.temperature, entropy_grad=cfg.entropy_coef > 0)
        logp, mask = scores.logprobs, scores.mask
        old = logp.detach() if old is None else old
        if cfg.algo == "raft":
            per_token, clipped = likelihood_loss(logp, adv), torch.zeros_like(mask, dtype=torch.bool)
        else:
            per_token, clipped = clipped_surrogate(logp, old, adv, cfg.epsilon, cfg.clip_high, cfg.dual_clip)
        agg = lambda x: aggregate(x, mask, cfg.loss_type, max_length=self.cap)  # noqa: E731
        kl = kl_estimate(logp, ref, cfg.kl_estimator)
        loss = agg(per_token)
        if cfg.beta > 0:
            loss = loss + cfg.beta * agg(kl)
        if cfg.entropy_coef > 0:
            loss = loss - cfg.entropy_coef * agg(scores.entropies)
        (loss * weight).backward()
        sums["loss"] += loss.item() * weight / k
        for key, value in (("kl", kl), ("entropy", scores.entropies), ("clip_fraction", clipped.float())):
            sums[key] += (value.detach() * mask).sum().item()

    def state(self, step: int, history: list[dict], seconds: float) -> dict[str, Any]:
        return {
            "config": recipe(self.cfg),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": step,
            "history": history,
            "seconds": seconds,
            "nan_rewards": self.nan_rewards,
        }

    def restore(self, saved: dict) -> None:
        self.model.load_state_dict(saved["model"])
        self.optimizer.load_state_dict(saved["optimizer"])
        self.nan_rewards = saved.get("nan_rewards", 0)
        self.sync_engine()

    def sync_engine(self) -> None:
        """Hand the new weights to the engine: an hf engine holding this very model only drops its
        stale KV; an engine with its own copy of the weights (vLLM) loads them."""
        shared = getattr(self.engine, "model", None) is self.model
        self.engine.update_weights(None if shared else self.model.state_dict())


def step_problems(task: Task, step: int, prompts_per_step: int) -> list[Problem]:
    """The prompts of RL step `step`: consecutive problems of the task, so a resumed run sees the
    same (and an experiment can list what a run trained on)."""
    return [task.problem((step * prompts_per_step + i) % len(task)) for i in range(prompts_per_step)]


def _share(chunk: list, mine: list, loss_type: str) -> float:
    """This process's share of a mini-batch's loss normaliser: of its tokens for token-mean, of its
    responses for seq-mean and sum-norm (a response count times a constant)."""
    if loss_type == "token-mean":
        return sum(len(r[1]) for r in mine) / max(1, sum(len(r[1]) for r in chunk))
    return len(mine) / len(chunk)


def recipe(cfg: RLConfig) -> dict[str, Any]:
    """The settings a checkpoint must agree with to be resumed."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in NOT_RECIPE}


def train(trainer: RLTrainer, run: Run, progress: bool = True, say: Callable[[str], None] = print) -> dict:
    """Run (or resume) all steps in `run`'s folder; returns the history."""
    cfg = trainer.cfg
    trainer.warn = say
    ckpt = run.partial / "checkpoint.pt"
    saved = load_checkpoint(ckpt, {"config": recipe(cfg)}, hint="pass another --out")
    history, start, seconds = [], 0, 0.0
    writes = trainer.dp.is_main
    if saved is not None:
        trainer.restore(saved)
        history, start, seconds = saved["history"], saved["step"], saved["seconds"]
        if writes:
            say(f"resuming from step {start} of {cfg.steps}")
    seconds = run_steps(
        start,
        cfg.steps,
        trainer.step,
        history=history,
        metrics_path=run.partial / "metrics.jsonl",
        save=lambda step, secs: save_checkpoint(ckpt, trainer.state(step, history, secs)),
        checkpoint_every_s=cfg.checkpoint_every_s,
        seconds_before=seconds,
        log_every=1,
        label=f"rl {cfg.algo}",
        progress=progress,
        writes=writes,
    )
    if writes:
        save_checkpoint(ckpt, trainer.state(cfg.steps, history, seconds))
    return {"history": history, "seconds": seconds}
