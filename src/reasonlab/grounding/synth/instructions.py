"""Instructions from several perspectives for the parts of a rendered page (Jedi's decoupling).

    text_matching               the text on or beside the element
    element_recognition         its appearance, or what it does
    layout_understanding        where it is relative to a neighbour with a known label
    fine_grained_manipulation   a slider value, the gap between two characters, a cell corner
    refusal                     an element that is not on the page

Categories are OSWorld-G's, so the same evaluator reports per category.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from reasonlab.grounding.synth.components import Fine, Part
from reasonlab.grounding.synth.vocab import BUTTONS, CHECKBOXES, TABS, TOGGLES

CATEGORIES = (
    "text_matching",
    "element_recognition",
    "layout_understanding",
    "fine_grained_manipulation",
    "refusal",
)


@dataclass
class Target:
    instruction: str
    category: str
    gui_type: str
    box: list[float] | None  # x1, y1, x2, y2; None for refusal
    oracle: dict = field(default_factory=dict)  # how the dom oracle finds it again


def inside(box: list[float], width: int, height: int) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height and box[2] > box[0]


def text_targets(parts: list[Part], boxes: dict, rng: random.Random) -> list[Target]:
    out = []
    for p in parts:
        if p.text:
            phrase = rng.choice(
                [
                    f"Click the '{p.text}' {p.kind}",
                    f"Select '{p.text}'",
                    f"Click on the {p.kind} labelled '{p.text}'",
                ]
            )
            out.append(
                Target(phrase, "text_matching", p.kind, boxes[p.rid], {"kind": "element", "rid": p.rid})
            )
    return out


def recognition_targets(parts: list[Part], boxes: dict, rng: random.Random) -> list[Target]:
    out = []
    for p in parts:
        options = []
        if p.appearance:
            options.append(f"Click {p.appearance}")
        if p.function:
            options.append(f"Click the {p.kind} that {p.function}")
        if options:
            out.append(
                Target(
                    rng.choice(options),
                    "element_recognition",
                    p.kind,
                    boxes[p.rid],
                    {"kind": "element", "rid": p.rid},
                )
            )
    return out


DIRECTIONS = {
    "to the right of": lambda a, b: b[0] >= a[2] and _overlap(a[1], a[3], b[1], b[3]),
    "to the left of": lambda a, b: b[2] <= a[0] and _overlap(a[1], a[3], b[1], b[3]),
    "below": lambda a, b: b[1] >= a[3] and _overlap(a[0], a[2], b[0], b[2]),
    "above": lambda a, b: b[3] <= a[1] and _overlap(a[0], a[2], b[0], b[2]),
}


def _overlap(a1: float, a2: float, b1: float, b2: float) -> bool:
    return min(a2, b2) - max(a1, b1) > 0


def _gap(a: list[float], b: list[float]) -> float:
    dx = max(0.0, b[0] - a[2], a[0] - b[2])
    dy = max(0.0, b[1] - a[3], a[1] - b[3])
    return dx + dy


def layout_targets(parts: list[Part], boxes: dict, rng: random.Random) -> list[Target]:
    """'the <kind> <direction> '<label>'': the nearest part in that direction, and only when no
    other part of the same kind is within 1.5x its distance there (else it is ambiguous)."""
    out = []
    for anchor in parts:
        if not anchor.text:
            continue
        a = boxes[anchor.rid]
        for words, test in DIRECTIONS.items():
            found = sorted(
                ((_gap(a, boxes[p.rid]), p) for p in parts if p is not anchor and test(a, boxes[p.rid])),
                key=lambda t: t[0],
            )
            if not found:
                continue
            dist, near = found[0]
            rivals = [p for d, p in found[1:] if p.kind == near.kind and d <= 1.5 * dist + 4]
            if rivals or dist > 120:
                continue
            out.append(
                Target(
                    f"Click the {near.kind} {words} '{anchor.text}'",
                    "layout_understanding",
                    near.kind,
                    boxes[near.rid],
                    {"kind": "element", "rid": near.rid},
                )
            )
    return out


def fine_targets(fines: list[Fine], fine_boxes: dict) -> list[Target]:
    kinds = {"slider": "slider", "gap": "text", "corner": "table cell"}
    return [
        Target(
            f.instruction,
            "fine_grained_manipulation",
            kinds[f.kind],
            fine_boxes[id(f)],
            {"kind": f.kind, "rid": f.rid, "params": f.params},
        )
        for f in fines
        if fine_boxes.get(id(f)) is not None
    ]


def refusal_targets(parts: list[Part], rng: random.Random, k: int = 2) -> list[Target]:
    """Name labels that exist in the vocabulary but not on this page."""
    on_page = {p.text for p in parts if p.text}
    pool = [("button", b[0]) for b in BUTTONS] + [("checkbox", c) for c in CHECKBOXES]
    pool += [("tab", t) for t in TABS] + [("toggle switch", t[0]) for t in TOGGLES]
    absent = [(kind, label) for kind, label in pool if label not in on_page]
    return [
        Target(f"Click the '{label}' {kind}", "refusal", kind, None, {"kind": "refusal"})
        for kind, label in rng.sample(absent, min(k, len(absent)))
    ]


def choose(candidates: dict[str, list[Target]], per_page: int, rng: random.Random) -> list[Target]:
    """Up to `per_page` targets, cycling through the categories so each page mixes them."""
    pools = {c: rng.sample(v, len(v)) for c, v in candidates.items() if v}
    picked: list[Target] = []
    order = [c for c in CATEGORIES if c in pools]
    rng.shuffle(order)
    while len(picked) < per_page and any(pools.values()):
        for c in order:
            if pools[c] and len(picked) < per_page:
                picked.append(pools[c].pop())
    return picked
