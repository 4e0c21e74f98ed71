"""What the database itself refuses, whoever writes the row, and how records name themselves."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from escalations.lifecycle import Status
from escalations.models import (
    Account,
    Escalation,
    EscalationEvent,
    EscalationWatcher,
    OutboxMessage,
    ReferenceCounter,
)
from remediations.models import Remediation
from tests import factories
from users.models import PartnerMembership, User

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def refused_by_the_database(write):
    """Run `write` in its own savepoint and report whether the database rejected it."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


# --- escalations --------------------------------------------------------------------------------


def resolved_fields(**overrides):
    fields = {
        "status": Status.RESOLVED.value,
        "resolved_at": WHEN,
        "resolution_summary": "Refunded.",
        "root_cause": factories.RootCauseDriverFactory(),
    }
    fields.update(overrides)
    return fields


def test_a_complete_resolved_escalation_is_accepted():
    assert not refused_by_the_database(lambda: factories.EscalationFactory(**resolved_fields()))
    assert not refused_by_the_database(lambda: factories.EscalationFactory(**resolved_fields(status="closed")))


@pytest.mark.parametrize("status", ["archived", "", "IN_PROGRESS"])
def test_an_unknown_status_is_refused(status):
    assert refused_by_the_database(lambda: factories.EscalationFactory(status=status))


@pytest.mark.parametrize("priority", ["P0", "P5", "p1", ""])
def test_an_unknown_priority_is_refused(priority):
    assert refused_by_the_database(lambda: factories.EscalationFactory(priority=priority))


@pytest.mark.parametrize("reference", ["ESC-0", "ESC-0123", "esc-12", "ESC-", "1001", "ESC-12a"])
def test_a_malformed_reference_is_refused(reference):
    assert refused_by_the_database(lambda: factories.EscalationFactory(reference=reference))


def test_a_reference_is_used_once(escalation):
    assert refused_by_the_database(lambda: factories.EscalationFactory(reference=escalation.reference))


def test_version_zero_is_refused():
    assert refused_by_the_database(lambda: factories.EscalationFactory(version=0))


def test_a_duplicate_must_name_its_original():
    assert refused_by_the_database(lambda: factories.EscalationFactory(status=Status.DUPLICATE.value))


def test_only_a_duplicate_names_an_original(escalation):
    assert refused_by_the_database(lambda: factories.EscalationFactory(status="triaged", duplicate_of=escalation))
    assert not refused_by_the_database(
        lambda: factories.EscalationFactory(status=Status.DUPLICATE.value, duplicate_of=escalation)
    )


@pytest.mark.parametrize("status", ["resolved", "closed"])
@pytest.mark.parametrize(
    "missing",
    [{"resolution_summary": ""}, {"root_cause": None}, {"resolved_at": None}],
    ids=["no-summary", "no-root-cause", "no-resolved-at"],
)
def test_a_resolved_or_closed_escalation_must_carry_its_resolution(status, missing):
    assert refused_by_the_database(lambda: factories.EscalationFactory(**resolved_fields(status=status, **missing)))


def test_moving_a_row_to_resolved_without_a_resolution_is_refused(escalation):
    escalation.status = Status.RESOLVED.value

    assert refused_by_the_database(lambda: escalation.save(update_fields=["status"]))


# --- accounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "external_id",
    ["globex", "acct_", "acct_abc", "ACCT_globex", "acct_glo-bex", "acct_globex!", "xacct_globex"],
)
def test_a_malformed_account_id_is_refused(external_id):
    assert refused_by_the_database(lambda: factories.AccountFactory(external_id=external_id))


@pytest.mark.parametrize("external_id", ["acct_abcd", "acct_Globex2024", "acct_" + "a" * 40])
def test_a_well_formed_account_id_is_accepted(external_id):
    assert not refused_by_the_database(lambda: factories.AccountFactory(external_id=external_id))


def test_an_account_id_is_used_once(account):
    assert refused_by_the_database(lambda: factories.AccountFactory(external_id=account.external_id))


def test_an_unknown_account_tier_is_refused():
    assert refused_by_the_database(lambda: factories.AccountFactory(tier="platinum"))


# --- people, teams, remediations ----------------------------------------------------------------


def test_an_unknown_user_role_is_refused():
    assert refused_by_the_database(lambda: factories.UserFactory(role="superhero"))


def test_a_declined_remediation_needs_a_reason(partner_team):
    assert refused_by_the_database(lambda: factories.RemediationFactory(owner_team=partner_team, status="declined"))
    assert not refused_by_the_database(
        lambda: factories.RemediationFactory(owner_team=partner_team, status="declined", decline_reason="Won't fix.")
    )


def test_a_person_joins_a_partner_team_once(partner, partner_team):
    assert refused_by_the_database(lambda: PartnerMembership.objects.create(team=partner_team, user=partner))


def test_a_person_watches_an_escalation_once(escalation, specialist):
    EscalationWatcher.objects.create(escalation=escalation, user=specialist)

    assert refused_by_the_database(lambda: EscalationWatcher.objects.create(escalation=escalation, user=specialist))


def test_an_unknown_event_kind_is_refused(escalation):
    assert refused_by_the_database(lambda: factories.EventFactory(escalation=escalation, kind="gossip"))


def test_an_unknown_outbox_status_is_refused():
    assert refused_by_the_database(
        lambda: OutboxMessage.objects.create(recipient="a@example.com", subject="Hi", body_text="Hi", status="lost")
    )


def test_an_outbox_dedupe_key_is_used_once():
    OutboxMessage.objects.create(recipient="a@example.com", subject="Hi", body_text="Hi", dedupe_key="event:1:to:1")

    assert refused_by_the_database(
        lambda: OutboxMessage.objects.create(
            recipient="b@example.com", subject="Hi", body_text="Hi", dedupe_key="event:1:to:1"
        )
    )


def test_several_outbox_messages_may_have_no_dedupe_key():
    for recipient in ("a@example.com", "b@example.com"):
        OutboxMessage.objects.create(recipient=recipient, subject="Hi", body_text="Hi")

    assert OutboxMessage.objects.filter(dedupe_key__isnull=True).count() == 2


# --- how records name themselves ----------------------------------------------------------------


def test_records_name_themselves_in_words_people_recognise(escalation, account, partner, partner_team, specialist):
    category = factories.CategoryFactory(name="Billing", slug="billing")
    driver = factories.RootCauseDriverFactory(name="Invoice rounding", parent__name="Billing")
    watcher = EscalationWatcher.objects.create(escalation=escalation, user=specialist)
    handoff = factories.HandoffFactory(escalation=escalation, partner_team=partner_team)
    message = OutboxMessage.objects.create(recipient="rita.requester@example.com", subject="Hello", body_text="Hi")
    membership = PartnerMembership.objects.get(user=partner)

    assert str(account) == "Globex (acct_globex01)"
    assert str(escalation) == f"{escalation.reference}: Invoices doubled"
    assert str(category) == "Billing"
    assert str(driver) == "Billing → Invoice rounding"
    assert str(driver.parent) == "Billing"
    assert str(watcher) == f"Sam Specialist watches {escalation.reference}"
    assert str(handoff) == f"{escalation.reference} → Billing Platform"
    assert str(message) == "Hello → rita.requester@example.com (pending)"
    assert str(membership) == "Pat Partner in Billing Platform"
    assert str(partner_team) == "Billing Platform"
    assert str(factories.RemediationFactory(title="Round invoices once")) == "Round invoices once"
    assert str(ReferenceCounter(name="escalation", last_value=1041)) == "escalation: 1041"


def test_an_event_names_its_case_kind_and_time(escalation):
    event = factories.EventFactory(escalation=escalation, kind=EscalationEvent.Kind.NOTE, created_at=WHEN)

    assert str(event) == f"{escalation.pk} note at 2026-03-10 09:00"


def test_a_user_is_named_by_display_name_or_else_email():
    named = factories.UserFactory(display_name="Sam Specialist", email="sam@example.com")
    unnamed = factories.UserFactory(display_name="", email="anon@example.com")

    assert (str(named), named.get_short_name()) == ("Sam Specialist", "Sam")
    assert (str(unnamed), unnamed.get_short_name()) == ("anon@example.com", "anon@example.com")


def test_new_users_are_stored_with_a_lowercase_email():
    user = User.objects.create_user("Rita.Requester@Example.COM", password="x")

    assert user.email == "rita.requester@example.com"


@pytest.mark.parametrize(
    ("role", "works_cases", "is_manager"),
    [
        ("requester", False, False),
        ("partner", False, False),
        ("specialist", True, False),
        ("manager", True, True),
        ("admin", True, True),
    ],
)
def test_roles_decide_who_works_cases_and_who_manages(role, works_cases, is_manager):
    user = User(email="x@example.com", role=role)

    assert (user.works_cases, user.is_manager) == (works_cases, is_manager)


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_an_escalation_is_open_until_it_is_resolved_closed_rejected_or_duplicate(status):
    case = Escalation(status=status.value)

    assert case.lifecycle_status is status
    assert case.is_open is (status in {"new", "triaged", "in_progress", "waiting_on_partner", "waiting_on_user"})


def test_an_area_is_a_root_cause_without_parent(driver):
    assert driver.parent.is_area
    assert not driver.is_area


def test_shared_events_know_they_are_shared(escalation):
    shared = factories.EventFactory(escalation=escalation, visibility=EscalationEvent.Visibility.SHARED)
    internal = factories.EventFactory(escalation=escalation, visibility=EscalationEvent.Visibility.INTERNAL)

    assert (shared.is_shared, internal.is_shared) == (True, False)


def test_an_account_is_created_with_business_defaults():
    account = Account.objects.create(external_id="acct_defaults1", name="Initech")

    assert (account.tier, account.region) == (Account.Tier.BUSINESS, Account.Region.NORTH_AMERICA)


def test_a_remediation_starts_proposed(partner_team):
    assert factories.RemediationFactory(owner_team=partner_team).status == Remediation.Status.PROPOSED
