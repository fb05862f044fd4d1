"""The catalogues keep up with the code: every marked string is in them, and translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from scheduler import i18n

ROOT = Path(__file__).resolve().parent.parent
#: pybabel's own keywords, and the two `make translations` adds (-k _l -k lazy_gettext).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def extracted() -> set[str | tuple[str, ...]]:
    """What `make translations` would extract from the code now (babel.cfg's map)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[str | tuple[str, ...]] = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={**KEYWORDS}
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def ids(messages: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in messages if m.id}


@pytest.fixture(scope="module")
def in_code() -> set[str | tuple[str, ...]]:
    return extracted()


def test_the_template_catalogue_is_not_stale_against_the_code(in_code):
    template = catalog(i18n.TRANSLATIONS / "messages.pot")
    missing, gone = in_code - ids(template), ids(template) - in_code
    assert not missing and not gone, (
        f"run `make translations`: {len(missing)} new strings ({sorted(map(str, missing))[:5]}), "
        f"{len(gone)} no longer in the code ({sorted(map(str, gone))[:5]})"
    )


@pytest.mark.parametrize("language", [code for code in i18n.languages() if code != "en"])
def test_every_marked_string_has_a_translation(in_code, language):
    messages = catalog(i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    untranslated = [
        str(m.id)
        for m in messages
        if m.id
        and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple | list) else m.string))
    ]
    assert in_code <= ids(messages), "run `make translations`: the catalogue lacks strings"
    assert not untranslated, f"{len(untranslated)} strings lack a {language} translation: " + (
        "; ".join(untranslated[:8])
    )
