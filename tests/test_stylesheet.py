"""The stylesheet closes every block it opens: one lost brace puts every later rule
inside the block before it (a phone-only media query, say) without any error."""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parent.parent / "static" / "hearth.css"


def test_the_stylesheet_closes_every_block_it_opens():
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)  # comments
    text = re.sub(r'"[^"]*"|\'[^\']*\'', '""', text)  # strings, e.g. content: "☰ "
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"line {number} closes a block that was never opened"
    assert depth == 0, f"{depth} block(s) left open at the end of the stylesheet"
