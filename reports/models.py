"""The reports app's own small tables: how much each account tier weighs in "pain", and which weekly digests
went out. Reports read every other app's data and write none of it."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from escalations.models import Account

DEFAULT_TIER_WEIGHTS = {
    Account.Tier.STRATEGIC: Decimal("4"),
    Account.Tier.ENTERPRISE: Decimal("3"),
    Account.Tier.BUSINESS: Decimal("2"),
    Account.Tier.STARTER: Decimal("1"),
}


class TierWeight(models.Model):
    """How much an hour of an open case weighs for an account of this tier in the Top drivers "pain" ranking.

    A tier without a row weighs its default (strategic 4, enterprise 3, business 2, starter 1)."""

    tier = models.CharField(max_length=20, choices=Account.Tier.choices, unique=True)
    weight = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["-weight", "tier"]
        constraints = [models.CheckConstraint(condition=Q(weight__gte=0), name="tier_weight_not_negative")]

    def __str__(self):
        return f"{self.get_tier_display()}: {self.weight}"


class ManagerDigest(models.Model):
    """The record that one manager's weekly digest was queued; the unique constraint makes it happen once."""

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_digests")
    week_of = models.DateField(help_text="The Monday of the week the digest was sent for.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-week_of", "manager"]
        constraints = [models.UniqueConstraint(fields=["manager", "week_of"], name="manager_digest_once_a_week")]

    def __str__(self):
        return f"Digest for {self.manager} in the week of {self.week_of}"
