"""GaLoreAdamW: AdamW whose moments live in a low-rank subspace of each projected weight's gradient.

Param groups that carry `rank` are projected (GaLore, Zhao et al. 2024; GaLore+, Liao et al. 2024);
all other groups are plain AdamW with torch.optim.AdamW's exact arithmetic. Group options:

    rank              kept directions; >= the smaller dimension falls back to AdamW (with a warning)
    update_proj_gap   refresh the basis every this many steps (and at step 0)
    scale             multiplies the projected-back update (GaLore's alpha)
    proj_type         "std": project the smaller side (GaLore's default; the only one offered)
    projector         "svd" (GaLore), "rsi" (randomized subspace iteration) or "cross_head" (GaLore+)
    oversample, power_iters, warm_start     rsi settings
    num_heads, head_axis, head_choice       cross_head settings (head_axis 0: q/k/v, 1: o_proj;
                      head_choice "random" as in the paper, or "norm": the largest-gradient head)
    residual_density  GaLore+ sparsely coded residuals: share of entries on which the low-rank
                      estimates of the moments and of the update are corrected (0 = off)
    residual_warmup   steps that choose that index set (by the residual |G - P P^T G|)
    seed              for the random parts (rsi test matrices, random head choice)

Sparsely coded residuals (GaLore+, Liao et al. 2024, sec. "sparsely coded residual"): on a fixed index
set Omega the low-rank estimate of the first moment, P M_low, is corrected by the sparse code S_M of
its residual (the moving average of R = G - P P^T G), and the second moment likewise, so that on
Omega both equal full Adam's moments M and V. The update is corrected the same way: its entries on
Omega become Adam's normalised step M / (sqrt(V) + eps) instead of the projected-back low-rank step
(the sparse residual of the update is their difference), and `scale` multiplies the corrected update
once. An entry therefore moves by at most one Adam step. We keep the corrected moments on Omega (k
values each), which for a fixed basis equal low-rank estimate plus residual code and stay exact
across basis refreshes. The warm-up keeps a pool of 4k candidate entries with their summed |R|,
scored block by block, never a score per entry of the weight.

Moments are kept across refreshes, as GaLore does (no rotation into the new basis). A refresh on a
gradient that is zero, non-finite or whose decomposition fails keeps the previous basis and warns
once; a non-finite gradient also skips that parameter's update.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable

import torch
from torch.optim import Optimizer

from reasonlab.optim.projectors import Basis, cross_head_basis, rsi_basis, std_side, svd_basis

GALORE_DEFAULTS = dict(
    update_proj_gap=200,
    scale=0.25,
    proj_type="std",
    projector="svd",
    oversample=8,
    power_iters=2,
    warm_start=True,
    num_heads=None,
    head_axis=0,
    head_choice="random",
    residual_density=0.0,
    residual_warmup=10,
    seed=0,
)


_EXACT_KEYS = ("basis", "res_index", "res_pool_index", "rng", "side")  # torch would recast or mangle these
RESIDUAL_POOL = 4  # warm-up candidates kept per entry of the index set
SCORE_BLOCK = 1 << 22  # residual entries scored at once during the warm-up (bounds the transient)


class GaLoreAdamW(Optimizer):
    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(
                f"invalid AdamW settings: lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}"
            )
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        for group in self.param_groups:
            if "rank" in group:
                for key, value in GALORE_DEFAULTS.items():
                    group.setdefault(key, value)
                _check_group(group)
                for p in group["params"]:
                    if p.dim() != 2:
                        raise ValueError(
                            f"a GaLore group holds a {p.dim()}-D parameter of shape {tuple(p.shape)}: "
                            "only 2-D weights can be projected "
                            "(FSDP and DeepSpeed ZeRO flatten weights; use DDP)"
                        )
        self._warned: set[str] = set()
        self.refresh_seconds = 0.0  # wall time spent computing bases (for benchmarks and logs)

    def _warn(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(message, RuntimeWarning, stacklevel=3)

    @torch.no_grad()
    def step(self, closure: Callable | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for index, p in enumerate(group["params"]):
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("GaLoreAdamW does not support sparse gradients")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["projected"] = "rank" in group and p.dim() == 2 and self._can_project(group, p)
                grad = p.grad
                if not torch.isfinite(grad).all():
                    self._warn(
                        "nonfinite", "non-finite gradient: skipping that parameter's update (warned once)"
                    )
                    continue
                if state["projected"]:
                    self._galore_step(group, index, p, grad, state)
                else:
                    _adamw_update(p, grad, state, group)
        return loss

    def _can_project(self, group: dict, p: torch.Tensor) -> bool:
        limit = min(p.shape)
        if group["projector"] == "cross_head":
            limit = min(limit, p.shape[group["head_axis"]] // group["num_heads"])
        if group["rank"] >= min(p.shape):
            self._warn(
                f"fullrank{tuple(p.shape)}",
                f"rank {group['rank']} >= smaller dimension of {tuple(p.shape)}: "
                "plain AdamW for this parameter",
            )
            return False
        if group["rank"] > limit:
            self._warn(
                f"headrank{tuple(p.shape)}",
                f"rank {group['rank']} > head dimension {limit}: the cross-head "
                f"basis keeps {limit} directions",
            )
        return True

    def _refresh(self, group: dict, index: int, grad: torch.Tensor, state: dict) -> None:
        """Recompute the basis unless the gradient cannot give one (then keep the old basis)."""
        old = Basis(state["side"], state["basis"]) if "basis" in state else None
        norm = float(grad.float().norm())
        if norm == 0.0:
            self._warn(
                "zero", "all-zero gradient at a projector refresh: keeping the previous basis (warned once)"
            )
            if old is None:
                state["side"], state["basis"] = _axis_basis(grad, group["rank"])
            return
        generator = torch.Generator()
        if "rng" in state:
            generator.set_state(state["rng"])
        else:
            generator.manual_seed(group["seed"] * 1_000_003 + index)
        try:
            kind = group["projector"]
            if kind == "svd":
                basis = svd_basis(grad, group["rank"], std_side(grad.shape))
            elif kind == "rsi":
                basis = rsi_basis(
                    grad,
                    group["rank"],
                    std_side(grad.shape),
                    group["oversample"],
                    group["power_iters"],
                    old if group["warm_start"] else None,
                    generator,
                )
            else:
                basis, _ = cross_head_basis(
                    grad,
                    group["rank"],
                    group["num_heads"],
                    group["head_axis"],
                    group["head_choice"],
                    generator,
                )
            if not torch.isfinite(basis.matrix).all():
                raise torch.linalg.LinAlgError("non-finite basis")
        except (torch.linalg.LinAlgError, RuntimeError) as e:
            self._warn("svdfail", f"basis refresh failed ({e}): keeping the previous basis (warned once)")
            if old is None:
                state["side"], state["basis"] = _axis_basis(grad, group["rank"])
            return
        finally:
            state["rng"] = generator.get_state()
        if old is not None and old.matrix.shape != basis.matrix.shape:
            # moments live in the old shape; a different rank (cross-head cap) restarts them
            state.pop("exp_avg", None)
            state.pop("exp_avg_sq", None)
        state["side"], state["basis"] = basis.side, basis.matrix

    def _galore_step(self, group: dict, index: int, p: torch.Tensor, grad: torch.Tensor, state: dict) -> None:
        if state["step"] % group["update_proj_gap"] == 0 or "basis" not in state:
            _synchronize(grad)  # on a GPU, time the refresh itself, not the queue before it
            start = time.perf_counter()
            self._refresh(group, index, grad, state)
            _synchronize(grad)
            self.refresh_seconds += time.perf_counter() - start
        basis = Basis(state["side"], state["basis"])
        low = basis.project(grad.float())
        if "exp_avg" not in state:
            state["exp_avg"] = torch.zeros_like(low)
            state["exp_avg_sq"] = torch.zeros_like(low)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        step, lr, eps = state["step"], group["lr"], group["eps"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(low, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(low, low, value=1 - beta2)
        bc1, bc2_sqrt = 1 - beta1**step, math.sqrt(1 - beta2**step)
        update = basis.back(exp_avg / ((exp_avg_sq.sqrt() / bc2_sqrt).add_(eps))) / bc1
        if group["residual_density"] > 0:
            self._correct_on_index_set(group, grad, low, basis, update, state)
        p.mul_(1 - lr * group["weight_decay"])
        p.add_(update.to(p.dtype), alpha=-lr * group["scale"])

    def _correct_on_index_set(
        self,
        group: dict,
        grad: torch.Tensor,
        low: torch.Tensor,
        basis: Basis,
        update: torch.Tensor,
        state: dict,
    ) -> None:
        """GaLore+ sparsely coded residuals: on the index set, replace the low-rank estimates of the
        moments and of the update (in `update`, in place) by their corrected values."""
        if "res_index" not in state:
            self._score_residual(group, grad, low, basis, state)
            if state["step"] < group["residual_warmup"]:
                return
            pool, score = state.pop("res_pool_index"), state.pop("res_pool_score")
            k = _index_size(group["residual_density"], grad.numel())
            state["res_index"] = pool[torch.topk(score, k, sorted=False).indices].sort().values
            state["res_exp_avg"] = torch.zeros(k, dtype=torch.float32, device=grad.device)
            state["res_exp_avg_sq"] = torch.zeros_like(state["res_exp_avg"])
            state["res_step"] = 0
        idx = state["res_index"]
        g = grad.reshape(-1)[idx].float()
        state["res_step"] += 1
        beta1, beta2 = group["betas"]
        # M on the index set: P M_low + S_M (S_M: moving average of R); V likewise. Both are full
        # Adam's moments there, so we update them directly.
        exp_avg, exp_avg_sq, t = state["res_exp_avg"], state["res_exp_avg_sq"], state["res_step"]
        exp_avg.lerp_(g, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        denom = (exp_avg_sq.sqrt() / math.sqrt(1 - beta2**t)).add_(group["eps"])
        # The update's sparse residual is Adam's step minus the low-rank step there: adding it
        # leaves Adam's step on the index set.
        update.view(-1)[idx] = exp_avg / denom / (1 - beta1**t)

    def _score_residual(
        self, group: dict, grad: torch.Tensor, low: torch.Tensor, basis: Basis, state: dict
    ) -> None:
        """One warm-up step: add |R| (R = G - P P^T G) to the pooled candidates' summed scores and let
        this step's largest |R| entries into the pool. Works block by block and keeps RESIDUAL_POOL * k
        candidates (flat index and score), never a score per entry of the weight."""
        rows, cols = grad.shape
        size = min(grad.numel(), RESIDUAL_POOL * _index_size(group["residual_density"], grad.numel()))
        pool, score = state.get("res_pool_index"), state.get("res_pool_score")
        top_score = torch.empty(0, device=grad.device)
        top_index = torch.empty(0, dtype=torch.long, device=grad.device)
        block = max(1, SCORE_BLOCK // cols)
        for start in range(0, rows, block):
            stop = min(rows, start + block)
            r = (grad[start:stop].float() - basis.back_rows(low, start, stop)).abs_().reshape(-1)
            offset = start * cols
            if pool is not None:  # the pool is sorted by flat index: its entries in these rows
                lo, hi = torch.searchsorted(pool, torch.tensor([offset, stop * cols], device=pool.device))
                score[lo:hi] += r[pool[lo:hi] - offset]
            if len(top_score) == size:  # only entries above the current size-th largest can get in
                index = (r > top_score.min()).nonzero().squeeze(1)
                value = r[index]
            else:
                value, index = torch.topk(r, min(size, r.numel()), sorted=False)
            top_score, top_index = _keep_top(
                torch.cat([top_score, value]), torch.cat([top_index, index + offset]), size
            )
        if pool is not None:  # newcomers start from this step's |R|; pooled ones already added it
            at = torch.searchsorted(pool, top_index).clamp_(max=len(pool) - 1)
            fresh = pool[at] != top_index
            top_score, top_index = _keep_top(
                torch.cat([score, top_score[fresh]]), torch.cat([pool, top_index[fresh]]), size
            )
        order = top_index.argsort()
        state["res_pool_index"], state["res_pool_score"] = top_index[order], top_score[order]

    def load_state_dict(self, state_dict: dict) -> None:
        """As torch's, but the basis (float32), residual indices, rng state and basis side come back
        as saved (torch casts state tensors to the parameter's dtype and rebuilds strings)."""
        exact = {
            pid: {k: v for k, v in s.items() if k in _EXACT_KEYS} for pid, s in state_dict["state"].items()
        }
        super().load_state_dict(state_dict)
        params = [p for group in self.param_groups for p in group["params"]]
        for pid, values in exact.items():
            for key, value in values.items():
                if isinstance(value, torch.Tensor):
                    value = value.clone() if key == "rng" else value.to(params[pid].device)
                self.state[params[pid]][key] = value

    def state_bytes(self) -> int:
        """Bytes held in optimizer state tensors (moments, bases, residual sets)."""
        return sum(
            v.numel() * v.element_size()
            for s in self.state.values()
            for v in s.values()
            if isinstance(v, torch.Tensor) and v.dtype != torch.uint8
        )


def _adamw_update(p: torch.Tensor, grad: torch.Tensor, state: dict, group: dict) -> None:
    """torch.optim.AdamW's single-tensor arithmetic, operation for operation."""
    if "exp_avg" not in state:
        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
    state["step"] += 1
    beta1, beta2 = group["betas"]
    lr, step = group["lr"], state["step"]
    p.mul_(1 - lr * group["weight_decay"])
    state["exp_avg"].lerp_(grad, 1 - beta1)
    state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    step_size = lr / (1 - beta1**step)
    denom = (state["exp_avg_sq"].sqrt() / math.sqrt(1 - beta2**step)).add_(group["eps"])
    p.addcdiv_(state["exp_avg"], denom, value=-step_size)


def _synchronize(tensor: torch.Tensor) -> None:
    if tensor.is_cuda:
        torch.cuda.synchronize(tensor.device)


def _index_size(density: float, numel: int) -> int:
    """Entries in the GaLore+ residual index set: the `density` share, at least one."""
    return min(numel, max(1, math.ceil(density * numel)))


def _keep_top(score: torch.Tensor, index: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    if len(score) <= size:
        return score, index
    keep = torch.topk(score, size, sorted=False).indices
    return score[keep], index[keep]


def _axis_basis(grad: torch.Tensor, rank: int) -> tuple[str, torch.Tensor]:
    """A placeholder basis (coordinate axes) when the very first refresh has nothing to work with."""
    side = std_side(grad.shape)
    n = grad.shape[1] if side == "right" else grad.shape[0]
    eye = torch.eye(n, dtype=torch.float32, device=grad.device)[:rank]
    return side, eye if side == "right" else eye.T.contiguous()


def _check_group(group: dict) -> None:
    if group["rank"] < 1:
        raise ValueError(f"rank must be >= 1, got {group['rank']}")
    if group["update_proj_gap"] < 1:
        raise ValueError(f"update_proj_gap must be >= 1, got {group['update_proj_gap']}")
    if group["proj_type"] != "std":
        raise ValueError(f"proj_type {group['proj_type']!r} is not supported (only 'std')")
    if group["projector"] not in ("svd", "rsi", "cross_head"):
        raise ValueError(f"projector must be svd, rsi or cross_head, got {group['projector']!r}")
    if group["projector"] == "cross_head" and not group["num_heads"]:
        raise ValueError("projector 'cross_head' needs num_heads (and head_axis)")
    if not 0 <= group["residual_density"] <= 1:
        raise ValueError(f"residual_density must be in [0, 1], got {group['residual_density']}")
