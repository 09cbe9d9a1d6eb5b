#!/usr/bin/env bash
# Installs the Debian packages the platform needs, only those that are missing.
# Certificates: pango (WeasyPrint), Noto CJK fonts, libharfbuzz-subset0 (fast font subsetting:
# ~0.15 s per certificate instead of ~9 s). Browser tests: Debian's chromium. i18n: gettext.
set -euo pipefail
PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-dejavu-core
          gettext poppler-utils chromium postgresql-client)
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
# Python 3.11 with venv (Debian 12's python3.11; a machine may bring its own python3.11).
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PACKAGES+=(python3.11)
"$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 || PACKAGES+=(python3.11-venv)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "installing system packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
