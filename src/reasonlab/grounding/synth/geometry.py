"""Where things are on a rendered page, read from the DOM (the source of every synthesized box).

`BOXES_JS` returns every `[data-rl]` element's box. `FINE_JS` locates fine-grained targets:
the slider thumb's centre for a value (the thumb has a fixed CSS width, so its travel is
`width - THUMB`), the gap between two characters (DOM Range boxes of each character), and a
table cell's corner. Both synthesis and the dom oracle call these on the same HTML.
"""

from __future__ import annotations

from typing import Any

THUMB = 16  # px, the slider thumb width set in the page CSS

BOXES_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll('[data-rl]')).map(e => {
  const r = e.getBoundingClientRect();
  return [e.dataset.rl, [r.left, r.top, r.right, r.bottom]];
}))"""

FINE_JS = """([kind, rid, params, thumb]) => {
  const e = document.querySelector(`[data-rl="${rid}"]`);
  if (!e) return null;
  const r = e.getBoundingClientRect();
  if (kind === 'slider') {
    const x = r.left + thumb / 2 + (r.width - thumb) * params.value / 100;
    const tol = Math.max(2, (r.width - thumb) * 0.025);
    return [x - tol, r.top, x + tol, r.bottom];
  }
  if (kind === 'corner') {
    const x = params.corner.includes('left') ? r.left : r.right;
    const y = params.corner.includes('top') ? r.top : r.bottom;
    return [x - 4, y - 4, x + 4, y + 4];
  }
  if (kind === 'gap') {
    const node = e.firstChild;
    const m = new RegExp('\\\\b' + params.word + '\\\\b').exec(node.textContent);
    if (!m) return null;
    const at = m.index + params.index;
    const box = (i) => { const g = document.createRange(); g.setStart(node, i); g.setEnd(node, i + 1);
                         return g.getBoundingClientRect(); };
    const a = box(at - 1), b = box(at);
    if (Math.abs(a.top - b.top) > 2) return null;  // the word wraps between the two characters
    const mid = (a.right + b.left) / 2;
    return [mid - 1.5, Math.min(a.top, b.top), mid + 1.5, Math.max(a.bottom, b.bottom)];
  }
  return null;
}"""


def element_boxes(browser) -> dict[str, list[float]]:
    return browser.evaluate(BOXES_JS)


def fine_box(browser, kind: str, rid: str, params: dict[str, Any]) -> list[float] | None:
    return browser.evaluate(FINE_JS, [kind, rid, params, THUMB])
