#!/usr/bin/env bash
# The web widget's browser tests drive Debian's Chromium (Playwright never downloads a browser here).
# Installs it when missing; used by `make test`.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
exec "$(dirname "$0")/apt-install.sh" chromium "the widget's browser tests need Chromium at /usr/bin/chromium"
