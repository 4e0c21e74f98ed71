"""Celery tasks: thin wrappers that load by id and call a service."""

from celery import shared_task

from escalations import notifications, services
from escalations.sla import sweep


@shared_task
def outbox_send_message(message_id: int) -> bool:
    return notifications.outbox_send(message_id=message_id)


@shared_task
def outbox_send_due() -> int:
    return notifications.outbox_send_due()


@shared_task
def escalations_auto_close() -> int:
    return services.escalation_auto_close_due()


@shared_task
def sla_sweep() -> int:
    return sweep.sla_sweep().alerts
