#!/bin/sh
# Entrypoint of the platform image. The first argument names the role:
#   migrate      apply database migrations (the one-shot `migrate` service), then exit
#   web          gunicorn on :8000 (static files were collected into the image at build time)
#   worker       celery worker (acks late and prefetch 1 are set in settings)
#   beat         celery beat (periodic tasks)
#   healthcheck  exit 0 when /healthz answers (used by docker compose)
# Anything else is run as given, e.g. `python manage.py shell`.
set -e

cd /app

case "${1:-web}" in
migrate)
    exec python manage.py migrate --noinput
    ;;
web)
    # Refuses to start when the database role ignores row-level security (integrity.rls).
    python manage.py check --database default --fail-level ERROR
    exec gunicorn integrity.wsgi \
        --bind 0.0.0.0:8000 \
        --workers "${GUNICORN_WORKERS:-3}" \
        --timeout "${GUNICORN_TIMEOUT:-60}" \
        --access-logfile - \
        --error-logfile -
    ;;
worker)
    exec celery -A integrity worker --loglevel "${LOG_LEVEL:-INFO}"
    ;;
beat)
    # The schedule file holds only last-run times; it lives in /tmp (the image is read-only to us).
    exec celery -A integrity beat --loglevel "${LOG_LEVEL:-INFO}" \
        --schedule /tmp/celerybeat-schedule
    ;;
healthcheck)
    # Ask as the reverse proxy would: a Host from ALLOWED_HOSTS and X-Forwarded-Proto https,
    # so neither the host check nor the HTTPS redirect gets in the way.
    exec python - <<'EOF'
import os
import sys
import urllib.request

hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
host = next((h for h in hosts if h and h != "*"), "localhost")
request = urllib.request.Request(
    "http://127.0.0.1:8000/healthz",
    headers={"Host": host, "X-Forwarded-Proto": "https"},
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:  # noqa: BLE001
    print(f"healthcheck failed: {exc}", file=sys.stderr)
    sys.exit(1)
EOF
    ;;
*)
    exec "$@"
    ;;
esac
