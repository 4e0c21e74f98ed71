"""Every change to escalations, remediations, SLA policies and users is attributable and visible to managers."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from rest_framework.test import APIClient

from escalations.models import Escalation, SLAPolicy
from remediations.models import Remediation
from tests import factories
from users.models import User


def entries_for(instance):
    return LogEntry.objects.get_for_object(instance).order_by("timestamp", "pk")


def test_a_priority_change_on_the_case_page_is_logged_with_who_and_before_after(client, specialist, escalation):
    client.force_login(specialist)

    response = client.post(
        reverse("escalations:priority", args=[escalation.reference]),
        {"priority": "P1", "reason": "Whole region down", "version": escalation.version},
    )

    assert response.status_code == 302
    entry = entries_for(escalation).filter(action=LogEntry.Action.UPDATE).last()
    assert entry.actor == specialist
    assert entry.changes_dict["priority"] == ["P3", "P1"]
    assert entry.remote_addr == "127.0.0.1"


def test_a_change_through_the_api_with_a_token_is_logged_as_the_tokens_user(partner, partner_team):
    remediation = factories.RemediationFactory(owner_team=partner_team, status="proposed")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_token_for(partner)}")

    response = api.post(f"/api/v1/remediations/{remediation.pk}/transition/", {"to_status": "accepted"}, format="json")

    assert response.status_code == 200, response.json()
    entry = entries_for(remediation).filter(action=LogEntry.Action.UPDATE).last()
    assert entry.actor == partner
    assert entry.changes_dict["status"] == ["proposed", "accepted"]


def test_a_role_change_in_the_admin_is_logged_and_the_password_hash_never_is(client, admin_user, requester):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:users_user_change", args=[requester.pk]),
        {
            "email": requester.email,
            "display_name": requester.display_name,
            "role": "manager",
            "time_zone": "UTC",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = entries_for(requester).filter(action=LogEntry.Action.UPDATE).last()
    assert entry.actor == admin_user
    assert entry.changes_dict["role"] == ["requester", "manager"]
    assert all("password" not in e.changes_dict for e in entries_for(requester))


def test_work_done_by_background_jobs_is_logged_without_an_actor(escalation):
    Escalation.objects.get(pk=escalation.pk)  # no request, no actor: what a Celery task sees
    escalation.is_sla_breached = True
    escalation.save(update_fields=["is_sla_breached"])

    entry = entries_for(escalation).last()
    assert entry.actor is None and entry.changes_dict["is_sla_breached"] == ["False", "True"]


def test_sla_bookkeeping_alone_writes_no_audit_entry(escalation):
    before = entries_for(escalation).count()
    escalation.next_sla_check_at = escalation.filed_at
    escalation.save(update_fields=["next_sla_check_at"])

    assert entries_for(escalation).count() == before


@pytest.fixture
def changes(specialist, manager, requester, reference_data):
    """Entries of every tracked kind: an escalation, a remediation, an SLA policy and a user."""

    def make(count: int):
        with set_actor(specialist):
            for n in range(count):
                escalation = factories.EscalationFactory(requester=requester, title=f"Case {n}")
                escalation.priority = "P1"
                escalation.save(update_fields=["priority"])
                factories.RemediationFactory(title=f"Fix {n}")
        with set_actor(manager):
            policy = SLAPolicy.objects.filter(is_current=True).first()
            policy.first_response_minutes += 1
            policy.save(update_fields=["first_response_minutes"])
            requester.display_name = f"Rita {count}"
            requester.save(update_fields=["display_name"])

    return make


def test_the_audit_log_page_is_for_managers_and_admins(client, requester, specialist, partner, manager, admin_user):
    for user, status in [(requester, 403), (specialist, 403), (partner, 403), (manager, 200), (admin_user, 200)]:
        client.force_login(user)
        assert client.get(reverse("audit_log")).status_code == status, user.role


def test_the_audit_log_page_shows_who_what_and_before_after(client, manager, specialist, changes):
    changes(1)
    client.force_login(manager)

    page = client.get(reverse("audit_log")).content.decode()

    assert "Audit log" in page and "Sam Specialist" in page and "Maya Manager" in page
    assert "<del>P3</del> → <ins>P1</ins>" in page
    assert "First response minutes" in page


def test_the_audit_log_filters_by_record_type_actor_action_and_record(client, manager, changes):
    changes(2)
    client.force_login(manager)
    escalation_type = ContentType.objects.get_for_model(Escalation).pk

    by_type = client.get(reverse("audit_log"), {"record_type": escalation_type}).context["page"]
    by_actor = client.get(reverse("audit_log"), {"actor": "maya"}).context["page"]
    by_action = client.get(reverse("audit_log"), {"action": LogEntry.Action.CREATE, "record_type": escalation_type})
    by_record = client.get(reverse("audit_log"), {"record": "Fix 1"}).context["page"]

    assert {entry.content_type_id for entry in by_type} == {escalation_type}
    assert by_type.paginator.count == 4  # two cases, each created then changed
    assert {entry.actor.email for entry in by_actor} == {"maya.manager@example.com"}
    assert by_action.context["page"].paginator.count == 2
    assert [entry.object_repr for entry in by_record] == ["Fix 1"]
    assert ContentType.objects.get_for_model(Remediation).pk == by_record[0].content_type_id


def test_a_bad_filter_is_explained_not_a_crash(client, manager, changes):
    changes(1)
    client.force_login(manager)

    response = client.get(reverse("audit_log"), {"changed_after": "not-a-date", "record_type": "999999"})

    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_the_audit_log_pages_and_uses_a_fixed_number_of_queries(
    client, manager, changes, django_assert_max_num_queries
):
    client.force_login(manager)
    changes(3)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("audit_log"))
    changes(30)
    with django_assert_max_num_queries(12) as large:
        response = client.get(reverse("audit_log"))

    assert len(large.captured_queries) == len(small.captured_queries)
    assert response.context["page"].paginator.num_pages == 3
    assert "Page 1 of 3" in response.content.decode()


def test_admins_see_the_entries_in_the_admin_too(client, admin_user, changes):
    changes(1)
    client.force_login(admin_user)

    response = client.get(reverse("admin:auditlog_logentry_changelist"))

    assert response.status_code == 200 and "Case 0" in response.content.decode()
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_creating_and_revoking_an_api_token_is_logged_without_its_secret(client, requester, admin_user):
    from users.models import ApiToken

    client.force_login(requester)
    client.post(reverse("api_token_create"), {"name": "reporting script"})
    token = ApiToken.objects.get(user=requester)
    client.force_login(admin_user)
    client.post(
        reverse("admin:users_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    created, revoked = entries_for(token)
    assert (created.action, created.actor, created.changes_dict["name"]) == (
        LogEntry.Action.CREATE,
        requester,
        ["None", "reporting script"],
    )
    assert (revoked.action, revoked.actor, list(revoked.changes_dict)) == (
        LogEntry.Action.UPDATE,
        admin_user,
        ["revoked_at"],
    )
    assert all("secret_hash" not in entry.changes_dict for entry in (created, revoked))
