"""Letters of attendance a family asks for: proof it came, saying no more than it chose.

``choices`` (what a letter may list, and what "6 of 6" counts), ``facts`` (what a letter
states, its code), ``wording`` (its words, for the preview, the PDF and the verification
page alike) and ``issuing`` (issue, revoke, download, check; each audited).
"""

from scheduler.services.letters.choices import Group, attended_groups
from scheduler.services.letters.facts import PLACEHOLDER_CODE, LetterFacts, normalise_code
from scheduler.services.letters.issuing import (
    Check,
    Download,
    Verdict,
    check,
    download,
    issue,
    letters_of,
    own_letter,
    pdf_of,
    preview,
    revoke,
)
from scheduler.services.letters.wording import letter_text, wording_choices

__all__ = [
    "PLACEHOLDER_CODE",
    "Check",
    "Download",
    "Group",
    "LetterFacts",
    "Verdict",
    "attended_groups",
    "check",
    "download",
    "issue",
    "letter_text",
    "letters_of",
    "normalise_code",
    "own_letter",
    "pdf_of",
    "preview",
    "revoke",
    "wording_choices",
]
