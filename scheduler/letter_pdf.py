"""A letter of attendance as a PDF: from its words to bytes, knowing nothing of the
database or of Flask (``services/letters/`` words it, the same words its preview shows).

Set in DejaVu Sans (``scheduler/fonts/``): the PDF standard's own fonts cover Latin-1
only, and a household may be "Novak-Petrović". fpdf2 embeds only the glyphs used.
The same words and the same moment give the same bytes, so a letter made again later
is the letter the family first downloaded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
#: Millimetres: the page's margins, and the room between the text and the footer.
MARGIN = 20
FOOTER_GAP = 8
#: Line heights (mm) for the body and the footer's small print.
LINE = 6
SMALL_LINE = 3.6


@dataclass(frozen=True)
class LetterText:
    """Everything a letter says, in reading order, already in the letter's language."""

    language: str
    organisation: str
    title: str
    issued: str
    statement: str
    #: What "of N" counts, so nobody reads more into the number than it says.
    counted: str
    sessions_heading: str
    sessions: tuple[str, ...]
    staff: str
    code: str
    check: str
    #: The re-disclosure notice at the foot of each page; empty: none.
    notice: str

    def lines(self) -> list[str]:
        """The letter's text, one entry per line or paragraph, as the PDF prints it."""
        return [
            self.organisation,
            self.title,
            self.issued,
            self.statement,
            self.sessions_heading,
            *self.sessions,
            self.counted,
            self.staff,
            self.code,
            self.check,
            *([self.notice] if self.notice else []),
        ]


class _Letter(FPDF):
    def __init__(self, notice: str) -> None:
        super().__init__(format="Letter", unit="mm")
        self.notice = notice

    def footer(self) -> None:
        if not self.notice:
            return
        self.set_y(-(MARGIN + self.notice_height))
        self.set_font(FONT, "", 8)
        self.multi_cell(0, SMALL_LINE, self.notice, align="L")

    @property
    def notice_height(self) -> float:
        self.set_font(FONT, "", 8)
        lines = self.multi_cell(0, SMALL_LINE, self.notice, dry_run=True, output="LINES")
        assert isinstance(lines, list)
        return len(lines) * SMALL_LINE


@functools.lru_cache(maxsize=64)
def render(text: LetterText, *, created_at: datetime) -> bytes:
    """The letter's PDF, kept for the next download (~25 kB each): laying one out takes
    about half a second of CPU, mostly reading the font, and the same words and moment
    always give the same bytes."""
    return build(text, created_at=created_at)


def build(text: LetterText, *, created_at: datetime) -> bytes:
    """Lay the letter out on US Letter pages and return the PDF's bytes."""
    pdf = _Letter(text.notice)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    # No clock inside: the same letter is the same file whenever it is made again.
    pdf.set_creation_date(created_at)
    pdf.set_lang(text.language)
    pdf.set_title(text.title)
    pdf.set_author(text.organisation)
    pdf.add_page()
    # The notice is measured on a page; the text stops above it on every page.
    footer = pdf.notice_height + FOOTER_GAP if text.notice else 0
    pdf.set_auto_page_break(True, margin=MARGIN + footer)

    def paragraph(words: str, *, size: float = 11, bold: bool = False, after: float = 3) -> None:
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.multi_cell(0, LINE, words, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(after)

    paragraph(text.organisation, size=16, bold=True, after=2)
    paragraph(text.title, size=13, bold=True, after=1)
    paragraph(text.issued, after=8)
    paragraph(text.statement, after=6)
    paragraph(text.sessions_heading, bold=True, after=1)
    for line in text.sessions:
        pdf.set_x(MARGIN + 5)
        paragraph(f"• {line}", after=0)
    pdf.ln(5)
    paragraph(text.counted, size=9, after=6)
    paragraph(text.staff, after=10)
    paragraph(text.code, bold=True, after=1)
    paragraph(text.check, size=10, after=0)
    return bytes(pdf.output())
