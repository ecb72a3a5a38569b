"""A synthesized page: random theme, random layout, a handful of components in cards."""

from __future__ import annotations

import random
from dataclasses import dataclass

from reasonlab.grounding.synth.components import BUILDERS, Component, Ids
from reasonlab.grounding.synth.geometry import THUMB

PALETTES = [  # background, card, text, accent, border
    ("#f5f6f8", "#ffffff", "#1d2330", "#2563eb", "#c8ccd4"),
    ("#ffffff", "#f7f7f2", "#222222", "#c2410c", "#bdbdb0"),
    ("#eef5f0", "#ffffff", "#17301f", "#15803d", "#b5c9bb"),
    ("#1e1f24", "#2a2c33", "#e8e8ea", "#8b5cf6", "#4a4d57"),
    ("#0f172a", "#1e293b", "#e2e8f0", "#f59e0b", "#334155"),
]
FONTS = [
    '"DejaVu Sans", "Liberation Sans", sans-serif',
    '"Liberation Sans", "DejaVu Sans", sans-serif',
    '"DejaVu Serif", "Liberation Serif", serif',
]
VIEWPORTS = [(1280, 800), (1366, 768), (1440, 900), (1024, 768)]


@dataclass
class Page:
    html: str
    width: int
    height: int
    components: list[Component]


def _css(rng: random.Random) -> str:
    bg, card, fg, accent, border = rng.choice(PALETTES)
    size = rng.randint(13, 17)
    radius = rng.choice([0, 3, 6, 10])
    pad = rng.randint(6, 12)
    return f"""
body {{ margin: 0; padding: {rng.randint(12, 28)}px; background: {bg}; color: {fg};
       font-family: {rng.choice(FONTS)}; font-size: {size}px; }}
.grid-page {{ display: grid; grid-template-columns: repeat({rng.randint(2, 4)}, minmax(0, 1fr));
             gap: {rng.randint(10, 24)}px; align-items: start; }}
.card {{ background: {card}; border: 1px solid {border}; border-radius: {radius}px; padding: {pad + 4}px; }}
.row {{ display: flex; flex-wrap: wrap; gap: {pad}px; align-items: center; }}
.col {{ display: flex; flex-direction: column; gap: {pad // 2 + 2}px; }}
.btn {{ font: inherit; padding: {pad // 2 + 2}px {pad + 6}px; border-radius: {radius}px; border: 1px solid {accent};
       background: transparent; color: {accent}; }}
.btn.primary {{ background: {accent}; color: #ffffff; }}
.icon {{ display: inline-flex; padding: 4px; color: {fg}; }}
.check {{ display: inline-flex; align-items: center; gap: 6px; }}
.toggle {{ display: inline-block; width: 34px; height: 18px; border-radius: 9px; background: {border}; position: relative; }}
.toggle span {{ position: absolute; top: 2px; left: 2px; width: 14px; height: 14px; border-radius: 50%; background: #ffffff; }}
.toggle.on {{ background: {accent}; }}
.toggle.on span {{ left: 18px; }}
input[type=range].slider {{ -webkit-appearance: none; appearance: none; width: {rng.randint(140, 240)}px; height: 16px;
       margin: 0; padding: 0; background: transparent; }}
input[type=range].slider::-webkit-slider-runnable-track {{ height: 6px; background: {border}; border-radius: 3px; }}
input[type=range].slider::-webkit-slider-thumb {{ -webkit-appearance: none; width: {THUMB}px; height: 16px;
       margin-top: -5px; border-radius: 50%; background: {accent}; border: none; }}
select, input[type=text] {{ font: inherit; padding: 4px 6px; border: 1px solid {border}; border-radius: {radius}px;
       background: {card}; color: {fg}; }}
.tabs {{ display: flex; border-bottom: 1px solid {border}; }}
.tab {{ padding: {pad // 2 + 2}px {pad + 4}px; }}
.tab.active {{ border-bottom: 3px solid {accent}; font-weight: bold; }}
.menu {{ list-style: none; margin: 0; padding: 0; border: 1px solid {border}; }}
.menu li {{ padding: {pad // 2 + 1}px {pad + 4}px; }}
.dialog {{ border: 2px solid {accent}; padding: {pad + 4}px; border-radius: {radius}px; }}
.grid {{ border-collapse: collapse; }}
.grid td, .grid th {{ border: 1px solid {border}; padding: 3px 8px; }}
.para {{ margin: 0; line-height: 1.5; }}
"""


def make_page(rng: random.Random) -> Page:
    ids = Ids()
    used: set = set()
    kinds = rng.sample(list(BUILDERS), rng.randint(6, 9))
    components = [BUILDERS[k](rng, ids, used) for k in kinds]
    cards = "".join(f'<div class="card">{c.html}</div>' for c in components)
    width, height = rng.choice(VIEWPORTS)
    html = (
        f'<!doctype html><html><head><meta charset="utf-8"><style>{_css(rng)}</style></head>'
        f'<body><div class="grid-page">{cards}</div></body></html>'
    )
    return Page(html, width, height, components)
