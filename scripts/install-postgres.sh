#!/usr/bin/env bash
# The report store is tested against a real PostgreSQL server too, which the tests start themselves on
# loopback in a temporary directory (tests/pg.py). Installs Debian's server package when it is missing;
# used by `make test`. Nothing is configured system-wide and no service is started here.
set -euo pipefail
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "The report store's tests need PostgreSQL's server binaries (initdb, pg_ctl); install them with your package manager." >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "Installing Debian's postgresql for the report store's tests..."
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
