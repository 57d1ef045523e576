#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests (test/web.test.ts,
# driven by playwright-core, which downloads no browser of its own). Installs it with apt-get when
# it is missing, and a CJK font when none is installed (without one the screenshots the tests
# save show boxes instead of Chinese). Quiet on success; exits non-zero when Chromium cannot be
# installed, so CI says so instead of silently skipping the browser tests.
set -euo pipefail

want=()
[ -x /usr/bin/chromium ] || want+=(chromium)
[ -n "$(fc-list :lang=zh family 2>/dev/null | head -n 1)" ] || want+=(fonts-noto-cjk)
[ ${#want[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no apt-get here; install Chromium at /usr/bin/chromium yourself (browser tests skip without it)" >&2
  [ -x /usr/bin/chromium ] && exit 0 || exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo -n); else
    echo "ensure-chromium: not root and no sudo: cannot install ${want[*]}" >&2
    [ -x /usr/bin/chromium ] && exit 0 || exit 1
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "ensure-chromium: installing ${want[*]} with apt-get"
if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${want[@]}"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  # A missing font only costs legible screenshots; a missing browser fails.
  if [ -x /usr/bin/chromium ]; then
    echo "ensure-chromium: could not install ${want[*]}; Chromium is there, carrying on" >&2
    exit 0
  fi
  echo "ensure-chromium: could not install chromium" >&2
  exit 1
fi
[ -x /usr/bin/chromium ] || { echo "ensure-chromium: chromium installed but /usr/bin/chromium is missing" >&2; exit 1; }
exit 0
