import pytest
import torch

from reasonlab.testbed.random_model import random_llama


@pytest.fixture(scope="session")
def tiny():
    """A small random Llama on the testbed tokenizer: (model, tokenizer)."""
    return random_llama(seed=0, hidden=64, layers=2, heads=4, kv_heads=2)


@pytest.fixture(scope="session")
def tiny_dir(tiny, tmp_path_factory):
    """The same model saved as a local Hugging Face folder."""
    model, tokenizer = tiny
    path = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


ONE_THREAD = {"pruning", "merging"}  # test folders whose models are tiny


@pytest.fixture(autouse=True)
def one_thread(request):
    """Tiny models gain nothing from threads, and lose much when other jobs hold the cores."""
    if request.node.path.parent.name not in ONE_THREAD:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
