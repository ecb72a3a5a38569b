"""Calibration texts for pruning scores, as token ids.

EntroDrop scores on C4 windows; any text the model is meant to handle will do. Two sources: a
task's problems written out as the model's own chat prompt plus the task's reference trace
(thinking, close marker, answer), or a JSONL file of {"text": ...} lines. Either way each text is
cut to its first `seq_len` tokens (the official code uses 256-token windows).
"""

from __future__ import annotations

from pathlib import Path

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.jsonl import jsonl_rows
from reasonlab.tasks.base import Problem, Task


def read_texts(path: str | Path, limit: int | None = None) -> list[str]:
    """The "text" of each line of a JSONL file (blank lines skipped), at most `limit` of them."""
    texts = []
    for where, _, row in jsonl_rows(path, "calibration file not found"):
        try:
            text = row["text"]
        except (KeyError, TypeError):
            raise ReasonlabError(f'{where}: expected a {{"text": ...}} object') from None
        if not isinstance(text, str) or not text.strip():
            raise ReasonlabError(f'{where}: "text" must be a non-empty string')
        texts.append(text)
        if limit is not None and len(texts) >= limit:
            break
    if not texts:
        raise ReasonlabError(f"calibration data is empty: {path} holds no text")
    return texts


def task_problems(task: Task, limit: int) -> list[Problem]:
    """The task's first `limit` problems, refused when the task has no reference traces to write."""
    if not hasattr(task, "reference_steps"):
        raise ReasonlabError(
            f"task {task.name or type(task).__name__!r} has no reference traces to calibrate on; "
            'give a JSONL file of {"text": ...} lines instead'
        )
    problems = task.problems(limit)
    if not problems:
        raise ReasonlabError("calibration data is empty: the task has no problems")
    return problems


def encode_texts(texts: list[str], tokenizer, seq_len: int) -> list[list[int]]:
    return [tokenizer.encode(t, add_special_tokens=False)[:seq_len] for t in texts]


def encode_task(problems: list[Problem], task: Task, tokenizer, seq_len: int, think=None) -> list[list[int]]:
    """Prompt + reference thinking + close marker + answer, as the testbed's traces are laid out."""
    from reasonlab.models.loading import chat_prompt_ids

    out = []
    for problem in problems:
        ids = chat_prompt_ids(tokenizer, problem.question, None, think)
        ids += tokenizer.encode("\n\n".join(task.reference_steps(problem)) + "\n", add_special_tokens=False)
        if think is not None and think.close_ids:
            ids += list(think.close_ids)
        ids += tokenizer.encode("\n\n" + task.reference_solution(problem), add_special_tokens=False)
        if tokenizer.eos_token_id is not None:
            ids.append(tokenizer.eos_token_id)
        out.append(ids[:seq_len])
    return out


def check_texts(texts: list[list[int]], min_tokens: int = 2) -> list[list[int]]:
    """Texts scored by their token states need a few tokens each (next-token NLL needs two)."""
    if not texts:
        raise ReasonlabError("calibration data is empty")
    short = [i for i, t in enumerate(texts) if len(t) < min_tokens]
    if short:
        raise ReasonlabError(
            f"calibration text {short[0]} has {len(texts[short[0]])} tokens; every text needs at least "
            f"{min_tokens} here"
        )
    return texts
