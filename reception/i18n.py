"""Maintaining the Babel catalogues: extract, update, fill English, compile.

English message ids are the source text; `sv` is the default UI language and
holds the Swedish text; `en` holds the same English text so that every string
has an explicit entry in both catalogues.

`uk` (Ukrainian) is a partial catalogue: only the pages written for households
(PARTIAL_SOURCES) are in it, translated by hand, and it is never filled with
English; a string it lacks falls back to the English msgid.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from reception.config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "translations"
LOCALES = ("sv", "en", "uk")
# Locales that hold only the strings of some files: locale -> path prefixes.
PARTIAL_SOURCES = {
    "uk": ("reception/services/summary.py", "templates/summary/"),
}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
# The e-mails' plain-text parts (templates/email/*.txt) hold strings too.
METHODS = [
    ("reception/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n"}


def _catalog_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def extract() -> Catalog:
    template = Catalog(project="Mottagning", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PROJECT_ROOT),
        method_map=METHODS,
        keywords=KEYWORDS,
        options_map={"templates/**.html": JINJA_OPTIONS, "templates/**.txt": JINJA_OPTIONS},
        comment_tags=("Translators:",),
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _only_from(template: Catalog, prefixes: tuple[str, ...]) -> Catalog:
    partial = Catalog(project="Mottagning", charset="utf-8")
    for message in template:
        if message.id and any(
            filename.startswith(prefixes) for filename, _line in message.locations
        ):
            partial[message.id] = message
    return partial


def is_translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def update(locales: tuple[str, ...] = LOCALES) -> dict[str, list[str]]:
    """Merge the extracted strings into each catalogue; returns untranslated ids per locale."""
    full = extract()
    missing: dict[str, list[str]] = {}
    for locale in locales:
        prefixes = PARTIAL_SOURCES.get(locale)
        template = _only_from(full, prefixes) if prefixes else full
        path = _catalog_path(locale)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale, project="Mottagning", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            if locale == "en" and not is_translated(message):
                # A plural's string is a tuple of empty strings, not an empty string.
                message.string = message.id
        missing[locale] = [str(m.id) for m in catalog if m.id and not is_translated(m)]
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=False)
    return missing


def compile_all() -> list[Path]:
    written = []
    for locale in LOCALES:
        po_path = _catalog_path(locale)
        if not po_path.exists():
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written
