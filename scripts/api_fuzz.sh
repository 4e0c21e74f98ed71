#!/usr/bin/env bash
# Schemathesis against the running API: a throwaway PostgreSQL database with the demo world, gunicorn on
# 127.0.0.1, a token for the demo specialist, then every operation of /api/schema/ with generated requests.
# Fails on any server error or any response that does not match the schema.
#
#   API_FUZZ_DB (default escalation_desk_api_fuzz)  API_FUZZ_PORT (8799)  API_FUZZ_EXAMPLES (25)  API_FUZZ_SEED (1)
set -euo pipefail
cd "$(dirname "$0")/.."

DB=${API_FUZZ_DB:-escalation_desk_api_fuzz}
PORT=${API_FUZZ_PORT:-8799}
EXAMPLES=${API_FUZZ_EXAMPLES:-25}
SEED=${API_FUZZ_SEED:-1}
PG=${API_FUZZ_PG:-postgres://postgres@127.0.0.1:5432}
mkdir -p var
PIDFILE="var/api-fuzz-gunicorn.pid"
REPORT_DIR="var/api-fuzz"

export DATABASE_URL="${PG}/${DB}"
export DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=false
export SECRET_KEY=api-fuzz-only-not-a-secret-0123456789abcdef
# Mail and webhook sends are queued in the database; nothing needs a broker for this run.
export CELERY_BROKER_URL=memory://
unset REDIS_URL
# Fuzz the API, not the rate limiter: at the default 600 requests a minute most cases would be answered 429.
export API_THROTTLE_USER=1000000/minute API_THROTTLE_ANON=1000000/minute

cleanup() {
  if [ -f "$PIDFILE" ]; then kill "$(cat "$PIDFILE")" 2>/dev/null || true; rm -f "$PIDFILE"; fi
  psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS ${DB}" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS ${DB}" -c "CREATE DATABASE ${DB}"
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py seed_demo >/dev/null
TOKEN=$(.venv/bin/python manage.py api_token_create specialist@example.com --name ci)

.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:${PORT}" --workers 2 --pid "$PIDFILE" \
  --daemon --error-logfile var/api-fuzz-gunicorn.log
for _ in $(seq 30); do
  .venv/bin/python -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:${PORT}/api/schema/',
    headers={'Authorization': 'Token ${TOKEN}'}), timeout=2)" 2>/dev/null && break
  sleep 1
done

rm -rf "$REPORT_DIR"
# One worker: with two, Schemathesis' own data generation sometimes fails inside CPython 3.11's parser
# ("AST constructor recursion depth mismatch"), an error of the tool, not of the API.
.venv/bin/st run "http://127.0.0.1:${PORT}/api/schema/" \
  --header "Authorization: Token ${TOKEN}" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance \
  --max-examples "$EXAMPLES" --seed "$SEED" --workers 1 \
  --generation-database none --no-color \
  --report junit --report-dir "$REPORT_DIR"
