import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("escalation_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

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
    "escalations-auto-close-resolved": {
        "task": "escalations.tasks.escalations_auto_close",
        "schedule": crontab(minute=15),
    },
}
