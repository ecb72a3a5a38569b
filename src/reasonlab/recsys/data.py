"""Two recommendation domains, their overlapping users, and RecBole-style splits of the target.

The source domain is auxiliary: all of it is training data. The target domain is split per user
0.8/0.1/0.1 (RecBole's `RS` with its rounding), after a share of the overlapping users is taken
out as cold-start users whose target interactions are all held out for testing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reasonlab.core.errors import ReasonlabError
from reasonlab.recsys.atomic import read_atomic


@dataclass
class Domain:
    """One domain's implicit feedback: users and items by id token, interactions as index pairs."""

    name: str
    users: list[str]
    items: list[str]
    user: np.ndarray  # int64 [interactions]
    item: np.ndarray  # int64 [interactions]
    timestamp: np.ndarray | None = None

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def user_index(self) -> dict[str, int]:
        return {u: k for k, u in enumerate(self.users)}


def _inter_path(path: Path) -> Path:
    if path.is_dir():
        return path / f"{path.name}.inter"
    return path


def load_domain(path: str | Path, user_field: str = "user_id", item_field: str = "item_id") -> Domain:
    """A domain from a RecBole dataset folder (`<dir>/<dir>.inter`) or an `.inter` file.

    Repeated (user, item) pairs are kept once: the models here learn from implicit feedback.
    """
    inter = _inter_path(Path(path))
    columns = read_atomic(inter, required=(user_field, item_field))
    user_tokens, item_tokens = columns[user_field], columns[item_field]
    if not user_tokens:
        raise ReasonlabError(f"{inter}: no interactions")
    users, user = np.unique(np.array(user_tokens), return_inverse=True)
    items, item = np.unique(np.array(item_tokens), return_inverse=True)
    pairs = user.astype(np.int64) * len(items) + item
    _, first = np.unique(pairs, return_index=True)
    first.sort()
    stamps = columns.get("timestamp")
    return Domain(
        name=inter.stem,
        users=users.tolist(),
        items=items.tolist(),
        user=user[first].astype(np.int64),
        item=item[first].astype(np.int64),
        timestamp=np.asarray(stamps, dtype=np.float64)[first] if stamps else None,
    )


def overlapping_users(source: Domain, target: Domain, link_file: str | Path | None = None) -> np.ndarray:
    """[k, 2] pairs (source user index, target user index) of the users both domains share.

    Matched by identical id tokens, or through a link file with `source_user_id` and
    `target_user_id` token fields.
    """
    s_index, t_index = source.user_index(), target.user_index()
    if link_file is None:
        pairs = [(s_index[u], t_index[u]) for u in source.users if u in t_index]
    else:
        links = read_atomic(link_file, required=("source_user_id", "target_user_id"))
        pairs = [
            (s_index[s], t_index[t])
            for s, t in zip(links["source_user_id"], links["target_user_id"])
            if s in s_index and t in t_index
        ]
    if not pairs:
        how = f"through {link_file}" if link_file else "by user id"
        raise ReasonlabError(f"domains {source.name!r} and {target.name!r} share no users ({how})")
    return np.array(sorted(set(pairs)), dtype=np.int64)


def split_counts(total: int, ratios: tuple[float, ...]) -> list[int]:
    """RecBole's per-group split sizes: floors, the rest to train, and a small group still gives
    one interaction to each later split while train keeps more than one."""
    counts = [int(r * total) for r in ratios]
    counts[0] = total - sum(counts[1:])
    for k in range(1, len(ratios)):
        if counts[0] <= 1:
            break
        if 0 < ratios[-k] * total < 1:
            counts[-k] += 1
            counts[0] -= 1
    return counts


@dataclass
class Split:
    """Target-domain interactions by role, as (user, item) index arrays."""

    train: tuple[np.ndarray, np.ndarray]
    valid: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    cold_test: tuple[np.ndarray, np.ndarray]
    cold_users: np.ndarray  # target user indices with no target training data


@dataclass
class CrossDomainData:
    source: Domain
    target: Domain
    overlap: np.ndarray  # [k, 2] (source user, target user)
    split: Split = field(repr=False)

    def source_of_target_user(self) -> np.ndarray:
        """For each target user, its source user index or -1."""
        mapping = np.full(self.target.n_users, -1, dtype=np.int64)
        mapping[self.overlap[:, 1]] = self.overlap[:, 0]
        return mapping


def check_split(cold_ratio: float, order: str) -> None:
    """The split settings a user chose, before any file is read.

    `cold_ratio` is in [0, 1): holding out every overlapping user would leave none to learn the
    link between the domains from (the cold-start numbers would measure an untrained mapping)."""
    if not 0 <= cold_ratio < 1:
        raise ReasonlabError(f"cold_ratio must be in [0, 1), got {cold_ratio}")
    if order not in ("RO", "TO"):
        raise ReasonlabError(f"split order must be RO (random) or TO (time), got {order!r}")


def split_target(
    target: Domain,
    overlap: np.ndarray,
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    cold_ratio: float = 0.2,
    order: str = "RO",
    seed: int = 0,
) -> Split:
    """Hold out `cold_ratio` of the overlapping users entirely, then split each other user's
    interactions by `ratios`, in random (`RO`) or time (`TO`) order. Deterministic in `seed`."""
    if abs(sum(ratios) - 1) > 1e-6 or len(ratios) != 3:
        raise ReasonlabError(f"split ratios must be three numbers summing to 1, got {ratios}")
    check_split(cold_ratio, order)
    if order == "TO" and target.timestamp is None:
        raise ReasonlabError(f"split order TO needs a timestamp field in {target.name}.inter")
    rng = np.random.default_rng(seed)
    shared = np.unique(overlap[:, 1])
    n_cold = int(round(cold_ratio * len(shared)))
    if n_cold == len(shared):
        raise ReasonlabError(
            f"cold_ratio {cold_ratio} holds out all {len(shared)} overlapping users: none is left to "
            "learn the link between the domains from"
        )
    cold = np.sort(rng.choice(shared, size=n_cold, replace=False))
    is_cold = np.zeros(target.n_users, dtype=bool)
    is_cold[cold] = True
    by_user = np.argsort(target.user, kind="stable")
    bounds = np.searchsorted(target.user[by_user], np.arange(target.n_users + 1))
    parts: list[list[int]] = [[], [], [], []]  # train, valid, test, cold test (interaction rows)
    for u in range(target.n_users):
        rows = by_user[bounds[u] : bounds[u + 1]]
        if is_cold[u]:
            parts[3].extend(rows.tolist())
            continue
        if order == "TO":
            rows = rows[np.argsort(target.timestamp[rows], kind="stable")]
        else:
            rows = rng.permutation(rows)
        n_train, n_valid, _ = split_counts(len(rows), ratios)
        parts[0].extend(rows[:n_train].tolist())
        parts[1].extend(rows[n_train : n_train + n_valid].tolist())
        parts[2].extend(rows[n_train + n_valid :].tolist())

    def pairs(rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
        idx = np.array(sorted(rows), dtype=np.int64)
        return target.user[idx], target.item[idx]

    return Split(pairs(parts[0]), pairs(parts[1]), pairs(parts[2]), pairs(parts[3]), cold)


def load_pair(
    source: str | Path,
    target: str | Path,
    link_file: str | Path | None = None,
    cold_ratio: float = 0.2,
    order: str = "RO",
    seed: int = 0,
) -> CrossDomainData:
    """Load a source and a target domain, match their users and split the target."""
    s, t = load_domain(source), load_domain(target)
    overlap = overlapping_users(s, t, link_file)
    return CrossDomainData(
        s, t, overlap, split_target(t, overlap, cold_ratio=cold_ratio, order=order, seed=seed)
    )
