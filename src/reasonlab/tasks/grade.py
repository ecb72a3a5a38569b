"""Grading extracted answers against references: exact integers fast, math-verify otherwise."""

from __future__ import annotations

import logging
import re

_INT = re.compile(r"^\s*-?\d+\s*$")


def normalize_int(answer: str | None) -> int | None:
    """The integer an answer states, or None (accepts surrounding spaces and '$', and '{}' wrappers)."""
    if answer is None:
        return None
    text = answer.strip().strip("$").strip()
    while text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    return int(text) if _INT.match(text) else None


def math_equal(gold: str, predicted: str | None) -> bool:
    """Mathematical equivalence of two LaTeX answers with math-verify (fractions, radicals, sets...)."""
    if predicted is None:
        return False
    g, p = normalize_int(gold), normalize_int(predicted)
    if g is not None and p is not None:
        return g == p
    from math_verify import parse, verify  # slow import (sympy): only when needed

    # Timeouts are off on purpose (signal-based ones fail off the main thread); say it once, not per call.
    logging.getLogger("math_verify").setLevel(logging.ERROR)

    gold_parsed = parse("\\boxed{" + gold + "}", parsing_timeout=None)
    pred_parsed = parse("\\boxed{" + predicted + "}", parsing_timeout=None)
    if not gold_parsed or not pred_parsed:
        return gold.strip() == predicted.strip()
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=None))
