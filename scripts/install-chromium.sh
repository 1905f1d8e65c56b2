#!/usr/bin/env bash
# The web widget's browser tests drive Debian's Chromium (Playwright never downloads a browser here).
# Installs it when missing; used by `make test`.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "The widget's browser tests need Chromium at /usr/bin/chromium; install it with your package manager." >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "Installing Debian's chromium for the widget's browser tests..."
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
