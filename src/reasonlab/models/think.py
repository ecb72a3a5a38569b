"""How a model marks its thinking: open/close markers as TOKEN IDS, the step delimiter, the answer.

Markers are looked up in the vocabulary once and then inserted as ids. Re-tokenizing a marker's text
inside a longer string can merge it with its neighbours into different tokens (a known bug class
in inference servers), so nothing here ever does that.
"""

from __future__ import annotations

from dataclasses import dataclass

from reasonlab.core.errors import ReasonlabError

DEFAULT_OPEN, DEFAULT_CLOSE = "<think>", "</think>"


@dataclass(frozen=True)
class ThinkFormat:
    open_ids: tuple[int, ...] | None
    close_ids: tuple[int, ...] | None
    open_text: str | None = DEFAULT_OPEN
    close_text: str | None = DEFAULT_CLOSE
    step_delimiter: str = "\n\n"
    model_name: str = "model"

    @property
    def has_markers(self) -> bool:
        return bool(self.close_ids)

    def require(self, why: str) -> ThinkFormat:
        """Fail with a clear message when a method needs markers the model does not have."""
        if not self.has_markers:
            raise ReasonlabError(
                f"{self.model_name} has no thinking markers (its tokenizer has no {DEFAULT_OPEN!r}/"
                f"{DEFAULT_CLOSE!r} token), which {why} needs; pass --think-open/--think-close"
            )
        return self

    def find_close(self, token_ids: list[int]) -> int | None:
        """Index where the first close marker starts in `token_ids`, or None."""
        if not self.close_ids:
            return None
        return find_subsequence(token_ids, list(self.close_ids))

    def split(self, token_ids: list[int]) -> tuple[list[int], list[int], bool]:
        """(thinking, solution, closed): generated ids cut at the close marker (excluded from both)."""
        at = self.find_close(token_ids)
        if at is None:
            return list(token_ids), [], False
        return list(token_ids[:at]), list(token_ids[at + len(self.close_ids) :]), True

    def prompt_opens_thinking(self, prompt_ids: list[int]) -> bool:
        """Whether the chat prompt already opened thinking (R1-Distill and the testbed do; Qwen3 does not)."""
        if not self.open_ids:
            return False
        tail = prompt_ids[-(len(self.open_ids) + 2) :]
        return find_subsequence(tail, list(self.open_ids)) is not None


def find_subsequence(seq: list[int], sub: list[int]) -> int | None:
    n = len(sub)
    for i in range(len(seq) - n + 1):
        if seq[i : i + n] == sub:
            return i
    return None


def marker_ids(tokenizer, text: str) -> tuple[int, ...]:
    """Token ids of a marker: its own vocabulary entry when it has one, else its lone encoding."""
    vocab_id = tokenizer.get_vocab().get(text)
    if vocab_id is not None:
        return (vocab_id,)
    ids = tokenizer.encode(text, add_special_tokens=False)
    if not ids:
        raise ReasonlabError(f"marker {text!r} encodes to no tokens")
    return tuple(ids)


def detect_think_format(
    tokenizer,
    open_text: str | None = None,
    close_text: str | None = None,
    step_delimiter: str = "\n\n",
    model_name: str = "model",
) -> ThinkFormat:
    """Markers given as flags win; otherwise `<think>`/`</think>` are used if the vocabulary has them."""
    vocab = tokenizer.get_vocab()
    found_open = open_text or (DEFAULT_OPEN if DEFAULT_OPEN in vocab else None)
    found_close = close_text or (DEFAULT_CLOSE if DEFAULT_CLOSE in vocab else None)
    return ThinkFormat(
        open_ids=marker_ids(tokenizer, found_open) if found_open else None,
        close_ids=marker_ids(tokenizer, found_close) if found_close else None,
        open_text=found_open,
        close_text=found_close,
        step_delimiter=step_delimiter,
        model_name=model_name,
    )
