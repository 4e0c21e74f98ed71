"""Celery tasks: thin wrappers that load by id and call a service."""

from celery import shared_task

from escalations import notifications, services
from escalations.sla import sweep
from escalations.webhooks import delivery as webhooks


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


@shared_task
def webhook_deliver(delivery_id: int) -> bool:
    return webhooks.webhook_deliver(delivery_id=delivery_id)


@shared_task
def webhooks_deliver_due() -> int:
    return webhooks.webhook_deliver_due()
