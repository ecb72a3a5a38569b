"""The kinds of decoder-layer block a pruning plan can drop (torch-free: configs and the CLI check them)."""

BLOCKS = ("attention", "mlp", "layer")
