"""The cast for remediation tests: two partner teams with a member each, a taxonomy, and a remediation maker."""

import pytest
from django.utils import timezone

from remediations.models import Remediation
from tests import factories


@pytest.fixture
def other_team(db):
    return factories.PartnerTeamFactory(
        name="Identity & Access", slug="identity-access", contact_email="iam@example.com"
    )


@pytest.fixture
def other_partner(db, other_team):
    """A partner on another team: sees nothing of Billing Platform's remediations."""
    user = factories.PartnerFactory(email="olga.other@example.com", display_name="Olga Other")
    other_team.members.add(user)
    return user


@pytest.fixture
def billing_area(db):
    return factories.RootCauseAreaFactory(name="Billing logic", slug="billing-logic")


@pytest.fixture
def rounding(db, billing_area):
    return factories.RootCauseDriverFactory(name="Invoice rounding", slug="invoice-rounding", parent=billing_area)


@pytest.fixture
def double_posting(db, billing_area):
    return factories.RootCauseDriverFactory(name="Double posting", slug="double-posting", parent=billing_area)


@pytest.fixture
def remediation_in(db, partner_team, partner, specialist):
    """A remediation of Billing Platform (owned by `partner`, proposed by `specialist`) put straight into `status`."""

    def make(status="proposed", **fields):
        fields.setdefault("owner_team", partner_team)
        fields.setdefault("owner", partner)
        fields.setdefault("created_by", specialist)
        fields.setdefault("title", "Idempotent renewal job")
        if status in ("shipped", "verified"):
            fields.setdefault("shipped_at", timezone.now())
        if status == "verified":
            fields.setdefault("verified_at", timezone.now())
        if status == "declined":
            fields.setdefault("decline_reason", "Not worth it.")
        return factories.RemediationFactory(status=status, **fields)

    return make


@pytest.fixture
def remediation(remediation_in) -> Remediation:
    return remediation_in("proposed")
