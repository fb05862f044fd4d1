"""Checks every page of a journey must pass: axe, no sideways scrolling, visible focus."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page

#: WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus axe's best practices (landmarks, headings).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}
#: Screenshots show the whole page up to this height (a long series would be a scroll).
MAX_SHOT_HEIGHT = 2400

_axe = Axe()
#: The kinds of page (see `page_kind`) each browser page has passed `check_page` on.
_checked: WeakKeyDictionary[Page, set[str]] = WeakKeyDictionary()


def viewport_name(page: Page) -> str:
    """Name the page's viewport as the screenshots do: "phone" or "desktop"."""
    size = page.viewport_size
    return "phone" if size is not None and size["width"] < 600 else "desktop"


def check_accessibility(page: Page, name: str) -> None:
    """Run axe-core on the page; fail on any serious or critical violation, naming each."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    problems = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    if problems:
        lines = [
            f"axe: {len(problems)} serious/critical rule(s) fail on page {name!r} "
            f"({viewport_name(page)}, {page.url}):"
        ]
        for violation in problems:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"][:8]:
                target = " ".join(str(t) for t in node["target"])
                lines.append(f"    at {target}: {node.get('failureSummary', '').splitlines()[-1]}")
        raise AssertionError("\n".join(lines))


#: Measured against the layout viewport (``clientWidth``), not ``innerWidth``: a phone
#: (and Chromium's phone emulation) zooms out to fit content that sticks out, which widens
#: ``innerWidth`` with it, so the widest elements were never named.
_OVERFLOW = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      const classes = typeof el.className === 'string' ? el.className.trim() : '';
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (classes ? '.' + classes.split(/\\s+/).join('.') : '') + ' right=' + Math.round(box.right));
    }
  }
  const inner = window.innerWidth;
  return {scroll: root.scrollWidth, layout: width, inner, wide: wide.slice(0, 10)};
}"""


def no_horizontal_scroll(page: Page, name: str) -> None:
    """Fail when the page scrolls sideways at its viewport, naming what sticks out.

    The page may be no wider than the layout viewport (``clientWidth``, which leaves out
    a scroll bar) nor than the viewport the test asked for; and the browser must not have
    zoomed out to fit it (``innerWidth`` wider than asked).
    """
    size = page.viewport_size
    found: dict[str, Any] = page.evaluate(_OVERFLOW)
    asked = size["width"] if size else None
    limit = min(found["layout"], asked) if asked else found["layout"]
    zoomed_out = asked is not None and found["inner"] > asked
    assert found["scroll"] <= limit and not zoomed_out, (
        f"page {name!r} scrolls sideways at {viewport_name(page)} width {limit}px: "
        f"content is {found['scroll']}px wide (window {found['inner']}px); "
        f"widest: {found['wide']}"
    )


_CUT_OFF = """(selector) => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const clips = (el) => getComputedStyle(el).overflowX !== 'visible';
  for (const cell of document.querySelectorAll(selector)) {
    if (cell.closest('[hidden]')) continue;  // kept off every screen on purpose (print)
    const what = `${cell.tagName.toLowerCase()} "${cell.textContent.trim().slice(0, 40)}"`;
    if (!cell.textContent.trim()) continue;
    if (!cell.checkVisibility()) { problems.push(`${what} is hidden`); continue; }
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      // Text in a 1-pixel box is for screen readers (visually-hidden), not cut off.
      let tiny = false;
      for (let up = node.parentElement; up && up !== cell.parentElement; up = up.parentElement) {
        if (up.getBoundingClientRect().width <= 1 && clips(up)) tiny = true;
      }
      if (tiny) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.left < -1 || r.right > width + 1) {
          problems.push(`${what}: text at ${Math.round(r.left)}..${Math.round(r.right)}px, ` +
                        `outside the ${width}px screen`);
        }
        for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) {
          const box = up.getBoundingClientRect();
          if (clips(up) && (r.left < box.left - 1 || r.right > box.right + 1)) {
            problems.push(`${what}: text cut off by its ${up.tagName.toLowerCase()}` +
                          `${up.className ? '.' + up.className : ''}`);
          }
        }
      }
    }
  }
  return problems;
}"""


def cells_readable(page: Page, name: str, selector: str = "main td, main tbody th") -> None:
    """Fail when any text of the cells is hidden, off the screen or cut off by a scroll box.

    A table that scrolls inside its own box doesn't make the page scroll sideways, so
    `no_horizontal_scroll` can't see the columns it hides; this looks at every line of
    text in every cell. Cells with no text, and those inside a ``hidden`` element (the
    printed sign-in sheet), are left out.
    """
    problems: list[str] = page.evaluate(_CUT_OFF, selector)
    assert not problems, (
        f"on page {name!r} ({viewport_name(page)}) not every cell can be read: "
        + "; ".join(sorted(set(problems))[:10])
    )


_APART = """() => [...document.querySelectorAll('input[type=checkbox], input[type=radio]')]
  .filter((box) => box.id && box.checkVisibility())
  .flatMap((box) => {
    const label = document.querySelector(`label[for="${CSS.escape(box.id)}"]`);
    if (!label) return [];
    const a = box.getBoundingClientRect();
    const b = label.getBoundingClientRect();
    return b.top < a.bottom && b.bottom > a.top ? [] : [`#${box.id}`];
  })"""


def labels_beside_boxes(page: Page, name: str) -> None:
    """Fail when a checkbox or radio button's label has wrapped onto a line of its own."""
    apart: list[str] = page.evaluate(_APART)
    assert not apart, (
        f"on page {name!r} ({viewport_name(page)}) these boxes are not level with their "
        f"labels: {apart}"
    )


def shot(page: Page, name: str, *, element: Locator | None = None) -> Path | None:
    """Save a full-page PNG as ``<name>-<phone|desktop>.png`` in $HEARTH_SCREENSHOTS, if set.

    With ``element``, the picture is of that part of the page only (one section of a
    long page).
    """
    folder = os.environ.get("HEARTH_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder) / f"{name}-{viewport_name(page)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    # No caret blinking or hover state in the picture; the same page gives the same image.
    page.mouse.move(0, 0)
    if element is not None:
        element.screenshot(path=str(path), animations="disabled", caret="hide")
        return path
    size = page.viewport_size or {"width": 1280, "height": 800}
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_SHOT_HEIGHT)
    page.screenshot(
        path=str(path),
        full_page=True,
        clip={"x": 0, "y": 0, "width": size["width"], "height": height},
        animations="disabled",
        caret="hide",
    )
    return path


def page_kind(url: str) -> str:
    """Name a page by its path, numbers as ``<n>``: /workshops/7 and /workshops/9 are one kind."""
    return re.sub(r"\d+", "<n>", urlsplit(url).path) or "/"


def unchecked(page: Page, visited: list[str]) -> list[str]:
    """The kinds of page among ``visited`` (URLs) that never passed `check_page` on ``page``."""
    return sorted({page_kind(url) for url in visited} - _checked.get(page, set()))


def check_page(page: Page, name: str, *, screenshot: bool = False) -> None:
    """Check a page the journey reached: no sideways scroll, boxes level with their labels,
    no serious or critical axe violation.

    ``screenshot`` also saves it (the main pages only, to keep docs/screenshots small).
    """
    page.wait_for_load_state("load")
    no_horizontal_scroll(page, name)
    labels_beside_boxes(page, name)
    check_accessibility(page, name)
    _checked.setdefault(page, set()).add(page_kind(page.url))
    if screenshot:
        shot(page, name)


_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
  };
  // The colour the outline is drawn on: what lies just outside the element, where the
  // ring is (a skip link floats over the header, not over its parent), then the nearest
  // opaque background from there up.
  const gap = (parseFloat(style.outlineOffset) || 0) + (parseFloat(style.outlineWidth) || 0) / 2;
  const y = Math.min(Math.max(box.top + box.height / 2, 0), window.innerHeight - 1);
  const x = box.left - gap >= 0 ? box.left - gap : Math.min(box.right + gap, window.innerWidth - 1);
  const under = document.elementsFromPoint(x, y).find((n) => n !== el && !el.contains(n));
  let back = [255, 255, 255];
  for (let node = under || el.parentElement; node; node = node.parentElement) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length >= 3 && (c.length === 3 || c[3] > 0)) { back = c.slice(0, 3); break; }
  }
  const ring = rgb(style.outlineColor).slice(0, 3);
  const [hi, lo] = [lum(ring), lum(back)].sort((a, b) => b - a);
  return {
    tag: el.tagName.toLowerCase(),
    text: (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '')
      .trim().slice(0, 60),
    id: el.id,
    type: el.type || '',
    focusVisible: el.matches(':focus-visible'),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    boxShadow: style.boxShadow,
    contrast: (hi + 0.05) / (lo + 0.05),
    inView: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0 &&
            box.top < window.innerHeight && box.left < window.innerWidth,
  };
}"""


def focused(page: Page) -> dict[str, Any]:
    """Describe the focused element and how its focus shows; fail if it shows no focus."""
    info: dict[str, Any] | None = page.evaluate(_FOCUS)
    assert info is not None, f"nothing has focus on {page.url}"
    where = f"{info['tag']} {info['text']!r} on {page.url}"
    assert info["inView"], f"the focused {where} is off screen"
    ring = info["outlineStyle"] != "none" and info["outlineWidth"] > 0
    assert ring or info["boxShadow"] != "none", f"the focused {where} shows no focus indicator"
    if ring:
        # WCAG 1.4.11: the indicator needs 3:1 against what it is drawn on.
        assert info["contrast"] >= 3, (
            f"the focus ring of {where} has contrast {info['contrast']:.2f}:1 (needs 3:1)"
        )
    return info
