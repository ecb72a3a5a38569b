"""Load a model and its tokenizer from a local Hugging Face folder or a registered handle.

Nothing is fetched from a hub: paths must exist locally (`local_files_only=True`). Handles such as
`testbed:target` come from models/registry.py, where the testbed registers them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reasonlab.core.errors import ReasonlabError
from reasonlab.models.registry import find_handle, model_handles

TESTBED_PREFIX = "testbed:"  # handles of the tiny testbed models: models/defaults.py gives them small caps
DTYPES = ("auto", "float32", "bfloat16", "float16")  # names of torch dtypes (torch loads lazily)


def testbed_models() -> dict[str, str]:
    """Registered handles (the testbed's: "testbed:random" always, trained ones when shipped) and
    what each is."""
    return {name: handle.description for name, handle in model_handles().items()}


def resolve_model_path(name: str) -> Path | None:
    """Local folder for a model name or handle; None for a handle built in memory (`testbed:random`)."""
    handle = find_handle(name)
    if handle is not None:
        return handle.path
    path = Path(name).expanduser()
    if not path.exists():
        raise ReasonlabError(
            f"model not found: {name} (give a local Hugging Face model folder or testbed:<name>; "
            "nothing is downloaded)"
        )
    if not (path / "config.json").is_file():
        raise ReasonlabError(f"{path} is not a Hugging Face model folder: it has no config.json")
    return path


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers' warnings silenced for the block, its verbosity restored after: for loads and
    calls whose warnings are expected (a head left out on purpose, dropped blocks' weights,
    assisted generation's notes on its assistant's config)."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)


def load_model(name: str, device: str = "cpu", dtype: str = "auto"):
    """(model, tokenizer) in eval mode on `device`."""
    if dtype not in DTYPES:
        raise ReasonlabError(f"unknown dtype {dtype!r} (choose from {', '.join(DTYPES)})")
    import torch
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    from reasonlab.models.pruned import from_folder

    hf_logging.disable_progress_bar()  # our own progress bars are enough; no "Loading weights" bars
    path = resolve_model_path(name)
    if path is None:
        model, tokenizer = find_handle(name).build()
    else:
        try:
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
            model = from_folder(path, torch_dtype)  # from_pretrained, then a pruning_plan.json if any
        except (OSError, ValueError) as e:
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ReasonlabError(f"cannot load model from {path}: {first_line}") from None
    if device != "cpu" and device.startswith("cuda") and not torch.cuda.is_available():
        raise ReasonlabError(f"device {device!r} requested but CUDA is not available")
    model.to(device).eval()
    return model, tokenizer


def chat_prompt_ids(tokenizer, question: str, system: str | None = None, think=None) -> list[int]:
    """Token ids of the model's own chat prompt for a question, generation prompt included.

    With a ThinkFormat, the open-thinking marker and a newline are appended when the template left
    them out (Qwen3's template does; the official frac-cot and Elastic Reasoning scripts do the same),
    so that every model starts its answer inside its thinking."""
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": question}
    ]
    out = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    ids = list(out["input_ids"] if hasattr(out, "keys") else out)
    if think is not None and think.open_ids and not think.prompt_opens_thinking(ids):
        ids += list(think.open_ids) + tokenizer.encode("\n", add_special_tokens=False)
    return ids
