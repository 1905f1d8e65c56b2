#!/usr/bin/env bash
# Installs one of Debian's packages that the tests need (used by install-chromium.sh and
# install-server.sh): apt-get as root, else through sudo. Usage: apt-install.sh PACKAGE "what needs it"
set -euo pipefail
package=$1
needed_by=$2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$needed_by; install $package with your package manager." >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "Installing Debian's $package: $needed_by..."
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
