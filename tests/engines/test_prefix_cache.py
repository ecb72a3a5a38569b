import torch

from reasonlab.engines.prefix_cache import PrefixCache


def kv(n):
    return [(torch.arange(n).float()[None, :, None], torch.arange(n).float()[None, :, None])]


def test_longest_common_prefix_wins_and_last_token_is_never_reused():
    cache = PrefixCache()
    cache.insert([1, 2, 3, 4], kv(4))
    cache.insert([1, 2, 9], kv(3))
    found, n = cache.lookup([1, 2, 3, 7, 8])
    assert n == 3 and found[0][0].shape[1] == 3
    assert cache.lookup([1, 2, 3, 4])[1] == 3  # the last prompt token must be computed for its logits
    assert cache.lookup([5, 6])[1] == 0


def test_budget_evicts_least_recently_used_and_extensions_replace_prefixes():
    cache = PrefixCache(max_tokens=8)
    cache.insert([1, 2, 3], kv(3))
    cache.insert([1, 2, 3, 4, 5], kv(5))
    assert len(cache) == 1 and cache.num_tokens == 5
    cache.insert([7, 8, 9], kv(3))
    cache.lookup([1, 2, 3, 4, 5, 6])  # touch the first entry
    cache.insert([6, 6], kv(2))
    assert (
        cache.num_tokens <= 8
        and cache.lookup([7, 8, 9, 1])[1] == 0
        and cache.lookup([1, 2, 3, 4, 5, 6])[1] == 5
    )
