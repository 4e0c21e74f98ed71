#!/usr/bin/env bash
# Migrate, seed the demo world, then run a Celery worker with beat in the background and the web
# server in the foreground. Ctrl-C stops both. Uses DATABASE_URL / REDIS_URL when they are set.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var

$BIN/python manage.py migrate --noinput
$BIN/python manage.py seed_demo

PIDFILE=var/celery.pid
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  kill "$(cat "$PIDFILE")" && sleep 2
fi
rm -f "$PIDFILE"
$BIN/celery -A config worker -B --concurrency 2 --loglevel INFO \
  --pidfile "$PIDFILE" --schedule var/celerybeat-schedule --logfile var/celery.log &

stop_worker() {
  if [ -f "$PIDFILE" ]; then kill "$(cat "$PIDFILE")" 2>/dev/null || true; fi
}
trap stop_worker EXIT INT TERM

cat <<INFO

  Escalation Desk is starting at http://$HOST:$PORT/
  Background worker and beat: running (log: var/celery.log)
  Broker: ${REDIS_URL:-embedded (var/broker)}   Database: ${DATABASE_URL:-SQLite (var/escalations.sqlite3)}

  Demo logins (password for all: demo-password)
    requester@example.com    requester: files and follows escalations
    specialist@example.com   specialist: works the queue
    manager@example.com      manager: everything a specialist can, plus the outbox
    partner@example.com      partner team member (Billing Platform): handoffs
    admin@example.com        administrator: /admin/

INFO
$BIN/python manage.py runserver "$HOST:$PORT"
