"""Celery tasks: thin wrappers around the reminder runs (beat schedules them in `config/celery.py`)."""

from celery import shared_task

from remediations import reminders


@shared_task
def remediation_reminders_send() -> int:
    """Daily: due-soon and overdue reminders to owner teams. Safe to run again: each is sent once a day."""
    return reminders.remediation_reminders_send().sent


@shared_task
def remediation_digests_send() -> int:
    """Mondays: each team's digest of what it owes. Safe to run again: each team gets one a week."""
    return reminders.remediation_digests_send().sent
