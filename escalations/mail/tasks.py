"""Celery tasks for customer mail: thin wrappers around the poller."""

from dataclasses import asdict

from celery import shared_task

from escalations.mail.imap import imap_poll


@shared_task
def inbound_mail_poll() -> dict:
    return asdict(imap_poll())
