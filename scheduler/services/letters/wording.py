"""The words of a letter of attendance, from its facts: one function for the preview,
the PDF and the verification page, so what the family approves is what is printed.

By default a letter says nothing about the service: "attended 6 of 6 sessions of a
program at <organisation>". Anything more specific ("a family education program", the
workshop's title, "counseling appointments") is there only because the family chose it.
It names the household and the facilitator, never anyone else.
"""

from __future__ import annotations

from flask_babel import gettext, ngettext

from scheduler import i18n, links
from scheduler.config import PART2_SHORT_NOTICE
from scheduler.letter_pdf import LetterText
from scheduler.models import LetterKind, LetterWording
from scheduler.models.letters import WORDINGS
from scheduler.services.letters.facts import PLACEHOLDER_CODE, LetterFacts
from scheduler.timetext import local_day_text, moment_text


def letter_text(
    facts: LetterFacts, *, code: str | None = None, language: str | None = None
) -> LetterText:
    """Everything the letter says, in its own language (or ``language``, for a page).

    Without a code (a preview) the letter's code and link show PLACEHOLDER_CODE: the
    code is made when the letter is, and is the only thing a preview can't show.
    """
    with i18n.for_user(language or facts.language):
        return _words(facts, code or PLACEHOLDER_CODE)


def _words(facts: LetterFacts, code: str) -> LetterText:
    language = i18n.current_language()
    workshop = facts.kind == LetterKind.WORKSHOP
    return LetterText(
        language=language,
        organisation=facts.organisation,
        title=gettext("Letter of attendance"),
        issued=gettext("Issued on {day} at the request of {name}.").format(
            day=local_day_text(facts.issued_at, facts.timezone, locale=language),
            name=facts.holder_name,
        ),
        statement=statement(facts),
        counted=(
            gettext(
                "“Of {total}” counts every session this household was booked into that had "
                "taken place by the date of this letter."
            )
            if workshop
            else gettext(
                "“Of {total}” counts every appointment this household had that had taken "
                "place by the date of this letter."
            )
        ).format(total=facts.out_of),
        sessions_heading=gettext("Sessions attended:")
        if workshop
        else gettext("Appointments attended:"),
        sessions=tuple(moment_text(s, facts.timezone, locale=language) for s in facts.starts),
        staff=_staff(facts),
        code=gettext("Verification code: {code}").format(code=code),
        check=gettext(
            "To check this letter, open {link} or go to {page} and type the code."
        ).format(link=links.letter_check(code), page=links.letter_check_form()),
        notice=notice_text(facts.notice),
    )


def statement(facts: LetterFacts) -> str:
    """The letter's one sentence: who attended how many of what, where."""
    words = {
        "name": facts.holder_name,
        "attended": facts.attended,
        "total": facts.out_of,
        "organisation": facts.organisation,
        "title": facts.title,
    }
    n = facts.out_of
    if facts.wording == LetterWording.FAMILY_EDUCATION:
        text = ngettext(
            "{name} attended {attended} of {total} session of a family education program "
            "at {organisation}.",
            "{name} attended {attended} of {total} sessions of a family education program "
            "at {organisation}.",
            n,
        )
    elif facts.wording == LetterWording.TITLE:
        text = ngettext(
            "{name} attended {attended} of {total} session of “{title}” at {organisation}.",
            "{name} attended {attended} of {total} sessions of “{title}” at {organisation}.",
            n,
        )
    elif facts.wording == LetterWording.COUNSELING:
        text = ngettext(
            "{name} attended {attended} of {total} counseling appointment at {organisation}.",
            "{name} attended {attended} of {total} counseling appointments at {organisation}.",
            n,
        )
    elif facts.kind == LetterKind.COUNSELING:
        text = ngettext(
            "{name} attended {attended} of {total} appointment at {organisation}.",
            "{name} attended {attended} of {total} appointments at {organisation}.",
            n,
        )
    else:
        text = ngettext(
            "{name} attended {attended} of {total} session of a program at {organisation}.",
            "{name} attended {attended} of {total} sessions of a program at {organisation}.",
            n,
        )
    return text.format(**words)


def _staff(facts: LetterFacts) -> str:
    if facts.kind == LetterKind.WORKSHOP:
        label = gettext("Facilitator: {name}")
    elif facts.wording == LetterWording.COUNSELING:
        label = gettext("Counselor: {name}")
    else:  # "Counselor" would name the service the family chose not to name
        label = gettext("Staff member: {name}")
    return label.format(name=facts.staff_name)


def notice_text(notice: str) -> str:
    """The re-disclosure notice as printed: the organisation's own words as they are.

    The rule's statement is printed in its English words, which are what it requires;
    a letter in another language adds their translation after them, so the family can
    read what it hands over.
    """
    if notice != PART2_SHORT_NOTICE or i18n.current_language() == i18n.SOURCE_LANGUAGE:
        return notice
    translated = gettext("42 CFR part 2 prohibits unauthorized use or disclosure of these records.")
    return notice if translated == notice else f"{notice} ({translated})"


def wording_choices(kind: str, title: str) -> list[tuple[str, str]]:
    """What a family may choose the letter to say, with the words each puts in it."""
    examples = {
        LetterWording.DISCREET: gettext("“Sessions of a program”: says nothing more")
        if kind == LetterKind.WORKSHOP
        else gettext("“Appointments”: says nothing more"),
        LetterWording.FAMILY_EDUCATION: gettext("“Sessions of a family education program”"),
        LetterWording.TITLE: gettext("The workshop's name: “{title}”").format(title=title),
        LetterWording.COUNSELING: gettext("“Counseling appointments”"),
    }
    return [(str(w), examples[w]) for w in WORDINGS[LetterKind(kind)]]
