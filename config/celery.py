import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("escalation_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["escalations.mail"])

# The embedded filesystem broker needs its folders before the first message.
for option in ("data_folder_in", "processed_folder", "control_folder"):
    if folder := app.conf.broker_transport_options.get(option):
        os.makedirs(folder, exist_ok=True)

app.conf.beat_schedule = {
    "sla-sweep": {
        "task": "escalations.tasks.sla_sweep",
        "schedule": 60.0,
    },
    "outbox-send-due": {
        "task": "escalations.tasks.outbox_send_due",
        "schedule": 60.0,
    },
    # Customer replies from the IMAP mailbox (a no-op while INBOUND_IMAP_HOST is empty).
    "inbound-mail-poll": {
        "task": "escalations.mail.tasks.inbound_mail_poll",
        "schedule": float(os.environ.get("INBOUND_IMAP_POLL_SECONDS", "60")),
    },
    "webhooks-deliver-due": {
        "task": "escalations.tasks.webhooks_deliver_due",
        "schedule": 60.0,
    },
    "escalations-auto-close-resolved": {
        "task": "escalations.tasks.escalations_auto_close",
        "schedule": crontab(minute=15),
    },
    # Once a day (and a re-run sends nothing twice): due-soon and overdue remediations remind their teams.
    "remediation-reminders": {
        "task": "remediations.tasks.remediation_reminders_send",
        "schedule": crontab(hour=7, minute=0),
    },
    "remediation-weekly-digest": {
        "task": "remediations.tasks.remediation_digests_send",
        "schedule": crontab(day_of_week="mon", hour=7, minute=30),
    },
    # Reports: each manager's weekly digest (a re-run sends nothing twice).
    "reports-manager-digest": {
        "task": "reports.tasks.manager_digests_send",
        # Hourly on Mondays from 07:45: one digest per manager and week, and a failed one is retried that day.
        "schedule": crontab(day_of_week="mon", hour="7-23", minute=45),
    },
}
