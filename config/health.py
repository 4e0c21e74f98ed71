"""`/healthz`: is the database reachable, is the broker reachable."""

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection


def _database_error() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "down"
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def _broker_error() -> str | None:
    try:
        broker = Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=3,
        )
        with broker:
            broker.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    return None


@never_cache
@require_GET
def healthz(request):
    errors = {"database": _database_error(), "broker": _broker_error()}
    checks = {name: ("ok" if error is None else f"down: {error}") for name, error in errors.items()}
    healthy = all(error is None for error in errors.values())
    return JsonResponse({"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503)
