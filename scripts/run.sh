#!/usr/bin/env bash
# Starts the action server and the Rasa server (serve) or a terminal chat (shell).
# Used by `make run` and `make shell`; settings come from the environment (see .env.example).
set -euo pipefail
cd "$(dirname "$0")/.."

# Settings and channel secrets from .env when there is one (see .env.example).
if [ -f .env ]; then set -a; . ./.env; set +a; fi

mode=${1:-serve}
VENV=${VENV:-.venv}
RASA_PORT=${RASA_PORT:-5005}
RASA_INTERFACE=${RASA_INTERFACE:-127.0.0.1}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
MODEL=${MODEL:-models/current.tar.gz}
# endpoints.yml reads it: the action server started below, unless the deployment points elsewhere.
export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://localhost:$ACTIONS_PORT/webhook}
mkdir -p var

# A partner inbox that cannot start (no key, a wrong key, no database) stops here, loudly, rather than
# leave people told that their report was sent.
if [ -n "${REPORT_PARTNER_NAME:-}" ]; then
    "$VENV/bin/python" -m bot reports check || { echo "Not starting: fix the report inbox settings (.env.example)." >&2; exit 1; }
fi

"$VENV/bin/python" -m rasa_sdk --actions actions --port "$ACTIONS_PORT" >var/actions.log 2>&1 &
actions_pid=$!
trap 'kill "$actions_pid" 2>/dev/null || true' EXIT INT TERM

if [ "$mode" = shell ]; then
    "$VENV/bin/rasa" shell --model "$MODEL" --endpoints endpoints.yml
    exit
fi

"$VENV/bin/rasa" run --model "$MODEL" --endpoints endpoints.yml --credentials credentials.yml \
    --interface "$RASA_INTERFACE" --port "$RASA_PORT" &
rasa_pid=$!
trap 'kill "$actions_pid" "$rasa_pid" 2>/dev/null || true' EXIT INT TERM

url="http://localhost:$RASA_PORT"
until curl -fsS "$url/" >/dev/null 2>&1; do
    kill -0 "$rasa_pid" 2>/dev/null || { echo "The Rasa server stopped; see the messages above." >&2; exit 1; }
    sleep 1
done
cat <<MSG

  The assistant is running.
  Talk to it through the REST channel:

    curl -s $url/webhooks/rest/webhook -H 'Content-Type: application/json' \\
      -d '{"sender": "demo", "message": "someone stole my bike"}'

  Or chat in a terminal:  make shell      (stop this one first: Ctrl+C)

MSG
wait "$rasa_pid"
