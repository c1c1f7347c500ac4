#!/usr/bin/env bash
# Install Debian's Chromium and ChromeDriver for the browser tests when they are missing.
# Without root (and without sudo) it says so and the browser tests skip with that reason.
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [[ $(id -u) -eq 0 ]]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
  echo "ensure_chromium: chromium is not installed and this user cannot install it; browser tests will skip" >&2
  exit 0
fi
echo "ensure_chromium: installing chromium and chromium-driver from Debian" >&2
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null \
  || echo "ensure_chromium: install failed; browser tests will skip" >&2
exit 0
