"""The remediation and root-cause pages: who may open them, what they show and do, and their query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from escalations.models import EscalationEvent
from remediations.models import Remediation, RemediationUpdate, RootCause
from tests import factories


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def foreign(remediation_in, other_team):
    """A remediation of another team (Identity & Access)."""
    return remediation_in("accepted", owner_team=other_team, owner=None, title="SSO checklist")


# --- who may open what ----------------------------------------------------------------------------------------

LIST_PAGES = ["/remediations/", "/remediations/list/", "/remediations/owed/", "/remediations/new/"]
TAXONOMY_PAGES = ["/remediations/root-causes/"]


@pytest.mark.parametrize("path", LIST_PAGES + TAXONOMY_PAGES)
def test_requesters_are_turned_away_from_every_page(as_user, requester, path):
    assert as_user(requester).get(path).status_code == 403


def test_requesters_cannot_open_a_remediation_or_a_driver(as_user, requester, remediation, rounding):
    client = as_user(requester)
    for path in (f"/remediations/{remediation.pk}/", f"/remediations/root-causes/{rounding.pk}/"):
        assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", LIST_PAGES)
@pytest.mark.parametrize("who", ["partner", "specialist", "manager", "admin_user"])
def test_partners_and_case_workers_open_the_remediation_pages(request, as_user, who, path, remediation):
    assert as_user(request.getfixturevalue(who)).get(path).status_code == 200


def test_partners_see_only_their_teams_remediations(as_user, partner, remediation, foreign):
    client = as_user(partner)
    board = client.get("/remediations/").content.decode()
    assert remediation.title in board and foreign.title not in board
    assert client.get(f"/remediations/{remediation.pk}/").status_code == 200
    assert client.get(f"/remediations/{foreign.pk}/").status_code == 404
    assert client.get(f"/remediations/{foreign.pk}/edit/").status_code == 404
    response = client.post(f"/remediations/{foreign.pk}/transition/", {"to_status": "in_progress"})
    assert response.status_code == 404
    assert Remediation.objects.get(pk=foreign.pk).status == "accepted"


def test_root_cause_pages_are_for_case_workers(as_user, partner, specialist, rounding):
    assert as_user(partner).get("/remediations/root-causes/").status_code == 403
    assert as_user(partner).get(f"/remediations/root-causes/{rounding.pk}/").status_code == 403
    assert as_user(specialist).get("/remediations/root-causes/").status_code == 200
    assert as_user(specialist).get(f"/remediations/root-causes/{rounding.pk}/").status_code == 200


def test_a_remediation_that_does_not_exist_is_a_404(as_user, manager):
    assert as_user(manager).get("/remediations/999999/").status_code == 404


# --- board and lists --------------------------------------------------------------------------------------------


def test_the_board_has_a_column_per_status_with_counts(as_user, manager, remediation_in):
    for status in ("proposed", "accepted", "in_progress", "in_progress", "shipped", "verified", "declined"):
        remediation_in(status, title=f"A {status} fix")
    page = as_user(manager).get("/remediations/")
    columns = {column.status.value: column.count for column in page.context["columns"]}
    assert columns == {"proposed": 1, "accepted": 1, "in_progress": 2, "shipped": 1, "verified": 1, "declined": 1}
    html = page.content.decode()
    assert "A verified fix" in html and "Propose a remediation" in html


def test_the_board_filters_by_team_owner_overdue_and_priority(as_user, manager, remediation_in, other_team, partner):
    today = timezone.localdate()
    remediation_in("in_progress", title="Late billing fix", due_date=today - timedelta(days=2), priority="high")
    remediation_in("accepted", title="Timely billing fix", due_date=today + timedelta(days=20), owner=None)
    remediation_in("accepted", title="Identity fix", owner_team=other_team, owner=None, priority="low")
    client = as_user(manager)

    def titles(query):
        columns = client.get(f"/remediations/?{query}").context["columns"]
        return sorted(item.title for column in columns for item in column.items)

    assert titles("team=identity-access") == ["Identity fix"]
    assert titles("overdue=true") == ["Late billing fix"]
    assert titles(f"owner={partner.pk}") == ["Late billing fix"]
    assert titles("owner=nobody&team=billing-platform") == ["Timely billing fix"]
    assert titles("priority=low") == ["Identity fix"]
    assert "No remediations match these filters." in client.get("/remediations/?q=nothing-like-this").content.decode()


def test_a_full_column_shows_its_first_cards_and_links_to_the_list(as_user, manager, partner_team):
    for index in range(23):
        factories.RemediationFactory(owner_team=partner_team, title=f"Fix number {index}")
    html = as_user(manager).get("/remediations/").content.decode()
    assert "Show all 23 →" in html
    listing = as_user(manager).get("/remediations/list/?status=proposed")
    assert listing.context["page"].paginator.count == 23 and len(listing.context["page"].object_list) == 23
    (proposed,) = [column for column in as_user(manager).get("/remediations/").context["columns"] if column.count]
    assert len(proposed.items) == 20 and proposed.has_more


@pytest.mark.parametrize("path", ["/remediations/", "/remediations/list/", "/remediations/owed/"])
def test_lists_cost_the_same_queries_with_3_or_30_remediations(
    as_user, manager, partner_team, escalation, django_assert_max_num_queries, path
):
    def add(count):
        for _ in range(count):
            remediation = factories.RemediationFactory(
                owner_team=partner_team, status="accepted", due_date=timezone.localdate() + timedelta(days=3)
            )
            remediation.escalations.add(escalation)

    client = as_user(manager)
    add(3)
    with django_assert_max_num_queries(20) as few:
        assert client.get(path).status_code == 200
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(path).status_code == 200


def test_what_my_team_owes_shows_due_dates_and_linked_escalation_counts(
    as_user, partner, remediation_in, foreign, escalation
):
    late = remediation_in("in_progress", title="Late fix", due_date=timezone.localdate() - timedelta(days=3))
    late.escalations.add(escalation)
    remediation_in("shipped", title="Shipped fix")
    page = as_user(partner).get("/remediations/owed/")
    (debt,) = page.context["debts"]
    assert debt.team.slug == "billing-platform"
    assert [r.title for r in debt.remediations] == ["Late fix"]
    assert debt.remediations[0].escalation_count == 1 and debt.overdue_count == 1 and debt.awaiting_verification == 1
    html = page.content.decode()
    assert "What my team owes" in html and "3 days late" in html and foreign.title not in html


def test_managers_see_what_every_team_owes_or_one_team(as_user, manager, remediation, foreign):
    page = as_user(manager).get("/remediations/owed/")
    assert [debt.team.slug for debt in page.context["debts"]] == ["billing-platform", "identity-access"]
    page = as_user(manager).get("/remediations/owed/?team=identity-access")
    assert [debt.team.slug for debt in page.context["debts"]] == ["identity-access"]


# --- propose, edit, move, post ----------------------------------------------------------------------------------


def test_proposing_from_a_case_prelinks_the_case_its_root_cause_and_its_partner_team(
    as_user, specialist, escalation, rounding, other_team
):
    escalation.root_cause, escalation.status = rounding, "resolved"
    escalation.resolution_summary, escalation.resolved_at = "Fixed.", timezone.now()
    escalation.save()
    factories.HandoffFactory(escalation=escalation, partner_team=other_team)
    page = as_user(specialist).get(f"/remediations/new/?escalation={escalation.reference}")
    form = page.context["form"]
    assert form.initial == {
        "escalations": escalation.reference,
        "root_causes": [rounding.pk],
        "owner_team": other_team.pk,
    }
    assert f'From <a href="/escalations/{escalation.reference}/">{escalation.reference}</a>' in page.content.decode()


def test_a_case_you_cannot_see_cannot_be_prelinked(as_user, partner, escalation):
    assert as_user(partner).get(f"/remediations/new/?escalation={escalation.reference}").status_code == 404


def test_proposing_from_a_driver_page_prelinks_the_driver(as_user, specialist, rounding):
    page = as_user(specialist).get(f"/remediations/new/?root_cause={rounding.pk}")
    assert page.context["form"].initial["root_causes"] == [rounding.pk]


def test_posting_the_form_proposes_it(as_user, specialist, partner_team, partner, rounding, escalation):
    response = as_user(specialist).post(
        "/remediations/new/",
        {
            "title": "Round once",
            "description": "Rounded twice.",
            "proposed_fix": "Round the total.",
            "owner_team": partner_team.pk,
            "owner": partner.pk,
            "priority": "high",
            "due_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "tracker_url": "tracker.example.com/BILL-1",
            "root_causes": [rounding.pk],
            "escalations": f"{escalation.reference.lower()}, ",
        },
    )
    remediation = Remediation.objects.get()
    assert response.status_code == 302 and response.url == f"/remediations/{remediation.pk}/"
    assert remediation.tracker_url == "https://tracker.example.com/BILL-1"
    assert list(remediation.escalations.all()) == [escalation] and list(remediation.root_causes.all()) == [rounding]


def test_the_form_shows_what_is_wrong_and_saves_nothing(as_user, specialist, partner_team, other_partner):
    response = as_user(specialist).post(
        "/remediations/new/",
        {"title": "", "description": "x", "owner_team": partner_team.pk, "owner": other_partner.pk,
         "priority": "medium", "escalations": "ESC-424242"},
    )  # fmt: skip
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "title" in errors and errors["escalations"] == ["No escalation ESC-424242 that you can see."]
    assert not Remediation.objects.exists()
    response = as_user(specialist).post(
        "/remediations/new/",
        {"title": "T", "description": "x", "owner_team": partner_team.pk, "owner": other_partner.pk,
         "priority": "medium"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "not an active member of Billing Platform" in response.context["form"].errors["owner"][0]


def test_the_owner_team_sees_the_moves_and_makes_one(as_user, partner, remediation):
    client = as_user(partner)
    page = client.get(f"/remediations/{remediation.pk}/")
    assert [move["label"] for move in page.context["moves"]] == ["Accept", "Decline"]
    response = client.post(f"/remediations/{remediation.pk}/transition/", {"to_status": "accepted"})
    assert response.status_code == 302
    assert Remediation.objects.get(pk=remediation.pk).status == "accepted"
    assert "Moved to accepted" in client.get(response.url).content.decode()


def test_a_specialist_sees_no_moves_and_is_refused_one(as_user, specialist, remediation):
    client = as_user(specialist)
    page = client.get(f"/remediations/{remediation.pk}/")
    assert page.context["moves"] == [] and "Members of Billing Platform and managers move" in page.content.decode()
    response = client.post(f"/remediations/{remediation.pk}/transition/", {"to_status": "accepted"})
    assert response.status_code == 400
    assert "Only members of Billing Platform and managers" in response.content.decode()


def test_a_refused_move_says_why_with_a_409(as_user, partner, remediation):
    response = as_user(partner).post(f"/remediations/{remediation.pk}/transition/", {"to_status": "shipped"})
    assert response.status_code == 409
    assert "can only become accepted or declined" in response.content.decode()


def test_declining_without_a_reason_is_refused(as_user, partner, remediation):
    response = as_user(partner).post(f"/remediations/{remediation.pk}/transition/", {"to_status": "declined"})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    response = as_user(partner).post(
        f"/remediations/{remediation.pk}/transition/", {"to_status": "declined", "reason": "Upstream fixes it."}
    )
    assert response.status_code == 302 and Remediation.objects.get(pk=remediation.pk).status == "declined"


def test_posting_a_progress_update(as_user, partner, remediation):
    response = as_user(partner).post(f"/remediations/{remediation.pk}/updates/", {"body": "Half done."})
    assert response.status_code == 302
    assert RemediationUpdate.objects.get().body == "Half done."
    assert as_user(partner).post(f"/remediations/{remediation.pk}/updates/", {"body": ""}).status_code == 400


def test_editing_as_the_owner_team(as_user, partner, remediation, partner_team):
    client = as_user(partner)
    form = client.get(f"/remediations/{remediation.pk}/edit/").context["form"]
    assert form.fields["owner_team"].disabled and not form.fields["title"].disabled
    response = client.post(
        f"/remediations/{remediation.pk}/edit/",
        {"title": "Idempotent renewals", "description": "d", "owner_team": partner_team.pk, "priority": "low",
         "owner": partner.pk},
    )  # fmt: skip
    assert response.status_code == 302
    remediation.refresh_from_db()
    assert (remediation.title, remediation.priority, remediation.description) == ("Idempotent renewals", "low", "d")


def test_a_specialist_who_did_not_propose_it_edits_only_the_links(as_user, remediation_in, escalation):
    remediation = remediation_in("accepted", created_by=None)
    colleague = factories.SpecialistFactory()
    client = as_user(colleague)
    form = client.get(f"/remediations/{remediation.pk}/edit/").context["form"]
    assert form.fields["title"].disabled and not form.fields["escalations"].disabled
    response = client.post(
        f"/remediations/{remediation.pk}/edit/",
        {"title": "Hijacked", "description": "x", "priority": "low", "escalations": escalation.reference},
    )
    assert response.status_code == 302, response.context["form"].errors
    remediation.refresh_from_db()
    assert remediation.title == "Idempotent renewal job" and list(remediation.escalations.all()) == [escalation]


def test_the_detail_page_costs_a_fixed_number_of_queries(
    as_user, manager, remediation_in, rounding, account, requester, django_assert_max_num_queries
):
    remediation = remediation_in("shipped", shipped_at=timezone.now() - timedelta(weeks=9))
    remediation.root_causes.add(rounding)
    client = as_user(manager)

    def grow(count):
        for _ in range(count):
            case = factories.EscalationFactory(
                account=account, requester=requester, root_cause=rounding, status="closed",
                resolved_at=timezone.now(), resolution_summary="x",
            )  # fmt: skip
            remediation.escalations.add(case)
            RemediationUpdate.objects.create(remediation=remediation, kind="progress", body="More.")

    grow(2)
    with django_assert_max_num_queries(25) as few:
        page = client.get(f"/remediations/{remediation.pk}/")
    assert page.context["effectiveness"].has_data
    grow(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/remediations/{remediation.pk}/")


def test_the_detail_page_shows_effectiveness_with_its_numbers(as_user, manager, remediation_in, rounding, account):
    shipped_at = timezone.now() - timedelta(weeks=5)
    remediation = remediation_in("shipped", shipped_at=shipped_at)
    remediation.root_causes.add(rounding)
    factories.EscalationFactory(account=account, root_cause=rounding, filed_at=shipped_at - timedelta(days=2),
                                status="closed", resolved_at=shipped_at, resolution_summary="x")  # fmt: skip
    client = as_user(manager)
    html = client.get(f"/remediations/{remediation.pk}/").content.decode()
    assert "No data yet." in html and "needs 8 full weeks" in html and "Compare 4 weeks" in html
    html = client.get(f"/remediations/{remediation.pk}/?weeks=4").content.decode()
    assert 'data-chart="effectiveness-data"' in html and "chart.umd.min.js" in html
    assert "1 in 4 weeks" in html and "0 in 4 weeks" in html and "-100%" in html


# --- root causes ----------------------------------------------------------------------------------------------


def test_managers_add_retire_restore_and_merge_from_the_root_causes_page(
    as_user, manager, billing_area, rounding, double_posting, escalation
):
    escalation.root_cause, escalation.status = rounding, "resolved"
    escalation.resolution_summary, escalation.resolved_at = "Fixed.", timezone.now()
    escalation.save()
    client = as_user(manager)
    page = client.get("/remediations/root-causes/")
    assert page.context["create_form"] is not None and "Merge: move every case" in page.content.decode()

    assert client.post("/remediations/root-causes/new/", {"parent": billing_area.pk, "name": "Tax"}).status_code == 302
    assert RootCause.objects.filter(parent=billing_area, slug="tax").exists()
    assert client.post(f"/remediations/root-causes/{double_posting.pk}/retire/").status_code == 302
    assert not RootCause.objects.get(pk=double_posting.pk).is_active
    assert client.post(f"/remediations/root-causes/{double_posting.pk}/restore/").status_code == 302
    response = client.post("/remediations/root-causes/merge/", {"source": rounding.pk, "target": double_posting.pk})
    assert response.status_code == 302 and response.url == f"/remediations/root-causes/{double_posting.pk}/"
    escalation.refresh_from_db()
    assert escalation.root_cause == double_posting
    assert escalation.events.get().kind == EscalationEvent.Kind.ROOT_CAUSE
    response = client.post("/remediations/root-causes/merge/", {"source": rounding.pk, "target": rounding.pk})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["new/", "merge/", "{pk}/retire/", "{pk}/restore/"])
def test_specialists_cannot_change_the_taxonomy(as_user, specialist, rounding, path):
    response = as_user(specialist).post("/remediations/root-causes/" + path.format(pk=rounding.pk), {"name": "x"})
    assert response.status_code == 403


def test_the_driver_page_shows_volume_accounts_time_to_resolve_and_remediations(
    as_user, specialist, rounding, remediation_in, requester, django_assert_max_num_queries
):
    now = timezone.now()
    big = factories.AccountFactory(name="Big Co", tier="strategic")
    small = factories.AccountFactory(name="Small Co", tier="starter")
    for account, hours in ((big, 10), (big, 30), (small, 20)):
        factories.EscalationFactory(account=account, requester=requester, root_cause=rounding, status="closed",
                                    filed_at=now - timedelta(days=3), resolution_summary="x",
                                    resolved_at=now - timedelta(days=3) + timedelta(hours=hours))  # fmt: skip
    fix = remediation_in("in_progress", title="Round once")
    fix.root_causes.add(rounding)
    client = as_user(specialist)
    with django_assert_max_num_queries(20):
        page = client.get(f"/remediations/root-causes/{rounding.pk}/")
    assert [(a.name, a.case_count) for a in page.context["page"]] == [("Big Co", 2), ("Small Co", 1)]
    assert page.context["stats"].resolved_count == 3 and page.context["stats"].median == timedelta(hours=20)
    assert page.context["weekly_total"] == 3 and len(page.context["weekly"]) == 26
    html = page.content.decode()
    assert "Round once" in html and "20 h" in html and f"/remediations/new/?root_cause={rounding.pk}" in html


def test_the_root_cause_of_a_resolved_case_is_changed_with_an_event(
    as_user, specialist, escalation, rounding, double_posting
):
    escalation.root_cause, escalation.status = rounding, "resolved"
    escalation.resolution_summary, escalation.resolved_at = "Fixed.", timezone.now()
    escalation.save()
    client = as_user(specialist)
    url = f"/remediations/root-causes/change/{escalation.reference}/"
    assert client.get(url).status_code == 200
    stale = client.post(url, {"version": 99, "root_cause": double_posting.pk})
    assert stale.status_code == 409
    response = client.post(url, {"version": escalation.version, "root_cause": double_posting.pk})
    assert response.status_code == 302 and response.url == f"/escalations/{escalation.reference}/"
    escalation.refresh_from_db()
    assert escalation.root_cause == double_posting
    assert escalation.events.get().kind == EscalationEvent.Kind.ROOT_CAUSE


def test_an_open_case_has_no_root_cause_to_change(as_user, specialist, escalation, partner):
    page = as_user(specialist).get(f"/remediations/root-causes/change/{escalation.reference}/")
    assert "This case has no root cause yet." in page.content.decode()
    assert as_user(partner).get(f"/remediations/root-causes/change/{escalation.reference}/").status_code == 403
