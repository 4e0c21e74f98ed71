"""The admin: every remediation model opens, the timeline is read-only, retiring goes through the service."""

import pytest

from remediations.models import RemediationReminder, RootCause


@pytest.fixture
def admin_client_for(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_remediation_admin_pages_open(admin_client_for, remediation, rounding, partner_team):
    RemediationReminder.objects.create(
        remediation=remediation, team=partner_team, kind="overdue", for_date="2026-03-04"
    )
    for path in (
        "/admin/remediations/remediation/",
        f"/admin/remediations/remediation/{remediation.pk}/change/",
        "/admin/remediations/rootcause/",
        f"/admin/remediations/rootcause/{rounding.pk}/change/",
        f"/admin/remediations/rootcause/{rounding.parent_id}/change/",
        "/admin/remediations/remediationreminder/",
    ):
        assert admin_client_for.get(path).status_code == 200, path


def test_retiring_from_the_admin_keeps_who_and_when(admin_client_for, admin_user, rounding, double_posting):
    response = admin_client_for.post(
        "/admin/remediations/rootcause/",
        {"action": "retire", "_selected_action": [rounding.pk, double_posting.pk]},
    )
    assert response.status_code == 302
    for driver in RootCause.objects.filter(pk__in=[rounding.pk, double_posting.pk]):
        assert not driver.is_active and driver.retired_by == admin_user
    admin_client_for.post("/admin/remediations/rootcause/", {"action": "restore", "_selected_action": [rounding.pk]})
    assert RootCause.objects.get(pk=rounding.pk).is_active
