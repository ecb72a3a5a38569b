"""`reasonlab rl train` settings: one dataclass whose fields are the CLI flags (torch-free, so that
`--help` is fast). Names follow TRL's GRPOConfig where the meaning matches; defaults are the paper's
(Minimal-RL: n = 4, lr 1e-6, KL k3 with coefficient 0.001, clip 0.2, token-mean, temperature 1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reasonlab.core.errors import ReasonlabError
from reasonlab.jobs.common import RunInputs

ALGORITHMS = ("grpo", "raft", "raftpp", "reinforce-rej", "reinforce", "reinforce++")
AGGREGATIONS = ("token-mean", "seq-mean", "sum-norm")
KL_ESTIMATORS = ("k1", "k2", "k3")
SCALES = ("group", "batch", "none")
REWARD_NORMS = ("response", "token")
GROUP_FILTERS = ("none", "zero-variance", "all-correct", "all-wrong")
# Settings that may change between a run and its resume without changing what it trains.
NOT_RECIPE = ("checkpoint_every_s", "device", "micro_batch_size")
# TRL's loss_type names for the same aggregations.
TRL_LOSS_TYPES = {"grpo": "seq-mean", "bnpo": "token-mean", "dapo": "token-mean", "dr_grpo": "sum-norm"}


@dataclass
class RLConfig(RunInputs):
    model: str = field(
        default="testbed:draft", metadata={"help": "Policy to start from: a local folder or testbed:<name>."}
    )
    algo: str = field(
        default="grpo", metadata={"help": "grpo, raft, raftpp, reinforce-rej, reinforce or reinforce++."}
    )
    steps: int = field(default=100, metadata={"help": "RL steps (one rollout batch and one update each)."})
    prompts_per_step: int = field(default=8, metadata={"help": "Prompts per step (groups)."})
    num_generations: int = field(default=4, metadata={"help": "Responses per prompt (the group size n)."})
    learning_rate: float = field(default=1e-6, metadata={"help": "Peak learning rate of AdamW."})
    warmup_steps: int = field(default=0, metadata={"help": "Linear warm-up steps."})
    lr_decay: str = field(
        default="constant", metadata={"help": "constant, or cosine (down to min_lr_ratio at the last step)."}
    )
    min_lr_ratio: float = field(default=0.1, metadata={"help": "Floor of the cosine decay, x peak."})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay."})
    max_grad_norm: float = field(default=1.0, metadata={"help": "Gradient clipping norm."})
    beta: float = field(
        default=0.001, metadata={"help": "KL coefficient against the initial policy (0: none)."}
    )
    kl_estimator: str = field(default="k3", metadata={"help": "k1, k2 or k3 (verl's low_var_kl)."})
    epsilon: float = field(default=0.2, metadata={"help": "Lower clip range of the importance ratio."})
    epsilon_high: float | None = field(
        default=None, metadata={"help": "Upper clip range (default: epsilon; DAPO uses 0.28)."}
    )
    loss_type: str = field(
        default="token-mean",
        metadata={
            "help": "Aggregation: token-mean, seq-mean or sum-norm (Dr. GRPO); TRL's grpo, bnpo, dapo, "
            "dr_grpo are accepted too."
        },
    )
    scale_rewards: str = field(
        default="group", metadata={"help": "GRPO's std division: group, batch or none."}
    )
    reward_norm: str = field(
        default="response",
        metadata={
            "help": "REINFORCE++'s batch normalization: response (each response counts once, as ROLL) "
            "or token (mean and std over response tokens, so long responses weigh more, as verl and "
            "OpenRLHF whiten)."
        },
    )
    entropy_coef: float = field(default=0.0, metadata={"help": "Entropy bonus coefficient."})
    filter_groups: str = field(
        default="none",
        metadata={
            "help": "Drop groups from the batch, for any algorithm (DAPO's dynamic filtering): "
            "zero-variance (rewards all agree), all-correct or all-wrong (agreeing at a reward > 0 or "
            "<= 0), or none."
        },
    )
    reject: str | None = field(
        default=None,
        metadata={
            "help": "Which groups Reinforce-Rej zeroes (kept in the batch, as the official code): "
            "zero-variance (default), or all-correct / all-wrong only (the paper's ablations)."
        },
    )
    dual_clip: float | None = field(
        default=None,
        metadata={
            "help": "Dual-clip bound c for negative advantages (verl's clip_ratio_c, 3 in the paper's runs)."
        },
    )
    format_weight: float = field(
        default=0.0, metadata={"help": "Weight of the format reward added to the +-1 verifier reward."}
    )
    temperature: float = field(default=1.0, metadata={"help": "Rollout sampling temperature."})
    top_p: float = field(default=1.0, metadata={"help": "Rollout nucleus sampling."})
    max_tokens: int | None = field(
        default=None,
        metadata={
            "help": "Cap per response without --budget, as --max-tokens everywhere here (TRL calls it "
            "the max completion length); default: the model's (testbed 512)."
        },
    )
    budget: str | None = field(
        default=None,
        metadata={"help": "Elastic Reasoning budget 't,s' for rollouts: t thinking, s solution tokens."},
    )
    mini_batches: int = field(
        default=1,
        metadata={
            "help": "Optimizer steps per rollout batch (verl: train batch / PPO mini-batch). With 1 the "
            "importance ratio is 1, the clip never acts and raftpp trains as raft."
        },
    )
    micro_batch_size: int = field(
        default=16,
        metadata={
            "help": "Responses per forward/backward pass; gradients add up over a mini-batch (verl's "
            "ppo_micro_batch_size_per_gpu). Bounds memory, not the update: a step's activations grow "
            "with responses x length^2 under eager attention."
        },
    )
    seed: int = field(default=0, metadata={"help": "Seed of the rollouts (problems come in task order)."})
    checkpoint_every_s: float = field(
        default=120.0, metadata={"help": "Seconds between checkpoints.", "flag": "--checkpoint-every"}
    )

    @property
    def clip_high(self) -> float:
        return self.epsilon if self.epsilon_high is None else self.epsilon_high

    def budget_pair(self) -> tuple[int, int] | None:
        """(t, s) of --budget, or None."""
        if self.budget is None:
            return None
        try:
            t, s = (int(x) for x in self.budget.split(","))
        except ValueError:
            raise ReasonlabError(f"--budget {self.budget!r}: expected 't,s', e.g. 32,48") from None
        if t < 1 or s < 1:
            raise ReasonlabError(f"--budget {self.budget!r}: both budgets must be >= 1")
        return t, s

    def completion_cap(self) -> int:
        return self.max_tokens or 512

    def validate(self) -> RLConfig:
        """One-line errors for settings that cannot train."""

        def choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
            if value not in allowed:
                raise ReasonlabError(
                    f"--{name.replace('_', '-')} {value!r}: choose from {', '.join(allowed)}"
                )

        self.loss_type = TRL_LOSS_TYPES.get(self.loss_type, self.loss_type)
        choice("algo", self.algo, ALGORITHMS)
        choice("loss_type", self.loss_type, AGGREGATIONS)
        choice("kl_estimator", self.kl_estimator, KL_ESTIMATORS)
        choice("scale_rewards", self.scale_rewards, SCALES)
        choice("filter_groups", self.filter_groups, GROUP_FILTERS)
        choice("reward_norm", self.reward_norm, REWARD_NORMS)
        if self.reward_norm != "response" and self.algo != "reinforce++":
            raise ReasonlabError(f"--reward-norm applies to --algo reinforce++, not {self.algo}")
        if self.reject is not None:
            choice("reject", self.reject, GROUP_FILTERS[1:])
            if self.algo != "reinforce-rej":
                raise ReasonlabError(f"--reject applies to --algo reinforce-rej, not {self.algo}")
        if self.dual_clip is not None and self.dual_clip <= 1:
            raise ReasonlabError(f"--dual-clip {self.dual_clip}: must be > 1 (verl uses 3)")
        choice("lr_decay", self.lr_decay, ("constant", "cosine"))
        counts = (self.num_generations, self.prompts_per_step, self.steps, self.mini_batches)
        if min(*counts, self.micro_batch_size) < 1:
            raise ReasonlabError(
                "--num-generations, --prompts-per-step, --steps, --mini-batches and --micro-batch-size "
                "must be >= 1"
            )
        filtered = self.filter_groups != "none"
        if self.num_generations == 1 and (self.algo in ("grpo", "reinforce-rej") or filtered):
            raise ReasonlabError(
                f"--num-generations 1 with {self.algo}"
                + (f" and --filter-groups {self.filter_groups}" if filtered else "")
                + ": a group of one has no spread to compare against; use at least 2"
            )
        if self.learning_rate <= 0 or self.temperature <= 0:
            raise ReasonlabError("--learning-rate and --temperature must be > 0")
        if not 0 < self.epsilon < 1 or self.clip_high <= 0:
            raise ReasonlabError(f"--epsilon {self.epsilon}: must be in (0, 1), and --epsilon-high > 0")
        if self.beta < 0 or self.entropy_coef < 0:
            raise ReasonlabError("--beta and --entropy-coef must be >= 0")
        self.budget_pair()
        return self
