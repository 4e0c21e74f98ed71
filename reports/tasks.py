"""Celery tasks: thin wrappers (beat schedules them in `config/celery.py`)."""

from celery import shared_task

from reports import digest


@shared_task
def manager_digests_send() -> int:
    """Mondays: each manager's weekly report digest. Safe to run again: each manager gets one a week."""
    return digest.manager_digests_send().sent
