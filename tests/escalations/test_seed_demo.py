import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from escalations.lifecycle import ALLOWED_TRANSITIONS, Status, is_allowed
from escalations.models import (
    Account,
    Category,
    Escalation,
    EscalationEvent,
    EscalationWatcher,
    Handoff,
    OutboxMessage,
    ReferenceCounter,
)
from escalations.services import reference_allocate
from remediations.models import Remediation, RootCause
from users.models import PartnerMembership, PartnerTeam, User

pytestmark = pytest.mark.django_db

DEMO_LOGINS = {
    "requester@example.com": ("Riley Requester", User.Role.REQUESTER),
    "requester2@example.com": ("Quinn Requester", User.Role.REQUESTER),
    "specialist@example.com": ("Sasha Specialist", User.Role.SPECIALIST),
    "specialist2@example.com": ("Jordan Specialist", User.Role.SPECIALIST),
    "manager@example.com": ("Morgan Manager", User.Role.MANAGER),
    "partner@example.com": ("Parker Partner", User.Role.PARTNER),
    "admin@example.com": ("Avery Admin", User.Role.ADMIN),
}


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def reference_number(reference: str) -> int:
    return int(reference.removeprefix("ESC-"))


def row_counts() -> dict[str, int]:
    models = [
        User,
        PartnerTeam,
        PartnerMembership,
        Account,
        Category,
        RootCause,
        Remediation,
        Remediation.root_causes.through,
        Remediation.escalations.through,
        Escalation,
        EscalationEvent,
        EscalationWatcher,
        Handoff,
        OutboxMessage,
    ]
    counts = {model._meta.label: model.objects.count() for model in models}
    counts["reference counter"] = sum(ReferenceCounter.objects.values_list("last_value", flat=True))
    return counts


@pytest.fixture(scope="class")
def seeded_world(django_db_setup, django_db_blocker):
    """One seeded database shared by the read-only tests of a class, rolled back after the class."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed("--escalations", "120")
        transaction.set_rollback(True)


@pytest.mark.usefixtures("seeded_world")
class TestSeededWorld:
    def test_every_demo_login_works_with_the_demo_password(self, client):
        for email, (display_name, role) in DEMO_LOGINS.items():
            user = User.objects.get(email=email)
            assert (user.display_name, user.role) == (display_name, role)
            response = client.post(reverse("login"), {"username": email, "password": "demo-password"})
            assert response.status_code == 302 and "_auth_user_id" in client.session, email
            client.logout()

    def test_admin_is_staff_and_superuser_and_partner_belongs_to_billing_platform(self):
        admin = User.objects.get(email="admin@example.com")
        assert admin.is_staff and admin.is_superuser
        assert PartnerTeam.objects.get(name="Billing Platform").members.filter(email="partner@example.com").exists()

    def test_partner_teams_have_a_lead_among_their_members(self):
        teams = PartnerTeam.objects.all()
        assert 4 <= teams.count() <= 5
        for team in teams:
            assert team.lead is not None
            assert team.members.filter(pk=team.lead.pk).exists()
            assert team.members.count() >= 2

    def test_about_fifty_accounts_in_every_tier_region_and_revenue_band(self):
        accounts = Account.objects.all()
        assert 45 <= accounts.count() <= 55
        assert set(accounts.values_list("tier", flat=True)) == set(Account.Tier.values)
        assert set(accounts.values_list("region", flat=True)) == set(Account.Region.values)
        assert set(accounts.values_list("revenue_band", flat=True)) == set(Account.RevenueBand.values)
        for account in accounts:
            assert re.fullmatch(r"acct_[A-Za-z0-9]{8}", account.external_id)
            assert account.contact_name and account.contact_email and account.contact_phone

    def test_root_cause_taxonomy_has_areas_with_drivers(self):
        areas = RootCause.objects.filter(parent=None).annotate(driver_count=Count("drivers"))
        assert 4 <= areas.count() <= 6
        assert all(3 <= area.driver_count <= 4 for area in areas)
        assert Category.objects.count() >= 8

    def test_remediations_are_owned_by_partner_teams_and_justified_by_drivers(self):
        remediations = Remediation.objects.all()
        assert remediations.count() >= 5
        assert len(set(remediations.values_list("status", flat=True))) >= 4
        for remediation in remediations:
            assert remediation.root_causes.exists()
            assert all(not root_cause.is_area for root_cause in remediation.root_causes.all())
            if remediation.status == Remediation.Status.DECLINED:
                assert remediation.decline_reason
        assert Remediation.escalations.through.objects.exists()

    def test_every_lifecycle_status_is_present(self):
        statuses = set(Escalation.objects.values_list("status", flat=True))
        assert statuses == {status.value for status in Status}

    def test_each_timeline_starts_with_filing_and_walks_allowed_edges_to_the_current_status(self):
        events_by_case = {}
        for event in EscalationEvent.objects.order_by("escalation_id", "created_at", "id"):
            events_by_case.setdefault(event.escalation_id, []).append(event)
        for escalation in Escalation.objects.all():
            events = events_by_case[escalation.pk]
            assert events[0].kind == EscalationEvent.Kind.FILED
            assert events[0].created_at == escalation.filed_at
            assert [event.created_at for event in events] == sorted({event.created_at for event in events})
            status_events = [event for event in events if event.kind == EscalationEvent.Kind.STATUS_CHANGED]
            current = Status.NEW
            for event in status_events:
                source, target = Status(event.data["from"]), Status(event.data["to"])
                assert source == current, escalation.reference
                assert is_allowed(source, target)
                assert event.data["action"] == ALLOWED_TRANSITIONS[(source, target)]
                assert event.visibility == EscalationEvent.Visibility.SHARED
                current = target
            assert current == escalation.lifecycle_status, escalation.reference
            assert escalation.version == 1 + len(status_events)
            assert escalation.updated_at == events[-1].created_at

    def test_cases_are_spread_over_the_last_ninety_days_and_nothing_is_in_the_future(self):
        now = timezone.now()
        filed = list(Escalation.objects.values_list("filed_at", flat=True))
        assert min(filed) >= now - timedelta(days=90)
        assert max(filed) <= now
        assert min(filed) < now - timedelta(days=45)
        assert not EscalationEvent.objects.filter(created_at__gt=now).exists()

    def test_resolved_and_closed_cases_carry_a_driver_and_a_summary(self):
        finished = Escalation.objects.filter(status__in=[Status.RESOLVED, Status.CLOSED]).select_related("root_cause")
        assert finished.exists()
        for escalation in finished:
            assert escalation.root_cause.parent_id is not None
            assert escalation.resolution_summary and escalation.resolved_at
        recently = timezone.now() - timedelta(days=7)
        resolved = Escalation.objects.filter(status=Status.RESOLVED)
        assert resolved.filter(resolved_at__gte=recently).count() >= resolved.count() * 0.7
        assert not Escalation.objects.filter(status=Status.CLOSED, closed_at=None).exists()

    def test_worked_cases_have_an_owner_and_a_first_response(self):
        worked = Escalation.objects.exclude(triaged_at=None)
        assert worked.exists()
        assert not worked.filter(assignee=None).exists()
        assert not worked.filter(first_response_at=None).exists()
        assert not worked.exclude(assignee__role__in=[User.Role.SPECIALIST, User.Role.MANAGER]).exists()
        assert not Escalation.objects.filter(status=Status.NEW).exclude(assignee=None).exists()

    def test_duplicates_rejections_and_handoffs_are_consistent(self):
        for duplicate in Escalation.objects.filter(status=Status.DUPLICATE).select_related("duplicate_of"):
            assert duplicate.duplicate_of.status != Status.DUPLICATE
            assert duplicate.duplicate_of.filed_at < duplicate.filed_at
        assert not Escalation.objects.filter(status=Status.REJECTED, rejection_reason="").exists()
        open_handoff = {Handoff.Status.REQUESTED, Handoff.Status.ACKNOWLEDGED}
        for escalation in Escalation.objects.filter(status=Status.WAITING_ON_PARTNER):
            assert escalation.handoffs.filter(status__in=open_handoff).exists(), escalation.reference
        assert (
            not Handoff.objects.filter(status__in=open_handoff)
            .exclude(escalation__status=Status.WAITING_ON_PARTNER)
            .exists()
        )
        answered = Handoff.objects.filter(status=Handoff.Status.ANSWERED)
        assert answered.exists()
        assert not answered.filter(responded_at=None).exists()
        assert not answered.filter(response="").exists()

    def test_comments_notes_and_watchers_are_present(self):
        assert EscalationEvent.objects.filter(
            kind=EscalationEvent.Kind.COMMENT, visibility=EscalationEvent.Visibility.SHARED
        ).exists()
        notes = EscalationEvent.objects.filter(kind=EscalationEvent.Kind.NOTE)
        assert notes.exists()
        assert not notes.exclude(visibility=EscalationEvent.Visibility.INTERNAL).exists()
        assert EscalationWatcher.objects.exists()

    def test_references_are_unique_and_numbered(self):
        references = list(Escalation.objects.values_list("reference", flat=True))
        assert len(references) == len(set(references)) == 120
        assert all(re.fullmatch(r"ESC-[1-9][0-9]*", reference) for reference in references)

    def test_no_mail_is_queued(self):
        assert not OutboxMessage.objects.exists()
        assert mail.outbox == []

    def test_output_summarises_counts_statuses_and_logins(self, seeded_world):
        assert "escalations" in seeded_world
        for status in Status:
            assert status.label in seeded_world
        for email in DEMO_LOGINS:
            assert email in seeded_world
        assert "demo-password" in seeded_world


def test_second_run_creates_nothing_and_says_so():
    seed("--escalations", "30")
    before = row_counts()

    output = seed("--escalations", "30")

    assert row_counts() == before
    assert "already there" in output


def test_escalations_option_sets_how_many_cases_are_filed():
    seed("--escalations", "40")

    assert Escalation.objects.count() == 40


def test_fewer_cases_than_statuses_still_builds_a_valid_world():
    seed("--escalations", "3")

    assert Escalation.objects.count() == 3
    assert not Escalation.objects.filter(status=Status.DUPLICATE).exists()


def test_references_allocated_after_seeding_continue_the_sequence():
    seed("--escalations", "25")
    highest_seeded = max(map(reference_number, Escalation.objects.values_list("reference", flat=True)))

    with transaction.atomic():
        (next_reference,) = reference_allocate()

    assert reference_number(next_reference) > highest_seeded


def test_the_same_seed_builds_the_same_cases():
    def cases():
        return list(Escalation.objects.order_by("reference").values_list("title", "status", "priority", "account"))

    seed("--escalations", "30", "--seed", "42")
    first = cases()
    Escalation.objects.exclude(duplicate_of=None).delete()
    Escalation.objects.all().delete()

    seed("--escalations", "30", "--seed", "42")

    assert cases() == first


def test_seeding_keeps_existing_people_as_they_are():
    User.objects.create_user("requester@example.com", password="my-own-password", display_name="Riley R.")

    seed("--escalations", "10")

    riley = User.objects.get(email="requester@example.com")
    assert riley.display_name == "Riley R."
    assert riley.check_password("my-own-password")
