#!/usr/bin/env bash
# Refresh the message catalogs after strings changed: extract every _() and N_() string, merge it
# into each language's .po (new strings appear untranslated: translate them), compile the .mo
# files the app reads. tests/test_translations.py fails while a string has no translation.
set -euo pipefail
cd "$(dirname "$0")/.."
babel=.venv/bin/pybabel
PYTHONPATH=. $babel extract -F i18n/babel.cfg -k N_ --no-wrap --no-location --sort-by-file \
  --project "Error-surface lab" -o i18n/messages.pot .
for language in zh; do
  po="i18n/locale/$language/LC_MESSAGES/messages.po"
  if [ -f "$po" ]; then
    $babel update --no-wrap --no-fuzzy-matching --ignore-obsolete -i i18n/messages.pot -d i18n/locale -l "$language"
  else
    $babel init --no-wrap -i i18n/messages.pot -d i18n/locale -l "$language"
  fi
done
# Compiled with Babel's reader and writer, not `pybabel compile`: its check takes a percentage
# before a word ("within 1 % of", read as the format "% o") for a %-format and fails the catalog.
# The app formats only with str.format; tests/test_translations.py checks those placeholders.
.venv/bin/python - <<'EOF'
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

for po in sorted(Path("i18n/locale").glob("*/LC_MESSAGES/messages.po")):
    with po.open("rb") as source:
        catalog = read_po(source)
    with po.with_suffix(".mo").open("wb") as target:
        write_mo(target, catalog)
    done = sum(1 for message in catalog if message.id and message.string)
    print(f"{po}: {done} of {len(catalog)} messages translated, compiled")
EOF
