"""What counts as English left on a Spanish page or email: read from the catalogue."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from scheduler import i18n


def english_with_spanish() -> list[str]:
    """English words of two or more whose Spanish differs: none may show in Spanish.

    A string with slots (``%(name)s``, ``{name}``, markup) counts by its pieces between
    them, so a sentence around a name is found as well.
    """
    path = i18n.TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        catalog = read_po(file, locale="es")
    found = set()
    for message in catalog:
        english, spanish = message.id, message.string
        pairs = (
            zip(english, spanish, strict=False)
            if isinstance(english, tuple | list) and isinstance(spanish, tuple | list)
            else [(english, spanish)]
        )
        for one, other in pairs:
            if not isinstance(one, str) or not one or not isinstance(other, str) or not other:
                continue
            for piece in re.split(r"%\(\w+\)[sd]|%d|\{\w+\}|<[^>]+>", one):
                piece = piece.strip(" .,:;()'\"")
                if len(piece.split()) >= 2 and piece not in other:
                    found.add(piece)
    return sorted(found)


def english_left(text: str, english: list[str]) -> list[str]:
    """The English strings found in ``text`` (whitespace made single first)."""
    flat = " ".join(text.split())
    return [piece for piece in english if piece in flat]
