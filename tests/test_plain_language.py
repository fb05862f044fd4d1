"""Plain language: every page reads at about an 8th-grade level; buttons say what they do.

The demo data fills the pages as a newcomer sees them. Reading level is the
Flesch-Kincaid grade of the page's main text, each paragraph, list item, cell, label
and heading counted as its own sentence (as a reader takes them in).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import textstat

from scheduler import demo
from scheduler.models import (
    Appointment,
    Booking,
    CounselingSlot,
    User,
    Workshop,
    WorkshopSession,
)
from tests.support.app import AuthActions

#: About 8th grade: Flesch-Kincaid grade 8, with one grade of slack for names and dates.
MAX_GRADE = 9.0
#: The longest sentence a page may have, in words.
MAX_SENTENCE_WORDS = 30
_BLOCKS = {
    "p", "li", "td", "th", "h1", "h2", "h3", "h4", "dt", "dd", "label", "button",
    "legend", "caption", "div", "summary", "a", "option",
}  # fmt: skip
#: Buttons that don't say what they do.
VAGUE = {"submit", "ok", "go", "yes", "no", "send", "save", "continue", "click here"}


class _Reader(HTMLParser):
    """Collect the visible text of <main>, a sentence per block, and the buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.in_main = 0
        self.hidden = 0
        self.sentences: list[str] = []
        self.buttons: list[str] = []
        self._words: list[str] = []
        self._button: list[str] | None = None

    def _end_sentence(self) -> None:
        text = " ".join(self._words).strip()
        self._words = []
        if text:
            self.sentences.append(text if text[-1] in ".!?:" else text + ".")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.in_main += 1
        if tag in ("script", "style", "select", "svg"):
            self.hidden += 1
        if tag == "button" and self.in_main:
            self._button = []
        if tag in _BLOCKS:
            self._end_sentence()

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.in_main -= 1
        if tag in ("script", "style", "select", "svg"):
            self.hidden -= 1
        if tag == "button" and self._button is not None:
            self.buttons.append(" ".join(self._button).strip())
            self._button = None
        if tag in _BLOCKS:
            self._end_sentence()

    def handle_data(self, data: str) -> None:
        if self.in_main and not self.hidden and data.strip():
            self._words.append(data.strip())
            if self._button is not None:
                self._button.append(data.strip())


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader._end_sentence()
    return reader


@pytest.fixture
def demo_pages(app, client, db):
    """The demo loaded; returns a function that fetches a page as one of its people."""
    demo.load()
    auth = AuthActions(client)
    current: list[str] = []

    def fetch(path: str, who: str | None = None) -> str:
        if current and current[0] != who:
            auth.logout()
            current.clear()
        if who and not current:
            assert auth.login(who, demo.DEMO_PASSWORD).status_code == 303
            current.append(who)
        response = client.get(path)
        assert response.status_code == 200, path
        return response.get_data(as_text=True)

    return fetch


FAMILY = "lee.family@example.org"
COUNSELOR = "maya.facilitator@example.org"
ADMIN = "admin@example.org"


def _pages(db) -> list[tuple[str, str | None]]:
    session = db.session.scalars(db.select(WorkshopSession).order_by(WorkshopSession.id)).first()
    held = db.select(Appointment.slot_id)
    slot = db.session.scalars(
        db.select(CounselingSlot).where(CounselingSlot.id.not_in(held)).order_by(CounselingSlot.id)
    ).first()
    booking = db.session.scalars(db.select(Booking)).first()
    appointment = db.session.scalars(db.select(Appointment)).first()
    draft = db.session.scalars(db.select(Workshop).where(Workshop.status == "draft")).first()
    assert session and slot and booking and appointment and draft
    counselor = db.session.scalars(db.select(User).where(User.email == COUNSELOR)).one()
    return [
        ("/", None),
        ("/calendar", None),
        ("/calendar?view=week", None),
        (f"/workshops/{session.workshop_id}", None),
        ("/counseling", None),
        ("/counseling?mode=in_person", FAMILY),  # its own appointment first, a filter chosen
        (f"/counseling/slots/{slot.id}", FAMILY),
        ("/register", None),
        ("/login", None),
        ("/password/forgot", None),
        ("/bookings", FAMILY),
        ("/account", FAMILY),
        (f"/counseling/appointments/{appointment.id}/move", FAMILY),
        ("/manage", COUNSELOR),
        ("/manage/workshops/new", COUNSELOR),
        (f"/manage/workshops/{session.workshop_id}", COUNSELOR),
        (f"/manage/workshops/{session.workshop_id}/messages/new", COUNSELOR),  # to the group
        (f"/manage/sessions/{session.id}", COUNSELOR),
        (f"/manage/sessions/{session.id}/roster", COUNSELOR),
        (f"/manage/sessions/{session.id}/attendance", COUNSELOR),
        ("/manage/history", COUNSELOR),
        (f"/manage/workshops/{session.workshop_id}/duplicate", COUNSELOR),
        (f"/manage/workshops/{session.workshop_id}/sessions/new", COUNSELOR),
        (f"/manage/workshops/{draft.id}/delete", ADMIN),
        (f"/manage/workshops/{session.workshop_id}/delete", COUNSELOR),
        ("/manage/counseling", COUNSELOR),
        (f"/manage/counseling/appointments/{appointment.id}", COUNSELOR),
        ("/account/proofs", FAMILY),  # letters of attendance
        ("/proof", None),
        ("/privacy", None),  # what is kept, for how long, who sees it
        ("/admin/retention", ADMIN),
        # Not the list of accounts: a table of names and email addresses, no prose.
        (f"/admin/accounts/{counselor.id}", ADMIN),  # sessions and appointments to come
    ]


def test_every_page_reads_at_about_an_eighth_grade_level(demo_pages, db):
    grades = {}
    for path, who in _pages(db):
        text = " ".join(read(demo_pages(path, who)).sentences)
        grades[path] = textstat.flesch_kincaid_grade(text)
    too_hard = {path: grade for path, grade in grades.items() if grade > MAX_GRADE}
    assert not too_hard, f"above grade {MAX_GRADE}: {too_hard}"


def test_no_page_has_a_sentence_too_long_to_follow(demo_pages, db):
    for path, who in _pages(db):
        for block in read(demo_pages(path, who)).sentences:
            for sentence in re.split(r"(?<=[.!?])\s+", block):
                words = len(re.findall(r"\S+", sentence))
                assert words <= MAX_SENTENCE_WORDS, f"{path}: {words} words: {sentence}"


def test_every_button_says_what_it_does(demo_pages, db):
    for path, who in _pages(db):
        for button in read(demo_pages(path, who)).buttons:
            assert button, f"{path}: a button with no words"
            assert button.lower() not in VAGUE, f"{path}: vague button {button!r}"


#: Fernández-Huerta reading ease of the Spanish pages: 60 and above reads as "normal"
#: (about 8th to 9th grade), the level of the English limit above.
MIN_SPANISH_EASE = 60.0


def test_every_spanish_page_reads_as_plainly_as_the_english(demo_pages, client, db):
    client.set_cookie("hearth_language", "es")
    textstat.set_lang("es")
    try:
        ease = {}
        for path, who in _pages(db):
            html = demo_pages(path, who)
            assert '<html lang="es">' in html, path
            text = " ".join(read(html).sentences)
            ease[path] = textstat.fernandez_huerta(text)
    finally:
        textstat.set_lang("en")
    print("Fernández-Huerta:", {path: round(score) for path, score in ease.items()})
    too_hard = {path: score for path, score in ease.items() if score < MIN_SPANISH_EASE}
    assert not too_hard, f"Fernández-Huerta below {MIN_SPANISH_EASE}: {too_hard}"
