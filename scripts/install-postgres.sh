#!/usr/bin/env bash
# The report store is tested against a real PostgreSQL server too, which the tests start themselves on
# loopback in a temporary directory (tests/pg.py). Installs Debian's server package when it is missing;
# used by `make test`. Nothing is configured system-wide and no service is started here.
set -euo pipefail
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && exit 0
exec "$(dirname "$0")/apt-install.sh" postgresql "the report store's tests need PostgreSQL's server (initdb, pg_ctl)"
