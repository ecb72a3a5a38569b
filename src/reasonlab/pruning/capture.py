"""The residual stream around each decoder sub-block, captured by forward hooks.

Per decoder layer: X, the residual entering the layer (the input of `input_layernorm`); Y = X +
Attn(LN(X)), the residual after attention (the input of `post_attention_layernorm`); Z = Y +
MLP(LN(Y)), the layer's output. Hooks read what the model itself computed, so no model class is
edited and Y - X is exactly the attention output. Only chosen token positions are kept (as float32),
which bounds memory whatever the model size.
"""

from __future__ import annotations

import torch
from torch import nn

from reasonlab.models.pruned import decoder_layers

POINTS = ("in", "attn", "out")  # X, Y, Z
# Each block kind reads the residual stream between two points.
SPANS = {"attention": ("in", "attn"), "mlp": ("attn", "out"), "layer": ("in", "out")}


def _first_tensor(args: tuple, kwargs: dict) -> torch.Tensor:
    value = args[0] if args else kwargs["hidden_states"]
    return value[0] if isinstance(value, tuple) else value


class StateCapture:
    """Use as a context manager around forward passes: `select(rows, cols)` names the token
    positions of the next batch to keep, and `take()` returns, per layer, {point: [n, D]} for every
    position kept since the last take, in selection order."""

    def __init__(self, model: nn.Module):
        self.layers = decoder_layers(model)
        self.rows: torch.Tensor | None = None
        self.cols: torch.Tensor | None = None
        self._kept: list[dict[str, list[torch.Tensor]]] = [{p: [] for p in POINTS} for _ in self.layers]
        self._handles: list = []

    def __enter__(self) -> StateCapture:
        for i, layer in enumerate(self.layers):
            self._handles += [
                layer.input_layernorm.register_forward_pre_hook(self._hook(i, "in"), with_kwargs=True),
                layer.post_attention_layernorm.register_forward_pre_hook(
                    self._hook(i, "attn"), with_kwargs=True
                ),
                layer.register_forward_hook(self._output_hook(i), with_kwargs=True),
            ]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def select(self, rows: torch.Tensor, cols: torch.Tensor) -> None:
        self.rows, self.cols = rows, cols

    def _keep(self, i: int, point: str, hidden: torch.Tensor) -> None:
        if self.rows is not None:
            rows, cols = self.rows.to(hidden.device), self.cols.to(hidden.device)
            self._kept[i][point].append(hidden[rows, cols].detach().float())

    def _hook(self, i: int, point: str):
        def hook(module, args, kwargs):
            self._keep(i, point, _first_tensor(args, kwargs))

        return hook

    def _output_hook(self, i: int):
        def hook(module, args, kwargs, output):
            self._keep(i, "out", output[0] if isinstance(output, tuple) else output)

        return hook

    def take(self) -> list[dict[str, torch.Tensor]]:
        out = [{p: torch.cat(kept[p]) if kept[p] else None for p in POINTS} for kept in self._kept]
        self._kept = [{p: [] for p in POINTS} for _ in self.layers]
        return out
