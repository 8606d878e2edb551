#!/usr/bin/env bash
# Set up a fresh machine: a virtual environment with the app's packages (and, with --dev, the test
# packages and Debian's Chromium for the browser tests). Safe to run again: it only adds what is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/python -m pip install --quiet -r requirements-dev.txt
  # Browser tests drive Debian's Chromium (Playwright's own browser download is not used), with
  # fonts for Chinese and emoji so that screenshots show text, not boxes.
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
  [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
  command -v nginx >/dev/null || missing+=(nginx)  # scripts/serve.sh, tested by the suite
  if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
else
  .venv/bin/python -m pip install --quiet -r requirements.txt
fi
