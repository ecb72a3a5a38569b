"""Answer extraction: the last \\boxed{...} of a completion, with nested braces."""

from __future__ import annotations

_BOX_COMMANDS = ("\\boxed", "\\fbox")


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (or \\fbox{...}) in `text`, braces balanced; None if absent.

    Handles nesting (`\\boxed{\\frac{1}{2}}`) and the brace-less form `\\boxed 5`.
    """
    start = max(text.rfind(cmd) for cmd in _BOX_COMMANDS)
    if start < 0:
        return None
    i = start + (len("\\boxed") if text.startswith("\\boxed", start) else len("\\fbox"))
    if i < len(text) and text[i] == " ":
        # "\boxed 5": the argument runs to the next whitespace or '$'.
        rest = text[i + 1 :]
        token = rest.split()[0] if rest.split() else ""
        return token.split("$")[0] or None
    if i >= len(text) or text[i] != "{":
        return None
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
    return None  # unbalanced: the completion was cut before the box closed


def solution_part(completion: str, close_marker: str | None) -> str:
    """The text after the last close-of-thinking marker, or the whole text when there is none.

    Answers are graded on the solution, so a \\boxed{} written while thinking does not count once
    the model has closed its thinking.
    """
    if close_marker and close_marker in completion:
        return completion.rsplit(close_marker, 1)[1]
    return completion
