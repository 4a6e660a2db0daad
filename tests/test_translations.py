"""The zh_CN catalogue translates every user-facing text the code contains."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "panel_service" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _source_messages() -> set[str]:
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "panel_service"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def catalogue():
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="zh")


def test_every_source_text_in_catalogue(catalogue):
    missing = sorted(text for text in _source_messages() if text not in catalogue)
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing[:10])


def test_every_entry_translated(catalogue):
    untranslated = [message.id for message in catalogue if message.id and not message.string]
    assert untranslated == []


def test_no_fuzzy_entries(catalogue):
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]
    assert fuzzy == []


def test_placeholders_kept(catalogue):
    import re

    pattern = re.compile(r"%\((\w+)\)s")
    for message in catalogue:
        if message.id and message.string:
            assert set(pattern.findall(message.id)) == set(pattern.findall(message.string)), message.id
