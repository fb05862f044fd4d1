"""The letter's PDF builder on its own: words in, a PDF any reader reads back, out."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from pypdf import PdfReader

from scheduler.letter_pdf import LetterText, build, render

ISSUED = datetime(2027, 1, 15, 17, 0, tzinfo=UTC)


def letter(**changes: object) -> LetterText:
    words: dict[str, object] = {
        "language": "en",
        "organisation": "Riverside Family Center",
        "title": "Letter of attendance",
        "issued": "Issued on Friday, January 15, 2027 at the request of Zoë Novak-Petrović.",
        "statement": "Zoë Novak-Petrović attended 2 of 2 sessions of a program at Riverside.",
        "counted": "“Of 2” counts every session this household was booked into.",
        "sessions_heading": "Sessions attended:",
        "sessions": (
            "Fri, Dec 4, 2026, 6:00 PM Eastern Time",
            "Fri, Dec 11, 2026, 6:00 PM Eastern Time",
        ),
        "staff": "Facilitator: Maya Lee",
        "code": "Verification code: 7KQ2-M9XD-4HTR-WB3P",
        "check": "To check this letter, open http://localhost/proof/7KQ2-M9XD-4HTR-WB3P.",
        "notice": "42 CFR part 2 prohibits unauthorized use or disclosure of these records.",
    }
    return LetterText(**{**words, **changes})  # type: ignore[arg-type]


def pages(content: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(content)).pages]


def test_every_line_of_the_letter_is_in_the_pdf_letters_beyond_latin_1_too():
    text = " ".join(pages(render(letter(), created_at=ISSUED)))

    for line in letter().lines():
        assert line in text
    assert "Novak-Petrović" in text and "Zoë" in text


def test_the_same_words_make_the_same_file():
    assert build(letter(), created_at=ISSUED) == build(letter(), created_at=ISSUED)


def test_the_file_says_when_it_was_issued_and_its_language_not_when_it_was_made():
    reader = PdfReader(io.BytesIO(render(letter(language="es"), created_at=ISSUED)))

    assert reader.metadata is not None
    assert reader.metadata.creation_date == ISSUED
    assert reader.metadata.title == "Letter of attendance"
    assert reader.trailer["/Root"]["/Lang"] == "es"


def test_a_long_letter_carries_the_notice_on_every_page_and_no_text_under_it():
    many = tuple(f"Session {n}: Fri, Dec 4, 2026, 6:00 PM Eastern Time" for n in range(80))
    long_notice = "This record is protected by federal confidentiality rules. " * 12

    found = pages(render(letter(sessions=many, notice=long_notice.strip()), created_at=ISSUED))

    assert len(found) >= 2
    assert all(page.rstrip().endswith("confidentiality rules.") for page in found)
    assert all(f"Session {n}:" in " ".join(found) for n in range(80))


def test_an_empty_notice_prints_none():
    text = " ".join(pages(render(letter(notice=""), created_at=ISSUED)))

    assert "42 CFR" not in text
