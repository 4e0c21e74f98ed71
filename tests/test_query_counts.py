"""Every list and detail page and every API list costs the same number of queries at 3 rows as at 30.

The pages and endpoints already guarded elsewhere (the dashboard's default queue, the plain queue, "My
escalations", handoffs and outbox as a manager, the case page for a specialist, the API list for a requester and
the API detail, the remediation board, list and "owed" pages, a remediation page) are not repeated here.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from escalations import services
from escalations.models import OutboxMessage
from tests import factories

SMALL, LARGE = 3, 30


@pytest.fixture
def same_queries_at_two_sizes(client, django_assert_max_num_queries):
    """Grow the data from SMALL to LARGE rows with `grow(count)`; the GET must cost no more queries the second time."""

    def check(user, url, grow, *, ceiling=40):
        client.force_login(user)
        grow(SMALL)
        with django_assert_max_num_queries(ceiling) as small:
            first = client.get(url)
        assert first.status_code == 200, first.content[:300]
        grow(LARGE - SMALL)
        with django_assert_max_num_queries(len(small.captured_queries)):
            second = client.get(url)
        assert second.status_code == 200
        return first, second

    return check


def _cases(count, **fields):
    fields.setdefault("assignee", factories.SpecialistFactory())
    return factories.EscalationFactory.create_batch(count, **fields)


# Pages -------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_filtered_and_searched_dashboard(same_queries_at_two_sizes, specialist, partner_team):
    category = factories.CategoryFactory(slug="billing-qc")

    def grow(count):
        for case in _cases(count, priority="P2", category=category, title="Invoices sent twice",
                           account=factories.AccountFactory(tier="enterprise")):  # fmt: skip
            factories.HandoffFactory(escalation=case, partner_team=partner_team)

    url = "/escalations/triage/?priority=P2&tier=enterprise&category=billing-qc&q=invoices&sort=sla"
    first, second = same_queries_at_two_sizes(specialist, url, grow)
    assert f"{LARGE} escalations" in second.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("queue", ["new", "mine", "breached", "unassigned", "recently_resolved"])
def test_each_dashboard_queue(same_queries_at_two_sizes, specialist, queue):
    def grow(count):
        _cases(count, assignee=specialist, status="in_progress", is_sla_breached=True)
        _cases(count, assignee=None)

    same_queries_at_two_sizes(specialist, f"/escalations/triage/?queue={queue}", grow)


@pytest.mark.django_db
def test_my_escalations_searched(same_queries_at_two_sizes, requester):
    def grow(count):
        _cases(count, requester=requester, title="Refunds missing")
        for case in _cases(count, title="Refunds stuck"):
            case.watcher_links.create(user=requester)

    first, second = same_queries_at_two_sizes(requester, "/escalations/mine/?state=open&q=Refunds", grow)
    assert f"{2 * LARGE} in all" in second.content.decode()


@pytest.mark.django_db
def test_handoffs_for_a_partner(same_queries_at_two_sizes, partner, partner_team):
    def grow(count):
        for case in _cases(count):
            factories.HandoffFactory(escalation=case, partner_team=partner_team)

    same_queries_at_two_sizes(partner, "/escalations/handoffs/", grow)


@pytest.mark.django_db
def test_my_email_for_a_requester(same_queries_at_two_sizes, requester):
    def grow(count):
        for case in _cases(count, requester=requester):
            OutboxMessage.objects.create(recipient=requester.email, subject="s", body_text="b", escalation=case)

    same_queries_at_two_sizes(requester, "/escalations/outbox/", grow)


@pytest.mark.django_db
def test_the_case_page_for_its_requester(same_queries_at_two_sizes, requester, escalation):
    def grow(count):
        for n in range(count):
            services.escalation_comment(
                acting_user=requester, escalation=escalation, body=f"More {n}", attachments=[_upload(n)]
            )
        factories.EventFactory.create_batch(count, escalation=escalation, visibility="internal")

    first, second = same_queries_at_two_sizes(requester, f"/escalations/{escalation.reference}/", grow)
    assert f"More {LARGE - SMALL - 1}" in second.content.decode()


@pytest.mark.django_db
def test_the_filed_page(same_queries_at_two_sizes, requester, escalation):
    def grow(count):
        factories.EventFactory.create_batch(count, escalation=escalation)

    same_queries_at_two_sizes(requester, f"/escalations/{escalation.reference}/filed/", grow)


@pytest.mark.django_db
def test_the_root_cause_pages(same_queries_at_two_sizes, manager, driver, requester):
    def grow(count):
        factories.RootCauseDriverFactory.create_batch(count)
        now = timezone.now()
        for _ in range(count):
            factories.EscalationFactory(account=factories.AccountFactory(), requester=requester, root_cause=driver,
                                        status="closed", resolution_summary="x", resolved_at=now)  # fmt: skip
            factories.RemediationFactory().root_causes.add(driver)

    same_queries_at_two_sizes(manager, "/remediations/root-causes/", grow)


@pytest.mark.django_db
def test_the_driver_page_with_more_accounts_and_fixes(same_queries_at_two_sizes, manager, driver, requester):
    def grow(count):
        now = timezone.now()
        for _ in range(count):
            factories.EscalationFactory(account=factories.AccountFactory(), requester=requester, root_cause=driver,
                                        status="closed", resolution_summary="x", resolved_at=now)  # fmt: skip
            factories.RemediationFactory().root_causes.add(driver)

    same_queries_at_two_sizes(manager, f"/remediations/root-causes/{driver.pk}/", grow)


# API lists and details ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_list_for_a_specialist_filtered(same_queries_at_two_sizes, specialist):
    def grow(count):
        _cases(count, priority="P2", title="Webhooks failing")

    first, second = same_queries_at_two_sizes(specialist, "/api/v1/escalations/?priority=P2&q=webhooks", grow)
    assert second.json()["count"] == LARGE and second.json()["count_is_capped"] is False


@pytest.mark.django_db
def test_the_api_list_for_a_partner(same_queries_at_two_sizes, partner, partner_team):
    def grow(count):
        for case in _cases(count):
            factories.HandoffFactory(escalation=case, partner_team=partner_team)

    first, second = same_queries_at_two_sizes(partner, "/api/v1/escalations/", grow)
    assert second.json()["count"] == LARGE


@pytest.mark.django_db
@pytest.mark.parametrize("resource", ["comments", "attachments"])
def test_a_case_s_comments_and_attachments(same_queries_at_two_sizes, requester, escalation, resource):
    def grow(count):
        for n in range(count):
            services.escalation_comment(
                acting_user=requester, escalation=escalation, body=f"Note {n}", attachments=[_upload(n)]
            )

    same_queries_at_two_sizes(requester, f"/api/v1/escalations/{escalation.reference}/{resource}/", grow)


@pytest.mark.django_db
def test_the_remediation_api_list_and_detail(same_queries_at_two_sizes, manager, partner_team, escalation, driver):
    fix = factories.RemediationFactory(owner_team=partner_team)

    def grow(count):
        for _ in range(count):
            other = factories.RemediationFactory(owner_team=partner_team)
            other.escalations.add(escalation)
            other.root_causes.add(driver)
            fix.escalations.add(factories.EscalationFactory())
            fix.root_causes.add(factories.RootCauseDriverFactory())

    same_queries_at_two_sizes(manager, "/api/v1/remediations/", grow)
    same_queries_at_two_sizes(manager, f"/api/v1/remediations/{fix.pk}/", grow)


@pytest.mark.django_db
def test_the_remediation_updates_api(same_queries_at_two_sizes, manager, partner_team):
    fix = factories.RemediationFactory(owner_team=partner_team)

    def grow(count):
        for n in range(count):
            fix.updates.create(kind="progress", body=f"Progress {n}", actor=factories.SpecialistFactory())

    same_queries_at_two_sizes(manager, f"/api/v1/remediations/{fix.pk}/updates/", grow)


@pytest.mark.django_db
def test_the_root_causes_api(same_queries_at_two_sizes, manager, driver):
    def grow(count):
        factories.RootCauseDriverFactory.create_batch(count, parent=driver.parent)

    same_queries_at_two_sizes(manager, "/api/v1/root-causes/", grow)
    same_queries_at_two_sizes(manager, f"/api/v1/root-causes/{driver.parent.pk}/", grow)


def _upload(n: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"log-{n}.txt", b"some lines", content_type="text/plain")
