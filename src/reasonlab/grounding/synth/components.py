"""UI component templates: each builds HTML whose targetable parts carry a `data-rl` id and a
description from several perspectives (its text, its appearance, its function).

Fine-grained targets (a slider value, the gap between two characters, a table-cell corner) are
described by a `Fine` record and located after rendering (see geometry.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from reasonlab.grounding.synth.vocab import (
    BUTTONS,
    CHECKBOXES,
    COLUMNS,
    ICONS,
    MENU_ITEMS,
    OPTIONS,
    PARAGRAPH_WORDS,
    TABS,
    TEXT_FIELDS,
    TOGGLES,
)


@dataclass
class Part:
    rid: str
    kind: (
        str  # button, icon, checkbox, radio, toggle, slider, dropdown, text field, tab, menu item, cell, ...
    )
    text: str | None = None  # what the screen shows on or beside it
    appearance: str | None = None
    function: str | None = None


@dataclass
class Fine:
    """A fine-grained target: slider value, gap between characters, or a cell corner."""

    kind: str  # slider | gap | corner
    rid: str  # the element it lives in
    instruction: str
    params: dict = field(default_factory=dict)


@dataclass
class Component:
    html: str
    parts: list[Part]
    fine: list[Fine] = field(default_factory=list)


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"e{self.n}"


def _take(rng: random.Random, pool: list, used: set, k: int = 1) -> list:
    """k items of `pool` not used on this page yet (labels must be unique to be unambiguous)."""
    free = [p for p in pool if (p[0] if isinstance(p, tuple) else p) not in used]
    picked = rng.sample(free, k)
    used.update(p[0] if isinstance(p, tuple) else p for p in picked)
    return picked


def buttons(rng, ids, used) -> Component:
    parts, html = [], []
    for label, function in _take(rng, BUTTONS, used, rng.randint(2, 3)):
        rid = ids()
        primary = rng.random() < 0.4
        cls = "btn primary" if primary else "btn"
        look = "a filled button in the accent colour" if primary else "an outlined button"
        html.append(f'<button class="{cls}" data-rl="{rid}">{label}</button>')
        parts.append(Part(rid, "button", label, f"{look} reading '{label}'", function))
    return Component(f'<div class="row">{"".join(html)}</div>', parts)


def icons(rng, ids, used) -> Component:
    parts, html = [], []
    for name, (svg, appearance, function) in _take(rng, list(ICONS.items()), used, rng.randint(3, 5)):
        rid = ids()
        html.append(
            f'<span class="icon" data-rl="{rid}" title="{name}"><svg viewBox="0 0 24 24" width="24" height="24" '
            f'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">{svg}</svg></span>'
        )
        parts.append(Part(rid, "icon", None, appearance, function))
    return Component(f'<div class="row toolbar">{"".join(html)}</div>', parts)


def checkboxes(rng, ids, used) -> Component:
    parts, html = [], []
    for label in _take(rng, CHECKBOXES, used, rng.randint(2, 3)):
        rid = ids()
        checked = " checked" if rng.random() < 0.5 else ""
        html.append(f'<label class="check"><input type="checkbox" data-rl="{rid}"{checked}> {label}</label>')
        state = "ticked" if checked else "empty"
        parts.append(Part(rid, "checkbox", label, f"the {state} checkbox next to '{label}'", None))
    return Component(f'<div class="col">{"".join(html)}</div>', parts)


def radios(rng, ids, used) -> Component:
    group = f"g{ids()}"
    labels = _take(rng, OPTIONS, used, 3)
    parts, html = [], []
    chosen = rng.randrange(3)
    for k, label in enumerate(labels):
        rid = ids()
        checked = " checked" if k == chosen else ""
        html.append(
            f'<label class="check"><input type="radio" name="{group}" data-rl="{rid}"{checked}> {label}</label>'
        )
        parts.append(Part(rid, "radio button", label, f"the round radio button for '{label}'", None))
    return Component(f'<div class="col">{"".join(html)}</div>', parts)


def toggles(rng, ids, used) -> Component:
    parts, html = [], []
    for label, function in _take(rng, TOGGLES, used, rng.randint(1, 2)):
        rid = ids()
        on = rng.random() < 0.5
        html.append(
            f'<label class="check"><span class="toggle{" on" if on else ""}" data-rl="{rid}"><span></span></span> {label}</label>'
        )
        state = "on" if on else "off"
        parts.append(
            Part(rid, "toggle switch", label, f"the pill-shaped switch, currently {state}", function)
        )
    return Component(f'<div class="col">{"".join(html)}</div>', parts)


def slider(rng, ids, used) -> Component:
    rid = ids()
    label = _take(rng, ["Volume", "Brightness", "Opacity", "Zoom", "Skill level", "Speed", "Balance"], used)[
        0
    ]
    value = rng.randrange(0, 101, 5)
    target = rng.choice([v for v in range(0, 101, 10) if abs(v - value) >= 20])
    html = (
        f'<div class="col"><span>{label}</span><input type="range" class="slider" min="0" max="100" '
        f'value="{value}" data-rl="{rid}"></div>'
    )
    part = Part(
        rid, "slider", label, f"the horizontal slider for {label.lower()}", f"adjusts the {label.lower()}"
    )
    fine = Fine("slider", rid, f"Set the {label.lower()} slider to {target}%", {"value": target})
    return Component(html, [part], [fine])


def dropdown(rng, ids, used) -> Component:
    rid = ids()
    label = _take(rng, ["Country", "Language", "Currency", "Time zone", "Font", "Theme", "Format"], used)[0]
    options = rng.sample(OPTIONS, 4)
    html = (
        f'<label class="col">{label}<select data-rl="{rid}">'
        + "".join(f"<option>{o}</option>" for o in options)
        + "</select></label>"
    )
    part = Part(
        rid, "dropdown", label, f"the drop-down list showing '{options[0]}'", f"chooses the {label.lower()}"
    )
    return Component(html, [part])


def text_fields(rng, ids, used) -> Component:
    parts, html = [], []
    for label, placeholder in _take(rng, TEXT_FIELDS, used, rng.randint(1, 2)):
        rid = ids()
        html.append(
            f'<label class="col">{label}<input type="text" placeholder="{placeholder}" data-rl="{rid}"></label>'
        )
        parts.append(
            Part(rid, "text field", label, f"the empty input box with the hint '{placeholder}'", None)
        )
    return Component(f'<div class="row">{"".join(html)}</div>', parts)


def tabs(rng, ids, used) -> Component:
    names = _take(rng, TABS, used, rng.randint(3, 4))
    active = rng.randrange(len(names))
    parts, html = [], []
    for k, name in enumerate(names):
        rid = ids()
        html.append(f'<span class="tab{" active" if k == active else ""}" data-rl="{rid}">{name}</span>')
        look = "the highlighted, selected tab" if k == active else f"an unselected tab labelled '{name}'"
        parts.append(Part(rid, "tab", name, look, f"shows the {name.lower()} page"))
    return Component(f'<div class="tabs">{"".join(html)}</div>', parts)


def menu(rng, ids, used) -> Component:
    items = _take(rng, MENU_ITEMS, used, rng.randint(3, 5))
    parts, html = [], []
    for label, function in items:
        rid = ids()
        html.append(f'<li data-rl="{rid}">{label}</li>')
        parts.append(Part(rid, "menu item", label, None, function))
    return Component(f'<ul class="menu">{"".join(html)}</ul>', parts)


def dialog(rng, ids, used) -> Component:
    ok, cancel = ids(), ids()
    title = rng.choice(["Unsaved changes", "Delete file?", "Update available", "Sign out?"])
    body = rng.choice(["Do you want to continue?", "This cannot be undone.", "Restart to apply the update."])
    ok_label = _take(rng, ["Continue", "Confirm", "Proceed", "Yes"], used)[0]
    cancel_label = _take(rng, ["Go back", "Not now", "Dismiss", "No"], used)[0]
    html = (
        f'<div class="dialog"><b>{title}</b><p>{body}</p><div class="row">'
        f'<button class="btn primary" data-rl="{ok}">{ok_label}</button>'
        f'<button class="btn" data-rl="{cancel}">{cancel_label}</button></div></div>'
    )
    parts = [
        Part(
            ok,
            "button",
            ok_label,
            f"the accent-coloured button in the '{title}' dialog",
            "accepts the dialog",
        ),
        Part(
            cancel,
            "button",
            cancel_label,
            f"the plain button in the '{title}' dialog",
            "closes the dialog without acting",
        ),
    ]
    return Component(html, parts)


def table(rng, ids, used) -> Component:
    cols = rng.sample(COLUMNS, rng.randint(3, 4))
    rows = rng.randint(3, 4)
    letters = "ABCDEFG"
    grid_id = ids()
    cells, parts = [], []
    html = ["<tr><th></th>" + "".join(f"<th>{letters[c]}</th>" for c in range(len(cols))) + "</tr>"]
    for r in range(rows):
        row = [f"<th>{r + 1}</th>"]
        for c, (_, make_value) in enumerate(cols):
            rid = ids()
            value = make_value(rng)
            row.append(f'<td data-rl="{rid}">{value}</td>')
            cells.append((rid, f"{letters[c]}{r + 1}", value))
        html.append(f"<tr>{''.join(row)}</tr>")
    # text-matching parts only for values that appear once in the grid
    counts: dict[str, int] = {}
    for _, _, v in cells:
        counts[v] = counts.get(v, 0) + 1
    for rid, _, value in cells:
        if counts[value] == 1:
            parts.append(Part(rid, "cell", value, None, None))
    rid, ref, _ = rng.choice(cells)
    corner = rng.choice(["top left", "top right", "bottom left", "bottom right"])
    fine = [Fine("corner", rid, f"Click the {corner} corner of cell {ref}", {"corner": corner})]
    return Component(f'<table class="grid" data-rl="{grid_id}">{"".join(html)}</table>', parts, fine)


def paragraph(rng, ids, used) -> Component:
    rid = ids()
    words = [rng.choice(PARAGRAPH_WORDS) for _ in range(rng.randint(14, 26))]
    text = " ".join(words).capitalize() + "."
    long_words = [w for w in words if len(w) >= 5 and words.count(w) == 1]
    fine = []
    if long_words:
        word = rng.choice(long_words)
        k = rng.randrange(1, len(word))
        fine.append(
            Fine(
                "gap",
                rid,
                f"Click between '{word[k - 1]}' and '{word[k]}' in the word '{word}'",
                {"word": word, "index": k},
            )
        )
    return Component(f'<p class="para" data-rl="{rid}">{text}</p>', [], fine)


BUILDERS: dict[str, Callable] = {
    "buttons": buttons,
    "icons": icons,
    "checkboxes": checkboxes,
    "radios": radios,
    "toggles": toggles,
    "slider": slider,
    "dropdown": dropdown,
    "text_fields": text_fields,
    "tabs": tabs,
    "menu": menu,
    "dialog": dialog,
    "table": table,
    "paragraph": paragraph,
}
