#!/usr/bin/env bash
# Refresh the translation catalogs: collect every translatable string of the project into
# locale/{ru,en}/LC_MESSAGES/django.po (existing translations are kept, vanished ones dropped)
# and compile the .mo files, which are committed (a fresh machine may have no gettext).
# After a run, fill the new empty msgstr entries of locale/en/LC_MESSAGES/django.po (source strings are
# Russian) and run this script again; tests/participants/test_i18n.py lists what is still untranslated.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
command -v msgfmt >/dev/null || { echo "gettext is missing: apt-get install -y gettext" >&2; exit 1; }
# Reading settings must not start the embedded PostgreSQL: makemessages never touches the database.
export DATABASE_URL="${DATABASE_URL:-postgres://unused@127.0.0.1:1/unused}"
export DEBUG="${DEBUG:-1}"  # reading settings without a SECRET_KEY
IGNORE=(--ignore=.venv --ignore=var --ignore=static --ignore=staticfiles --ignore=node_modules --ignore=tests
        --ignore=bench --ignore=media)
"$PY" manage.py makemessages -l ru -l en "${IGNORE[@]}" --no-obsolete --add-location=file
"$PY" manage.py compilemessages -l ru -l en "${IGNORE[@]}"
untranslated=$(msgattrib --untranslated --no-obsolete locale/en/LC_MESSAGES/django.po | grep -c '^msgid "' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete locale/en/LC_MESSAGES/django.po | grep -c '^msgid "' || true)
# msgattrib prints the header entry (msgid "") too when anything is listed.
echo "en: untranslated entries: $(( untranslated > 0 ? untranslated - 1 : 0 )), fuzzy: $(( fuzzy > 0 ? fuzzy - 1 : 0 ))"
