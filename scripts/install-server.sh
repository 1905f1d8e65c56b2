#!/usr/bin/env bash
# Installs Debian's package of a server the tests start themselves (postgres, redis or nginx), when it is
# missing. The tests run each one on loopback in a temporary directory (tests/servers.py); nothing is
# configured system-wide and no system service is started here. Used by `make test` and `make scale-test`.
# Usage: install-server.sh postgres|redis|nginx
set -euo pipefail
here=$(dirname "$0")
case "${1:-}" in
    postgres)
        ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && exit 0
        exec "$here/apt-install.sh" postgresql "the report store's tests need PostgreSQL's server (initdb, pg_ctl)" ;;
    redis)
        command -v redis-server >/dev/null 2>&1 && exit 0
        exec "$here/apt-install.sh" redis-server "the lock store's tests and the scale test need Redis" ;;
    nginx)
        { command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 && exit 0
        exec "$here/apt-install.sh" nginx "the scale test puts nginx in front of the Rasa replicas" ;;
    *)
        echo "usage: $0 postgres|redis|nginx" >&2
        exit 2 ;;
esac
