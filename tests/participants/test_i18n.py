"""Russian is the default UI language, English is available; the committed catalogs are complete and compiled."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"


def read_po(path: Path) -> list[dict]:
    """A minimal .po reader (needs no gettext): blank-line separated entries with their fields and flags."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry: dict = {"flags": [], "obsolete": False}
        field = None
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#~"):
                entry["obsolete"] = True
                line = line[2:].strip()
            if line.startswith("#,"):
                entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
            elif not line or line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[field] += ast.literal_eval(line)
            else:
                field, _, value = line.partition(" ")
                entry[field] = ast.literal_eval(value)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def live_entries(lang: str) -> list[dict]:
    """Real messages: not the header, not obsolete; plural entries expose msgstr[0] as msgstr."""
    result = []
    for entry in read_po(LOCALE / lang / "LC_MESSAGES" / "django.po"):
        if entry["msgid"] and not entry["obsolete"]:
            entry.setdefault("msgstr", entry.get("msgstr[0]", ""))
            result.append(entry)
    return result


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
class TestSwitchingLanguage:
    def test_russian_is_the_default(self, client):
        assert settings.LANGUAGE_CODE == "ru"
        page = client.get(reverse("login")).content.decode()
        assert "Вход в портал" in page and '<html lang="ru">' in page

    def test_login_page_in_english_by_accept_language(self, client):
        page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
        assert "Sign in to the portal" in page and "Вход в портал" not in page
        assert "Username" in page and "Password" in page
        assert '<html lang="en">' in page

    def test_login_page_in_english_by_language_cookie(self, client):
        page = english(client).get(reverse("login")).content.decode()
        assert "Sign in to the portal" in page

    def test_home_page_in_english(self, client, region):
        client.force_login(region.fund_user)
        page = english(client).get(reverse("home")).content.decode()
        assert "Hello, " in page
        assert "What you do on the portal" in page
        assert "Loads the register of insured persons" in page  # role duties (gettext_lazy in Python code)
        assert "Insured persons" in page  # main menu
        assert "Fund analyst" in page  # role name from model choices
        assert "Загружает регистр" not in page

    def test_set_language_switches_the_session_to_english_and_back(self, client, region):
        client.force_login(region.mo1_user)
        response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
        assert response.status_code == 302
        assert "What you do on the portal" in client.get(reverse("home")).content.decode()
        client.post(reverse("set_language"), {"language": "ru", "next": reverse("home")})
        assert "Что вы делаете на портале" in client.get(reverse("home")).content.decode()

    def test_person_search_page_in_english(self, client, region):
        client.force_login(region.smo1_l2)
        page = english(client).get(reverse("persons:search")).content.decode()
        assert "Enter an ENP, SNILS or surname" in page

    def test_unknown_language_falls_back_to_russian(self, client):
        page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert "Вход в портал" in page


class TestCatalogs:
    def test_both_catalogs_exist_with_compiled_mo_files(self):
        for lang in ("ru", "en"):
            assert (LOCALE / lang / "LC_MESSAGES" / "django.po").is_file()
            assert (LOCALE / lang / "LC_MESSAGES" / "django.mo").is_file()

    def test_every_english_entry_is_translated(self):
        """After scripts/i18n.sh picks up new strings, translate them in locale/en/LC_MESSAGES/django.po."""
        missing = [e["msgid"] for e in live_entries("en") if not e["msgstr"] or "fuzzy" in e["flags"]]
        assert not missing, f"{len(missing)} untranslated or fuzzy English entries, e.g.: {missing[:10]}"

    def test_placeholders_are_kept_in_translations(self):
        placeholder = re.compile(r"%\(\w+\)s|\{\w*\}")
        broken = [
            e["msgid"]
            for e in live_entries("en")
            if e["msgstr"]
            and "fuzzy" not in e["flags"]
            and sorted(placeholder.findall(e["msgid"])) != sorted(placeholder.findall(e["msgstr"]))
        ]
        assert not broken, broken

    def test_russian_plurals_have_every_form(self):
        """Source strings are Russian, but a plural msgid has only two forms: Russian needs all of them filled
        in locale/ru (1 день, 2 дня, 5 дней), else gettext falls back to the English-style two-form rule."""
        incomplete = [
            e["msgid"]
            for e in live_entries("ru")
            if "msgid_plural" in e and not all(v for k, v in e.items() if k.startswith("msgstr["))
        ]
        assert not incomplete, incomplete

    def test_russian_plural_forms_are_chosen_by_russian_rules(self):
        with (LOCALE / "ru" / "LC_MESSAGES" / "django.mo").open("rb") as fp:
            compiled = gettext.GNUTranslations(fp)
        for e in live_entries("ru"):
            if "msgid_plural" in e:
                assert compiled.ngettext(e["msgid"], e["msgid_plural"], 1) == e["msgstr[0]"]
                assert compiled.ngettext(e["msgid"], e["msgid_plural"], 3) == e["msgstr[1]"]
                assert compiled.ngettext(e["msgid"], e["msgid_plural"], 5) == e["msgstr[2]"]
                assert compiled.ngettext(e["msgid"], e["msgid_plural"], 21) == e["msgstr[0]"]

    def test_compiled_english_catalog_matches_the_po_file(self):
        """The committed .mo is what compilemessages makes of the .po (a fresh machine may have no gettext)."""
        with (LOCALE / "en" / "LC_MESSAGES" / "django.mo").open("rb") as fp:
            compiled = gettext.GNUTranslations(fp)
        stale = [
            e["msgid"]
            for e in live_entries("en")
            if "msgid_plural" not in e
            and e["msgstr"]
            and "fuzzy" not in e["flags"]
            and compiled.gettext(e["msgid"]) != e["msgstr"]
        ]
        assert not stale, f"run scripts/i18n.sh to recompile: {stale[:5]}"
