#!/usr/bin/env bash
# The zh-hans catalogue: every Chinese source string translated to itself.
#
# The source strings are Chinese, so zh-hans needs no translations; but a string missing from
# the active catalogue is looked up through every installed app's fallback catalogue (a dozen
# here), which made each {% translate %} about three times slower than a catalogue hit.
# Generated from the English catalogue (which `make catalogues` keeps in step with the code);
# ASCII-only strings (e.g. "PDF") are left to Django's and Wagtail's own translations.
set -euo pipefail
src=locale/en/LC_MESSAGES/django.po
out=locale/zh_Hans/LC_MESSAGES/django.po
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$(dirname "$out")"
msgfilter -i "$src" -o "$tmp/empty.po" --keep-header sed -e d
sed -i 's/^"Language: .*\\n"$/"Language: zh_Hans\\n"/; s/^"Plural-Forms: .*\\n"$/"Plural-Forms: nplurals=2; plural=0;\\n"/' "$tmp/empty.po"
msgen "$tmp/empty.po" -o "$tmp/identity.po"
LC_ALL=C.UTF-8 msggrep -K -E -e '[^ -~[:space:]]' "$tmp/identity.po" -o "$tmp/zh.po"
sed '0,/^#, fuzzy$/{/^#, fuzzy$/d}' "$tmp/zh.po" > "$out"
msgfmt --check-format -o /dev/null "$out"
echo "wrote $out ($(grep -c '^msgid "' "$out") strings)"
