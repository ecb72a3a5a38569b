"""Memory-efficient optimizers: GaLore and GaLore+ (low-rank gradient projection)."""

from reasonlab.optim.galore import GaLoreAdamW
from reasonlab.optim.groups import galore_param_groups

__all__ = ["GaLoreAdamW", "galore_param_groups"]
