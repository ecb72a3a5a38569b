from reasonlab.core.cost import Usage, estimate_flops, matmul_params


def test_usage_adds_fieldwise():
    assert Usage(1, 2, 3) + Usage(10, 20, 30) == Usage(11, 22, 33)


def test_flops_split_prefill_and_decode():
    f = estimate_flops(1000, Usage(generated=5, prefill_computed=7, prefill_reused=100))
    assert f.prefill == 2 * 1000 * 7 and f.decode == 2 * 1000 * 5 and f.total == 24000


def test_matmul_params_counts_tied_head_once(tiny):
    model, _ = tiny
    total = sum(p.numel() for p in model.parameters())
    assert model.config.tie_word_embeddings
    assert matmul_params(model) == total
