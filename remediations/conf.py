"""The remediation settings (see config/settings/base.py and the README's configuration table)."""

from django.conf import settings


def due_soon_days() -> int:
    return settings.REMEDIATION_DUE_SOON_DAYS


def effectiveness_weeks() -> int:
    return settings.REMEDIATION_EFFECTIVENESS_WEEKS
