"""Hidden states captured by hooks are the residual stream around each sub-block."""

import torch

from reasonlab.models.pruned import decoder_layers
from reasonlab.pruning.capture import StateCapture
from tests.pruning.conftest import prompt_ids


def test_hooks_capture_the_residual_stream_around_each_sub_block(draft):
    model, tokenizer = draft
    ids = prompt_ids(tokenizer)
    n = ids.shape[1]
    outputs = {}
    handles = []
    for i, layer in enumerate(decoder_layers(model)):
        for part in ("self_attn", "mlp"):

            def keep(module, args, out, key=(i, part)):
                outputs[key] = (out[0] if isinstance(out, tuple) else out)[0].float()

            handles.append(getattr(layer, part).register_forward_hook(keep))
    with StateCapture(model) as capture, torch.no_grad():
        capture.select(torch.zeros(n, dtype=torch.long), torch.arange(n))
        hidden = model(ids, output_hidden_states=True).hidden_states
        states = capture.take()
    for h in handles:
        h.remove()
    for i, s in enumerate(states):
        assert torch.allclose(s["in"], hidden[i][0].float(), atol=1e-6)  # the layer's input
        assert torch.allclose(
            s["attn"] - s["in"], outputs[(i, "self_attn")], atol=1e-5
        )  # Y - X = Attn(LN(X))
        assert torch.allclose(s["out"] - s["attn"], outputs[(i, "mlp")], atol=1e-5)
        if i + 1 < len(states):
            assert torch.equal(s["out"], states[i + 1]["in"])
    assert capture.take()[0]["in"] is None  # take() empties; hooks are gone after the block
    model(ids)
    assert capture.take()[0]["in"] is None


def test_only_the_selected_positions_are_kept_and_padding_changes_nothing(draft):
    model, tokenizer = draft
    short = prompt_ids(tokenizer)[0, :20]
    long = prompt_ids(tokenizer)[0]
    batch = torch.zeros(2, len(long), dtype=torch.long)
    batch[0, :20], batch[1] = short, long
    mask = (torch.arange(len(long)) < torch.tensor([[20], [len(long)]])).long()
    with StateCapture(model) as capture, torch.no_grad():
        capture.select(torch.tensor([0, 0, 1]), torch.tensor([3, 19, 30]))
        model(batch, attention_mask=mask)
        padded = capture.take()
        capture.select(torch.tensor([0, 0]), torch.tensor([3, 19]))
        model(short[None])
        alone = capture.take()
    for p, a in zip(padded, alone):
        assert p["out"].shape == (3, model.config.hidden_size)
        assert torch.allclose(p["out"][:2], a["out"], atol=1e-5)
