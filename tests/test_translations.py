"""The catalogues: every string in the code and templates, with Swedish and English text."""

from __future__ import annotations

from babel.messages.pofile import read_po

from reception.i18n import TRANSLATIONS, extract, is_translated


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_extraction_covers_the_plain_text_emails() -> None:
    files = {filename for message in extract() for filename, _line in message.locations}
    assert "templates/email/notification.txt" in files
    assert "templates/email/notification.html" in files


def test_every_string_has_swedish_and_english_text() -> None:
    ids = {message.id for message in extract() if message.id}
    for locale in ("sv", "en"):
        catalog = _catalog(locale)
        missing = sorted(
            str(i) for i in ids if catalog.get(i) is None or not is_translated(catalog.get(i))
        )
        assert missing == [], f"{locale}: run reception.i18n.update() and translate {missing[:5]}"
