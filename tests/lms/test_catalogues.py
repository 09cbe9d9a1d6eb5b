"""The translation catalogues: English for every Chinese source string, and the zh-hans
identity catalogue kept in step with it (scripts/zh-catalogue.sh, `make catalogues`)."""

import gettext
from pathlib import Path

from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"


def _entries(language):
    """msgid -> msgstr of a compiled catalogue (``make messages`` compiles them)."""
    with open(LOCALE / language / "LC_MESSAGES/django.mo", "rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog
    # Plural entries are keyed (msgid, n): keep the first form.
    entries = {}
    for key, value in catalogue.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if msgid and (not isinstance(key, tuple) or key[1] == 0):
            entries[msgid] = value
    return entries


def test_zh_hans_catalogue_translates_every_chinese_string_to_itself():
    english = _entries("en")
    chinese = _entries("zh_Hans")
    expected = {msgid for msgid in english if not msgid.isascii()}
    assert expected, "the English catalogue is empty"
    missing = sorted(expected - set(chinese))
    assert not missing, f"run `make catalogues`: {missing[:5]}"
    # A contextual entry (pgettext) is keyed "context\x04msgid": its text is the msgid.
    assert all(chinese[msgid] == msgid.split("\x04")[-1] for msgid in chinese)
    assert all(not msgid.isascii() for msgid in chinese)  # Django's own stay in charge


def test_chinese_strings_hit_the_active_catalogue():
    with translation.override("zh-hans"):
        active = translation.trans_real.translation("zh-hans")
        assert "我的培训" in active._catalog  # no walk through the fallback chain
        assert translation.gettext("我的培训") == "我的培训"
        assert translation.gettext("Log in") == "登录"  # Django's own zh-hans catalogue
    with translation.override("en"):
        assert translation.gettext("我的培训") == "My training"
