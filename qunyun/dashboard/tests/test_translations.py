"""Every screen, message and error exists in zh-Hans and en."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[sdifr]")


@pytest.mark.parametrize("domain", ["django"])
def test_the_chinese_catalogue_is_complete_and_compiled(domain: str) -> None:
    po_path = LOCALE / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"
    catalogue = polib.pofile(str(po_path))

    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    compiled = polib.mofile(str(po_path.with_suffix(".mo")))
    assert {e.msgid for e in compiled} >= {e.msgid for e in catalogue.translated_entries()}, (
        "the .mo is older than the .po: run `python -m qunyun.locale_compile`"
    )


def test_translations_keep_every_placeholder() -> None:
    catalogue = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))

    for entry in catalogue:
        translations = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(entry.msgid)), (
                entry.msgid
            )
