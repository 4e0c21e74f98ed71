"""Tests: fast hashing, mail kept in memory, Celery eager unless a test asks for the real worker."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="test-only-not-a-secret")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a real worker process can see what a test wrote; one per run.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
INBOUND_MAIL_SECRET = "test-inbound-mail-secret"
INBOUND_MAIL_DOMAIN = "mail.escalations.test"
# Tests share user ids across runs and the cache across tests: rates no test reaches, except the ones that set lower.
API_THROTTLE_RATES = {"user": "100000/minute", "anon": "100000/minute"}
